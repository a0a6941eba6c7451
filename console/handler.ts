// Serves the console's bundle (index.html with boot.js inside, app.js, app.css and their source maps) at
// /ui/. The files hold no cluster data: the page asks the user for a token and then calls the API
// itself, from the browser, with that token — so this handler is mounted before authentication, and
// everything the console shows or changes goes through authentication and authorization like any
// other client.
//
// index.html, app.js and app.css are sent compressed (brotli or gzip, compressed once by the build) to
// browsers that accept it, and — asked for by their content hash (index.html names `app.js?v=HASH`) —
// cached for a year as immutable: a returning page sends one request, for index.html, revalidated by
// ETag.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { consoleAssetsDir } from './paths';

export interface ConsoleHandlerOptions {
  /** Where the built bundle is (default dist/console/web under the package root). */
  assetsDir?: string;
}

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /** The first 12 hex digits of the body's sha256, as build.ts puts in index.html's `?v=`. */
  hash: string;
  /** The build's compressed copies (app.js.br, app.js.gz), when present. */
  br?: Buffer;
  gzip?: Buffer;
  /** A page's CSP, allowing its inline scripts by their hashes. */
  csp?: string;
}

/** A year: what an asset named by its content hash may be cached for. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Same-origin only: scripts, styles and API calls from this server, no framing, and no inline script
 * but the page's own (boot.js, inlined by the build), allowed by its hash (`scriptHashes`).
 */
function contentSecurityPolicy(scriptHashes: readonly string[] = []): string {
  const scripts = ["'self'", ...scriptHashes.map((h) => `'sha256-${h}'`)].join(' ');
  return `default-src 'none'; script-src ${scripts}; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

/** The sha256 (base64) of each inline <script> of a page, as a CSP names them. */
function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => createHash('sha256').update(m[1], 'utf8').digest('base64'));
}

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': contentSecurityPolicy(),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-cache',
};

/** The codings an Accept-Encoding header allows (a q=0 refuses one). */
function acceptedEncodings(header: string | string[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const part of String(header ?? '').split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((x) => x.trim()).find((x) => x.startsWith('q='));
    if (coding && !(q && Number(q.slice(2)) === 0)) out.add(coding);
  }
  return out;
}

/** Express middleware for the /ui mount: `app.use('/ui', consoleHandler())`. */
export function consoleHandler(o: ConsoleHandlerOptions = {}) {
  const dir = o.assetsDir ?? consoleAssetsDir();
  // Read on demand and kept: a few hundred KiB; a rebuilt bundle (tests) is picked up by its mtime.
  const cache = new Map<string, { mtimeMs: number; asset: Asset }>();
  const load = (name: string): Asset | undefined => {
    const file = path.join(dir, name);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      return undefined;
    }
    const hit = cache.get(name);
    if (hit && hit.mtimeMs === stat.mtimeMs) return hit.asset;
    const body = fs.readFileSync(file);
    const compressed = (ext: string): Buffer | undefined => {
      try {
        const c = fs.statSync(file + ext);
        return c.mtimeMs >= stat.mtimeMs ? fs.readFileSync(file + ext) : undefined; // not a stale copy
      } catch {
        return undefined;
      }
    };
    const asset: Asset = {
      body,
      type: TYPES[path.extname(name)] ?? 'application/octet-stream',
      etag: `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`,
      hash: createHash('sha256').update(body).digest('hex').slice(0, 12),
      br: compressed('.br'),
      gzip: compressed('.gz'),
      csp: name.endsWith('.html') ? contentSecurityPolicy(inlineScriptHashes(body.toString('utf8'))) : undefined,
    };
    cache.set(name, { mtimeMs: stat.mtimeMs, asset });
    return asset;
  };

  return (req: Request, res: Response, _next: NextFunction): void => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      res.status(405).type('text/plain').end('method not allowed\n');
      return;
    }
    // /ui → /ui/, so the page's relative asset paths resolve under /ui/.
    if (req.path === '/' && !req.originalUrl.split('?')[0].endsWith('/')) {
      res.redirect(301, `${req.baseUrl}/`);
      return;
    }
    const name = req.path === '/' ? 'index.html' : req.path.slice(1);
    // Only the bundle's own flat file names: nothing outside the assets folder can be named.
    const asset = /^[A-Za-z0-9._-]+$/.test(name) && !name.startsWith('.') ? load(name) : undefined;
    if (!asset) {
      if (name === 'index.html') {
        res.status(503).type('text/plain').end('the web console is not built: run `npm run build`\n');
      } else {
        res.status(404).type('text/plain').end('not found\n');
      }
      return;
    }
    if (asset.csp) res.setHeader('Content-Security-Policy', asset.csp);
    if (req.query.v === asset.hash) res.setHeader('Cache-Control', IMMUTABLE);
    const accepted = acceptedEncodings(req.headers['accept-encoding']);
    const [encoding, body] = asset.br && accepted.has('br') ? ['br', asset.br] : asset.gzip && accepted.has('gzip') ? ['gzip', asset.gzip] : ['', asset.body];
    if (asset.br || asset.gzip) res.setHeader('Vary', 'Accept-Encoding');
    const etag = encoding ? `${asset.etag.slice(0, -1)}-${encoding}"` : asset.etag;
    res.setHeader('ETag', etag);
    if (req.headers['if-none-match'] === etag) {
      res.status(304).end();
      return;
    }
    res.status(200).setHeader('Content-Type', asset.type);
    if (encoding) res.setHeader('Content-Encoding', encoding);
    res.setHeader('Content-Length', String(body.length));
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
