#!/bin/bash
# Entry point of a node container (docker-compose.yml): sets up the node's own containerd, CNI bridge
# and local registry (steer runtime setup), runs the node agent, and on SIGTERM (docker-compose stop /
# down) stops the agent and tears the runtime down, so no pod cgroups or mounts stay on the host's
# cgroupfs (shared with the container) after the container is gone.
#   node-entrypoint.sh NODE_NAME POD_CIDR [node-agent flags...]
set -uo pipefail
NODE=${1:?usage: node-entrypoint.sh NODE_NAME POD_CIDR [node-agent flags...]}
POD_CIDR=${2:?usage: node-entrypoint.sh NODE_NAME POD_CIDR [node-agent flags...]}
shift 2
RT=/var/lib/steer/runtime
# One bridge and so one pod cgroup root (/<bridge>-pods, from the runtime setup) per node: the host's
# cgroupfs is shared by every node container.
BRIDGE="steer${NODE//[^a-z0-9]/}"
BRIDGE=${BRIDGE:0:15}
steer() { node /opt/steer/bin/steer.js "$@"; }

agent=
teardown() {
  trap - TERM INT
  if [ -n "$agent" ]; then kill -TERM "$agent" 2>/dev/null; wait "$agent"; fi
  echo "node-entrypoint: tearing down the runtime of $NODE"
  steer runtime teardown --state-dir "$RT"
  exit 0
}
trap teardown TERM INT

# A container restarted after an unclean stop finds the last run's state: clean it first.
[ -f "$RT/runtime.env" ] && steer runtime teardown --state-dir "$RT"
steer runtime setup --state-dir "$RT" --node-name "$NODE" --pod-subnet "$POD_CIDR" --bridge "$BRIDGE" || exit 1
# The pod cgroup root the runtime setup chose (runtime.env: BRIDGE, POD_SUBNET, CGROUP_ROOT, ...).
CGROUP_ROOT=$(. "$RT/runtime.env" && echo "${CGROUP_ROOT:-}")
[ -n "$CGROUP_ROOT" ] || { echo "node-entrypoint: no CGROUP_ROOT in $RT/runtime.env" >&2; exit 1; }
# Not through the steer function: `func &` forks a subshell, and its PID is not the agent's.
node /opt/steer/bin/steer.js node-agent --node-name "$NODE" --cri-socket "$RT/containerd/containerd.sock" --state-dir /var/lib/steer/node-agent \
  --cgroup-root "$CGROUP_ROOT" --pod-cidr "$POD_CIDR" "$@" &
agent=$!
# `wait` returns early when a trapped signal arrives; the trap then runs teardown.
wait "$agent"
status=$?
agent=
echo "node-entrypoint: node agent exited ($status)"
steer runtime teardown --state-dir "$RT"
exit "$status"
