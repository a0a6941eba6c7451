// The cluster DNS address of a Service range (its 10th address) and the kube-dns Service steer creates.
import { clusterDnsIP, kubeDnsService } from './cluster-dns-service';

test('the 10th address of the Service range, as kubeadm', () => {
  expect(clusterDnsIP('10.96.0.0/12')).toBe('10.96.0.10');
  expect(clusterDnsIP('10.43.0.0/16')).toBe('10.43.0.10');
  expect(clusterDnsIP('10.99.7.0/24')).toBe('10.99.7.10');
  expect(clusterDnsIP('10.0.0.0/29')).toBeUndefined();
});

test('kube-system/kube-dns: CoreDNS\'s labels and ports, no selector', () => {
  const svc = kubeDnsService('10.96.0.10') as { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> };
  expect(svc.metadata.labels['k8s-app']).toBe('kube-dns');
  expect(svc.spec.selector).toBeUndefined();
  expect(svc.spec.ports).toEqual([
    { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
    { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
  ]);
});
