#!/bin/bash
# teardown.sh: undoes setup.sh for one state dir RT, and whatever its pods left behind. It touches only
# what RT started (saved PIDs, its cgroup root, its bridge, iptables rules naming its CNI network or its
# pod IPs); the shared registry keeps running unless STOP_REGISTRY=1. Safe to run again.
# Pods should already have been removed through CRI (teardownRuntime does that first); this script
# SIGKILLs whatever still runs in RT's pod cgroups.
set -uo pipefail
RT=${RT:?set RT to the runtime state directory}
RUN_DIR=${STEER_RUN_DIR:-/run/steer}
REG_DIR=${STEER_REGISTRY_DIR:-/var/lib/steer-registry}
SOCK="$RT/containerd/containerd.sock"
[ -f "$RT/runtime.env" ] && . "$RT/runtime.env"
BRIDGE=${BRIDGE:-}; NETNAME=${NETNAME:-}; CGROUP_ROOT=${CGROUP_ROOT:-}
mkdir -p "$RUN_DIR/claims"
exec 9>"$RUN_DIR/setup.lock"
flock 9

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
cmdline_has() {
  local pid=$1; shift; local cl
  cl=$(tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null) || return 1
  for w in "$@"; do [[ "$cl" == *"$w"* ]] || return 1; done
}
stop_pid() {  # stop_pid PID: SIGTERM, up to 10 s, then SIGKILL
  local p=$1
  kill "$p" 2>/dev/null
  for i in $(seq 100); do alive "$p" || return 0; sleep 0.1; done
  kill -9 "$p" 2>/dev/null; sleep 0.1
}
cg_procs() {  # PIDs in RT's pod cgroup root (the v1 pids hierarchy, or the v2 unified one)
  [ -n "$CGROUP_ROOT" ] || return 0
  for d in "/sys/fs/cgroup/pids$CGROUP_ROOT" "/sys/fs/cgroup$CGROUP_ROOT"; do
    [ -d "$d" ] && find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null
  done
  return 0
}

