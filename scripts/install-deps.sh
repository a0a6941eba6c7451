#!/bin/bash
# Installs, from Debian's packages, every program steer and its tests use on a fresh Debian 12 machine
# (root). Idempotent and quick when all is there. kubectl 1.20 (Debian's kubernetes-client) is unpacked
# into tools/kubectl/ rather than installed, because another /usr/bin/kubectl may own that path.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
# libssl3 libpcre2-8-0 zlib1g libcrypt1: the libraries Debian's nginx links to, copied from the host into
# the nginx image (node-agent/runtime-setup/build-images.sh); util-linux: flock and setsid for its setup;
# chromium: the headless browser the web console's tests drive (playwright-core, nothing downloaded).
# etcd-server: /usr/bin/etcd for `--storage etcd`, `steer etcd` and the etcd tests (its postinst enables a
# systemd unit; steer runs its members itself, by PID); openssl: certificates for the etcd TLS test.
PKGS="etcd-server openssl containerd runc containernetworking-plugins docker-registry skopeo umoci iptables busybox-static gcc libc6-dev jq curl iproute2 procps prometheus libssl3 libpcre2-8-0 zlib1g libcrypt1 util-linux chromium"
missing=""
for p in $PKGS; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"; done
KUBECTL="$HERE/tools/kubectl/usr/bin/kubectl"
if [ -n "$missing" ] || [ ! -x "$KUBECTL" ]; then
  apt-get update -qq
fi
if [ -n "$missing" ]; then
  echo "installing:$missing" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-upgrade $missing >/dev/null
  # The package enables a default etcd service on 2379/2380 where systemd runs; steer starts its own
  # members (steer etcd start, steer up --etcd) on those ports, so the one it just installed is stopped.
  case " $missing " in *" etcd-server "*)
    if [ -d /run/systemd/system ]; then systemctl disable --now etcd >/dev/null 2>&1 || true; fi ;;
  esac
fi
if [ ! -x "$KUBECTL" ]; then
  tmp=$(mktemp -d); chmod 777 "$tmp"
  (cd "$tmp" && apt-get download -qq kubernetes-client)
  mkdir -p "$HERE/tools/kubectl"
  dpkg-deb -x "$tmp"/kubernetes-client_*.deb "$HERE/tools/kubectl"
  rm -rf "$tmp"
fi
"$KUBECTL" version --client --short 2>/dev/null || "$KUBECTL" version --client
