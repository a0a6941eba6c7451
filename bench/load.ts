// What the HTTP benchmarks share: child processes that say where they listen, a keep-alive HTTP client,
// open-loop fixed-rate load with latency percentiles, bounded concurrency, per-process CPU time, many
// watch streams counting their events, and the objects the benchmarks write.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..');

/**
 * Spawns a node child and resolves with the URL its output matches `ready` with. A child that has not
 * said it is ready within timeoutMs is killed and the call fails with what it printed (a child that
 * serves and says so in another form must not hang a benchmark silently).
 */
export function startChild(args: string[], ready: RegExp, timeoutMs = 60_000): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
    let out = '';
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`child ${args.slice(0, 2).join(' ')} did not print ${String(ready)} within ${timeoutMs} ms; it printed: ${out.slice(-2000)}`));
    }, timeoutMs);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = ready.exec(out);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (settled) return;
      settled = true;
      reject(new Error(`child exited ${code}: ${out}`));
    });
  });
}

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
/** HTTPS agents by origin, each with the client certificate and CA of the server it talks to. */
export const secureAgents = new Map<string, https.Agent>();

export function request(base: string, method: string, p: string, body?: string, contentType = 'application/json', accept = 'application/json'): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(base + p);
    const headers: http.OutgoingHttpHeaders = { accept };
    if (body !== undefined) {
      headers['content-type'] = contentType;
      headers['content-length'] = Buffer.byteLength(body);
    }
    const secure = secureAgents.get(url.origin);
    const mod = secure ? https : http;
    const req = mod.request({ hostname: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, agent: secure ?? agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function ok(base: string, method: string, p: string, body?: string, ct?: string): Promise<string> {
  const r = await request(base, method, p, body, ct);
  if (r.code >= 300) throw new Error(`${method} ${p}: ${r.code} ${r.body.slice(0, 300)}`);
  return r.body;
}

/** CPU time a process has used so far, in ms (Linux's /proc/PID/schedstat; undefined elsewhere). */
export function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}

export function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Open loop: request i is sent at start + i/rate whatever happened before; latency = its response time.
 * samples, when given, also receives every latency (to pool several runs).
 */
export async function fixedRate(rate: number, seconds: number, send: (i: number) => Promise<void>, samples?: number[]): Promise<{ p50: number; p99: number; max: number; errors: number; achieved: number }> {
  const total = Math.round(rate * seconds);
  const lat: number[] = [];
  let errors = 0;
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    inflight.push(
      send(i).then(
        () => void lat.push(performance.now() - t0),
        () => void errors++,
      ),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - start) / 1000;
  samples?.push(...lat);
  lat.sort((a, b) => a - b);
  return { p50: pct(lat, 50), p99: pct(lat, 99), max: lat[lat.length - 1], errors, achieved: total / elapsed };
}

export async function withConcurrency<T>(n: number, items: T[], fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

export const cm = (name: string, v: number) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { bench: 'true' } }, data: { v: String(v), payload: 'x'.repeat(200) } });
export const pod = (name: string) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench', tier: 'web' } },
    spec: { containers: [{ name: 'web', image: '127.0.0.1:5000/nginx:1.22', ports: [{ containerPort: 80 }], resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
  });

/** Opens n watch streams; resolves when each has seen `expected` event lines. */
export function openWatchers(
  base: string,
  p: string,
  n: number,
  expected: number,
  check: (lines: string[]) => void,
): Promise<{ ready: Promise<void>; done: Promise<number[]>; close(): void; progress(): { connected: number; finished: number } }> {
  const reqs: http.ClientRequest[] = [];
  const doneAt: number[] = [];
  let readyCount = 0;
  let finished = 0;
  return new Promise((resolveSetup) => {
    let resolveReady!: () => void;
    let resolveDone!: (t: number[]) => void;
    let rejectDone!: (e: Error) => void;
    const ready = new Promise<void>((r) => (resolveReady = r));
    const done = new Promise<number[]>((r, j) => {
      resolveDone = r;
      rejectDone = j;
    });
    // Watchers connect 50 at a time: a storm of 1,000 simultaneous connects overflows the listen backlog.
    const open = (i: number) => {
      const url = new URL(base + p);
      const parseAll = i === 0;
      const req = http.get({ hostname: url.hostname, port: url.port, path: url.pathname + url.search, agent: false }, (res) => {
        if (++readyCount === n) resolveReady();
        let count = 0;
        let complete = false;
        let rest = '';
        const lines: string[] = [];
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (parseAll) {
            const parts = (rest + chunk).split('\n');
            rest = parts.pop()!;
            lines.push(...parts);
            count = lines.length;
          } else {
            for (let k = chunk.indexOf('\n'); k >= 0; k = chunk.indexOf('\n', k + 1)) count++;
          }
          if (count > expected) rejectDone(new Error(`watcher ${i} saw ${count} events, expected ${expected}`));
          if (count >= expected && !complete) {
            complete = true;
            doneAt.push(performance.now());
            if (parseAll) {
              try {
                check(lines);
              } catch (e) {
                rejectDone(e as Error);
              }
            }
            if (++finished === n) resolveDone(doneAt);
          }
        });
      });
      req.on('error', (e) => rejectDone(e));
      reqs.push(req);
      return req;
    };
    const openBatch = (from: number) => {
      const batch: Promise<void>[] = [];
      for (let i = from; i < Math.min(n, from + 50); i++) batch.push(new Promise((r) => open(i).once('response', () => r())));
      void Promise.all(batch).then(() => (from + 50 < n ? openBatch(from + 50) : undefined));
    };
    openBatch(0);
    resolveSetup({ ready, done, close: () => reqs.forEach((r) => r.destroy()), progress: () => ({ connected: readyCount, finished }) });
  });
}
