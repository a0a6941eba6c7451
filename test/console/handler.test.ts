// The console's files at /ui/: served over the apiserver's HTTPS to anyone (they hold no data) while
// the API itself refuses requests without credentials (as steer up serves it: no anonymous access), with
// a same-origin Content-Security-Policy; nothing but the bundle's own files can be named.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import express from 'express';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import { consoleHandler } from '../../console';
import { ensureConsoleBuilt } from '../helpers/console-cluster';
import { startTestApiServer } from '../helpers/apiserver';
import { startSecuredApiServer } from '../helpers/identities';

jest.setTimeout(60_000);

const FIXTURES = path.join(__dirname, '..', 'apiserver', 'fixtures');
const CA = fs.readFileSync(path.join(FIXTURES, 'tls.crt'), 'utf8');

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTPS request verified against the server's certificate. */
function call(url: string, o: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: o.method ?? 'GET', ca: CA, agent: false, headers: o.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The same, with the body as bytes (compressed answers). */
function callBytes(url: string, headers: Record<string, string>): Promise<{ headers: Answer['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { ca: CA, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('served over HTTPS before authentication, with security headers; everything else needs a credential', async () => {
  await ensureConsoleBuilt();
  const api = await startSecuredApiServer(
    { tok: { user: 'alice' } },
    { console: true, anonymousAuth: false, tlsCertFile: path.join(FIXTURES, 'tls.crt'), tlsKeyFile: path.join(FIXTURES, 'tls.key') },
  );
  try {
    expect(api.url).toMatch(/^https:/);
    const index = await call(`${api.url}/ui/`);
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    // boot.js is inside the page, the one inline script the CSP allows (by its hash); no other answer allows one.
    const inline = /<script>([\s\S]+?)<\/script>/.exec(index.body)?.[1] ?? '';
    expect(inline).toContain('steer-console-prefetched');
    const inlineHash = createHash('sha256').update(inline, 'utf8').digest('base64');
    expect(index.headers['content-security-policy']).toContain(`script-src 'self' 'sha256-${inlineHash}';`);
    const js = /src="(app\.js\?v=[0-9a-f]+)"/.exec(index.body)?.[1];
    expect(js).toBeDefined();
    const app = await call(`${api.url}/ui/${js}`);
    expect(app.status).toBe(200);
    expect(app.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(app.body.length).toBeGreaterThan(10_000);
    expect(app.headers['content-security-policy']).not.toContain('sha256-');
    expect((await call(`${api.url}/ui/app.css`)).status).toBe(200);
    const again = await call(`${api.url}/ui/app.js`, { headers: { 'If-None-Match': String(app.headers.etag) } });
    expect(again.status).toBe(304);
    // Named by its content hash, the bundle is cached as immutable; the page itself is revalidated.
    expect(app.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect((await call(`${api.url}/ui/app.js?v=000000000000`)).headers['cache-control']).toBe('no-cache');
    // Compressed by the build, sent to browsers that accept it: the same bytes once decoded.
    expect(app.headers['content-encoding']).toBeUndefined();
    for (const [accept, coding, decode] of [
      ['gzip, deflate, br, zstd', 'br', zlib.brotliDecompressSync],
      ['gzip', 'gzip', zlib.gunzipSync],
    ] as const) {
      const packed = await callBytes(`${api.url}/ui/${js}`, { 'Accept-Encoding': accept });
      expect(packed.headers['content-encoding']).toBe(coding);
      expect(packed.headers.vary).toBe('Accept-Encoding');
      expect(packed.body.length).toBeLessThan(app.body.length / 2);
      expect(decode(packed.body).toString('utf8')).toBe(app.body);
    }
    expect((await callBytes(`${api.url}/ui/${js}`, { 'Accept-Encoding': 'br;q=0, gzip' })).headers['content-encoding']).toBe('gzip');

    const bare = await call(`${api.url}/ui`);
    expect(bare.status).toBe(301);
    expect(bare.headers.location).toBe('/ui/');
    // (/ui/../x is normalized by the client to /x, which is the API's, not the console's.)
    expect((await call(`${api.url}/ui/%2e%2e%2fpackage.json`)).status).toBe(404);
    expect((await call(`${api.url}/ui/nope.js`)).status).toBe(404);
    expect((await call(`${api.url}/ui/`, { method: 'POST' })).status).toBe(405);

    // Only the bundle is public: the API, discovery, metrics and everything beside /ui/ answer 401
    // without a credential (as kube-apiserver with --anonymous-auth=false), and work with one.
    for (const p of ['/api/v1/pods', '/api', '/apis', '/openapi/v2', '/metrics', '/version', '/uix', '/']) {
      const r = await call(`${api.url}${p}`);
      expect([p, r.status]).toEqual([p, 401]);
      expect(JSON.parse(r.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    }
    expect((await call(`${api.url}/api/v1/pods`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await call(`${api.url}/api/v1/namespaces`, { headers: { Authorization: 'Bearer tok' } })).status).toBe(403); // alice has no role
    expect((await call(`${api.url}/healthz`)).status).toBe(200); // as kube: probes answer anyone
  } finally {
    await api.stop();
  }
});

test('without a bundle: 503 saying how to build it; without the option: no /ui/', async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-console-empty-'));
  const app = express();
  app.use('/ui', consoleHandler({ assetsDir: empty }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const api = await startTestApiServer();
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/ui/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build');
    expect((await fetch(`${api.url}/ui/`)).status).toBe(404);
  } finally {
    server.close();
    await api.stop();
    fs.rmSync(empty, { recursive: true, force: true });
  }
});
