// What the node agent's volume files cost per pod start: the AtomicWriter (node-agent/volumes/
// atomic-writer.ts) writing a service-account token volume's payload (token, ca.crt, namespace: the
// projected volume every pod gets) into fresh directories, as each new pod's volume setup does on the
// event loop the whole `steer server` shares, and rewriting them with a new token (the refresh of a
// running pod). Per write, median of --rounds rounds of --count writes one after another: wall time, CPU
// (user + system; with the thread pool's) and the longest event loop stall (what the rest of the server
// waits for); then --at-once new volumes written at the same time (a 3 → 30 wave), the same for all.
// Usage: node dist/bench/volume-write.js [--count 200] [--rounds 5] [--at-once 27] [--dir /var/lib/steer-bench/volume-write]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { Payload, writeAtomically } from '../node-agent/volumes/atomic-writer';
import { percentile } from './cri-floor';

function payload(token: string): Payload {
  return {
    token: { data: token, mode: 0o644 },
    'ca.crt': { data: `-----BEGIN CERTIFICATE-----\n${'A'.repeat(1100)}\n-----END CERTIFICATE-----\n`, mode: 0o644 },
    namespace: { data: 'default', mode: 0o644 },
  };
}

/** Writes one after another (a pod's volume setup awaits its write), timed per write. */
interface Cost {
  wallMs: number;
  cpuMs: number;
  /** The longest time the event loop could run nothing else (a setImmediate chain's longest gap). */
  stallMs: number;
}

/** Times a write, or `n` of them at once; wall and CPU are per write for one, for all for `n`. */
async function timed(n: number, write: (i: number) => unknown): Promise<Cost> {
  let last = performance.now();
  let stallMs = 0;
  let tick: NodeJS.Immediate | undefined;
  const again = () => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
    tick = setImmediate(again);
  };
  tick = setImmediate(again);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  last = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => write(i)));
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  await new Promise((r) => setImmediate(r)); // the gap up to the write's end counts
  clearImmediate(tick);
  return { wallMs, cpuMs: (c.user + c.system) / 1000, stallMs };
}

async function eachTimed(n: number, write: (i: number) => unknown): Promise<Cost[]> {
  const out: Cost[] = [];
  for (let i = 0; i < n; i++) out.push(await timed(1, () => write(i)));
  return out;
}

async function main(argv: string[]): Promise<void> {
  const o = new Command('volume-write-bench')
    .option('--count <n>', 'volumes written per round', '200')
    .option('--rounds <n>', 'rounds', '5')
    .option('--at-once <n>', 'new volumes written at the same time, once per round', '27')
    .option('--dir <dir>', 'where the volumes go (the agent writes them under its state dir)', '/var/lib/steer-bench/volume-write')
    .parse(argv)
    .opts<{ count: string; rounds: string; atOnce: string; dir: string }>();
  const n = Number(o.count);
  const fresh: Cost[] = [];
  const rewrite: Cost[] = [];
  const wave: Cost[] = [];
  fs.rmSync(o.dir, { recursive: true, force: true });
  try {
    for (let r = -1; r < Number(o.rounds); r++) {
      const base = path.join(o.dir, `round-${r + 1}`);
      fs.mkdirSync(base, { recursive: true });
      const token = `eyJhbGciOiJSUzI1NiJ9.${'x'.repeat(900)}.${r}`;
      const a = await eachTimed(n, (i) => writeAtomically(path.join(base, `pod-${i}`, 'kube-api-access'), payload(token)));
      const b = await eachTimed(n, (i) => writeAtomically(path.join(base, `pod-${i}`, 'kube-api-access'), payload(`${token}-renewed`)));
      const c = await timed(Number(o.atOnce), (i) => writeAtomically(path.join(base, `wave-${i}`, 'kube-api-access'), payload(token)));
      if (r >= 0) { // round 0 warms the code and the directory cache
        fresh.push(...a);
        rewrite.push(...b);
        wave.push(c);
      }
      fs.rmSync(base, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(o.dir, { recursive: true, force: true });
  }
  const med = (xs: Cost[], k: keyof Cost) => percentile(xs.map((x) => x[k]), 50).toFixed(2);
  const row = (what: string, xs: Cost[]) => `${what.padEnd(42)} median wall ${med(xs, 'wallMs')} ms, CPU ${med(xs, 'cpuMs')} ms, longest event loop stall ${med(xs, 'stallMs')} ms`;
  console.log(row('new volume (a pod start), one at a time', fresh));
  console.log(row('rewrite with a new token (refresh), one', rewrite));
  console.log(row(`${o.atOnce} new volumes at once (a 3 → 30 wave)`, wave) + ` (rounds' wall: ${wave.map((x) => x.wallMs.toFixed(0)).join(' ')} ms)`);
  console.log(`load average: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
}

if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack || err.message : String(err)}\n`);
    process.exit(1);
  });
}
