#!/bin/bash
# setup.sh: brings up one steer node runtime ("host"): the machine-wide local registry on
# 127.0.0.1:5000 with the pause/nginx/busybox images built from Debian packages, and a containerd with
# the CRI plugin, its own root/state/sockets, CNI bridge, pod subnet, IPAM dir and cgroup root, all
# under the state dir RT. Idempotent: what already runs for RT (same settings) is reused; images are
# built once and kept in the registry's state dir. Concurrent runs are serialized with flock.
#
# Environment: RT (required, absolute), POD_SUBNET (10.88.0.0/16), BRIDGE (steer0, at most 15 chars),
# NODE_NAME (informational), STEER_REGISTRY_DIR (/var/lib/steer-registry), STEER_RUN_DIR (/run/steer).
# Prints, as its last stdout line, one JSON object describing the runtime.
set -euo pipefail
RT=${RT:?set RT to the runtime state directory}
POD_SUBNET=${POD_SUBNET:-10.88.0.0/16}
BRIDGE=${BRIDGE:-steer0}
NODE_NAME=${NODE_NAME:-$(hostname)}
REG_DIR=${STEER_REGISTRY_DIR:-/var/lib/steer-registry}
RUN_DIR=${STEER_RUN_DIR:-/run/steer}
REGISTRY=127.0.0.1:5000
HERE=$(cd "$(dirname "$0")" && pwd)
NETNAME="steer-$BRIDGE"
CGROUP_ROOT="/$BRIDGE-pods"
SOCK="$RT/containerd/containerd.sock"

