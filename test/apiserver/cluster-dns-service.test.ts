// kube-system/kube-dns exists as soon as the apiserver serves, at the 10th address of its Service
// range, and no user Service is ever given that address; clusterDNSIP false leaves it out, and an
// address some Service already holds is left to it.
import type { Service } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

let api: TestApiServer | undefined;
afterEach(async () => {
  await api?.stop();
  api = undefined;
});

test('kube-dns at the 10th address; user Services never get it', async () => {
  api = await startTestApiServer({ serviceClusterIPRange: '10.99.0.0/27' });
  const dns = await api.client.get<Service>(Resources.services, 'kube-system', 'kube-dns');
  expect(dns.spec).toMatchObject({ clusterIP: '10.99.0.10', clusterIPs: ['10.99.0.10'], type: 'ClusterIP' });
  expect(dns.spec?.ports?.map((p) => `${p.name}/${p.port}/${p.protocol}`)).toEqual(['dns/53/UDP', 'dns-tcp/53/TCP']);
  expect(dns.metadata?.labels?.['k8s-app']).toBe('kube-dns');
  // The /27 has 29 addresses to hand out; with kube-dns holding one, 28 user Services fill it.
  const ips: string[] = [];
  for (let i = 0; i < 28; i++) {
    const s = await api.client.create<Service>(Resources.services, 'default', { metadata: { name: `s${i}` }, spec: { ports: [{ port: 80 }] } });
    ips.push(s.spec!.clusterIP!);
  }
  expect(ips).not.toContain('10.99.0.10');
  await expect(api.client.create<Service>(Resources.services, 'default', { metadata: { name: 'full' }, spec: { ports: [{ port: 80 }] } })).rejects.toThrow();
});

test('clusterDNSIP false: no kube-dns', async () => {
  api = await startTestApiServer({ clusterDNSIP: false });
  await expect(api.client.get<Service>(Resources.services, 'kube-system', 'kube-dns')).rejects.toThrow(/not found/);
});
