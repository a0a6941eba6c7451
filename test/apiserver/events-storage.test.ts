// Events on LevelDB are kept out of the apiserver's memory (kinds: cacheObjects false, as kube-apiserver
// keeps no watch cache for Events): every way a client reads them still works, served from disk — GET,
// LIST with involvedObject field selectors and continue pages, watches from a resourceVersion — and the
// TTL still deletes them, seen by watchers as DELETED.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import { startApiServer, type RunningApiServer } from '../../apiserver';

let dir: string;
let srv: RunningApiServer;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-events-'));
  srv = await startApiServer({ host: '127.0.0.1', port: 0, dataDir: dir, kubernetesService: false, eventTTLSeconds: 60 });
});
afterAll(async () => {
  await srv.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const EVENTS = '/api/v1/namespaces/default/events';
type Ev = { metadata: { name: string; resourceVersion: string }; involvedObject: { name: string }; count?: number; lastTimestamp?: string };
type List = { metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number }; items: Ev[] };

async function call<T>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(srv.url + p, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T };
}

function event(name: string, pod: string, lastWrite = new Date()): Record<string, unknown> {
  const t = lastWrite.toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: pod, apiVersion: 'v1' },
    reason: 'Pulled',
    message: `image pulled for ${pod}`,
    type: 'Normal',
    source: { component: 'test' },
    firstTimestamp: t,
    lastTimestamp: t,
    count: 1,
  };
}

/** Watch events as `TYPE name`, until `until` says stop (raw chunked JSON lines). */
function watchUntil(p: string, until: (seen: string[]) => boolean): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const seen: string[] = [];
    const req = http.get(srv.url + p, (res) => {
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line.trim()) continue;
          const e = JSON.parse(line) as { type: string; object: Ev };
          seen.push(`${e.type} ${e.object.metadata.name}`);
          if (until(seen)) {
            req.destroy();
            resolve(seen);
          }
        }
      });
    });
    req.on('error', (err) => (seen.length && until(seen) ? undefined : reject(err)));
  });
}

test('GET, LIST with field selectors and continue pages, and watch from a resourceVersion', async () => {
  for (let i = 0; i < 30; i++) expect((await call('POST', EVENTS, event(`e${String(i).padStart(2, '0')}`, `pod-${i % 3}`))).status).toBe(201);
  const got = await call<Ev>('GET', `${EVENTS}/e07`);
  expect(got.status).toBe(200);
  expect(got.body.involvedObject.name).toBe('pod-1');
  expect((await call('GET', `${EVENTS}/missing`)).status).toBe(404);

  // Pages of 4 over the 10 Events of pod-1, by field selector: all of them, once each, in name order.
  const names: string[] = [];
  let cont: string | undefined;
  let pages = 0;
  do {
    const q = `?fieldSelector=${encodeURIComponent('involvedObject.name=pod-1,involvedObject.kind=Pod')}&limit=4${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`;
    const page = await call<List>('GET', EVENTS + q);
    expect(page.status).toBe(200);
    names.push(...page.body.items.map((e) => e.metadata.name));
    cont = page.body.metadata.continue || undefined;
    pages++;
    // A write between pages is not in the later pages (they read at the first page's revision).
    if (pages === 1) expect((await call('POST', EVENTS, event('e00b', 'pod-1'))).status).toBe(201);
  } while (cont);
  expect(pages).toBe(3);
  expect(names).toEqual(Array.from({ length: 10 }, (_, i) => `e${String(i * 3 + 1).padStart(2, '0')}`));
  const all = await call<List>('GET', `${EVENTS}?limit=25`);
  expect(all.body.items).toHaveLength(25);
  expect(all.body.metadata.remainingItemCount).toBe(6);

  // A watch from the LIST's revision gets the changes after it: an update (as the EventRecorder's
  // count bump) and a delete, with the right objects.
  const list = await call<List>('GET', `${EVENTS}?fieldSelector=involvedObject.name%3Dpod-2`);
  const watched = watchUntil(`${EVENTS}?watch=1&fieldSelector=involvedObject.name%3Dpod-2&resourceVersion=${list.body.metadata.resourceVersion}`, (s) => s.length >= 2);
  const e02 = (await call<Ev>('GET', `${EVENTS}/e02`)).body;
  expect((await call('PUT', `${EVENTS}/e02`, { ...e02, count: 2 })).status).toBe(200);
  expect((await call('PUT', `${EVENTS}/e01`, { ...(await call<Ev>('GET', `${EVENTS}/e01`)).body, count: 5 })).status).toBe(200); // pod-1: not watched
  expect((await call('DELETE', `${EVENTS}/e05`)).status).toBe(200);
  expect(await watched).toEqual(['MODIFIED e02', 'DELETED e05']);
  expect((await call<Ev>('GET', `${EVENTS}/e02`)).body.count).toBe(2);
}, 60_000);

test('the TTL deletes Events last written before it, and watchers see them go', async () => {
  // A server of its own with a 2 s TTL (swept every second): the server's creationTimestamp counts as
  // a write, so an Event lives at least the TTL, as under kube's etcd lease.
  const ttlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-events-ttl-'));
  const ttlSrv = await startApiServer({ host: '127.0.0.1', port: 0, dataDir: ttlDir, kubernetesService: false, eventTTLSeconds: 2 });
  const main = srv;
  srv = ttlSrv;
  try {
    const rv = (await call<List>('GET', EVENTS)).body.metadata.resourceVersion;
    const seen = watchUntil(`${EVENTS}?watch=1&resourceVersion=${rv}`, (s) => s.includes('DELETED stale'));
    expect((await call('POST', EVENTS, event('stale', 'pod-x', new Date(Date.now() - 2 * 3600_000)))).status).toBe(201);
    expect(await seen).toEqual(['ADDED stale', 'DELETED stale']);
    expect((await call('GET', `${EVENTS}/stale`)).status).toBe(404);
    expect((await call<List>('GET', EVENTS)).body.items).toHaveLength(0);
  } finally {
    srv = main;
    await ttlSrv.close();
    fs.rmSync(ttlDir, { recursive: true, force: true });
  }
}, 60_000);
