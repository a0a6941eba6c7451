#!/bin/bash
# Builds steer:latest (Dockerfile) on top of steer-base:bookworm (deploy/build-base-image.sh) from a
# clean build context: the repository's tracked files, plus the host's extra CA certificates when the
# machine reaches the npm registry and Debian mirror through a TLS-intercepting proxy (npm inside the
# build must trust the same CAs as npm on the host).
#   export DOCKER_HOST=unix:///run/steer-docker/docker.sock
#   bash deploy/build-base-image.sh && bash deploy/build-image.sh && docker-compose up -d
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
TAG=${TAG:-steer:latest}
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
(cd "$HERE" && git ls-files -z | xargs -0 cp --parents -t "$ctx")
mkdir -p "$ctx/extra-ca"
for f in ${NODE_EXTRA_CA_CERTS:-} /usr/local/share/ca-certificates/*.crt; do
  [ -f "$f" ] && cp "$f" "$ctx/extra-ca/$(basename "$f" .crt)-$(md5sum < "$f" | cut -c1-8).crt"
done
docker build --network host -t "$TAG" "$ctx"
