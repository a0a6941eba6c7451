#!/bin/bash
# Refreshes the etcd API's .proto files in apiserver/storage/etcd/proto/ from Debian's
# golang-etcd-server-dev (the same etcd 3.4 release as the etcd-server package), fetched with
# `apt-get download` rather than installed (it depends on ~40 Go -dev packages). Keeps etcd's directory
# layout (rpc.proto imports "etcd/mvcc/mvccpb/kv.proto") and strips what only Go code generation uses:
# the gogoproto and google.api imports, file-level gogoproto options and the grpc-gateway http options.
# Then run `npm run gen:etcd` to regenerate the TypeScript types.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
OUT="$HERE/apiserver/storage/etcd/proto/etcd"
tmp=$(mktemp -d); chmod 777 "$tmp"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download -qq golang-etcd-server-dev)
dpkg-deb -x "$tmp"/golang-etcd-server-dev_*.deb "$tmp/x"
SRC="$tmp/x/usr/share/gocode/src/go.etcd.io/etcd"
for f in etcdserver/etcdserverpb/rpc.proto mvcc/mvccpb/kv.proto auth/authpb/auth.proto; do
  mkdir -p "$OUT/$(dirname "$f")"
  perl -0pe '
    s{^import "(gogoproto/gogo|google/api/annotations)\.proto";\n}{}mg;
    s{^// for grpc-gateway\n}{}mg;
    s{^option \(gogoproto\.[^;]*;\n}{}mg;
    s#\{\s*option \(google\.api\.http\) = (\{(?:[^{}]++|(?1))*\});\s*\}#{}#g;
    s{\n{3,}}{\n\n}g;
  ' "$SRC/$f" > "$OUT/$f"
done
echo "etcd protos written to $OUT ($(dpkg-deb -f "$tmp"/golang-etcd-server-dev_*.deb Version))"
