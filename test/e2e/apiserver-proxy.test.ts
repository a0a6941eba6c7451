// pods/proxy, services/proxy and nodes/proxy for real: the targets are HTTP servers in a network namespace
// created here (a veth pair, the far end 198.18.X.2/30: a global unicast address, as the apiserver only
// proxies to those), the apiserver in-process in this one. Paths and queries reach the target, the
// client's credentials do not; a body larger than the apiserver's own limit streams through; redirects
// and HTML links on the target's root come back under the proxy path (gzipped pages too); the bare
// prefix redirects to `/proxy/`; an upgrade is piped both ways; a Service's port by name and by number,
// an endpoint naming a pod with another IP skipped, ExternalName refused; a node's kubelet port and
// another port of it; the errors kube-apiserver gives (loopback refused, no IP yet, nothing listening).
// Needs root (ip netns).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { Endpoints, Node, Pod, Service } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

const NS = `steer-proxy-${process.pid}`;
const X = 16 + (process.pid % 200);
const HOST_IP = `198.18.${X}.1`;
const TARGET_IP = `198.18.${X}.2`;
const PORT = 8080;
const OTHER_PORT = 8081;
const CLOSED_PORT = 8082;

// The target: what it was asked, echoed; a redirect; HTML pages with links; an upgrade that echoes bytes.
const TARGET = `
const http = require('node:http'), zlib = require('node:zlib'), crypto = require('node:crypto');
const page = '<html><a href="/docs/">docs</a> <img src=\\'/logo.png\\'> <a href=/bare>b</a> <a href="rel/x">r</a> <a href="http://${TARGET_IP}:${PORT}/abs?q=1">a</a> <a href="https://example.org/e">e</a> <script src="//cdn.example/x.js"></script></html>';
const handler = (port) => (req, res) => {
  const hash = crypto.createHash('sha256'); let n = 0;
  req.on('data', (c) => { hash.update(c); n += c.length; });
  req.on('end', () => {
    if (req.url === '/redirect') { res.writeHead(302, { Location: '/landed' }); return res.end(); }
    if (req.url === '/page') { res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }); return res.end(page); }
    if (req.url === '/gz') { res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Encoding': 'gzip' }); return res.end(zlib.gzipSync(page)); }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ port, method: req.method, url: req.url, headers: req.headers, bytes: n, sha256: hash.digest('hex') }));
  });
};
for (const port of [${PORT}, ${OTHER_PORT}]) {
  const s = http.createServer(handler(port));
  s.on('upgrade', (req, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\\r\\nConnection: Upgrade\\r\\nUpgrade: echo-test\\r\\n\\r\\n');
    socket.pipe(socket);
  });
  s.listen(port, '0.0.0.0', () => { if (port === ${OTHER_PORT}) process.stdout.write('ready\\n'); });
}
`;

let api: TestApiServer;
let target: ChildProcess;
let dir: string;

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

async function call(method: string, urlPath: string, o: { body?: Buffer; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const url = new URL(urlPath, api.url);
  return new Promise((resolve, reject) => {
    const headers = { ...o.headers, ...(o.body ? { 'Content-Length': String(o.body.length) } : {}) };
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const json = (b: Buffer) => JSON.parse(b.toString('utf8')) as Record<string, unknown>;
const POD = '/api/v1/namespaces/default/pods';
const SVC = '/api/v1/namespaces/default/services';

async function podAt(name: string, podIP: string | undefined): Promise<void> {
  const pod = await api.client.create<Pod>(Resources.pods, 'default', { metadata: { name }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] } });
  await api.client.update<Pod>(Resources.pods, { ...pod, status: { phase: 'Running', ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}) } }, 'status');
}

async function nodeAt(name: string, address: string, kubeletPort: number): Promise<void> {
  const node = await api.client.create<Node>(Resources.nodes, undefined, { metadata: { name } });
  await api.client.update<Node>(Resources.nodes, { ...node, status: { addresses: [{ type: 'InternalIP', address }], daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } } } }, 'status');
}

