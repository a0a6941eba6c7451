// The apiserver's local socket (steer server's in-process components): served without TLS on a Unix
// socket of mode 0600, where each component's own token makes it its own user — RBAC and the Node
// authorizer decide as for its client certificate — and where only: the same token over TCP, or in a
// TokenReview, authenticates no one. The same tokens serve the requests `steer server`'s components hand
// to the apiserver in their own process, with no connection (apiserver/in-process.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConfigMap, Pod, Secret } from 'kubernetes-types/core/v1';
import type { TokenReview } from 'kubernetes-types/authentication/v1';
import { ApiError, KubeClient, type WatchEvent } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver';
import { startApiServer } from '../../apiserver';
import { registeredWatchers, requestTotal } from '../../apiserver/metrics';

let dir: string;
let api: TestApiServer;
const socketPath = () => path.join(dir, 'apiserver.sock');
const tokens = { scheduler: 'sched-token-0123456789', node: 'node-token-0123456789' };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-local-socket-'));
  const tokenFile = path.join(dir, 'tokens.csv');
  fs.writeFileSync(tokenFile, 'admin-token,admin,1,"system:masters"\n');
  api = await startTestApiServer({
    token: 'admin-token',
    tokenFile,
    anonymousAuth: false,
    authorizationMode: ['Node', 'RBAC'],
    localSocket: {
      path: path.join(dir, 'apiserver.sock'),
      tokens: new Map([
        [tokens.scheduler, { name: 'system:kube-scheduler', groups: [] }],
        [tokens.node, { name: 'system:node:n1', groups: ['system:nodes'] }],
      ]),
    },
  });
});
afterAll(async () => {
  await api.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const onSocket = (token?: string) => KubeClient.fromCredentials({ server: 'http://localhost', socketPath: socketPath(), token });
const inProcess = (token?: string) => KubeClient.fromCredentials({ server: 'http://localhost', socketPath: socketPath(), token, inProcess: api.server.inProcess });
const failure = async (p: Promise<unknown>): Promise<ApiError> => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
};

test('the socket is private to its owner', () => {
  const st = fs.statSync(socketPath());
  expect(st.isSocket()).toBe(true);
  expect(st.mode & 0o777).toBe(0o600);
});

test("a component's token makes it its own user on the socket: RBAC and the Node authorizer decide", async () => {
  const sched = onSocket(tokens.scheduler);
  const node = onSocket(tokens.node);
  try {
    await api.client.create<Secret>(Resources.secrets, 'default', { metadata: { name: 's' }, stringData: { k: 'v' } });
    // system:kube-scheduler's default role reads pods, not secrets.
    expect((await sched.list<Pod>(Resources.pods, { namespace: 'default' })).items).toEqual([]);
    const denied = await failure(sched.get(Resources.secrets, 'default', 's'));
    expect(denied.code).toBe(403);
    expect(denied.message).toContain('"system:kube-scheduler"');
    // The Node authorizer: a node reads only the secrets of pods bound to it.
    const nodeDenied = await failure(node.get(Resources.secrets, 'default', 's'));
    expect(nodeDenied.code).toBe(403);
    expect(nodeDenied.message).toContain('"system:node:n1"');
    // A watch runs over the socket too, as its user.
    const events: Array<WatchEvent<Pod>> = [];
    const seen = new Promise<void>((resolve, reject) => {
      void sched.watch<Pod>(Resources.pods, { namespace: 'default' }, (e) => {
        events.push(e);
        resolve();
      }, (err) => err && reject(err)).then((h) => seen.finally(() => h.stop()));
    });
    await api.client.create<Pod>(Resources.pods, 'default', { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    await seen;
    expect(events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'p' } } });
  } finally {
    sched.close();
    node.close();
  }
});

test('no token, or an unknown one, is 401 on the socket', async () => {
  for (const token of [undefined, 'not-a-component-token']) {
    const c = onSocket(token);
    expect((await failure(c.list(Resources.pods, { namespace: 'default' }))).code).toBe(401);
    c.close();
  }
});

test("a component's token is valid on the socket only: not over TCP, not in a TokenReview", async () => {
  const overTcp = KubeClient.forServer(api.url, tokens.scheduler);
  try {
    expect((await failure(overTcp.list(Resources.pods, { namespace: 'default' }))).code).toBe(401);
  } finally {
    overTcp.close();
  }
  const review = await api.client.create<TokenReview>(Resources.tokenreviews, undefined, {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenReview',
    spec: { token: tokens.scheduler },
  });
  expect(review.status?.authenticated).toBeFalsy();
  // The token file's tokens still authenticate on the socket (it is the same API).
  const admin = onSocket('admin-token');
  expect((await admin.get<Secret>(Resources.secrets, 'default', 's')).metadata?.name).toBe('s');
  admin.close();
});