case "$RT" in /*) ;; *) echo "RT must be an absolute path: $RT" >&2; exit 2 ;; esac
[ ${#BRIDGE} -le 15 ] || { echo "bridge name longer than 15 characters: $BRIDGE" >&2; exit 2; }
[[ "$BRIDGE" =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "bad bridge name: $BRIDGE" >&2; exit 2; }
[[ "$POD_SUBNET" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/[0-9]+$ ]] || { echo "bad pod subnet: $POD_SUBNET" >&2; exit 2; }
# unix socket paths are limited to 108 bytes; containerd's longest one is the ttrpc socket
[ ${#SOCK} -le 100 ] || { echo "state dir path too long for containerd's sockets: $RT" >&2; exit 2; }

missing=""
for c in containerd containerd-shim-runc-v2 runc docker-registry skopeo gcc curl jq iptables ip flock setsid dpkg-deb apt-get tar gzip sha256sum; do
  command -v $c >/dev/null || missing="$missing $c"
done
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/portmap ] && [ -x /usr/lib/cni/firewall ] && [ -x /usr/lib/cni/host-local ] || missing="$missing containernetworking-plugins"
[ -z "$missing" ] || { echo "missing:$missing (run scripts/install-deps.sh)" >&2; exit 3; }

ms() { echo $(( $(date +%s%N) / 1000000 )); }
T0=$(ms)
mkdir -p "$RUN_DIR/claims" "$REG_DIR" "$RT"
# One machine-wide lock: the registry, the image build and the bridge/subnet claims are shared state.
exec 9>"$RUN_DIR/setup.lock"
flock 9

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
# cmdline_has PID WORD...: the process's command line contains every WORD (guards against PID reuse)
cmdline_has() {
  local pid=$1; shift; local cl
  cl=$(tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null) || return 1
  for w in "$@"; do [[ "$cl" == *"$w"* ]] || return 1; done
}
# start_daemon LOG CMD...: starts CMD in its own session, detached from our stdio and our lock fd, and
# prints its PID ($! is the daemon itself: setsid does not fork when not a group leader).
start_daemon() {
  local log=$1; shift
  setsid "$@" </dev/null >>"$log" 2>&1 9>&- &
  echo $!
}

# ---- 1. the shared registry on 127.0.0.1:5000 ----
registry_up() { curl -sf -m 2 http://$REGISTRY/v2/ >/dev/null; }
REG_PID=0
if registry_up; then
  [ -f "$REG_DIR/pid" ] && alive "$(cat "$REG_DIR/pid")" && REG_PID=$(cat "$REG_DIR/pid")
else
  mkdir -p "$REG_DIR/data"
  cat > "$REG_DIR/config.yml" <<EOT
version: 0.1
log:
  level: warn
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $REG_DIR/data
  delete:
    enabled: true
http:
  addr: $REGISTRY
  headers:
    X-Content-Type-Options: [nosniff]
EOT
  REG_PID=$(start_daemon "$REG_DIR/registry.log" docker-registry serve "$REG_DIR/config.yml")
  echo "$REG_PID" > "$REG_DIR/pid"
  for i in $(seq 100); do registry_up && break; alive $REG_PID || break; sleep 0.1; done
  registry_up || { echo "registry did not come up on $REGISTRY; see $REG_DIR/registry.log" >&2; tail -5 "$REG_DIR/registry.log" >&2; exit 1; }
fi
T1=$(ms)

# ---- 2. images: built from Debian packages once, kept under the registry dir, pushed when missing ----
has_tag() {
  curl -sf -m 5 -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REGISTRY/v2/$1/manifests/$2"
}
IMG="$REG_DIR/images"
# images are rebuilt and pushed again when their recipe changed since they were built
RECIPE=$(cat "$HERE/build-images.sh" "$HERE/mkoci.sh" "$HERE/pause.c" "$HERE/nginx.conf" | sha256sum | cut -d' ' -f1)
stale=0
[ "$(cat "$IMG/recipe.sha256" 2>/dev/null)" = "$RECIPE" ] || { stale=1; rm -rf "$IMG"/oci-*; }
built=""
for img in pause:3.9 nginx:1.22 busybox:1.35; do
  n=${img%%:*}; t=${img##*:}
  [ $stale = 0 ] && has_tag "$n" "$t" && continue
  [ -f "$IMG/oci-$n/index.json" ] || "$HERE/build-images.sh" "$IMG" "$n" >&2
  skopeo copy -q --dest-tls-verify=false "oci:$IMG/oci-$n:$t" "docker://$REGISTRY/$n:$t" >&2
  has_tag "$n" "$t" || { echo "push of $REGISTRY/$n:$t did not land" >&2; exit 1; }
  built="$built $img"
done
echo "$RECIPE" > "$IMG/recipe.sha256"
# redis (the stateful example) is pushed when missing; kept out of RECIPE so adding it rebuilt nothing else
if ! has_tag redis 7.0; then
  [ -f "$IMG/oci-redis/index.json" ] || "$HERE/build-images.sh" "$IMG" redis >&2
  skopeo copy -q --dest-tls-verify=false "oci:$IMG/oci-redis:7.0" "docker://$REGISTRY/redis:7.0" >&2
  has_tag redis 7.0 || { echo "push of $REGISTRY/redis:7.0 did not land" >&2; exit 1; }
  built="$built redis:7.0"
fi
T2=$(ms)

# ---- 3. claims: no two live runtimes may share a bridge or a subnet ----
claim() {  # claim KIND VALUE: the file names the state dir owning it; a dead owner's claim is taken over
  local f="$RUN_DIR/claims/$1-$(echo -n "$2" | tr '/' '_')" owner
  if [ -f "$f" ]; then
    owner=$(cat "$f")
    if [ "$owner" != "$RT" ] && [ -f "$owner/containerd/pid" ] && alive "$(cat "$owner/containerd/pid")"; then
      echo "$1 $2 is in use by the runtime in $owner" >&2; exit 4
    fi
  fi
  echo "$RT" > "$f"
}
claim bridge "$BRIDGE"
claim subnet "$POD_SUBNET"

# ---- 4. containerd with CRI + CNI for this state dir ----
SETTINGS="POD_SUBNET=$POD_SUBNET
BRIDGE=$BRIDGE
NETNAME=$NETNAME
CGROUP_ROOT=$CGROUP_ROOT
NODE_NAME=$NODE_NAME"
CTR_PID=0
if [ -f "$RT/containerd/pid" ]; then
  p=$(cat "$RT/containerd/pid")
  if alive "$p" && cmdline_has "$p" containerd "$RT/containerd/config.toml"; then
    if [ "$(cat "$RT/runtime.env" 2>/dev/null)" != "$SETTINGS" ]; then
      { echo "running with:"; cat "$RT/runtime.env"; echo "asked for:"; echo "$SETTINGS"; } >&2
      echo "containerd for $RT already runs with other settings; run teardown first" >&2; exit 5
    fi
    CTR_PID=$p
  fi
fi
if [ "$CTR_PID" = 0 ]; then
  mkdir -p "$RT/containerd/certs.d/$REGISTRY" "$RT/cni/net.d" "$RT/cni/ipam" "$RT/pod-logs"
  echo "$SETTINGS" > "$RT/runtime.env"
  cat > "$RT/containerd/config.toml" <<EOT
version = 2
root = "$RT/containerd/root"
state = "$RT/containerd/state"
# root here lacks CAP_SYS_RESOURCE: no negative OOM scores, for containerd or its sandboxes
oom_score = 0

[grpc]
  address = "$SOCK"

[ttrpc]
  address = "$SOCK.ttrpc"

[debug]
  address = "$RT/containerd/debug.sock"
  level = "info"

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$RT/containerd/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "$REGISTRY/pause:3.9"
    stats_collect_period = 10
    enable_selinux = false
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          BinaryName = "$(command -v runc)"
          SystemdCgroup = false
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$RT/cni/net.d"
      max_conf_num = 1
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "$RT/containerd/certs.d"
EOT
  cat > "$RT/containerd/certs.d/$REGISTRY/hosts.toml" <<EOT
server = "http://$REGISTRY"

[host."http://$REGISTRY"]
  capabilities = ["pull", "resolve"]
  skip_verify = true
EOT
  # written to a dotfile then renamed: containerd watches this dir and would read a half-written file
  cat > "$RT/cni/net.d/.tmp-conflist" <<EOT
{
  "cniVersion": "1.0.0",
  "name": "$NETNAME",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_SUBNET" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$RT/cni/ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOT
  mv "$RT/cni/net.d/.tmp-conflist" "$RT/cni/net.d/10-$NETNAME.conflist"
  # What the bridge plugin's ipMasq and the firewall plugin did per pod (9 + 14 iptables runs on every
  # ADD, 6 + 4 on every DEL, serialized on the xtables lock), as three rules for the whole pod subnet,
  # written once: pods' traffic leaving the subnet is masqueraded, and the FORWARD chain lets pods'
  # traffic and its replies through even under Docker's FORWARD DROP policy. portmap stays in the
  # chain: it runs iptables only for pods with hostPorts. The comment names the network, so
  # teardown.sh removes these rules with the rest of the network's.
  COMMENT="name: \"$NETNAME\" steer pod subnet"
  ensure_rule() {  # ensure_rule TABLE CHAIN RULE...: insert at the top unless present
    local t=$1 ch=$2; shift 2
    iptables -w -t "$t" -C "$ch" "$@" -m comment --comment "$COMMENT" 2>/dev/null || iptables -w -t "$t" -I "$ch" 1 "$@" -m comment --comment "$COMMENT"
  }
  ensure_rule nat POSTROUTING -s "$POD_SUBNET" ! -d "$POD_SUBNET" -j MASQUERADE
  ensure_rule filter FORWARD -s "$POD_SUBNET" -j ACCEPT
  ensure_rule filter FORWARD -d "$POD_SUBNET" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
  rm -f "$SOCK" "$SOCK.ttrpc" "$RT/containerd/debug.sock"   # stale sockets from a crashed run
  CTR_PID=$(start_daemon "$RT/containerd/containerd.log" containerd --config "$RT/containerd/config.toml")
  echo "$CTR_PID" > "$RT/containerd/pid"
  for i in $(seq 200); do [ -S "$SOCK" ] && break; alive $CTR_PID || break; sleep 0.05; done
  if ! alive $CTR_PID || [ ! -S "$SOCK" ]; then
    echo "containerd did not come up; see $RT/containerd/containerd.log" >&2; tail -5 "$RT/containerd/containerd.log" >&2; exit 1
  fi
fi
T3=$(ms)
echo "setup $RT: registry $((T1-T0)) ms, images $((T2-T1)) ms${built:+ (pushed$built)}, containerd $((T3-T2)) ms" >&2
printf '{"criSocket":"%s","stateDir":"%s","registry":"%s","pids":{"containerd":%s,"registry":%s},"bridge":"%s","podSubnet":"%s","networkName":"%s","cgroupRoot":"%s","podLogDir":"%s"}\n' \
  "$SOCK" "$RT" "$REGISTRY" "$CTR_PID" "$REG_PID" "$BRIDGE" "$POD_SUBNET" "$NETNAME" "$CGROUP_ROOT" "$RT/pod-logs"