beforeAll(async () => {
  ip('netns', 'add', NS);
  ip('link', 'add', `pxh${X}`, 'type', 'veth', 'peer', 'name', `pxn${X}`);
  ip('link', 'set', `pxn${X}`, 'netns', NS);
  ip('addr', 'add', `${HOST_IP}/30`, 'dev', `pxh${X}`);
  ip('link', 'set', `pxh${X}`, 'up');
  ip('-n', NS, 'addr', 'add', `${TARGET_IP}/30`, 'dev', `pxn${X}`);
  ip('-n', NS, 'link', 'set', `pxn${X}`, 'up');
  ip('-n', NS, 'link', 'set', 'lo', 'up');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-proxy-'));
  fs.writeFileSync(path.join(dir, 'target.js'), TARGET);
  target = spawn('ip', ['netns', 'exec', NS, process.execPath, path.join(dir, 'target.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    target.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    target.once('exit', (code) => reject(new Error(`the target server exited (${code})`)));
  });
  api = await startTestApiServer();
  await podAt('web', TARGET_IP);
  await podAt('other', TARGET_IP.replace(/\.2$/, '.3'));
  await podAt('pending', undefined);
  await podAt('local', '127.0.0.1');
  await api.client.create<Service>(Resources.services, 'default', { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: PORT }, { name: 'alt', port: 81, targetPort: OTHER_PORT }] } });
  await api.client.create<Endpoints>(Resources.endpoints, 'default', {
    metadata: { name: 'web' },
    subsets: [{ addresses: [{ ip: TARGET_IP, targetRef: { kind: 'Pod', namespace: 'default', name: 'web' } }], ports: [{ name: 'http', port: PORT }, { name: 'alt', port: OTHER_PORT }] }],
  });
  // An endpoint that claims a pod whose IP is another: never used.
  await api.client.create<Service>(Resources.services, 'default', { metadata: { name: 'spoofed' }, spec: { selector: { app: 'x' }, ports: [{ port: 80 }] } });
  await api.client.create<Endpoints>(Resources.endpoints, 'default', { metadata: { name: 'spoofed' }, subsets: [{ addresses: [{ ip: TARGET_IP, targetRef: { kind: 'Pod', namespace: 'default', name: 'other' } }], ports: [{ port: PORT }] }] });
  await api.client.create<Service>(Resources.services, 'default', { metadata: { name: 'external' }, spec: { type: 'ExternalName', externalName: 'example.org' } });
  await nodeAt('n1', TARGET_IP, PORT);
  await nodeAt('loop', '127.0.0.1', PORT);
});

afterAll(async () => {
  await api?.stop();
  target?.kill('SIGKILL');
  try {
    ip('netns', 'del', NS);
  } catch {
    /* not made */
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test("pods/proxy: the path and query reach the pod's port; the client's credentials and hop-by-hop headers do not, X-Forwarded-For does", async () => {
  const r = await call('GET', `${POD}/web:${PORT}/proxy/echo/a%20b?x=1&y=2`, { headers: { 'Impersonate-Extra-Scopes': 'view', 'Keep-Alive': 'timeout=5', 'X-Custom': 'kept' } });
  expect(r.status).toBe(200);
  const seen = json(r.body) as { url: string; port: number; headers: Record<string, string> };
  expect([seen.port, seen.url]).toEqual([PORT, '/echo/a%20b?x=1&y=2']);
  expect(seen.headers['impersonate-extra-scopes']).toBeUndefined();
  // Hop-by-hop headers stay on the client's hop; the others go on.
  expect([seen.headers['keep-alive'], seen.headers['x-custom']]).toEqual([undefined, 'kept']);
  expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
});

test('a body larger than the apiserver takes for objects streams through, whole', async () => {
  const body = crypto.randomBytes(5 * 1024 * 1024);
  const r = await call('POST', `${POD}/web:${PORT}/proxy/upload`, { body, headers: { 'Content-Type': 'application/octet-stream' } });
  expect(r.status).toBe(200);
  expect(json(r.body)).toMatchObject({ method: 'POST', bytes: body.length, sha256: crypto.createHash('sha256').update(body).digest('hex') });
  for (const method of ['PUT', 'PATCH', 'DELETE']) {
    const r = await call(method, `${POD}/web:${PORT}/proxy/m`, { body: Buffer.from('x') });
    expect([method, r.status, r.body.toString()]).toEqual([method, 200, expect.stringContaining('"bytes":1')]);
  }
});

test('a redirect and the links of an HTML page on the target\'s root come back under the proxy path; gzip too', async () => {
  const prefix = `${POD}/web:${PORT}/proxy`;
  const redirect = await call('GET', `${prefix}/redirect`);
  expect([redirect.status, redirect.headers.location]).toEqual([302, `${prefix}/landed`]);
  const want =
    `<html><a href="${prefix}/docs/">docs</a> <img src='${prefix}/logo.png'> <a href=${prefix}/bare>b</a> <a href="rel/x">r</a> ` +
    `<a href="${prefix}/abs?q=1">a</a> <a href="https://example.org/e">e</a> <script src="//cdn.example/x.js"></script></html>`;
  const page = await call('GET', `${prefix}/page`);
  expect(page.body.toString()).toBe(want);
  expect(Number(page.headers['content-length'])).toBe(page.body.length);
  const gz = await call('GET', `${prefix}/gz`, { headers: { 'Accept-Encoding': 'gzip' } });
  expect(gz.headers['content-encoding']).toBe('gzip');
  expect(zlib.gunzipSync(gz.body).toString()).toBe(want);
});

test('the bare prefix: a GET is redirected to /proxy/ with its query; other methods go to the root', async () => {
  const r = await call('GET', `${POD}/web:${PORT}/proxy?a=1`);
  expect([r.status, r.headers.location]).toEqual([301, `${POD}/web:${PORT}/proxy/?a=1`]);
  expect(json((await call('POST', `${POD}/web:${PORT}/proxy`)).body)).toMatchObject({ url: '/' });
});

test('an upgrade is piped both ways', async () => {
  const sock = net.connect(new URL(api.url).port ? Number(new URL(api.url).port) : 80, '127.0.0.1');
  sock.write(`GET ${POD}/web:${PORT}/proxy/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo-test\r\n\r\n`);
  let got = '';
  await new Promise<void>((resolve, reject) => {
    sock.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.includes('\r\n\r\n') && !got.includes('ping')) sock.write('ping');
      if (got.endsWith('ping')) resolve();
    });
    sock.on('error', reject);
  });
  sock.destroy();
  expect(got).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
});

