# steer's image: Debian 12 packages plus this repository built with npm. The base image is made from
# Debian packages by deploy/build-base-image.sh (debootstrap + docker import); no registry is needed.
#   DOCKER_HOST=unix:///run/steer-docker/docker.sock bash deploy/build-base-image.sh
#   docker build --network host -t steer:latest .     (or: docker-compose build)
FROM steer-base:bookworm

# The runtime's packages (containerd, runc, CNI plugins, the local registry and image tools, gcc for the
# pause binary) and Debian's Node.js and npm.
RUN apt-get update \
 && apt-get install -y --no-install-recommends containerd runc containernetworking-plugins docker-registry \
      skopeo umoci iptables busybox-static gcc libc6-dev jq curl iproute2 procps ca-certificates nodejs npm \
 && rm -rf /var/lib/apt/lists/*

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
RUN npm ci --no-audit --no-fund --ignore-scripts=false && npm prune --omit=dev

ENV PATH=/opt/steer/bin:$PATH
ENTRYPOINT ["node", "/opt/steer/bin/steer.js"]
