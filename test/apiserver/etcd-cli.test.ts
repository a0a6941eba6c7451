// The etcd commands as a user runs them (needs `npm run build`): `steer etcd start|status|stop` with 1
// and 3 members under a state dir, `steer apiserver --storage etcd --etcd-servers`, and `steer storage
// migrate` from a `steer apiserver --data-dir` LevelDB into etcd and back, every object kept and
// resourceVersions renumbered in the same order.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConfigMap, Service } from 'kubernetes-types/core/v1';
import { KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { freePort } from '../helpers/etcd';

const ROOT = path.join(__dirname, '..', '..');
const STEER = path.join(ROOT, 'bin', 'steer.js');

let dir: string;
const children: ChildProcess[] = [];
const clients: KubeClient[] = [];
beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-etcd-cli-'));
});
afterAll(async () => {
  for (const c of clients) c.close();
  for (const c of children) await stop(c);
  if (dir) {
    for (const state of fs.readdirSync(dir)) steer(['etcd', 'stop', '--state-dir', path.join(dir, state)]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function steer(args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [STEER, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

function apiserver(args: string[]): Promise<{ child: ChildProcess; client: KubeClient }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [STEER, 'apiserver', '--insecure-serving', '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let err = '';
    const timer = setTimeout(() => reject(new Error(`apiserver did not start: ${err}`)), 30_000);
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /serving on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        const client = KubeClient.forServer(m[1]);
        clients.push(client);
        resolve({ child, client });
      }
    });
    child.on('exit', (code) => reject(new Error(`apiserver exited ${code}: ${err}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

type Snapshot = Array<{ key: string; rv: number; body: unknown }>;

/** Every ConfigMap and Service (but default/kubernetes), without the fields a migration renumbers, in resourceVersion order. */
async function snapshot(client: KubeClient): Promise<Snapshot> {
  const out: Snapshot = [];
  for (const rt of [Resources.configmaps, Resources.services]) {
    for (const o of (await client.list<ConfigMap | Service>(rt)).items) {
      const { resourceVersion, ...md } = o.metadata ?? {};
      // default/kubernetes names the port of whichever apiserver reconciled it last.
      if (rt === Resources.services && md.namespace === 'default' && md.name === 'kubernetes') continue;
      out.push({ key: `${rt.resource}/${md.namespace}/${md.name}`, rv: Number(resourceVersion), body: { ...o, metadata: md } });
    }
  }
  return out.sort((a, b) => a.rv - b.rv);
}

test('steer etcd start/status/stop, apiserver --storage etcd, storage migrate LevelDB → etcd → LevelDB', async () => {
  const state = path.join(dir, 'one');
  const [client, peer] = [await freePort(), await freePort()];
  const started = steer(['etcd', 'start', '--state-dir', state, '--client-ports', String(client), '--peer-ports', String(peer)]);
  expect(started.err).toBe('');
  expect(started.status).toBe(0);
  const url = `http://127.0.0.1:${client}`;
  expect(started.out).toContain(`--etcd-servers ${url}`);
  expect(steer(['etcd', 'status', '--state-dir', state])).toMatchObject({ status: 0, out: expect.stringMatching(/^m1 .* PID \d+ healthy$/m) });

  // A LevelDB cluster with objects, among them a NodePort Service (its ClusterIP and port are claimed),
  // next to the apiserver's own default/kubernetes and kube-system/kube-dns (whose ClusterIP is claimed).
  const level = await apiserver(['--data-dir', path.join(state, 'apiserver')]);
  for (let i = 0; i < 5; i++) await level.client.create(Resources.configmaps, 'default', { metadata: { name: `cm${i}` }, data: { i: String(i) } });
  await level.client.update(Resources.configmaps, { ...(await level.client.get<ConfigMap>(Resources.configmaps, 'default', 'cm1')), data: { i: 'changed' } });
  const svc = await level.client.create<Service>(Resources.services, 'default', { metadata: { name: 'web' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
  const before = await snapshot(level.client);
  await stop(level.child);

  const toEtcd = steer(['storage', 'migrate', '--state-dir', state, '--to', 'etcd']);
  expect(toEtcd.status).toBe(0);
  for (const what of ['5 configmaps', '3 services', '2 serviceipclaims', '1 nodeportclaims', '4 namespaces']) expect(toEtcd.out).toContain(what);
  // Again into the now full etcd: refused.
  expect(steer(['storage', 'migrate', '--state-dir', state, '--to', 'etcd'])).toMatchObject({ status: 1, err: expect.stringMatching(/not empty/) });

  const onEtcd = await apiserver(['--storage', 'etcd', '--etcd-servers', url]);
  const migrated = await snapshot(onEtcd.client);
  expect(migrated.map((o) => [o.key, o.body])).toEqual(before.map((o) => [o.key, o.body]));
  // Renumbered: each object's resourceVersion is etcd's, in the order they had before.
  expect(new Set(migrated.map((o) => o.rv)).size).toBe(migrated.length);
  // The Service's values stay its own: a new Service gets others.
  const other = await onEtcd.client.create<Service>(Resources.services, 'default', { metadata: { name: 'other' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
  expect(other.spec?.clusterIP).not.toBe(svc.spec?.clusterIP);
  expect(other.spec?.ports?.[0].nodePort).not.toBe(svc.spec?.ports?.[0].nodePort);
  const onEtcdNow = await snapshot(onEtcd.client);
  await stop(onEtcd.child);

  const back = path.join(dir, 'back');
  const toLevel = steer(['storage', 'migrate', '--state-dir', state, '--data-dir', back, '--to', 'leveldb']);
  expect(toLevel.status).toBe(0);
  const levelAgain = await apiserver(['--data-dir', back]);
  const returned = await snapshot(levelAgain.client);
  expect(returned.map((o) => [o.key, o.body])).toEqual(onEtcdNow.map((o) => [o.key, o.body]));
  await stop(levelAgain.child);

  expect(steer(['etcd', 'stop', '--state-dir', state])).toMatchObject({ status: 0, out: 'stopped m1\n' });
  expect(steer(['etcd', 'status', '--state-dir', state])).toMatchObject({ status: 1, out: expect.stringMatching(/^m1 .* not running unhealthy$/m) });
});

test('steer etcd start --members 3: three healthy members, stopped by PID', async () => {
  const state = path.join(dir, 'three');
  const client: number[] = [];
  const peer: number[] = [];
  for (let i = 0; i < 3; i++) {
    client.push(await freePort());
    peer.push(await freePort());
  }
  const started = steer(['etcd', 'start', '--state-dir', state, '--members', '3', '--client-ports', client.join(','), '--peer-ports', peer.join(',')]);
  // With what steer said, should it fail (a CI run once saw exit 1 here without it).
  expect({ status: started.status, err: started.err }).toEqual({ status: 0, err: expect.anything() });
  const status = steer(['etcd', 'status', '--state-dir', state]);
  expect(status.status).toBe(0);
  expect(status.out.trim().split('\n').map((l) => l.split(' ')[0])).toEqual(['m1', 'm2', 'm3']);
  expect(status.out).not.toMatch(/unhealthy/);
  const pids = [...status.out.matchAll(/PID (\d+)/g)].map((m) => Number(m[1]));
  expect(steer(['etcd', 'stop', '--state-dir', state]).out).toBe('stopped m1, m2, m3\n');
  for (const pid of pids) expect(fs.existsSync(`/proc/${pid}`) && !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))).toBe(false);
});
