// Secrets encrypted at rest in the apiserver's LevelDB (--encryption-provider-config): no secret value in
// the database's values or files (while an unencrypted ConfigMap's value is there, so the scan can see
// plaintext), kube's prefix on the stored bytes, readable after a restart, and key rotation: a new first
// key writes new and rewritten Secrets, the old key still reads the rest; dropping identity makes old
// plaintext unreadable, which refuses the start rather than serve half the data.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClassicLevel } from 'classic-level';
import type { Secret } from 'kubernetes-types/core/v1';
import { startApiServer, type RunningApiServer } from '../../apiserver';
import { KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';

// Random, so LevelDB's compression of its files finds nothing to shorten in them.
const SECRET_VALUE = randomBytes(30).toString('base64url');
const CM_VALUE = randomBytes(30).toString('base64url');
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-encryption-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const key = (c: string) => Buffer.alloc(32, c).toString('base64');

function writeConfig(name: string, providers: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n${providers}`);
  return file;
}
const aesgcm = (name: string, c: string) => `      - aesgcm:\n          keys:\n            - name: ${name}\n              secret: ${key(c)}\n`;
const identity = '      - identity: {}\n';

async function withServer<T>(dataDir: string, config: string | undefined, fn: (client: KubeClient, srv: RunningApiServer) => Promise<T>): Promise<T> {
  const srv = await startApiServer({ host: '127.0.0.1', port: 0, dataDir, encryptionProviderConfig: config, kubernetesService: false });
  const client = KubeClient.forServer(srv.url);
  try {
    return await fn(client, srv);
  } finally {
    client.close();
    await srv.close();
  }
}

/** Every stored value of the database, by key. */
async function rawValues(dataDir: string): Promise<Map<string, Buffer>> {
  const db = new ClassicLevel<string, Buffer>(dataDir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  const out = new Map<string, Buffer>();
  for await (const [k, v] of db.iterator()) out.set(k, v);
  await db.close();
  return out;
}

function filesContain(dataDir: string, needle: string): boolean {
  const forms = [Buffer.from(needle), Buffer.from(Buffer.from(needle).toString('base64'))];
  return fs.readdirSync(dataDir).some((f) => {
    const bytes = fs.readFileSync(path.join(dataDir, f));
    return forms.some((n) => bytes.includes(n));
  });
}

const secret = (name: string): Secret => ({ metadata: { name }, data: { password: Buffer.from(SECRET_VALUE).toString('base64') } }) as Secret;

test('secrets are encrypted in the database and its files; configmaps are not', async () => {
  const data = path.join(dir, 'plain-check');
  await withServer(data, writeConfig('one.yaml', aesgcm('key1', 'a')), async (client) => {
    await client.create(Resources.secrets, 'default', secret('db'));
    await client.patch(Resources.secrets, 'default', 'db', { metadata: { labels: { touched: 'yes' } } });
    await client.create(Resources.configmaps, 'default', { metadata: { name: 'cm' }, data: { v: CM_VALUE } });
  });
  // The files first: opening the database again (rawValues) turns its log into a compressed table.
  const cmInFiles = filesContain(data, CM_VALUE);
  const secretInFiles = filesContain(data, SECRET_VALUE);
  const values = await rawValues(data);
  const secretValue = values.get('o!secrets!default/db')!;
  expect(secretValue.subarray(0, 23).toString()).toBe('k8s:enc:aesgcm:v1:key1:');
  const b64 = Buffer.from(SECRET_VALUE).toString('base64');
  for (const [k, v] of values) {
    expect({ k, found: v.includes(Buffer.from(b64)) || v.includes(Buffer.from(SECRET_VALUE)) }).toEqual({ k, found: false });
  }
  // The scan sees plaintext where there is some: the ConfigMap's value is in the values and the files.
  expect(values.get('o!configmaps!default/cm')!.includes(Buffer.from(CM_VALUE))).toBe(true);
  expect(cmInFiles).toBe(true);
  expect(secretInFiles).toBe(false);

  // Readable again after a restart; without the configuration the start is refused.
  await withServer(data, writeConfig('one-again.yaml', aesgcm('key1', 'a')), async (client) => {
    const s = await client.get<Secret>(Resources.secrets, 'default', 'db');
    expect(Buffer.from(s.data!.password, 'base64').toString()).toBe(SECRET_VALUE);
    expect(s.metadata?.labels).toEqual({ touched: 'yes' });
  });
  await expect(startApiServer({ host: '127.0.0.1', port: 0, dataDir: data, kubernetesService: false })).rejects.toThrow(/encrypted but no encryption configuration covers secrets/);
});

test('key rotation: new writes use the new first key, old ones stay readable until rewritten', async () => {
  const data = path.join(dir, 'rotation');
  // Secrets written before encryption was turned on.
  await withServer(data, undefined, (client) => client.create(Resources.secrets, 'default', secret('before')));
  await withServer(data, writeConfig('r1.yaml', aesgcm('key1', 'a') + identity), async (client) => {
    await client.create(Resources.secrets, 'default', secret('one'));
  });
  await withServer(data, writeConfig('r2.yaml', aesgcm('key2', 'b') + aesgcm('key1', 'a') + identity), async (client) => {
    for (const n of ['before', 'one']) expect(Buffer.from((await client.get<Secret>(Resources.secrets, 'default', n)).data!.password, 'base64').toString()).toBe(SECRET_VALUE);
    await client.create(Resources.secrets, 'default', secret('two'));
  });
  let values = await rawValues(data);
  const prefix = (n: string) => values.get(`o!secrets!default/${n}`)!.subarray(0, 23).toString();
  expect(prefix('before').startsWith('{')).toBe(true);
  expect(prefix('one')).toBe('k8s:enc:aesgcm:v1:key1:');
  expect(prefix('two')).toBe('k8s:enc:aesgcm:v1:key2:');

  // Rewriting every secret (kubectl get secrets -o json | kubectl replace -f -) moves them to the new key.
  await withServer(data, writeConfig('r3.yaml', aesgcm('key2', 'b') + aesgcm('key1', 'a') + identity), async (client) => {
    for (const n of ['before', 'one']) {
      const s = await client.get<Secret>(Resources.secrets, 'default', n);
      await client.update(Resources.secrets, s);
    }
  });
  values = await rawValues(data);
  expect(['before', 'one', 'two'].map(prefix)).toEqual(Array(3).fill('k8s:enc:aesgcm:v1:key2:'));

  // The old key and identity can go now: the history they alone can read is dropped, as etcd compacts.
  await withServer(data, writeConfig('r4.yaml', aesgcm('key2', 'b')), async (client, srv) => {
    for (const n of ['before', 'one', 'two']) expect(Buffer.from((await client.get<Secret>(Resources.secrets, 'default', n)).data!.password, 'base64').toString()).toBe(SECRET_VALUE);
    const res = await fetch(`${srv.url}/api/v1/namespaces/default/secrets?watch=1&resourceVersion=1`);
    const text = await res.text();
    expect(text).toContain('"code":410');
  });
});
