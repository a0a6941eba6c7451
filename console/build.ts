// Bundles the browser console (console/web/main.tsx and everything it imports, preact and the shared
// lib/api modules included) into dist/console/web/: app.js, app.css and index.html (boot.js inlined), with
// esbuild. No CDN: these three files are all the browser loads (each also brotli- and gzip-compressed).
// `npm run build` runs this after tsc (node dist/console/build.js); tests call buildConsole() so they
// never serve a stale bundle.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { consoleAssetsDir, consoleSourceDir } from './paths';

export interface BuildConsoleOptions {
  /** Default: dist/console/web under the package root. */
  outDir?: string;
  /** Default true; false keeps names readable when debugging. */
  minify?: boolean;
}

export interface BuiltConsole {
  outDir: string;
  /** File name → size in bytes. */
  files: Record<string, number>;
}

export async function buildConsole(o: BuildConsoleOptions = {}): Promise<BuiltConsole> {
  // esbuild is a build-time (dev) dependency: loaded only here, never by the apiserver that serves the bundle.
  const esbuild = await import('esbuild');
  const src = consoleSourceDir();
  const outDir = o.outDir ?? consoleAssetsDir();
  fs.mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: { app: path.join(src, 'main.tsx'), boot: path.join(src, 'boot.ts') },
    outdir: outDir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    // Browsers with CSS light-dark() (2024 on), so the themes need no rewriting.
    target: ['chrome123', 'firefox120', 'safari17.5'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: o.minify ?? true,
    sourcemap: 'linked',
    legalComments: 'linked',
    tsconfig: path.join(src, 'tsconfig.json'),
    logLevel: 'silent',
  });
  // The page names each asset with its content hash, so a browser never runs a stale app.js.
  const hash = (f: string) => createHash('sha256').update(fs.readFileSync(path.join(outDir, f))).digest('hex').slice(0, 12);
  // boot.js goes inside index.html: its requests for the first view's lists leave while the page is
  // parsed, without a round trip for a script first (handler.ts allows it by its hash in the CSP).
  const boot = inlineScript(fs.readFileSync(path.join(outDir, 'boot.js'), 'utf8'));
  const html = fs
    .readFileSync(path.join(src, 'index.html'), 'utf8')
    .replace('app.css', `app.css?v=${hash('app.css')}`)
    .replace('app.js', `app.js?v=${hash('app.js')}`)
    .replace('<script src="boot.js"></script>', () => `<script>${boot}</script>`);
  if (!html.includes(boot)) throw new Error('index.html has no <script src="boot.js"></script> to inline');
  fs.writeFileSync(path.join(outDir, 'index.html'), html);
  // Compressed once here, at the highest levels, so the server never compresses per request
  // (console/handler.ts serves these to browsers that accept them).
  for (const f of ['index.html', 'app.js', 'boot.js', 'app.css']) {
    const body = fs.readFileSync(path.join(outDir, f));
    fs.writeFileSync(path.join(outDir, `${f}.br`), zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } }));
    fs.writeFileSync(path.join(outDir, `${f}.gz`), zlib.gzipSync(body, { level: 9 }));
  }
  const files: Record<string, number> = {};
  for (const f of fs.readdirSync(outDir)) files[f] = fs.statSync(path.join(outDir, f)).size;
  return { outDir, files };
}

/**
 * A bundle as the body of an inline <script>: without its source-map comment (a relative URL would
 * resolve against the page), and refused if it holds what would end the element early.
 */
function inlineScript(js: string): string {
  const body = js.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '').trim();
  if (/<\/script|<!--/i.test(body)) throw new Error('boot.js holds "</script" or "<!--": it cannot be inlined');
  return body;
}

if (require.main === module) {
  buildConsole()
    .then((b) => {
      const list = Object.entries(b.files).map(([f, n]) => `${f} ${(n / 1024).toFixed(1)} KiB`).join(', ');
      process.stdout.write(`console bundle in ${path.relative(process.cwd(), b.outDir) || b.outDir}: ${list}\n`);
    })
    .catch((err: Error) => {
      process.stderr.write(`console build failed: ${err.message}\n`);
      process.exit(1);
    });
}
