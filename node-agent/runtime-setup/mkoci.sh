#!/bin/bash
# mkoci.sh ROOTFS_DIR LAYOUT_DIR TAG CONFIG_JSON
# Packs ROOTFS_DIR as a one-layer OCI image layout (tar + gzip + sha256, nothing else). Timestamps and
# owners are fixed so the same rootfs always gives the same digests. CONFIG_JSON is the image config's
# "config" object (Entrypoint, Cmd, Env, ...).
set -euo pipefail
ROOTFS=$1 LAYOUT=$2 TAG=$3 CFG=$4
mkdir -p "$LAYOUT/blobs/sha256"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$ROOTFS" -cf "$tmp/layer.tar" .
diffid=$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1)
gzip -n -6 "$tmp/layer.tar"
ldig=$(sha256sum "$tmp/layer.tar.gz" | cut -d' ' -f1); lsize=$(stat -c %s "$tmp/layer.tar.gz")
mv "$tmp/layer.tar.gz" "$LAYOUT/blobs/sha256/$ldig"
printf '{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"steer mkoci.sh"}]}' "$CFG" "$diffid" > "$tmp/config.json"
cdig=$(sha256sum "$tmp/config.json" | cut -d' ' -f1); csize=$(stat -c %s "$tmp/config.json")
mv "$tmp/config.json" "$LAYOUT/blobs/sha256/$cdig"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' "$cdig" "$csize" "$ldig" "$lsize" > "$tmp/manifest.json"
mdig=$(sha256sum "$tmp/manifest.json" | cut -d' ' -f1); msize=$(stat -c %s "$tmp/manifest.json")
mv "$tmp/manifest.json" "$LAYOUT/blobs/sha256/$mdig"
echo '{"imageLayoutVersion":"1.0.0"}' > "$LAYOUT/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' "$mdig" "$msize" "$TAG" > "$LAYOUT/index.json"
echo "packed $TAG: manifest sha256:$mdig, layer $lsize bytes" >&2
