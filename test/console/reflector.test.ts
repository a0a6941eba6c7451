// The console's list-and-watch (console/web/model/reflector.ts) against a real apiserver, in Node (its
// fetch is the browser's API): events arrive as they happen; an apiserver restart is survived by
// re-watching from the last resourceVersion (no relist, nothing missed); a resourceVersion older than
// the server's history (410 Gone) relists; the user's token goes in the Authorization header. Each
// over both transports: watches as streamed responses, and over WebSockets (the `ws` package standing
// in for the browser's), where no watch may be streamed and the token rides as kube's bearer subprotocol.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startApiServer, type RunningApiServer } from '../../apiserver';
import { Resources } from '../../lib/api/resources';
import { KubeClient } from '../../lib/client/client';
import WebSocket from 'ws';
import { Api, type Fetch, type WebSocketFactory, type WebSocketLike } from '../../console/web/model/api';
import { Reflector } from '../../console/web/model/reflector';
import { Store } from '../../console/web/model/store';
import { waitFor } from '../helpers/wait';

jest.setTimeout(60_000);

const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'i' }] } });

// ws's WebSocket has the browser's onopen/onmessage/onclose/onerror properties, with its own event types.
const overWs: WebSocketFactory = (url, protocols) => new WebSocket(url, protocols) as unknown as WebSocketLike;

describe.each([
  ['streamed', undefined],
  ['over WebSockets', overWs],
] as Array<[string, WebSocketFactory | undefined]>)('console reflector, watches %s', (_transport, webSocket) => {
  /**
   * Watches served as streamed responses: over WebSockets, none (a WebSocket that fails to connect is
   * retried streamed, and fails too while the server is down).
   */
  const streamed: string[] = [];
  const recordingFetch: Fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (res.ok && input.includes('watch=1')) streamed.push(input);
    return res;
  };
  const newApi = (url: string, token: string | undefined) => new Api(url, token, recordingFetch, webSocket);
  afterEach(() => {
    const served = streamed.splice(0);
    if (webSocket) expect(served).toEqual([]);
    else expect(served.length).toBeGreaterThan(0);
  });

  const dirs: string[] = [];
  const tmp = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-console-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  test('survives an apiserver restart by resuming the watch; sees changes made after it', async () => {
    const dataDir = tmp();
    let server: RunningApiServer = await startApiServer({ host: '127.0.0.1', port: 0, dataDir });
    const port = server.port;
    const store = new Store((fn) => fn());
    const reflector = new Reflector(newApi(server.url, undefined), 'pods', store, { minBackoffMs: 50, maxBackoffMs: 200 });
    let client = KubeClient.forServer(server.url);
    try {
      await client.create(Resources.pods, 'default', pod('before'));
      reflector.start();
      await waitFor('listed', () => store.get('pods', 'default/before'));
      await client.create(Resources.pods, 'default', pod('watched'));
      await waitFor('watched event', () => store.get('pods', 'default/watched'));

      client.close();
      await server.close();
      await waitFor('reflector notices', () => reflector.state === 'retrying');
      server = await startApiServer({ host: '127.0.0.1', port, dataDir });
      client = KubeClient.forServer(server.url);
      await waitFor('watching again', () => reflector.state === 'watching', 10_000);
      await client.create(Resources.pods, 'default', pod('after-restart'));
      await waitFor('event after the restart', () => store.get('pods', 'default/after-restart'));
      await client.delete(Resources.pods, 'default', 'before', { gracePeriodSeconds: 0 });
      await waitFor('deletion after the restart', () => !store.get('pods', 'default/before'));
      expect(reflector.lists).toBe(1); // resumed, not relisted
    } finally {
      reflector.stop();
      client.close();
      await server.close();
    }
  });

  test('a pause longer than the server history ends in 410 Gone and a relist; a short one replays', async () => {
    const server = await startApiServer({ host: '127.0.0.1', port: 0, watchHistorySize: 20 });
    const client = KubeClient.forServer(server.url);
    const store = new Store((fn) => fn());
    const changes: string[] = [];
    store.onChange((c) => changes.push(`${c.type} ${c.next?.metadata?.name ?? c.prev?.metadata?.name}`));
    const reflector = new Reflector(newApi(server.url, undefined), 'pods', store, { minBackoffMs: 50 });
    try {
      reflector.start();
      await waitFor('watching', () => reflector.state === 'watching');
      reflector.pause();
      await client.create(Resources.pods, 'default', pod('p0'));
      await client.create(Resources.pods, 'default', pod('p1'));
      reflector.start();
      await waitFor('replayed', () => store.get('pods', 'default/p1'));
      expect(reflector.lists).toBe(1);
      expect(changes).toEqual(['ADDED p0', 'ADDED p1']);

      reflector.pause();
      for (let i = 2; i < 40; i++) await client.create(Resources.pods, 'default', pod(`p${i}`));
      reflector.start();
      await waitFor('relisted', () => store.list('pods').length === 40);
      expect(reflector.lists).toBe(2);
    } finally {
      reflector.stop();
      client.close();
      await server.close();
    }
  });

  test('sends the token as a bearer token; a wrong one is refused with the API\'s 401', async () => {
    const dir = tmp();
    const tokenFile = path.join(dir, 'tokens.csv');
    fs.writeFileSync(tokenFile, 'console-token,alice,1,"system:masters"\n');
    const server = await startApiServer({ host: '127.0.0.1', port: 0, tokenFile });
    try {
      const good = new Store((fn) => fn());
      const ok = new Reflector(newApi(server.url, 'console-token'), 'namespaces', good);
      ok.start();
      await waitFor('listed with the token', () => good.isSynced('namespaces'));
      await waitFor('watching with the token', () => ok.state === 'watching');
      const client = KubeClient.forServer(server.url, 'console-token');
      await client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watched-with-token' } });
      await waitFor('watched with the token', () => good.get('namespaces', 'watched-with-token'));
      client.close();
      ok.stop();
      const bad = new Store((fn) => fn());
      const refused = new Reflector(newApi(server.url, 'wrong'), 'namespaces', bad);
      refused.start();
      await waitFor('refused', () => refused.state === 'retrying');
      expect(refused.lastError?.message).toBe('Unauthorized');
      expect(bad.isSynced('namespaces')).toBe(false);
      refused.stop();
    } finally {
      await server.close();
    }
  });
});

