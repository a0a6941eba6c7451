// Metrics, bearer-token auth, TLS, the pods/log proxy, Table watches, YAML bodies and dryRun.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

const FIXTURES = path.join(__dirname, 'fixtures');

describe('plain server', () => {
  let srv: TestApiServer;
  beforeAll(async () => {
    srv = await startTestApiServer();
  });
  afterAll(async () => {
    await srv.stop();
  });

  test('/metrics exposes request, latency, inflight, watcher, storage and process metrics', async () => {
    await srv.client.create(Resources.configmaps, 'default', { metadata: { name: 'metric-cm' } });
    const ac = new AbortController();
    const watch = await fetch(`${srv.url}/api/v1/namespaces/default/pods?watch=1`, { signal: ac.signal });
    expect(watch.status).toBe(200);
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    ac.abort();
    expect(text).toContain('apiserver_request_total{verb="POST",group="",version="v1",resource="configmaps",subresource="",code="201"}');
    expect(text).toMatch(/apiserver_request_duration_seconds_bucket\{le="0.005",verb="POST",group="",version="v1",resource="configmaps",subresource=""\}/);
    expect(text).toMatch(/apiserver_current_inflight_requests\{request_kind="readOnly"\} \d/);
    expect(text).toMatch(/apiserver_registered_watchers\{group="",version="v1",kind="Pod"\} [1-9]/);
    expect(text).toMatch(/apiserver_storage_objects\{resource="configmaps"\} [1-9]/);
    expect(text).toMatch(/apiserver_storage_objects\{resource="namespaces"\} [4-9]/);
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  test('YAML bodies, dryRun, Table lists and Table watch events', async () => {
    const yamlRes = await fetch(`${srv.url}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  a: "1"\n',
    });
    expect(yamlRes.status).toBe(201);
    expect(((await yamlRes.json()) as { data: Record<string, string> }).data).toEqual({ a: '1' });
    const dry = await fetch(`${srv.url}/api/v1/namespaces/default/configmaps?dryRun=All`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"metadata":{"name":"dry"}}' });
    expect(dry.status).toBe(201);
    expect((await fetch(`${srv.url}/api/v1/namespaces/default/configmaps/dry`)).status).toBe(404);

    const tableAccept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    const list = (await (await fetch(`${srv.url}/api/v1/namespaces/default/configmaps?limit=500`, { headers: { accept: tableAccept } })).json()) as {
      kind: string;
      metadata: { resourceVersion: string };
      columnDefinitions: Array<{ name: string }>;
      rows: Array<{ cells: unknown[] }>;
    };
    expect(list.kind).toBe('Table');
    expect(list.columnDefinitions.map((c) => c.name)).toEqual(expect.arrayContaining(['Name', 'Age']));
    expect(list.rows.map((r) => r.cells[0])).toContain('from-yaml');

    // kubectl get --sort-by asks for whole objects in the rows (includeObject=Object); None leaves them null, as Go writes an empty RawExtension.
    const rowsWith = async (q: string) =>
      (await (await fetch(`${srv.url}/api/v1/namespaces/default/configmaps?${q}`, { headers: { accept: tableAccept } })).json()) as {
        rows: Array<{ object?: { kind?: string; data?: unknown; metadata?: { name?: string } } | null }>;
      };
    const full = await rowsWith('includeObject=Object');
    expect(full.rows.find((r) => r.object?.metadata?.name === 'from-yaml')?.object?.kind).toBe('ConfigMap');
    const metaOnly = await rowsWith('');
    expect(metaOnly.rows[0].object?.kind).toBe('PartialObjectMetadata');
    expect((await rowsWith('includeObject=None')).rows[0].object).toBeNull();
    const bad = await fetch(`${srv.url}/api/v1/namespaces/default/configmaps?includeObject=All`, { headers: { accept: tableAccept } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('includeObject: Unsupported value: "All"');

    const ac = new AbortController();
    const res = await fetch(`${srv.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.metadata.resourceVersion}`, { headers: { accept: tableAccept }, signal: ac.signal });
    const reader = res.body!.getReader();
    await srv.client.create(Resources.configmaps, 'default', { metadata: { name: 'w-1' } });
    await srv.client.create(Resources.configmaps, 'default', { metadata: { name: 'w-2' } });
    let buf = '';
    while (buf.split('\n').length < 3) buf += Buffer.from((await reader.read()).value!).toString();
    ac.abort();
    const events = buf.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { kind: string; columnDefinitions?: unknown[] | null; rows: Array<{ cells: unknown[] }> } });
    expect(events.map((e) => [e.type, e.object.kind, e.object.rows[0].cells[0]])).toEqual([
      ['ADDED', 'Table', 'w-1'],
      ['ADDED', 'Table', 'w-2'],
    ]);
    expect(events[0].object.columnDefinitions?.length).toBeGreaterThan(0);
    // Headers only with the first event; after it kube's asTable leaves them nil, written as null (no omitempty).
    expect(events[1].object.columnDefinitions).toBeNull();
  });

  test('watches that allow bookmarks get BOOKMARK events with the latest resourceVersion', async () => {
    const fast = await startTestApiServer({ watchBookmarkIntervalMs: 100 });
    try {
      const res = await fetch(`${fast.url}/api/v1/namespaces/default/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=1`);
      const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { kind: string; metadata: { resourceVersion: string } } });
      expect(lines.length).toBeGreaterThanOrEqual(3);
      expect(lines.every((e) => e.type === 'BOOKMARK' && e.object.kind === 'Pod' && Number(e.object.metadata.resourceVersion) > 0)).toBe(true);
      const plain = await fetch(`${fast.url}/api/v1/namespaces/default/pods?watch=1&timeoutSeconds=1`);
      expect((await plain.text()).trim()).toBe('');
    } finally {
      await fast.stop();
    }
  });

  test('a watch from an older resourceVersion bookmarks past the events it replayed, never back at its start', async () => {
    const fast = await startTestApiServer({ watchBookmarkIntervalMs: 100 });
    try {
      const first = await fast.client.create<{ metadata: { name?: string; resourceVersion?: string } }>(Resources.configmaps, 'default', { metadata: { name: 'replayed' } });
      const from = Number(first.metadata.resourceVersion);
      const last = await fast.client.patch<{ metadata: { resourceVersion?: string } }>(Resources.configmaps, 'default', 'replayed', { data: { a: '1' } });
      const res = await fetch(`${fast.url}/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=true&resourceVersion=${from}&timeoutSeconds=1`);
      const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { metadata: { resourceVersion: string } } });
      expect(lines[0]).toMatchObject({ type: 'MODIFIED', object: { metadata: { resourceVersion: last.metadata.resourceVersion } } });
      const bookmarks = lines.filter((e) => e.type === 'BOOKMARK').map((e) => Number(e.object.metadata.resourceVersion));
      expect(bookmarks.length).toBeGreaterThan(0);
      // A client resuming from a bookmark at `from` would get the MODIFIED again (an object going back).
      for (const rv of bookmarks) expect(rv).toBeGreaterThanOrEqual(Number(last.metadata.resourceVersion));
    } finally {
      await fast.stop();
    }
  });

  test('a long watch keeps one bookmark timer, not one per bookmark', async () => {
    // A Timeout kept per bookmark grew the server for as long as its watches lived (up to an hour).
    const interval = 37; // no other timer in the server uses this period
    const fast = await startTestApiServer({ watchBookmarkIntervalMs: interval });
    const spies = [jest.spyOn(global, 'setTimeout'), jest.spyOn(global, 'setInterval')];
    try {
      const ac = new AbortController();
      const res = await fetch(`${fast.url}/api/v1/namespaces/default/pods?watch=1&allowWatchBookmarks=true`, { signal: ac.signal });
      const reader = res.body!.getReader();
      let buf = '';
      while (buf.split('\n').length <= 6) buf += Buffer.from((await reader.read()).value!).toString();
      ac.abort();
      expect(buf.split('\n').filter((l) => l.includes('BOOKMARK')).length).toBeGreaterThanOrEqual(6);
      const bookmarkTimers = spies.flatMap((s) => s.mock.calls.filter((c) => c[1] === interval));
      expect(bookmarkTimers).toHaveLength(1);
    } finally {
      for (const s of spies) s.mockRestore();
      await fast.stop();
    }
  });

  test('watching one object by its path', async () => {
    const created = await srv.client.create<{ metadata: { name?: string; resourceVersion?: string } }>(Resources.configmaps, 'default', { metadata: { name: 'single' } });
    await srv.client.create(Resources.configmaps, 'default', { metadata: { name: 'other-one' } });
    await srv.client.patch(Resources.configmaps, 'default', 'single', { data: { a: '1' } });
    const res = await fetch(`${srv.url}/api/v1/watch/namespaces/default/configmaps/single?resourceVersion=${created.metadata.resourceVersion}&timeoutSeconds=1`);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string } } });
    expect(lines.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['MODIFIED single']);
  });

  test('pods/log is proxied to the node agent, 503 when none serves it', async () => {
    const seen: string[] = [];
    const agent = http.createServer((req, res) => {
      seen.push(req.url!);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('line 1\nline 2\n');
    });
    await new Promise<void>((r) => agent.listen(0, '127.0.0.1', r));
    const port = (agent.address() as AddressInfo).port;
    await srv.client.create(Resources.nodes, undefined, {
      metadata: { name: 'log-node' },
      status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }], daemonEndpoints: { kubeletEndpoint: { Port: port } } },
    });
    await srv.client.create(Resources.pods, 'default', { metadata: { name: 'logger' }, spec: { nodeName: 'log-node', containers: [{ name: 'main', image: 'busybox' }] } });
    const core = srv.kubeConfig.makeApiClient(CoreV1Api);
    const text = await core.readNamespacedPodLog({ name: 'logger', namespace: 'default', tailLines: 2, timestamps: true });
    expect(text).toBe('line 1\nline 2\n');
    expect(seen).toEqual(['/containerLogs/default/logger/main?tailLines=2&timestamps=true']);
    await new Promise<void>((r) => agent.close(() => r()));
    const down = await fetch(`${srv.url}/api/v1/namespaces/default/pods/logger/log`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { kind: string; reason: string }).reason).toBe('ServiceUnavailable');
    await srv.client.create(Resources.pods, 'default', { metadata: { name: 'orphan-logger' }, spec: { nodeName: 'no-such-node', containers: [{ name: 'main', image: 'busybox' }] } });
    expect((await fetch(`${srv.url}/api/v1/namespaces/default/pods/orphan-logger/log`)).status).toBe(503);
  });
});

test('bearer tokens: 401 without a listed token; probes stay open; TLS', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-auth-'));
  const tokenFile = path.join(dir, 'tokens.csv');
  fs.writeFileSync(tokenFile, 's3cret-token,admin,1,"system:masters"\n');
  const srv = await startTestApiServer({ tokenFile, token: 's3cret-token', tlsCertFile: path.join(FIXTURES, 'tls.crt'), tlsKeyFile: path.join(FIXTURES, 'tls.key') });
  try {
    expect(srv.url).toMatch(/^https:\/\//);
    const ns = await srv.client.list(Resources.namespaces);
    expect(ns.items.length).toBeGreaterThanOrEqual(4);
    const core = srv.kubeConfig.makeApiClient(CoreV1Api);
    expect((await core.readNamespace({ name: 'default' })).metadata?.name).toBe('default');
    const anonymous = KubeClient.forServer(srv.url);
    await expect(anonymous.list(Resources.pods)).rejects.toMatchObject({ code: 401, status: { kind: 'Status', reason: 'Unauthorized' } });
    const wrong = KubeClient.forServer(srv.url, 'wrong');
    await expect(wrong.get(Resources.namespaces, undefined, 'default')).rejects.toMatchObject({ code: 401 });
    await expect(anonymous.request('GET', '/healthz')).resolves.toBe('ok');
    anonymous.close();
    wrong.close();
  } finally {
    await srv.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
