#!/bin/bash
# build-images.sh OUT_DIR [pause|nginx|busybox ...]: builds steer's images from Debian packages, with
# no image registry: OUT_DIR/oci-<name> becomes a one-layer OCI layout tagged pause 3.9, nginx 1.22,
# busybox 1.35, redis 7.0. pause is our static C program; nginx is Debian's nginx .deb (downloaded, not
# installed) plus the libraries ldd lists; busybox is busybox-static's binary and its applet links;
# redis is Debian's redis-server and redis-cli (from redis-tools) with their libraries, those the host
# lacks (liblzf1, libjemalloc2) taken from their .debs too.
set -euo pipefail
IMG=${1:?usage: build-images.sh OUT_DIR [pause|nginx|busybox|redis ...]}; shift
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$IMG"; IMG=$(cd "$IMG" && pwd)
PATHENV='"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"'
build_pause() {
  local R=$IMG/pause-rootfs
  gcc -Os -static -s -o "$IMG/pause" "$HERE/pause.c"
  rm -rf "$R" && mkdir -p "$R" && cp "$IMG/pause" "$R/pause"
  rm -rf "$IMG/oci-pause"
  "$HERE/mkoci.sh" "$R" "$IMG/oci-pause" 3.9 "{\"Entrypoint\":[\"/pause\"],\"Env\":[$PATHENV],\"WorkingDir\":\"/\"}"
}
build_nginx() {
  local D=$IMG/deb R=$IMG/nginx-rootfs
  if ! ls "$D"/nginx_*.deb >/dev/null 2>&1 || ! ls "$D"/nginx-common_*.deb >/dev/null 2>&1; then
    rm -rf "$D" && mkdir -p "$D" && chmod 777 "$D"   # _apt downloads into it
    # stale or missing package lists: refresh once and retry
    (cd "$D" && apt-get download -qq nginx nginx-common) || { apt-get update -qq && (cd "$D" && apt-get download -qq nginx nginx-common); }
  fi
  rm -rf "$D/x" && for d in "$D"/*.deb; do dpkg-deb -x "$d" "$D/x"; done
  rm -rf "$R" && mkdir -p "$R"
  install -D -m 0755 "$D/x/usr/sbin/nginx" "$R/usr/sbin/nginx"
  # the binary's shared libraries, at the paths ldd names (real files, so no ld.so.cache is needed);
  # they come from the host, so nginx's library packages must be installed (scripts/install-deps.sh)
  if ldd "$D/x/usr/sbin/nginx" | grep -q 'not found'; then
    echo "nginx needs libraries this host lacks:" >&2; ldd "$D/x/usr/sbin/nginx" | grep 'not found' >&2; return 1
  fi
  for lib in $(ldd "$D/x/usr/sbin/nginx" | grep -oE '/[^ ]+'); do install -D -m 0755 "$(readlink -f "$lib")" "$R$lib"; done
  install -D -m 0644 "$HERE/nginx.conf" "$R/etc/nginx/nginx.conf"
  install -D -m 0644 "$D/x/etc/nginx/mime.types" "$R/etc/nginx/mime.types"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' > "$R/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$R/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$R/etc/nsswitch.conf"
  mkdir -p "$R"/var/lib/nginx/{body,proxy,fastcgi,uwsgi,scgi} "$R/var/log/nginx" "$R/run" "$R/tmp" "$R/usr/share/nginx/html" "$R/proc" "$R/sys" "$R/dev"
  chmod 1777 "$R/tmp"
  echo '<h1>hello from nginx in a locally built OCI image</h1>' > "$R/usr/share/nginx/html/index.html"
  rm -rf "$IMG/oci-nginx"
  "$HERE/mkoci.sh" "$R" "$IMG/oci-nginx" 1.22 "{\"Entrypoint\":[\"/usr/sbin/nginx\"],\"Cmd\":[\"-g\",\"daemon off;\"],\"Env\":[$PATHENV],\"WorkingDir\":\"/\",\"ExposedPorts\":{\"80/tcp\":{}},\"StopSignal\":\"SIGQUIT\"}"
}
build_busybox() {
  local R=$IMG/busybox-rootfs bb=/bin/busybox   # busybox-static's binary: needs no libraries
  [ -x "$bb" ] || { echo "busybox-static is not installed" >&2; return 1; }
  rm -rf "$R" && mkdir -p "$R/bin" "$R/tmp" "$R/etc" "$R/proc" "$R/sys" "$R/dev" && chmod 1777 "$R/tmp"
  cp "$bb" "$R/bin/busybox"
  for a in $("$R/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$R/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$R/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$R/etc/group"
  rm -rf "$IMG/oci-busybox"
  "$HERE/mkoci.sh" "$R" "$IMG/oci-busybox" 1.35 "{\"Cmd\":[\"sh\"],\"Env\":[\"PATH=/bin\"],\"WorkingDir\":\"/\"}"
}
build_redis() {
  local D=$IMG/deb-redis R=$IMG/redis-rootfs pkgs="redis-tools liblzf1 libjemalloc2"
  if ! ls "$D"/redis-tools_*.deb "$D"/liblzf1_*.deb "$D"/libjemalloc2_*.deb >/dev/null 2>&1; then
    rm -rf "$D" && mkdir -p "$D" && chmod 777 "$D"
    (cd "$D" && apt-get download -qq $pkgs) || { apt-get update -qq && (cd "$D" && apt-get download -qq $pkgs); }
  fi
  rm -rf "$D/x" && for d in "$D"/*.deb; do dpkg-deb -x "$d" "$D/x"; done
  rm -rf "$R" && mkdir -p "$R/usr/bin"
  # redis-server is a link to redis-check-rdb (one binary, named by argv[0])
  install -m 0755 "$D/x/usr/bin/redis-check-rdb" "$R/usr/bin/redis-check-rdb"
  ln -s redis-check-rdb "$R/usr/bin/redis-server"
  install -m 0755 "$D/x/usr/bin/redis-cli" "$R/usr/bin/redis-cli"
  local libs="$D/x/usr/lib/x86_64-linux-gnu" bin lib
  for bin in redis-check-rdb redis-cli; do
    if LD_LIBRARY_PATH=$libs ldd "$R/usr/bin/$bin" | grep -q 'not found'; then
      echo "$bin needs libraries neither the host nor the .debs have:" >&2; LD_LIBRARY_PATH=$libs ldd "$R/usr/bin/$bin" | grep 'not found' >&2; return 1
    fi
    for lib in $(LD_LIBRARY_PATH=$libs ldd "$R/usr/bin/$bin" | grep -oE '/[^ ]+'); do
      case $lib in "$libs"/*) install -D -m 0755 "$(readlink -f "$lib")" "$R/usr/lib/x86_64-linux-gnu/$(basename "$lib")" ;; *) install -D -m 0755 "$(readlink -f "$lib")" "$R$lib" ;; esac
    done
  done
  # appendonly: every write reaches /data (the claim) before it is acknowledged
  printf 'bind 0.0.0.0\nprotected-mode no\nport 6379\ndaemonize no\nlogfile ""\ndir /data\nappendonly yes\nappendfsync always\n' > "$R/redis.conf"
  printf 'root:x:0:0:root:/root:/bin/false\nredis:x:999:999:redis:/data:/bin/false\n' > "$R/etc-passwd" && mkdir -p "$R/etc" && mv "$R/etc-passwd" "$R/etc/passwd"
  printf 'root:x:0:\nredis:x:999:\n' > "$R/etc/group"
  mkdir -p "$R/data" "$R/tmp" "$R/proc" "$R/sys" "$R/dev" && chmod 1777 "$R/tmp"
  rm -rf "$IMG/oci-redis"
  "$HERE/mkoci.sh" "$R" "$IMG/oci-redis" 7.0 "{\"Entrypoint\":[\"/usr/bin/redis-server\"],\"Cmd\":[\"/redis.conf\"],\"Env\":[$PATHENV],\"WorkingDir\":\"/data\",\"ExposedPorts\":{\"6379/tcp\":{}},\"Volumes\":{\"/data\":{}}}"
}
[ $# -gt 0 ] || set -- pause nginx busybox redis
for name in "$@"; do
  case $name in pause|nginx|busybox|redis) build_$name ;; *) echo "unknown image: $name" >&2; exit 2 ;; esac
done
