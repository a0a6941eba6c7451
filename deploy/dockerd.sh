#!/bin/bash
# Starts or stops a Docker engine of steer's own (Debian's docker.io, no systemd): its own data root,
# exec root, socket and PID file, so it never meets a system dockerd. No iptables rules, no NAT and no
# default bridge: the compose network is the only one, and its containers need no way out.
#   bash deploy/dockerd.sh start      # waits until the engine answers; prints DOCKER_HOST
#   bash deploy/dockerd.sh stop       # stops the engine by its PID file, waits until it is gone
#   bash deploy/dockerd.sh status
# Env: STEER_DOCKER_DATA (default /var/lib/steer-docker/data), STEER_DOCKER_RUN (default /run/steer-docker),
#      STEER_DOCKER_NET_ARGS (default "--iptables=false --ip-masq=false --bridge=none"; bench/swarm.ts gives
#      its containers a bridge of its own: "--iptables=false --ip-masq=false --bridge=NAME").
set -euo pipefail
DATA=${STEER_DOCKER_DATA:-/var/lib/steer-docker/data}
RUN=${STEER_DOCKER_RUN:-/run/steer-docker}
SOCK=$RUN/docker.sock
PIDFILE=$RUN/dockerd.pid
LOG=${STEER_DOCKER_LOG:-/var/lib/steer-docker/dockerd.log}
export DOCKER_HOST=unix://$SOCK

running_pid() {
  local pid
  [ -f "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE")
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && grep -q dockerd "/proc/$pid/comm" 2>/dev/null && echo "$pid"
}

case "${1:-}" in
  start)
    if pid=$(running_pid); then
      echo "dockerd already running (PID $pid)"
    else
      command -v dockerd >/dev/null || { echo "dockerd not found: bash deploy/install-docker.sh" >&2; exit 1; }
      mkdir -p "$DATA" "$RUN/exec" "$(dirname "$LOG")"
      # A stale PID file or socket from a killed engine would make dockerd refuse to start.
      rm -f "$PIDFILE" "$SOCK"
      # setsid: the engine must outlive this script and not get the caller's terminal signals.
      setsid dockerd --data-root "$DATA" --exec-root "$RUN/exec" --host "unix://$SOCK" --pidfile "$PIDFILE" \
        ${STEER_DOCKER_NET_ARGS:---iptables=false --ip-masq=false --bridge=none} >>"$LOG" 2>&1 </dev/null &
      for _ in $(seq 1 300); do
        docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
        if ! kill -0 $! 2>/dev/null; then echo "dockerd exited; last lines of $LOG:" >&2; tail -20 "$LOG" >&2; exit 1; fi
        sleep 0.2
      done
      docker version --format 'dockerd {{.Server.Version}} up' || { tail -20 "$LOG" >&2; exit 1; }
    fi
    echo "export DOCKER_HOST=$DOCKER_HOST"
    ;;
  stop)
    if pid=$(running_pid); then
      kill -TERM "$pid"
      for _ in $(seq 1 150); do [ -d "/proc/$pid" ] || break; sleep 0.2; done
      if [ -d "/proc/$pid" ]; then echo "dockerd $pid did not stop in 30 s; SIGKILL" >&2; kill -KILL "$pid"; fi
      echo "dockerd $pid stopped"
    else
      echo "dockerd not running"
    fi
    # dockerd leaves its default network namespace file mounted in its exec root.
    if mountpoint -q "$RUN/exec/netns/default" 2>/dev/null; then umount "$RUN/exec/netns/default"; fi
    rm -f "$PIDFILE" "$SOCK"
    ;;
  status)
    if pid=$(running_pid); then echo "running (PID $pid), DOCKER_HOST=$DOCKER_HOST"; else echo "not running"; exit 3; fi
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