describe('console reflector, WebSocket refused', () => {
  test("a kind RBAC refuses: the API's 403 from the streamed retry, WebSockets kept for the others", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-console-'));
    const tokenFile = path.join(dir, 'tokens.csv');
    fs.writeFileSync(tokenFile, 'admin-token,admin,1,"system:masters"\nviewer-token,viewer,2\n');
    const server = await startApiServer({ host: '127.0.0.1', port: 0, tokenFile, authorizationMode: ['Node', 'RBAC'], anonymousAuth: false });
    const admin = KubeClient.forServer(server.url, 'admin-token');
    try {
      // The viewer may list pods but not watch them: the list passes, the WebSocket watch is refused (403).
      await admin.create(Resources.clusterroles, undefined, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'list-pods' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] });
      await admin.create(Resources.clusterrolebindings, undefined, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'viewer-list-pods' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'list-pods' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'viewer' }],
      });
      const api = new Api(server.url, 'viewer-token', undefined, overWs);
      const store = new Store((fn) => fn());
      const r = new Reflector(api, 'pods', store, { minBackoffMs: 50 });
      r.start();
      await waitFor('refused', () => r.state === 'retrying');
      r.stop();
      expect(store.isSynced('pods')).toBe(true);
      expect((r.lastError as Error & { code?: number }).code).toBe(403);
      expect(api.webSocketsRefused).toBe(false);
    } finally {
      admin.close();
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a server (or proxy) that refuses every WebSocket: watches are streamed after three refusals', async () => {
    const server = await startApiServer({ host: '127.0.0.1', port: 0 });
    const client = KubeClient.forServer(server.url);
    // A WebSocket that never opens, as behind a proxy without upgrades.
    const refusing: WebSocketFactory = () => {
      const s: WebSocketLike = { onopen: null, onmessage: null, onerror: null, onclose: null, close: () => undefined };
      setTimeout(() => s.onclose?.({ code: 1006, reason: '' }), 5);
      return s;
    };
    const api = new Api(server.url, undefined, undefined, refusing);
    const store = new Store((fn) => fn());
    const r = new Reflector(api, 'pods', store, { minBackoffMs: 50, watchTimeoutSeconds: 1 });
    try {
      r.start();
      await waitFor('watching, streamed', () => r.state === 'watching');
      await client.create(Resources.pods, 'default', pod('streamed'));
      await waitFor('an event over the streamed watch', () => store.get('pods', 'default/streamed'));
      expect(api.webSocketsRefused).toBe(false); // one refusal says nothing yet (a network change)
      await waitFor('three refusals', () => api.webSocketsRefused, 10_000); // each 1 s watch reopens
      expect(api.watchesOverWebSocket).toBe(false);
    } finally {
      r.stop();
      client.close();
      await server.close();
    }
  });
});
