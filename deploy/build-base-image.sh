#!/bin/bash
# Builds steer's base container image from Debian packages only (there is no image registry to pull a
# base image from): debootstrap Debian 12 (bookworm, minbase) into a folder, then `docker import` it.
#   DOCKER_HOST=unix:///run/steer-docker/docker.sock bash deploy/build-base-image.sh
# Env: ROOTFS (folder, default /var/lib/steer-docker/rootfs-bookworm), MIRROR (default
# http://deb.debian.org/debian), TAG (default steer-base:bookworm). Needs root, debootstrap and docker.
set -euo pipefail
ROOTFS=${ROOTFS:-/var/lib/steer-docker/rootfs-bookworm}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
TAG=${TAG:-steer-base:bookworm}

command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-upgrade debootstrap
if [ ! -x "$ROOTFS/bin/bash" ]; then
  rm -rf "$ROOTFS"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$ROOTFS" "$MIRROR"
  # Keep images small: no apt caches or docs from the bootstrap.
  rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
fi
tar -C "$ROOTFS" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV DEBIAN_FRONTEND=noninteractive' \
  --change 'CMD ["/bin/bash"]' \
  - "$TAG"
docker image inspect "$TAG" --format '{{.Id}} {{.Size}}'
