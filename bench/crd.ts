// Custom resources against a built-in kind in the same run (issue 16), on one `steer apiserver` child
// process (in-memory storage): create p50/p99 at a fixed, open-loop rate (default 500/s each, interleaved) of a CronTab
// (CRD with a structural schema: pruning, defaults, validation, a CEL rule) next to a ConfigMap with the
// same data and size (goal <= 1.3x), and LIST of 10,000 of each (median of runs, goal <= 1.2x). The
// ConfigMap figures are the floor: what the same server costs for a built-in kind.
//
// A LIST costs what its bytes cost (the stored bytes are sent as they are), and a stored CronTab is
// bigger than a ConfigMap with the same data: the server adds its defaults (maxReplicas, mode), their
// managedFields entries and metadata.generation (658 vs 555 bytes, 1.19x). The floor's ConfigMaps are
// therefore padded to the CronTabs' stored size (a `pad` key, sized against samples at start); the
// bytes per item of both lists and the server's CPU time per LIST are printed beside the times.
//
// Usage: npm run build && node dist/bench/crd.js [--rate 500] [--seconds 6] [--objects 10000] [--list-runs 20]
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { startApiServerChild } from './apiserver-child';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const rate = arg('rate', 500);
const seconds = arg('seconds', 6);
const objects = arg('objects', 10_000);
const listRuns = arg('list-runs', 20);

const CRD = yaml.load(fs.readFileSync(path.join(__dirname, '..', '..', 'test', 'fixtures', 'crontab-crd.yaml'), 'utf8'));
const CTS = '/apis/stable.example.com/v1/namespaces/default/crontabs';
const CMS = '/api/v1/namespaces/default/configmaps';

const crontab = (name: string) => JSON.stringify({ apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name, labels: { app: 'bench' } }, spec: { cronSpec: '*/5 * * * *', image: 'busybox:1.35', replicas: 2 } });
const configmap = (name: string, pad = -1) => {
  const data: Record<string, string> = { cronSpec: '*/5 * * * *', image: 'busybox:1.35', replicas: '2' };
  if (pad >= 0) data.pad = 'x'.repeat(pad);
  return JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app: 'bench' } }, data });
};

async function post(base: string, p: string, body: string): Promise<void> {
  await postSize(base, p, body);
}

/** POSTs an object; resolves with the size in bytes of the answer (the stored object). */
async function postSize(base: string, p: string, body: string): Promise<number> {
  const r = await fetch(base + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const answer = await r.arrayBuffer();
  if (r.status !== 201) throw new Error(`POST ${p}: ${r.status}`);
  return answer.byteLength;
}

/**
 * The length of the `pad` value that makes a stored ConfigMap as big as a stored CronTab of the same
 * name length: measured on samples, since the pad also adds its own managedFields entry.
 */
async function padToCronTab(base: string): Promise<number> {
  const cronTab = await postSize(base, CTS, crontab('size-a'));
  const padded = await postSize(base, CMS, configmap('size-a', 0));
  for (const p of [`${CTS}/size-a`, `${CMS}/size-a`]) await (await fetch(base + p, { method: 'DELETE' })).arrayBuffer();
  // A ConfigMap already as big stays as it is.
  return padded <= cronTab ? cronTab - padded : -1;
}

/**
 * CPU time of a process so far, in ms, from /proc (Linux): the run time of all its threads in
 * nanoseconds (schedstat), else user + system time in clock ticks. Ticks are 10 ms, most of one
 * LIST's cost, so a few runs' figure from them is mostly rounding.
 */
function cpuMs(pid: number | undefined): number {
  try {
    let ns = 0;
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(fs.readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        /* a thread that has just ended */
      }
    }
    if (ns > 0) return ns / 1e6;
  } catch {
    /* no schedstat: ticks below */
  }
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks at USER_HZ 100
  } catch {
    return NaN;
  }
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

interface Latencies {
  p50: number;
  p99: number;
  errors: number;
}

/**
 * Open loop, both kinds interleaved so load and machine noise fall on both alike: request i of each
 * kind leaves at start + i/rate, alternating which goes first; each kind at `rate` per second.
 */
