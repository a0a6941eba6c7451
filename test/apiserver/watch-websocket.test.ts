// Watches over WebSocket (apiserver/handlers/websocket.ts), as kube-apiserver serves them to browsers:
// one event per text message; the bearer token offered as the subprotocol
// base64url.bearer.authorization.k8s.io.<token>, the other offered protocol answered; the same
// authentication and RBAC as any request (401 and 403 refuse the handshake with the HTTP status);
// 410 as an ERROR event; the server's timeout closes the socket normally; a closed socket ends the
// server's watch; an upgrade asked of something that is not a watch is answered as a plain request;
// the server's close ends open WebSocket watches.
import WebSocket from 'ws';
import { Resources } from '../../lib/api/resources';
import { bindClusterRole, startSecuredApiServer, type SecuredApiServer } from '../helpers/identities';
import { waitFor } from '../helpers/wait';

jest.setTimeout(60_000);

const BEARER = 'base64url.bearer.authorization.k8s.io.';
const bearer = (token: string) => BEARER + Buffer.from(token).toString('base64url');

interface Opened {
  ws: WebSocket;
  protocol: string;
  messages: string[];
  closed: Promise<number>;
}

/** Opens a WebSocket; resolves when it opens, rejects with the HTTP status of a refused handshake. */
function open(url: string, protocols: string[], headers: Record<string, string> = {}): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    const messages: string[] = [];
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.on('message', (data, isBinary) => messages.push(isBinary ? '<binary>' : data.toString()));
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.on('error', reject);
    ws.on('open', () => resolve({ ws, protocol: ws.protocol, messages, closed }));
  });
}

/** The apiserver's registered watchers of Pods, from its /metrics. */
async function podWatchers(url: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, { headers: { Authorization: 'Bearer admin-token' } });
  const line = (await res.text()).split('\n').find((l) => l.startsWith('apiserver_registered_watchers{') && l.includes('kind="Pod"'));
  return line ? Number(line.split(' ').pop()) : 0;
}

const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'i' }] } });

describe('watch over WebSocket', () => {
  let api: SecuredApiServer;
  let ws: string;

  beforeAll(async () => {
    api = await startSecuredApiServer({
      'admin-token': { user: 'admin', groups: ['system:masters'] },
      'viewer-token': { user: 'viewer' },
      'nobody-token': { user: 'nobody' },
    });
    ws = api.url.replace(/^http/, 'ws');
    await bindClusterRole(api.client, 'viewer', 'view');
  });
  afterAll(async () => {
    await api?.stop();
  });

  test('events as messages, token as the subprotocol, RBAC applied, the socket closing ends the watch', async () => {
    const list = await api.client.list(Resources.pods, { namespace: 'default' });
    const rv = list.metadata!.resourceVersion!;
    const w = await open(`${ws}/api/v1/namespaces/default/pods?watch=1&resourceVersion=${rv}`, [bearer('viewer-token'), 'watch.example']);
    expect(w.protocol).toBe('watch.example'); // the token's protocol is never answered
    await waitFor('a watcher registered', async () => (await podWatchers(api.url)) >= 1);
    await api.client.create(Resources.pods, 'default', pod('ws-a'));
    await api.client.create(Resources.pods, 'default', pod('ws-b'));
    await waitFor('two events', () => w.messages.length >= 2);
    const events = w.messages.map((m) => JSON.parse(m) as { type: string; object: { metadata: { name: string } } });
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED ws-a', 'ADDED ws-b']);

    w.ws.close(1000);
    expect(await w.closed).toBe(1000);
    await waitFor('the server ended its watch', async () => (await podWatchers(api.url)) === 0);

    // The same authentication and authorization as any request: the handshake answers 401 and 403.
    await expect(open(`${ws}/api/v1/pods?watch=1`, ['watch.example'])).rejects.toThrow('HTTP 401');
    await expect(open(`${ws}/api/v1/pods?watch=1`, [bearer('wrong'), 'watch.example'])).rejects.toThrow('HTTP 401');
    await expect(open(`${ws}/api/v1/pods?watch=1`, [bearer('nobody-token'), 'watch.example'])).rejects.toThrow('HTTP 403');
    await expect(open(`${ws}/api/v1/secrets?watch=1`, [bearer('viewer-token'), 'watch.example'])).rejects.toThrow('HTTP 403');
    // An Authorization header works too (non-browser clients).
    const h = await open(`${ws}/api/v1/namespaces/default/pods?watch=1`, ['watch.example'], { Authorization: 'Bearer viewer-token' });
    await waitFor('the current pods as ADDED', () => h.messages.length >= 2);
    h.ws.close();
  });

  test("the server's timeout closes normally; not a watch: a plain answer", async () => {
    const rv = Number((await api.client.list(Resources.pods)).metadata!.resourceVersion);
    const expired = await open(`${ws}/api/v1/pods?watch=1&resourceVersion=${rv}&timeoutSeconds=1`, [bearer('admin-token'), 'w']);
    expect(await expired.closed).toBe(1000); // timeoutSeconds ended it, with a normal close
    // Not a watch: answered as a plain GET (no upgrade), so the handshake fails with its status.
    await expect(open(`${ws}/api/v1/namespaces/default/pods`, [bearer('admin-token'), 'w'])).rejects.toThrow('HTTP 200');
    await expect(open(`${ws}/api/v1/namespaces/default/pods/missing?watch=0`, [bearer('admin-token'), 'w'])).rejects.toThrow('HTTP 404');
  });

  test('a resourceVersion older than the history gets the ERROR event with 410', async () => {
    const small = await startSecuredApiServer({ 'admin-token': { user: 'admin', groups: ['system:masters'] } }, { watchHistorySize: 5 });
    try {
      const start = Number((await small.client.list(Resources.configmaps, { namespace: 'default' })).metadata!.resourceVersion);
      for (let i = 0; i < 20; i++) await small.client.create(Resources.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}` } });
      const w = await open(`${small.url.replace(/^http/, 'ws')}/api/v1/configmaps?watch=1&resourceVersion=${start}`, [bearer('admin-token'), 'w']);
      expect(await w.closed).toBe(1000);
      expect(w.messages).toHaveLength(1);
      const ev = JSON.parse(w.messages[0]) as { type: string; object: { code: number; reason: string } };
      expect(ev.type).toBe('ERROR');
      expect(ev.object.code).toBe(410);
      expect(ev.object.reason).toBe('Expired');
    } finally {
      await small.stop();
    }
  });

  test('closing the server ends its WebSocket watches', async () => {
    const other = await startSecuredApiServer({ 'admin-token': { user: 'admin', groups: ['system:masters'] } });
    const w = await open(`${other.url.replace(/^http/, 'ws')}/api/v1/pods?watch=1`, [bearer('admin-token'), 'w']);
    await other.stop(); // returns only once every connection is gone
    expect(await w.closed).not.toBe(1000);
  });
});
