#!/bin/bash
# The docker-compose cluster's PKI (steer certs): the cluster CA, the apiserver's certificate for its
# fixed address, every component's identity and kubeconfig, both nodes' client and serving certificates,
# Prometheus' token, the service-account key pair — in deploy/pki (mounted read-only into every
# container at /etc/steer/pki), and the admin kubeconfig deploy/compose-kubeconfig. Both are generated,
# never committed (.gitignore); kept and reused on later runs. Needs `npm run build` (dist/).
#   bash deploy/compose-certs.sh && docker-compose -p steer up -d
# With `ha`, the PKI of docker-compose.ha.yml (two apiservers, two schedulers and controller managers):
# deploy/pki-ha and deploy/compose-ha-kubeconfig; the apiserver certificate names both apiservers and
# every kubeconfig lists both (steer's clients fail over between them; kubectl uses the first).
#   bash deploy/compose-certs.sh ha && docker-compose -p steer-ha -f docker-compose.ha.yml up -d
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = ha ]; then
  node "$HERE/bin/steer.js" certs --dir "$HERE/deploy/pki-ha" --server https://172.28.0.10:6443,https://172.28.0.13:6443 \
    --apiserver-san 172.28.0.10,172.28.0.13 --control-plane-san 172.28.0.11,172.28.0.12,172.28.0.14,172.28.0.15 \
    --node node-1=172.28.0.21 --node node-2=172.28.0.22 \
    --admin-kubeconfig "$HERE/deploy/compose-ha-kubeconfig"
  exit 0
fi
node "$HERE/bin/steer.js" certs --dir "$HERE/deploy/pki" --server https://172.28.0.10:6443 \
  --apiserver-san 172.28.0.10 --control-plane-san 172.28.0.11,172.28.0.12 \
  --node node-1=172.28.0.21 --node node-2=172.28.0.22 \
  --admin-kubeconfig "$HERE/deploy/compose-kubeconfig"
