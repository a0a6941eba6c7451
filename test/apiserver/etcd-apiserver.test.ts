// Two apiservers on one etcd (`--storage etcd`), through HTTP as clients see them: resourceVersion is
// etcd's mod_revision on both, one stale write through each gives one 200 and one 409, a watch on one
// sees the other's writes (DELETED with the last state), a watch from a compacted revision gets 410
// Expired, and an informer whose apiserver restarted past a compaction relists and goes on.
import type { ConfigMap } from 'kubernetes-types/core/v1';
import { startApiServer, RunningApiServer } from '../../apiserver';
import { EtcdClient } from '../../apiserver/storage/etcd/client';
import { EtcdStorage } from '../../apiserver/storage/etcd/storage';
import { ApiError, KubeClient, WatchEvent } from '../../lib/client/client';
import { Informer } from '../../lib/client/informer';
import { Resources } from '../../lib/api/resources';
import { freePort, startTestEtcd, TestEtcd } from '../helpers/etcd';
import { waitFor } from '../helpers/wait';

let etcd: TestEtcd;
let raw: EtcdClient;
const servers: RunningApiServer[] = [];
const clients: KubeClient[] = [];
beforeAll(async () => {
  etcd = await startTestEtcd();
  raw = new EtcdClient({ endpoints: etcd.endpoints });
});
afterAll(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.close();
  raw?.close();
  await etcd?.stop();
});

async function apiserver(port = 0): Promise<{ server: RunningApiServer; client: KubeClient }> {
  const server = await startApiServer({ port, storage: 'etcd', etcdServers: etcd.endpoints, etcdCompactionIntervalMs: 0 });
  servers.push(server);
  const client = KubeClient.forServer(server.url);
  clients.push(client);
  return { server, client };
}

const cm = (name: string, data: Record<string, string> = {}): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data });

test('two apiservers: same resourceVersion as etcd, one 200 and one 409, watches across, DELETED with the last state', async () => {
  const { client: a } = await apiserver();
  const { client: b } = await apiserver();
  const events: Array<WatchEvent<ConfigMap>> = [];
  const list = await b.list<ConfigMap>(Resources.configmaps, { namespace: 'default' });
  const handle = await b.watch<ConfigMap>(Resources.configmaps, { namespace: 'default', resourceVersion: list.metadata?.resourceVersion }, (e) => events.push(e), () => undefined);

  const created = await a.create(Resources.configmaps, 'default', cm('x'));
  // Read through the other apiserver at once: a consistent read, with etcd's mod_revision.
  const viaB = await b.get<ConfigMap>(Resources.configmaps, 'default', 'x');
  const kv = (await raw.range({ key: Buffer.from('/registry/configmaps/default/x') })).kvs[0];
  expect(viaB.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
  expect(viaB.metadata?.resourceVersion).toBe(kv.mod_revision);
  expect(JSON.parse(kv.value.toString()).metadata.resourceVersion).toBeUndefined();

  const stale = (data: Record<string, string>) => ({ ...cm('x', data), metadata: { ...cm('x').metadata, resourceVersion: created.metadata?.resourceVersion } });
  const results = await Promise.allSettled([a.update(Resources.configmaps, stale({ by: 'a' })), b.update(Resources.configmaps, stale({ by: 'b' }))]);
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  expect((rejected.reason as ApiError).code).toBe(409);
  expect((rejected.reason as ApiError).reason).toBe('Conflict');

  await a.delete(Resources.configmaps, 'default', 'x');
  await waitFor('the DELETED event through b', () => events.some((e) => e.type === 'DELETED'));
  handle.stop();
  expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  const winner = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<ConfigMap>).value;
  expect(events[2].object.data).toEqual(winner.data);
  expect(Number(events[2].object.metadata?.resourceVersion)).toBeGreaterThan(Number(winner.metadata?.resourceVersion));
});

test('410 Expired for a watch from before a compaction; an informer whose apiserver restarted past one relists', async () => {
  const port = await freePort();
  const first = await apiserver(port);
  const informer = new Informer<ConfigMap>(first.client, Resources.configmaps, { namespace: 'default', minRetryMs: 50, maxRetryMs: 200 });
  await informer.start();
  const before = await first.client.create(Resources.configmaps, 'default', cm('before'));
  await waitFor('the informer to see before', () => informer.get('default', 'before'));
  const oldRV = informer.resourceVersion();

  // The apiserver goes; meanwhile another changes things and etcd is compacted past the informer.
  await first.server.close();
  const other = await apiserver();
  await other.client.create(Resources.configmaps, 'default', cm('during'));
  await other.client.delete(Resources.configmaps, 'default', 'before');
  const compactor = await EtcdStorage.open({ endpoints: etcd.endpoints, compactionIntervalMs: 0, log: () => undefined });
  await compactor.waitForLatest();
  await compactor.compact(compactor.currentRevision());
  await compactor.close();

  // A watch from the old revision: 200 with one ERROR event carrying 410 Expired.
  const errors: Array<WatchEvent<unknown>> = [];
  await new Promise<void>((resolve) => {
    void other.client.watch(Resources.configmaps, { namespace: 'default', resourceVersion: before.metadata?.resourceVersion }, (e) => errors.push(e), () => resolve());
  });
  expect(errors).toHaveLength(1);
  expect(errors[0].type).toBe('ERROR');
  expect(errors[0].object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });

  // The informer's apiserver comes back on its address: the watch from its old revision gets 410, it
  // relists, and it has the changes made while it was away.
  await apiserver(port);
  await waitFor('the informer to relist', () => !!informer.get('default', 'during') && !informer.get('default', 'before'));
  expect(Number(informer.resourceVersion())).toBeGreaterThan(Number(oldRV));
  // And it follows live changes again.
  await other.client.create(Resources.configmaps, 'default', cm('after'));
  await waitFor('the informer to see after', () => informer.get('default', 'after'));
  informer.stop();
});

test("etcd_request_* metrics: each object write's etcd request by operation, group and resource", async () => {
  const { server, client } = await apiserver();
  const scrape = async () => {
    const res = await fetch(`${server.url}/metrics`);
    return res.text();
  };
  const count = (text: string, operation: string, group: string, resource: string) =>
    Number(new RegExp(`^etcd_requests_total\\{operation="${operation}",group="${group}",resource="${resource}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const before = await scrape();
  const created = await client.create(Resources.configmaps, 'default', cm('metered'));
  await client.update(Resources.configmaps, { ...created, data: { v: '2' } });
  // A write this apiserver's replica already knows is stale is refused without asking etcd.
  await expect(client.update(Resources.configmaps, { ...created, data: { v: 'stale' } })).rejects.toMatchObject({ code: 409 });
  await client.create(Resources.deployments, 'default', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'metered' },
    spec: { selector: { matchLabels: { app: 'm' } }, template: { metadata: { labels: { app: 'm' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  });
  await client.delete(Resources.configmaps, 'default', 'metered');
  const after = await scrape();
  const delta = (op: string, group: string, resource: string) => count(after, op, group, resource) - count(before, op, group, resource);
  expect(delta('create', '', 'configmaps')).toBe(1);
  expect(delta('update', '', 'configmaps')).toBe(1);
  expect(delta('delete', '', 'configmaps')).toBe(1);
  expect(delta('create', 'apps', 'deployments')).toBe(1);
  expect(after).toMatch(/^etcd_request_duration_seconds_bucket\{le="0\.005",operation="create",group="",resource="configmaps"\} \d+$/m);
  expect(after).not.toMatch(/^etcd_request_errors_total\{[^}]*resource="configmaps"\} [1-9]/m);
});
