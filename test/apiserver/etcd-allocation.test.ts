// ClusterIPs and NodePorts when two apiservers' registries share one etcd: the store decides every
// allocation (claim objects created before the Service), so parallel creates through both never get
// one value twice, a value named by a Service is refused when the other apiserver holds it, releases
// free values for both, and the repair pass fixes claims left behind or missing.
import { Resources } from '../../lib/api/resources';
import { ApiStatusError } from '../../apiserver/errors';
import { CLAIM_BUCKETS, IP_CLAIMS, PORT_CLAIMS } from '../../apiserver/registry/allocation-claims';
import { Registry } from '../../apiserver/registry/registry';
import { EtcdStorage } from '../../apiserver/storage/etcd/storage';
import type { KObj } from '../../apiserver/storage/types';
import { startTestEtcd, TestEtcd } from '../helpers/etcd';
import { waitFor } from '../helpers/wait';

let etcd: TestEtcd;
const storages: EtcdStorage[] = [];
const registries: Registry[] = [];
beforeAll(async () => {
  etcd = await startTestEtcd();
});
afterAll(async () => {
  for (const r of registries) r.close();
  for (const s of storages) await s.close();
  await etcd?.stop();
});

async function twoApiservers(): Promise<[Registry, Registry]> {
  await etcd.wipe();
  const pair: Registry[] = [];
  for (let i = 0; i < 2; i++) {
    const storage = await EtcdStorage.open({ endpoints: etcd.endpoints, compactionIntervalMs: 0, buckets: CLAIM_BUCKETS, log: () => undefined });
    storages.push(storage);
    const registry = new Registry(storage, { serviceClusterIPRange: '10.96.0.0/22', nodePortRange: '30000-30999', clusterDNSIP: false }); // the claims compared are the test's Services' only
    await registry.init();
    registries.push(registry);
    pair.push(registry);
  }
  return pair as [Registry, Registry];
}

const service = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { type: 'NodePort', ports: [{ port: 80 }], ...spec },
});

interface ServiceSpec {
  clusterIP: string;
  ports: Array<{ nodePort: number }>;
}
const specOf = (o: KObj) => o.spec as ServiceSpec;

test('200 Services created in parallel through two apiservers get distinct ClusterIPs and NodePorts', async () => {
  const [a, b] = await twoApiservers();
  const created = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).create(Resources.services, 'default', service(`s${i}`))));
  const ips = created.map((s) => specOf(s.obj).clusterIP);
  const ports = created.map((s) => specOf(s.obj).ports[0].nodePort);
  expect(new Set(ips).size).toBe(200);
  expect(new Set(ports).size).toBe(200);
  // What was stored is what the creates answered, and each value has exactly its one claim.
  const stored = (await a.list(Resources.services, 'default', {})).items;
  expect(stored.map((s) => specOf(s.obj).clusterIP).sort()).toEqual([...ips].sort());
  expect((await a.storage.list(IP_CLAIMS)).items.map((c) => String(c.obj.metadata.name)).sort()).toEqual([...ips].sort());
  expect((await a.storage.list(PORT_CLAIMS)).items.map((c) => Number(c.obj.metadata.name)).sort()).toEqual([...ports].sort());
});

test("a value one apiserver allocated is refused by the other, and free for both once released", async () => {
  const [a, b] = await twoApiservers();
  const x = await a.create(Resources.services, 'default', service('x'));
  const { clusterIP, ports } = specOf(x.obj);
  const named = (name: string) => service(name, { clusterIP, ports: [{ port: 80, nodePort: ports[0].nodePort }] });
  const err = await b.create(Resources.services, 'default', named('y')).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApiStatusError);
  expect((err as ApiStatusError).code).toBe(422);
  expect((err as ApiStatusError).message).toMatch(/provided IP is already allocated/);
  // b's refused write left no claim behind; a's delete releases both values for b.
  await a.delete(Resources.services, 'default', 'x');
  const y = await waitFor('the released values to be free', () => b.create(Resources.services, 'default', named('y')), 5000);
  expect(specOf(y.obj).clusterIP).toBe(clusterIP);
  expect(specOf(y.obj).ports[0].nodePort).toBe(ports[0].nodePort);
});

test('the repair pass drops claims no Service uses (on its second sighting) and restores missing ones', async () => {
  const [a, b] = await twoApiservers();
  const x = await a.create(Resources.services, 'default', service('x'));
  const ip = specOf(x.obj).clusterIP;
  // A claim left behind by an apiserver that died between the claim and the Service, and a Service whose
  // claim is missing (a store from an older steer).
  await a.storage.create(IP_CLAIMS, '10.96.3.200', { apiVersion: 'steer.io/v1', kind: 'AllocationClaim', metadata: { name: '10.96.3.200' }, owner: { namespace: 'default', name: 'gone', uid: 'u' } });
  const claim = await a.storage.get(IP_CLAIMS, ip);
  await a.storage.delete(IP_CLAIMS, ip, claim?.rev);
  const listServices = async () => (await b.storage.list('services')).items;
  await b.services.repair(listServices);
  await a.storage.waitForLatest();
  expect(await a.storage.get(IP_CLAIMS, ip)).toBeDefined();
  expect(await a.storage.get(IP_CLAIMS, '10.96.3.200')).toBeDefined();
  await b.services.repair(listServices);
  await a.storage.waitForLatest();
  expect(await a.storage.get(IP_CLAIMS, '10.96.3.200')).toBeUndefined();
  expect(await a.storage.get(IP_CLAIMS, ip)).toBeDefined();
});
