// Encryption at rest on etcd (--encryption-provider-config with --storage etcd): Secrets are stored under
// kube's prefix with no plaintext in etcd, ConfigMaps stay plain, a second apiserver with the same
// configuration reads what the first wrote (through its watch and at its start), and deletes work on
// encrypted values.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConfigMap, Secret } from 'kubernetes-types/core/v1';
import { startApiServer, type RunningApiServer } from '../../apiserver';
import { EtcdClient } from '../../apiserver/storage/etcd/client';
import { prefixEnd } from '../../apiserver/storage/etcd/keys';
import { KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { startTestEtcd, TestEtcd } from '../helpers/etcd';
import { waitFor } from '../helpers/wait';

const SECRET_VALUE = randomBytes(30).toString('base64url');
const CM_VALUE = randomBytes(30).toString('base64url');
let etcd: TestEtcd;
let dir: string;
const servers: RunningApiServer[] = [];
const clients: KubeClient[] = [];

beforeAll(async () => {
  etcd = await startTestEtcd();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-etcd-encryption-'));
});
afterAll(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.close();
  await etcd?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function config(): string {
  const file = path.join(dir, 'encryption.yaml');
  const key = Buffer.alloc(32, 'k').toString('base64');
  fs.writeFileSync(file, `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - aesgcm:\n          keys:\n            - name: key1\n              secret: ${key}\n      - identity: {}\n`);
  return file;
}

async function apiserver(): Promise<KubeClient> {
  const srv = await startApiServer({ host: '127.0.0.1', port: 0, storage: 'etcd', etcdServers: etcd.endpoints, encryptionProviderConfig: config(), kubernetesService: false });
  servers.push(srv);
  const c = KubeClient.forServer(srv.url);
  clients.push(c);
  return c;
}

async function rawValues(): Promise<Map<string, Buffer>> {
  const raw = new EtcdClient({ endpoints: etcd.endpoints });
  try {
    const root = Buffer.from('/registry/');
    const res = await raw.range({ key: root, range_end: prefixEnd(root) });
    return new Map(res.kvs.map((kv) => [kv.key.toString(), Buffer.from(kv.value)]));
  } finally {
    raw.close();
  }
}

test('secrets are encrypted in etcd, configmaps are not; another apiserver reads them; deletes work', async () => {
  const a = await apiserver();
  const b = await apiserver();
  await a.create<Secret>(Resources.secrets, 'default', { metadata: { name: 'db' }, data: { password: Buffer.from(SECRET_VALUE).toString('base64') } });
  await a.create<ConfigMap>(Resources.configmaps, 'default', { metadata: { name: 'cm' }, data: { v: CM_VALUE } });

  const values = await rawValues();
  const stored = values.get('/registry/secrets/default/db')!;
  expect(stored.subarray(0, 23).toString()).toBe('k8s:enc:aesgcm:v1:key1:');
  const b64 = Buffer.from(SECRET_VALUE).toString('base64');
  for (const [k, v] of values) expect({ k, found: v.includes(Buffer.from(b64)) || v.includes(Buffer.from(SECRET_VALUE)) }).toEqual({ k, found: false });
  expect(values.get('/registry/configmaps/default/cm')!.includes(Buffer.from(CM_VALUE))).toBe(true);

  // The other apiserver got it through its watch, decrypted.
  await waitFor('the secret on the second apiserver', async () => {
    const s = await b.get<Secret>(Resources.secrets, 'default', 'db').catch(() => undefined);
    return !!s && Buffer.from(s.data!.password, 'base64').toString() === SECRET_VALUE;
  }, 10_000);
  // An update through b is encrypted too, and a third apiserver reads it at its start.
  await b.patch(Resources.secrets, 'default', 'db', { metadata: { labels: { touched: 'yes' } } });
  expect((await rawValues()).get('/registry/secrets/default/db')!.subarray(0, 8).toString()).toBe('k8s:enc:');
  const c = await apiserver();
  const s = await c.get<Secret>(Resources.secrets, 'default', 'db');
  expect(Buffer.from(s.data!.password, 'base64').toString()).toBe(SECRET_VALUE);
  expect(s.metadata?.labels).toEqual({ touched: 'yes' });

  // Deleting through one apiserver removes it everywhere, with the last state answered.
  // (kube answers a Secret's delete with a Success Status naming it)
  const deleted = await a.delete<{ status?: string; details?: { name?: string } }>(Resources.secrets, 'default', 'db');
  expect(deleted).toMatchObject({ status: 'Success', details: { name: 'db' } });
  await waitFor('the secret gone from the third apiserver', async () => (await c.get(Resources.secrets, 'default', 'db').then(() => false, () => true)), 10_000);
  expect((await rawValues()).has('/registry/secrets/default/db')).toBe(false);
});
