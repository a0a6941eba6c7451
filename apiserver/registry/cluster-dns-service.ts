// The Service every cluster's DNS answers behind: kube-system/kube-dns at the 10th address of the
// Service range (kubeadm's convention: 10.96.0.10 for 10.96.0.0/12), created at the apiserver's start
// when missing, before any user Service can be handed that address. steer's node agents answer it
// themselves (each node DNATs it to its own DNS server), so it has no selector and no Endpoints; its
// ports, labels and name are CoreDNS's, so tools that look for kube-dns find it.
import { numberToIpv4 } from '../../lib/api/ip';
import { Resources } from '../../lib/api/resources';
import { parseServiceCIDR } from '../allocators';
import { ApiStatusError } from '../errors';
import type { Registry } from './registry';

/** The cluster DNS address of a Service range: its 10th address; undefined when the range is smaller. */
export function clusterDnsIP(serviceCIDR: string): string | undefined {
  const { base, size } = parseServiceCIDR(serviceCIDR);
  return size > 12 ? numberToIpv4(base + 10) : undefined;
}

export function kubeDnsService(clusterIP: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kube-dns',
      namespace: 'kube-system',
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
      annotations: { 'steer.dev/served-by': 'every node agent (its own DNS server on the node, reached through a DNAT of this ClusterIP)' },
    },
    spec: {
      clusterIP,
      clusterIPs: [clusterIP],
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      ],
    },
  };
}

/** Creates kube-system/kube-dns unless it exists; a user Service already holding the address is left alone (logged). */
export async function ensureClusterDnsService(registry: Registry, clusterIP: string, log: (msg: string) => void = (m) => process.stderr.write(`${m}\n`)): Promise<void> {
  try {
    await registry.get(Resources.services, 'kube-system', 'kube-dns');
    return;
  } catch (err) {
    if (!(err instanceof ApiStatusError && err.code === 404)) throw err;
  }
  try {
    await registry.create(Resources.services, 'kube-system', kubeDnsService(clusterIP));
  } catch (err) {
    if (err instanceof ApiStatusError && err.code === 409) return;
    if (err instanceof ApiStatusError && err.code === 422) {
      log(`apiserver: kube-system/kube-dns not created: ${err.message}`);
      return;
    }
    throw err;
  }
}