test('services/proxy: a port by name, by number, or the one unnamed; endpoints naming a pod of another IP are skipped; ExternalName refused', async () => {
  expect(json((await call('GET', `${SVC}/web:http/proxy/a`)).body)).toMatchObject({ port: PORT, url: '/a' });
  expect(json((await call('GET', `${SVC}/http:web:81/proxy/b`)).body)).toMatchObject({ port: OTHER_PORT, url: '/b' });
  const noPort = await call('GET', `${SVC}/web:82/proxy/`);
  expect([noPort.status, json(noPort.body).message]).toEqual([503, 'no service port 82 found for service "web"']);
  // Both ports are named: none is the unnamed one.
  expect(json((await call('GET', `${SVC}/web/proxy/`)).body)).toMatchObject({ code: 503, message: 'no endpoints available for service "web"' });
  expect(json((await call('GET', `${SVC}/spoofed/proxy/`)).body)).toMatchObject({ code: 503, message: 'no endpoints available for service "spoofed"' });
  expect(json((await call('GET', `${SVC}/external/proxy/`)).body)).toMatchObject({ code: 400, message: 'service "external" is of type ExternalName and cannot be proxied' });
});

test("nodes/proxy: the kubelet port through the apiserver's kubelet client, another port of the node as asked", async () => {
  expect(json((await call('GET', '/api/v1/nodes/n1/proxy/metrics?x=1')).body)).toMatchObject({ port: PORT, url: '/metrics?x=1' });
  expect(json((await call('GET', `/api/v1/nodes/n1:${OTHER_PORT}/proxy/stats`)).body)).toMatchObject({ port: OTHER_PORT, url: '/stats' });
});

test.each([
  [`${POD}/local:80/proxy/`, 400, 'address not allowed'],
  ['/api/v1/nodes/loop/proxy/', 400, 'address not allowed'],
  [`${POD}/pending/proxy/`, 503, 'pod "pending" has no IP address yet'],
  [`${POD}/nope:80/proxy/a/b`, 404, 'pods "nope" not found'],
  [`${POD}/a:b:c:d/proxy/`, 400, 'invalid pod request "a:b:c:d"'],
  [`${POD}/ftp:web:80/proxy/`, 400, 'invalid pod request "ftp:web:80"'],
  [`${POD}/web:http/proxy/`, 400, 'invalid pod request "web:http"'],
  [`${POD}/web:${CLOSED_PORT}/proxy/`, 503, `error trying to reach service: connect ECONNREFUSED ${TARGET_IP}:${CLOSED_PORT}`],
])('%s: %i %s', async (url, code, message) => {
  const r = await call('GET', url);
  expect(r.status).toBe(code);
  expect(json(r.body)).toMatchObject({ kind: 'Status', code, message });
});

test('discovery lists the proxy subresources', async () => {
  const list = json((await call('GET', '/api/v1')).body) as { resources: Array<{ name: string; kind: string; verbs: string[] }> };
  const proxies = list.resources.filter((r) => r.name.endsWith('/proxy'));
  expect(proxies.map((r) => [r.name, r.kind])).toEqual([
    ['nodes/proxy', 'NodeProxyOptions'],
    ['pods/proxy', 'PodProxyOptions'],
    ['services/proxy', 'ServiceProxyOptions'],
  ]);
  expect(proxies[0].verbs).toEqual(['create', 'delete', 'get', 'patch', 'update']);
});
