#!/bin/bash
# The docker-compose cluster's PKI (steer certs): the cluster CA, the apiserver's certificate for its
# fixed address, every component's identity and kubeconfig, both nodes' client and serving certificates,
# Prometheus' token, the service-account key pair — in deploy/pki (mounted read-only into every
# container at /etc/steer/pki), and the admin kubeconfig deploy/compose-kubeconfig. Both are generated,
# never committed (.gitignore); kept and reused on later runs. Needs `npm run build` (dist/).
#   bash deploy/compose-certs.sh && docker-compose -p steer up -d
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
node "$HERE/bin/steer.js" certs --dir "$HERE/deploy/pki" --server https://172.28.0.10:6443 \
  --apiserver-san 172.28.0.10 --control-plane-san 172.28.0.11,172.28.0.12 \
  --node node-1=172.28.0.21 --node node-2=172.28.0.22 \
  --admin-kubeconfig "$HERE/deploy/compose-kubeconfig"
