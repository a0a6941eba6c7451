// The console's files at /ui/: served to anyone (they hold no data) even where the API itself needs a
// token, with a same-origin Content-Security-Policy; nothing but the bundle's own files can be named.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { consoleHandler } from '../../console';
import { ensureConsoleBuilt } from '../helpers/console-cluster';
import { startTestApiServer } from '../helpers/apiserver';

jest.setTimeout(60_000);

test('served before authentication, with security headers; the API still needs the token', async () => {
  await ensureConsoleBuilt();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-console-'));
  const tokenFile = path.join(dir, 'tokens.csv');
  fs.writeFileSync(tokenFile, 'tok,alice,1\n');
  const api = await startTestApiServer({ console: true, tokenFile, token: 'tok' });
  try {
    const index = await fetch(`${api.url}/ui/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(index.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await index.text();
    const js = /src="(app\.js\?v=[0-9a-f]+)"/.exec(html)?.[1];
    expect(js).toBeDefined();
    const app = await fetch(`${api.url}/ui/${js}`);
    expect(app.status).toBe(200);
    expect(app.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await app.text()).length).toBeGreaterThan(10_000);
    const again = await fetch(`${api.url}/ui/app.js`, { headers: { 'If-None-Match': app.headers.get('etag')! } });
    expect(again.status).toBe(304);

    const bare = await fetch(`${api.url}/ui`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/ui/');
    // (/ui/../x is normalized by the client to /x, which is the API's, not the console's.)
    expect((await fetch(`${api.url}/ui/%2e%2e%2fpackage.json`)).status).toBe(404);
    expect((await fetch(`${api.url}/ui/nope.js`)).status).toBe(404);
    expect((await fetch(`${api.url}/ui/`, { method: 'POST' })).status).toBe(405);

    // The API behind it: no token, no data.
    expect((await fetch(`${api.url}/api/v1/pods`)).status).toBe(401);
    expect((await fetch(`${api.url}/api/v1/pods`, { headers: { Authorization: 'Bearer tok' } })).status).toBe(200);
  } finally {
    await api.stop();
    fs.rmSync(dir, { recursive: true, force: true });
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