# 1. the pods' network namespaces (from containerd while it runs, and from the pod processes), then
#    SIGKILL whatever still runs in RT's pod cgroups
CTR_PID=$(cat "$RT/containerd/pid" 2>/dev/null || true)
ctr_up=0
alive "$CTR_PID" && cmdline_has "$CTR_PID" containerd "$RT/containerd/config.toml" && [ -S "$SOCK" ] && ctr_up=1
netns=$( {
  if [ $ctr_up = 1 ] && command -v ctr >/dev/null; then   # ctr would wait on a dead socket
    for id in $(ctr --address "$SOCK" -n k8s.io containers ls -q 2>/dev/null); do
      ctr --address "$SOCK" -n k8s.io containers info "$id" 2>/dev/null |
        jq -r '.Spec.linux.namespaces[]? | select(.type=="network") | .path // empty'
    done
  fi
  for p in $(cg_procs); do
    i=$(stat -L -c %i /proc/$p/ns/net 2>/dev/null) || continue
    for n in /var/run/netns/*; do [ "$(stat -L -c %i "$n" 2>/dev/null)" = "$i" ] && echo "$n"; done
  done
} | sort -u)
cg_procs | xargs -r kill -9 2>/dev/null

# 2. containerd by its saved PID (checked against its command line), then the shims of this address
if [ -f "$RT/containerd/pid" ]; then
  p=$(cat "$RT/containerd/pid")
  alive "$p" && cmdline_has "$p" containerd "$RT/containerd/config.toml" && stop_pid "$p"
  rm -f "$RT/containerd/pid"
fi
for p in $(pgrep -f "containerd-shim-runc-v2 .*-address $SOCK( |$)"); do kill -9 "$p" 2>/dev/null; done
# other live steer runtimes (their claims name them): shared things stay while one is alive
others=0
for f in "$RUN_DIR"/claims/*; do
  [ -f "$f" ] || continue; o=$(cat "$f")
  [ "$o" = "$RT" ] && { rm -f "$f"; continue; }
  [ -f "$o/containerd/pid" ] && alive "$(cat "$o/containerd/pid")" && others=1
done
if [ "${STOP_REGISTRY:-0}" = 1 ] && [ $others = 1 ]; then
  echo "registry left running: other steer runtimes still use it" >&2
elif [ "${STOP_REGISTRY:-0}" = 1 ] && [ -f "$REG_DIR/pid" ]; then
  p=$(cat "$REG_DIR/pid")
  alive "$p" && cmdline_has "$p" docker-registry "$REG_DIR/config.yml" && stop_pid "$p"
  rm -f "$REG_DIR/pid"
fi

# 3. network: those netns, the bridge, and iptables rules of this CNI network
for n in $netns; do [ -e "$n" ] && { umount "$n" 2>/dev/null; rm -f "$n"; }; done
[ -n "$BRIDGE" ] && ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE"
SHARED='^CNI-(FORWARD|ADMIN|HOSTPORT-DNAT|HOSTPORT-SNAT|HOSTPORT-MASQ|HOSTPORT-SETMARK)$'
if [ -n "$NETNAME" ]; then
  ips=""
  [ -d "$RT/cni/ipam/$NETNAME" ] && ips=$(ls "$RT/cni/ipam/$NETNAME" | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$')
  for t in filter nat; do
    # rules whose comment names our network (the pod subnet rules, bridge ipMasq of older setups, portmap), and the firewall plugin's (older setups)
    # per-IP rules for our pod IPs; the per-pod chains they jump to go with them
    rules=$(iptables -t $t -S 2>/dev/null | grep -F "\\\"$NETNAME\\\"")
    for ip in $ips; do rules+=$'\n'$(iptables -t $t -S 2>/dev/null | grep -E "^-A CNI-FORWARD .*-[sd] $ip/32 "); done
    chains=$(echo "$rules" | grep -oE ' -j CNI-[A-Za-z0-9-]+' | awk '{print $2}' | grep -vE "$SHARED" | sort -u)
    echo "$rules" | grep '^-A ' | sed 's/^-A/-D/' | while read -r r; do eval iptables -t $t "$r" 2>/dev/null; done
    for ch in $chains; do iptables -t $t -F "$ch" 2>/dev/null; iptables -t $t -X "$ch" 2>/dev/null; done
  done
fi
# the CNI plugins' shared chains go too once they are empty and no other steer runtime is alive
if [ $others = 0 ]; then
  for t in filter nat; do
    S=$(iptables -t $t -S 2>/dev/null)
    busy=$(echo "$S" | grep -E '^-A CNI-(FORWARD|ADMIN|HOSTPORT-[A-Z]+) ' | grep -vE -- '-A CNI-FORWARD .*-j CNI-ADMIN$' |
      grep -vE -- '-A CNI-HOSTPORT-(SETMARK|MASQ) ' | wc -l)
    [ "$busy" = 0 ] || continue
    echo "$S" | grep -E '^-A [A-Z]+ .*-j CNI-(FORWARD|HOSTPORT-[A-Z]+)$' | sed 's/^-A/-D/' | while read -r r; do eval iptables -t $t "$r" 2>/dev/null; done
    for ch in $(echo "$S" | awk '/^-N CNI-/{print $2}' | grep -E "$SHARED"); do iptables -t $t -F "$ch" 2>/dev/null; done
    for ch in $(echo "$S" | awk '/^-N CNI-/{print $2}' | grep -E "$SHARED"); do iptables -t $t -X "$ch" 2>/dev/null; done
  done
fi

# 4. cgroup dirs, mounts left under RT, containerd's root and state, IPAM, pod logs
if [ -n "$CGROUP_ROOT" ]; then
  for h in /sys/fs/cgroup/*"$CGROUP_ROOT" "/sys/fs/cgroup$CGROUP_ROOT"; do [ -d "$h" ] && find "$h" -depth -type d -exec rmdir {} \; 2>/dev/null; done
fi
awk '{print $2}' /proc/self/mounts | grep "^$RT/" | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
if awk '{print $2}' /proc/self/mounts | grep -q "^$RT/"; then
  echo "still mounted under $RT:" >&2; awk '{print $2}' /proc/self/mounts | grep "^$RT/" >&2; exit 1
fi
rm -rf "$RT/containerd/root" "$RT/containerd/state" "$RT/containerd/opt" "$RT/cni/ipam" "$RT/pod-logs"
rm -f "$SOCK" "$SOCK.ttrpc" "$RT/containerd/debug.sock"
left=""
[ -n "$BRIDGE" ] && ip link show "$BRIDGE" >/dev/null 2>&1 && left="$left bridge:$BRIDGE"
if [ -n "$CGROUP_ROOT" ]; then
  for h in /sys/fs/cgroup/*"$CGROUP_ROOT" "/sys/fs/cgroup$CGROUP_ROOT"; do [ -d "$h" ] && left="$left cgroup:$h"; done
fi
[ -z "$(pgrep -f "containerd-shim-runc-v2 .*-address $SOCK( |$)")" ] || left="$left shims"
[ -z "$left" ] || { echo "teardown of $RT left:$left" >&2; exit 1; }
echo "teardown $RT done" >&2