test('a client on the socket names its server with an http:// URL', () => {
  expect(() => KubeClient.fromCredentials({ server: 'https://localhost', socketPath: socketPath(), token: 't' })).toThrow(/http:\/\//);
});

describe('in-process requests (no connection)', () => {
  test('the apiserver offers them only with a local socket', async () => {
    expect(api.server.inProcess).toBeDefined();
    const plain = await startApiServer({ host: '127.0.0.1', port: 0 });
    expect(plain.inProcess).toBeUndefined();
    await plain.close();
  });

  test("a component's token makes it its own user: RBAC and the Node authorizer decide; no token or an unknown one is 401", async () => {
    await api.client.create<Secret>(Resources.secrets, 'default', { metadata: { name: 's-in' }, stringData: { k: 'v' } });
    const sched = inProcess(tokens.scheduler);
    expect((await sched.list<Pod>(Resources.pods, { namespace: 'kube-system' })).items).toEqual([]);
    const denied = await failure(sched.get(Resources.secrets, 'default', 's-in'));
    expect(denied.code).toBe(403);
    expect(denied.message).toContain('"system:kube-scheduler"');
    const nodeDenied = await failure(inProcess(tokens.node).get(Resources.secrets, 'default', 's-in'));
    expect(nodeDenied.code).toBe(403);
    expect(nodeDenied.message).toContain('"system:node:n1"');
    for (const token of [undefined, 'not-a-component-token']) expect((await failure(inProcess(token).list(Resources.pods, { namespace: 'default' }))).code).toBe(401);
    expect((await inProcess('admin-token').get<Secret>(Resources.secrets, 'default', 's-in')).metadata?.name).toBe('s-in');
  });

  test('answers are the same as on the socket: create, get, merge patch, paged list, errors, delete', async () => {
    const mine = inProcess('admin-token');
    const sock = onSocket('admin-token');
    try {
      const created = await mine.create<ConfigMap>(Resources.configmaps, 'default', { metadata: { name: 'cm-in', labels: { app: 'x' } }, data: { a: '1' } });
      expect(created).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'cm-in', namespace: 'default' }, data: { a: '1' } });
      expect(await mine.get(Resources.configmaps, 'default', 'cm-in')).toEqual(await sock.get(Resources.configmaps, 'default', 'cm-in'));
      const patched = await mine.patch<ConfigMap>(Resources.configmaps, 'default', 'cm-in', { data: { b: '2' } }, 'merge');
      expect(patched.data).toEqual({ a: '1', b: '2' });
      expect(await sock.get(Resources.configmaps, 'default', 'cm-in')).toEqual(patched);
      await sock.create<ConfigMap>(Resources.configmaps, 'default', { metadata: { name: 'cm-in2', labels: { app: 'x' } } });
      // The query goes along: a selector and a page of one with its continue token.
      const page = { namespace: 'default', labelSelector: 'app=x', limit: 1 };
      const listed = await mine.list<ConfigMap>(Resources.configmaps, page);
      expect(listed.items.map((c) => c.metadata?.name)).toEqual(['cm-in']);
      expect(listed.metadata?.continue).toBeTruthy();
      expect(listed).toEqual(await sock.list<ConfigMap>(Resources.configmaps, page));
      const rest = await mine.list<ConfigMap>(Resources.configmaps, { ...page, continue: listed.metadata?.continue });
      expect(rest.items.map((c) => c.metadata?.name)).toEqual(['cm-in2']);
      // Errors are the same metav1.Status: not found, a stale resourceVersion, a body that is not JSON.
      const missing = [await failure(mine.get(Resources.configmaps, 'default', 'nope')), await failure(sock.get(Resources.configmaps, 'default', 'nope'))];
      expect(missing[0].status).toEqual(missing[1].status);
      expect(missing[0].code).toBe(404);
      const stale = { ...created, data: { c: '3' } };
      expect((await failure(mine.update(Resources.configmaps, stale))).code).toBe(409);
      const garbage = (c: KubeClient) => failure(c.request('POST', '/api/v1/namespaces/default/configmaps', { body: '{"metadata":' }));
      const bad = [await garbage(mine), await garbage(sock)];
      expect(bad[0].code).toBe(400);
      expect(bad[0].status).toEqual(bad[1].status);
      await mine.delete(Resources.configmaps, 'default', 'cm-in');
      expect((await failure(sock.get(Resources.configmaps, 'default', 'cm-in'))).code).toBe(404);
    } finally {
      sock.close();
    }
  });

  test('a body over the limit is refused with 413, as on a connection', async () => {
    const big = { metadata: { name: 'too-big' }, data: { a: 'x'.repeat(3 * 1024 * 1024 + 1) } };
    const refused = await failure(inProcess('admin-token').create(Resources.configmaps, 'default', big));
    expect(refused.code).toBe(413);
    expect((await failure(onSocket('admin-token').create(Resources.configmaps, 'default', big))).status).toEqual(refused.status);
  });

  test("they count in the apiserver's request metrics", async () => {
    const count = async () => (await requestTotal.get()).values.filter((v) => v.labels.verb === 'GET' && v.labels.resource === 'namespaces' && v.labels.code === '200').reduce((n, v) => n + v.value, 0);
    const before = await count();
    await inProcess('admin-token').get(Resources.namespaces, undefined, 'default');
    await new Promise((r) => setImmediate(r)); // the count is taken when the answer finishes
    expect(await count()).toBe(before + 1);
  });

  test('a watch runs in-process as its user: the same events as on the socket; stopping it ends the watch on the server', async () => {
    const watching = async () => (await registeredWatchers.get()).values.filter((v) => v.labels.kind === 'Pod').reduce((n, v) => n + v.value, 0);
    const before = await watching();
    const streams = { mine: [] as Array<WatchEvent<Pod>>, socket: [] as Array<WatchEvent<Pod>> };
    const mine = inProcess(tokens.scheduler);
    const sock = onSocket(tokens.scheduler);
    const names = (evs: Array<WatchEvent<Pod>>) => evs.filter((e) => e.object.metadata?.name?.startsWith('w-'));
    const handles = await Promise.all(
      (['mine', 'socket'] as const).map((k) => (k === 'mine' ? mine : sock).watch<Pod>(Resources.pods, { namespace: 'default', resourceVersion: '0' }, (e) => streams[k].push(e), () => undefined)),
    );
    try {
      for (let i = 0; i < 50 && (await watching()) < before + 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await watching()).toBe(before + 2);
      await api.client.create<Pod>(Resources.pods, 'default', { metadata: { name: 'w-1' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
      await api.client.patch(Resources.pods, 'default', 'w-1', { metadata: { labels: { seen: 'yes' } } }, 'merge');
      await api.client.delete(Resources.pods, 'default', 'w-1', { gracePeriodSeconds: 0 });
      for (let i = 0; i < 100 && (names(streams.mine).length < 3 || names(streams.socket).length < 3); i++) await new Promise((r) => setTimeout(r, 20));
      expect(names(streams.mine).map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
      expect(names(streams.mine)).toEqual(names(streams.socket));
    } finally {
      for (const h of handles) h.stop();
      sock.close();
    }
    for (let i = 0; i < 50 && (await watching()) !== before; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await watching()).toBe(before);
  });

  test('a closed apiserver breaks their watches off and refuses them as never sent (ECONNREFUSED)', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-in-process-'));
    try {
      const server = await startApiServer({ host: '127.0.0.1', port: 0, localSocket: { path: path.join(d, 's.sock'), tokens: new Map([['t', { name: 'u', groups: ['system:masters'] }]]) } });
      const c = KubeClient.fromCredentials({ server: 'http://localhost', socketPath: path.join(d, 's.sock'), token: 't', inProcess: server.inProcess });
      expect((await c.get<{ metadata: { name: string } }>(Resources.namespaces, undefined, 'default')).metadata.name).toBe('default');
      // A watch open when the server closes breaks off with an error (the informer then relists).
      const watchClosed = new Promise<Error | undefined>((resolve) => void c.watch(Resources.namespaces, {}, () => undefined, resolve));
      await new Promise((r) => setTimeout(r, 20));
      await server.close();
      expect(await watchClosed).toMatchObject({ code: 'ECONNRESET' });
      await expect(c.get(Resources.namespaces, undefined, 'default')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      const refusedWatch = await new Promise<Error | undefined>((resolve) => void c.watch(Resources.namespaces, {}, () => undefined, resolve));
      expect(refusedWatch).toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
