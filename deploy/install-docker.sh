#!/bin/bash
# Installs what the docker-compose cluster and its test (test/e2e/compose.test.ts) need, from Debian 12
# only: docker.io (the engine), docker-compose (1.29, Python) and debootstrap (the base image). CI runs
# it from .ci/run; `steer up` does not need it (scripts/install-deps.sh stays docker-free).
#
# Debian's docker.io starts its service from postinst through invoke-rc.d. Without systemd that is the
# SysV script with the default /var/lib/docker, iptables rules and docker0 — not wanted (steer runs an
# engine of its own, deploy/dockerd.sh), and a failing start makes postinst, and so the install, fail.
# A policy-rc.d that forbids starting services (exit 101) is put in place for the install when the
# machine has none, then removed.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install-docker.sh: run as root" >&2; exit 1; }
pkgs=(docker.io docker-compose debootstrap)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "docker.io, docker-compose and debootstrap already installed"
  exit 0
fi
policy=/usr/sbin/policy-rc.d
added_policy=
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# added by steer deploy/install-docker.sh for the install only\nexit 101\n' > "$policy"
  chmod 0755 "$policy"
  added_policy=1
fi
trap '[ -n "$added_policy" ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
  || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
dockerd --version
docker-compose --version