async function atRate(sends: Array<(i: number) => Promise<void>>): Promise<Latencies[]> {
  const total = Math.round(rate * seconds);
  const lat: number[][] = sends.map(() => []);
  const errors = sends.map(() => 0);
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    for (let k = 0; k < sends.length; k++) {
      const which = (k + i) % sends.length;
      const t0 = performance.now();
      inflight.push(sends[which](i).then(() => void lat[which].push(performance.now() - t0), () => void errors[which]++));
    }
  }
  await Promise.all(inflight);
  return lat.map((l, k) => {
    l.sort((a, b) => a - b);
    return { p50: pct(l, 50), p99: pct(l, 99), errors: errors[k] };
  });
}

async function fill(base: string, p: string, make: (n: string) => string, from: number): Promise<void> {
  let next = from;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < objects) await post(base, p, make(`obj-${next++}`));
  }));
}

interface ListRuns {
  ms: number[];
  /** The server's CPU time of each run (the median is printed: a major GC lands in one run or another). */
  cpuMs: number[];
  bytesPerItem: number;
}

async function listOnce(base: string, p: string, runs: ListRuns, serverPid: number | undefined): Promise<void> {
  const c0 = cpuMs(serverPid);
  const t0 = performance.now();
  const r = await fetch(base + p);
  const body = await r.arrayBuffer();
  runs.ms.push(performance.now() - t0);
  runs.cpuMs.push(cpuMs(serverPid) - c0);
  if (r.status !== 200 || body.byteLength < 100) throw new Error(`LIST ${p}: ${r.status}`);
  const items = (JSON.parse(Buffer.from(body).toString('utf8')) as { items: unknown[] }).items.length;
  runs.bytesPerItem = body.byteLength / items;
}

async function main(): Promise<void> {
  const { url, child } = await startApiServerChild();
  try {
    const r = await fetch(`${url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(CRD) });
    if (r.status !== 201) throw new Error(`CRD: ${r.status} ${await r.text()}`);
    // Warm up both paths.
    for (let i = 0; i < 200; i++) {
      await post(url, CTS, crontab(`warm-${i}`));
      await post(url, CMS, configmap(`warm-${i}`));
    }
    const pad = await padToCronTab(url);
    const [cr, cm] = await atRate([(i) => post(url, CTS, crontab(`rate-${i}`)), (i) => post(url, CMS, configmap(`rate-${i}`, pad))]);
    const rows: string[][] = [];
    const row = (what: string, v: number, floor: number, goal: string) => rows.push([what, v.toFixed(2), floor.toFixed(2), (v / floor).toFixed(2), goal]);
    row(`create p50 ms @${rate}/s`, cr.p50, cm.p50, '');
    row(`create p99 ms @${rate}/s`, cr.p99, cm.p99, '<= 1.3x');
    // Grow both kinds to `objects` items, then LIST each in alternation.
    const have = 200 + Math.round(rate * seconds);
    await fill(url, CTS, crontab, have);
    await fill(url, CMS, (n) => configmap(n, pad), have);
    const crList: ListRuns = { ms: [], cpuMs: [], bytesPerItem: 0 };
    const cmList: ListRuns = { ms: [], cpuMs: [], bytesPerItem: 0 };
    // ABBA order: the garbage one LIST leaves in this process (a 6 MB body parsed) is collected during
    // the next one, so a fixed order would charge it to the same kind every time.
    for (let i = 0; i < listRuns; i++) {
      const pair: Array<[string, ListRuns]> = [[CMS, cmList], [CTS, crList]];
      if (i % 2) pair.reverse();
      for (const [p, runs] of pair) await listOnce(url, p, runs, child.pid);
    }
    for (const l of [crList.ms, cmList.ms, crList.cpuMs, cmList.cpuMs]) l.sort((a, b) => a - b);
    const total = Math.max(objects, have + 200);
    row(`LIST ${total} ms (median)`, pct(crList.ms, 50), pct(cmList.ms, 50), '<= 1.2x');
    row(`LIST ${total}: server CPU ms per LIST (median)`, pct(crList.cpuMs, 50), pct(cmList.cpuMs, 50), '');
    row(`LIST ${total}: bytes per item`, crList.bytesPerItem, cmList.bytesPerItem, '');
    console.log(`custom resources (CronTab) vs the floor, ConfigMaps on the same server (padded to the CronTabs' stored size: pad ${pad} bytes); errors: create ${cr.errors}/${cm.errors}`);
    console.log(['figure', 'CronTab', 'ConfigMap (floor)', 'ratio', 'goal'].join('\t'));
    for (const r of rows) console.log(r.join('\t'));
  } finally {
    child.kill();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
