// The etcd storage benchmark (issue 15). One etcd member from Debian's etcd-server (or three), and two
// `steer apiserver` child processes measured side by side in the same run: one on LevelDB, one with
// --storage etcd; next to them the raw etcd transaction — the same compare-and-put Txn the etcd storage
// sends, of the same object as the etcd apiserver stores it, from this process over gRPC, at the same
// rate — which is the floor the etcd apiserver stands on; and between the two, the one-Txn HTTP service
// (etcd-proxy-child.ts: an HTTP request in, the same Txn, the body back, nothing else), the floor of any
// HTTP service on etcd on this machine, which shows what one more process and an HTTP hop cost here:
//   1. create and update (PUT) p50/p99 at a fixed, open-loop 500 requests/s (goal: etcd p99 <= 1.5x the
//      raw Txn p99), the four taking turns of one second so that a machine other jobs load treats them
//      alike, and the CPU time and garbage-collection pauses each request costs the servers;
//   2. LIST of 10,000 pods, median wall time and server CPU time (goal: etcd <= 1.2x LevelDB);
//   3. watch fan-out: 1,000 watchers each receive all of 1,000 writes, none missed, in order.
//
// Every phase says on stderr what it does and how far it got; a phase that takes longer than
// --phase-timeout fails with what it was waiting for. The etcd member(s), the apiservers and the temporary
// directory are removed however the run ends (done, error, SIGINT, SIGTERM).
//
// Usage: npm run build && node dist/bench/etcd.js [--rate 500] [--seconds 6] [--pods 10000]
//        [--list-runs 7] [--watchers 1000] [--writes 1000] [--members 1] [--only latency,list,fanout]
//        [--phase-timeout 600] [--etcd-node-flags '--max-semi-space-size=32 ...' (the etcd apiserver's and
//        the one-Txn service's Node flags instead of etcdApiserverNodeFlags, to compare flags; '' for none)]
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EtcdClient, etcdApiserverNodeFlags } from '../apiserver';
import { startEtcd, stopEtcd } from '../cli/cluster';
import { agent, cm, cpuMs, fixedRate, freePort, ok, openWatchers, pct, pod, ROOT, startChild, withConcurrency } from './load';

interface Options {
  rate: number;
  seconds: number;
  pods: number;
  listRuns: number;
  watchers: number;
  writes: number;
  members: number;
  /** Seconds a phase may take before the run fails (it says what it was waiting for). */
  phaseTimeout: number;
  only?: string[];
  /** Node/V8 flags of the etcd apiserver (space-separated) instead of etcdApiserverNodeFlags: to compare flags. */
  etcdNodeFlags?: string[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { rate: 500, seconds: 6, pods: 10_000, listRuns: 7, watchers: 1000, writes: 1000, members: 1, phaseTimeout: 600 };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const val = argv[++i];
    if (key === 'only') o.only = val.split(',');
    else if (key === 'etcdNodeFlags') o.etcdNodeFlags = val.split(/\s+/).filter(Boolean);
    else if (key in o && Number.isFinite(Number(val))) (o as unknown as Record<string, number>)[key] = Number(val);
    else throw new Error(`unknown option or bad value: ${argv[i - 1]} ${String(val)}`);
  }
  if (o.members !== 1 && o.members !== 3) throw new Error('--members must be 1 or 3');
  return o;
}

interface Row {
  what: string;
  level?: string;
  etcd?: string;
  /** The one-Txn HTTP service (etcd-proxy-child.ts): the floor of any HTTP service on etcd here. */
  proxy?: string;
  raw?: string;
  ratio?: string;
  goal?: string;
}
const rows: Row[] = [];
const ms = (n: number) => `${n.toFixed(2)} ms`;
const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
/** met / MISSED for a ratio against its goal. */
const verdict = (ratio: number, goal: number) => `${ratio <= goal ? 'met' : 'MISSED'} (goal <= ${goal}x)`;

const startedAt = performance.now();
/** A progress line on stderr, with the seconds since the start. */
function step(msg: string): void {
  process.stderr.write(`[${((performance.now() - startedAt) / 1000).toFixed(1).padStart(6)} s] ${msg}\n`);
}

/** Runs one phase under a deadline: past it, the run fails saying what the phase was waiting for. */
async function phase<T>(name: string, limitS: number, waitingFor: () => string, run: () => Promise<T>): Promise<T> {
  step(`${name}...`);
  const t0 = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not finish within ${limitS} s (${waitingFor()})`)), limitS * 1000);
  });
  try {
    return await Promise.race([run(), deadline]);
  } finally {
    clearTimeout(timer);
    step(`${name} took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}

/** What the running phase is doing or waiting for: shown when it overruns its deadline or is interrupted. */
let status = 'starting';
/** Set once the measuring is over (done, failed or interrupted): apiservers exiting then are expected. */
let finished = false;

type Latency = Awaited<ReturnType<typeof fixedRate>>;

function latencyRows(what: string, level: Latency, etcd: Latency, proxy: Latency, raw: Latency): void {
  rows.push({ what: `${what} p50`, level: ms(level.p50), etcd: ms(etcd.p50), proxy: ms(proxy.p50), raw: ms(raw.p50), ratio: `${x(etcd.p50, raw.p50)} raw; HTTP+Txn ${x(proxy.p50, raw.p50)}` });
  rows.push({ what: `${what} p99`, level: ms(level.p99), etcd: ms(etcd.p99), proxy: ms(proxy.p99), raw: ms(raw.p99), ratio: `${x(etcd.p99, raw.p99)} raw; HTTP+Txn ${x(proxy.p99, raw.p99)}`, goal: `etcd p99 vs raw: ${verdict(etcd.p99 / raw.p99, 1.5)}` });
  const errors = level.errors + etcd.errors + proxy.errors + raw.errors;
  if (errors) rows.push({ what: `${what} errors`, level: String(level.errors), etcd: String(etcd.errors), proxy: String(proxy.errors), raw: String(raw.errors), goal: 'none' });
}

/**
 * CPU time (user + system, every thread) a process has used so far, in ms: what a request costs the
 * server, which other load on the machine hardly changes, unlike its latency.
 */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks, USER_HZ = 100
}

interface Subject {
  name: string;
  /** Sends request i. */
  send: (i: number) => Promise<void>;
  /** The process whose CPU time per request is reported. */
  pid?: number;
  /** The apiserver's URL: its garbage-collection time per request is reported (from its /metrics). */
  api?: string;
  /** A counter read before and after each turn (the etcd member's Txns): its increase per request is reported. */
  counter?: () => Promise<number>;
}

interface Measured extends Latency {
  cpuPerRequest: number;
  /** ms of minor (scavenge) and of other GC pauses per request (NaN without an apiserver). */
  minorGcPerRequest: number;
  otherGcPerRequest: number;
  /** The counter's increase per request (NaN without a counter). */
  countPerRequest: number;
  /** Mean latency (ms), and how many requests took over 5 ms. */
  mean: number;
  over5ms: number;
}

/**
 * Txns an etcd member has handled so far (its /metrics, every result code): how many Txns each write of
 * the etcd apiserver costs — 1 unless writes were sent again after a stall or a lost answer.
 */
async function memberTxns(clientUrl: string): Promise<number> {
  const text = await ok(clientUrl, 'GET', '/metrics', undefined);
  let n = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('grpc_server_handled_total{') && line.includes('grpc_method="Txn"')) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return n;
}

/**
 * Seconds an apiserver has spent in garbage collection so far, minor (scavenges) and the rest (mark-compact,
 * incremental marking, weak callbacks): prom-client's nodejs_gc_duration_seconds on its /metrics. What
 * a request allocates shows here whatever other jobs load the machine, unlike latency.
 */
async function gcSeconds(api: string): Promise<{ minor: number; other: number }> {
  const text = await ok(api, 'GET', '/metrics', undefined);
  const gc = { minor: 0, other: 0 };
  for (const line of text.split('\n')) {
    const m = /^nodejs_gc_duration_seconds_sum\{kind="(\w+)"\} (\S+)$/.exec(line);
    if (m) gc[m[1] === 'minor' ? 'minor' : 'other'] += Number(m[2]);
  }
  return gc;
}

/** The etcd apiserver's own view of its writes' etcd Txns (etcd_request_duration_seconds of ConfigMaps). */
interface TxnView {
  count: number;
  sum: number;
  /** Txns longer than 5 ms (the histogram's 5 ms bucket). */
  over5ms: number;
}

async function txnView(api: string, operation: string): Promise<TxnView> {
  const text = await ok(api, 'GET', '/metrics', undefined);
  const labels = `operation="${operation}",group="",resource="configmaps"`;
  const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  const count = num(new RegExp(`^etcd_request_duration_seconds_count\\{${labels}\\} (\\S+)$`, 'm'));
  return {
    count,
    sum: num(new RegExp(`^etcd_request_duration_seconds_sum\\{${labels}\\} (\\S+)$`, 'm')),
    over5ms: count - num(new RegExp(`^etcd_request_duration_seconds_bucket\\{le="0\\.005",${labels}\\} (\\S+)$`, 'm')),
  };
}

/**
 * The subjects take turns of one second at the rate, `seconds` turns each, so that on a machine other
 * jobs load, each sees the same conditions; each turn's requests are answered before the next starts.
 */
async function interleaved(what: string, rate: number, seconds: number, subjects: Subject[]): Promise<Measured[]> {
  const samples = subjects.map(() => [] as number[]);
  const errors = subjects.map(() => 0);
  const cpu = subjects.map(() => 0);
  const counted = subjects.map(() => 0);
  const gc = subjects.map(() => ({ minor: 0, other: 0 }));
  for (let turn = 0; turn < seconds; turn++) {
    for (const [k, s] of subjects.entries()) {
      status = `${what}: turn ${turn + 1}/${seconds} of ${s.name}`;
      // Read before the CPU time is: the scrape's own CPU is not counted.
      const gc0 = s.api ? await gcSeconds(s.api) : undefined;
      const c0 = processCpuMs(s.pid);
      const n0 = s.counter ? await s.counter() : 0;
      const send = async (i: number) => {
        try {
          await s.send(turn * rate + i);
        } catch (err) {
          // The first error of each subject is shown: an error count alone does not say what went wrong.
          if (!errors[k]++) step(`  ${what}: ${s.name} request failed: ${(err as Error).message.slice(0, 300)}`);
          throw err;
        }
      };
      await fixedRate(rate, 1, send, samples[k]);
      cpu[k] += processCpuMs(s.pid) - c0;
      if (s.api && gc0) {
        const gc1 = await gcSeconds(s.api);
        gc[k].minor += gc1.minor - gc0.minor;
        gc[k].other += gc1.other - gc0.other;
      }
      if (s.counter) counted[k] += (await s.counter()) - n0;
    }
    step(`  ${what}: turn ${turn + 1}/${seconds} done`);
  }
  return subjects.map((s, k) => {
    const lat = samples[k].sort((a, b) => a - b);
    const requests = rate * seconds;
    return { mean: lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length), over5ms: lat.filter((t) => t > 5).length, p50: pct(lat, 50), p99: pct(lat, 99), max: lat[lat.length - 1], errors: errors[k], achieved: rate, cpuPerRequest: cpu[k] / requests, minorGcPerRequest: s.api ? (gc[k].minor * 1000) / requests : NaN, otherGcPerRequest: s.api ? (gc[k].other * 1000) / requests : NaN, countPerRequest: s.counter ? counted[k] / requests : NaN };
  });
}

/** Runs the write path a while before it is timed, so that V8 has compiled it in every process alike. */
async function warmUp(level: string, etcd: string, proxy: string, raw: EtcdClient): Promise<void> {
  const items = Array.from({ length: 1000 }, (_, i) => i);
  for (const [label, api] of [['LevelDB', level], ['etcd', etcd], ['the one-Txn HTTP service', proxy]] as const) {
    status = `warm-up: creating 1,000 ConfigMaps on ${label}`;
    await withConcurrency(8, items, async (i) => void (await ok(api, 'POST', '/api/v1/namespaces/default/configmaps', cm(`warm-${i}`, 0))));
    status = `warm-up: updating 1,000 ConfigMaps on ${label}`;
    await withConcurrency(8, items, async (i) => void (await ok(api, 'PUT', `/api/v1/namespaces/default/configmaps/warm-${i}`, cm(`warm-${i}`, 1))));
    step(`  warm-up on ${label} done`);
  }
  status = 'warm-up: 1,000 raw puts';
  await withConcurrency(8, items, async (i) => void (await raw.put({ key: Buffer.from(`/bench/warm/${i}`), value: Buffer.from(cm(`warm-${i}`, 0)) })));
}

async function latencyBench(level: string, etcd: string, proxy: string, raw: EtcdClient, pids: { level?: number; etcd?: number; proxy?: number; member?: number }, memberUrl: string, o: Options): Promise<void> {
  await warmUp(level, etcd, proxy, raw);
  const ns = '/api/v1/namespaces/default/configmaps';
  const n = Math.round(o.rate * o.seconds);
  const key = (i: number) => Buffer.from(`/bench/raw/lat-${i}`);
  const revs: number[] = [];
  // The raw Txns write the object as the etcd apiserver stores it (uid, creationTimestamp, managedFields
  // and all: the same size), read back from etcd after the warm-up; only its name and data change.
  const template = (await raw.range({ key: Buffer.from('/registry/configmaps/default/warm-0') })).kvs[0]?.value;
  if (!template) throw new Error('the etcd apiserver stored no /registry/configmaps/default/warm-0');
  const stored = JSON.parse(Buffer.from(template).toString('utf8')) as { metadata: { name: string }; data: Record<string, string> };
  const value = (i: number, v: number) => {
    stored.metadata.name = `lat-${i}`;
    stored.data.v = String(v);
    return Buffer.from(JSON.stringify(stored));
  };
  // The storage's create, Txn(create_revision == 0 ? Put : Range), and update, Txn(mod_revision ==
  // expected ? Put : Range), with the object's JSON.
  const rawCreate = async (i: number) => {
    const k = key(i);
    const r = await raw.txn({ compare: [{ key: k, target: 'CREATE', result: 'EQUAL', create_revision: 0 }], success: [{ request_put: { key: k, value: value(i, 0) } }], failure: [{ request_range: { key: k } }] });
    if (!r.succeeded) throw new Error('raw create lost');
    revs[i] = Number(r.header?.revision);
  };
  const rawUpdate = async (i: number) => {
    const k = key(i % n);
    const r = await raw.txn({ compare: [{ key: k, target: 'MOD', result: 'EQUAL', mod_revision: revs[i % n] }], success: [{ request_put: { key: k, value: value(i % n, 1) } }], failure: [{ request_range: { key: k } }] });
    if (!r.succeeded) throw new Error('raw update lost');
    revs[i % n] = Number(r.header?.revision);
  };
  const write = (api: string, method: string) => async (i: number) =>
    void (method === 'POST' ? await ok(api, 'POST', ns, cm(`lat-${i}`, 0)) : await ok(api, 'PUT', `${ns}/lat-${i % n}`, cm(`lat-${i % n}`, 1)));
  for (const [what, method, rawSend] of [['create', 'POST', rawCreate], ['update (PUT)', 'PUT', rawUpdate]] as const) {
    const operation = method === 'POST' ? 'create' : 'update';
    const txn0 = await txnView(etcd, operation);
    const [l, e, p, r] = await interleaved(what, o.rate, o.seconds, [
      { name: 'LevelDB', send: write(level, method), pid: pids.level, api: level },
      { name: 'etcd', send: write(etcd, method), pid: pids.etcd, api: etcd, counter: () => memberTxns(memberUrl) },
      { name: 'HTTP+Txn', send: write(proxy, method), pid: pids.proxy, counter: () => memberTxns(memberUrl) },
      { name: 'raw Txn', send: rawSend, pid: pids.member, counter: () => memberTxns(memberUrl) },
    ]);
    latencyRows(`${what} @${o.rate}/s`, l, e, p, r);
    rows.push({ what: `  etcd Txns per ${what.split(' ')[0]} (sent again after a stall or a lost answer: > 1)`, etcd: e.countPerRequest.toFixed(3), proxy: p.countPerRequest.toFixed(3), raw: r.countPerRequest.toFixed(3), goal: '1' });
    // Where the etcd apiserver's time goes: its Txns as it timed them (etcd_request_duration_seconds,
    // answer handling in its event loop included) next to the raw Txn timed here.
    const txn1 = await txnView(etcd, operation);
    const txns = txn1.count - txn0.count;
    if (txns > 0) {
      const overRaw = r.over5ms / (o.rate * o.seconds);
      rows.push({ what: `  the etcd apiserver's own Txns: mean; share over 5 ms`, etcd: `${(((txn1.sum - txn0.sum) / txns) * 1000).toFixed(2)} ms; ${(((txn1.over5ms - txn0.over5ms) / txns) * 100).toFixed(1)} %`, raw: `${ms(r.mean)}; ${(overRaw * 100).toFixed(1)} %` });
    }
    rows.push({ what: `  CPU per ${what.split(' ')[0]}: servers; etcd member for the raw Txn`, level: ms(l.cpuPerRequest), etcd: ms(e.cpuPerRequest), proxy: ms(p.cpuPerRequest), raw: ms(r.cpuPerRequest), ratio: `${x(e.cpuPerRequest, l.cpuPerRequest)} LevelDB` });
    const us = (n: number) => `${(n * 1000).toFixed(0)} us`;
    // No ratio against a LevelDB apiserver that spent no time in that kind of GC.
    const vs = (a: number, b: number) => (b > 0 ? `${x(a, b)} LevelDB` : undefined);
    rows.push({ what: `  GC pauses per ${what.split(' ')[0]}, minor (scavenge)`, level: us(l.minorGcPerRequest), etcd: us(e.minorGcPerRequest), ratio: vs(e.minorGcPerRequest, l.minorGcPerRequest) });
    rows.push({ what: `  GC pauses per ${what.split(' ')[0]}, major and incremental`, level: us(l.otherGcPerRequest), etcd: us(e.otherGcPerRequest), ratio: vs(e.otherGcPerRequest, l.otherGcPerRequest) });
  }
  // What the flags and the replica cost in memory: each server's resident set after the writes.
  const rss = (pid: number | undefined) => {
    const m = pid === undefined ? null : /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? `${(Number(m[1]) / 1024).toFixed(1)} MiB` : '?';
  };
  rows.push({ what: '  RSS of each server after the writes', level: rss(pids.level), etcd: rss(pids.etcd), proxy: rss(pids.proxy) });
  const [lg, eg, rg] = await interleaved('get', o.rate, o.seconds, [
    { name: 'LevelDB', send: async (i) => void (await ok(level, 'GET', `${ns}/lat-${i % n}`)) },
    { name: 'etcd', send: async (i) => void (await ok(etcd, 'GET', `${ns}/lat-${i % n}`)) },
    { name: 'raw Range', send: async (i) => void (await raw.range({ key: key(i % n) })) },
  ]);
  rows.push({ what: `get (consistent) @${o.rate}/s p50`, level: ms(lg.p50), etcd: ms(eg.p50), raw: ms(rg.p50), ratio: `${x(eg.p50, rg.p50)} raw` });
  rows.push({ what: `get (consistent) @${o.rate}/s p99`, level: ms(lg.p99), etcd: ms(eg.p99), raw: ms(rg.p99), ratio: `${x(eg.p99, rg.p99)} raw` });
}

async function listBench(level: { url: string; pid?: number }, etcd: { url: string; pid?: number }, o: Options): Promise<void> {
  const names = Array.from({ length: o.pods }, (_, i) => `pod-${String(i).padStart(5, '0')}`);
  for (const [label, api] of [['LevelDB', level.url], ['etcd', etcd.url]] as const) {
    await ok(api, 'POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'bench' } }));
    const t0 = performance.now();
    let created = 0;
    await withConcurrency(32, names, async (name) => {
      await ok(api, 'POST', '/api/v1/namespaces/bench/pods', pod(name));
      status = `seeding ${label}: ${++created}/${o.pods} pods created`;
      if (created % 2000 === 0) step(`  ${status}`);
    });
    step(`  ${label}: created ${o.pods} pods at ${(o.pods / ((performance.now() - t0) / 1000)).toFixed(0)}/s`);
  }
  const times = { level: [] as number[], etcd: [] as number[] };
  const cpu = { level: [] as number[], etcd: [] as number[] };
  const timeList = async (api: { url: string; pid?: number }, t: number[], c: number[]) => {
    const c0 = cpuMs(api.pid);
    const s = performance.now();
    const parsed = JSON.parse(await ok(api.url, 'GET', '/api/v1/namespaces/bench/pods')) as { items: unknown[] };
    t.push(performance.now() - s);
    const c1 = cpuMs(api.pid);
    if (c0 !== undefined && c1 !== undefined) c.push(c1 - c0);
    if (parsed.items.length !== o.pods) throw new Error(`LIST returned ${parsed.items.length} pods`);
  };
  // Alternating, so that both see the same load on a shared machine.
  for (let i = 0; i < o.listRuns; i++) {
    status = `LIST run ${i + 1}/${o.listRuns} on LevelDB`;
    await timeList(level, times.level, cpu.level);
    status = `LIST run ${i + 1}/${o.listRuns} on etcd`;
    await timeList(etcd, times.etcd, cpu.etcd);
  }
  for (const t of [times.level, times.etcd, cpu.level, cpu.etcd]) t.sort((a, b) => a - b);
  const [l, e] = [pct(times.level, 50), pct(times.etcd, 50)];
  rows.push({ what: `LIST ${o.pods} pods (median of ${o.listRuns})`, level: ms(l), etcd: ms(e), ratio: `${x(e, l)} LevelDB`, goal: `etcd vs LevelDB: ${verdict(e / l, 1.2)}` });
  if (cpu.level.length && cpu.etcd.length) {
    rows.push({ what: '  server CPU time per LIST (median)', level: ms(pct(cpu.level, 50)), etcd: ms(pct(cpu.etcd, 50)), ratio: `${x(pct(cpu.etcd, 50), pct(cpu.level, 50))} LevelDB` });
  }
}

async function fanout(label: string, api: string, o: Options): Promise<{ total: number; writes: number }> {
  await ok(api, 'POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'fan' } }));
  const rv = (JSON.parse(await ok(api, 'GET', '/api/v1/namespaces/fan/configmaps')) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const checkOrder = (lines: string[]) => {
    const revs = lines.map((l) => Number((JSON.parse(l) as { object: { metadata: { resourceVersion: string } } }).object.metadata.resourceVersion));
    if (new Set(lines.map((l) => (JSON.parse(l) as { object: { metadata: { name: string } } }).object.metadata.name)).size !== o.writes) throw new Error('watcher 0 missed objects');
    for (let i = 1; i < revs.length; i++) if (revs[i] <= revs[i - 1]) throw new Error('events out of order');
  };
  const w = await openWatchers(api, `/api/v1/namespaces/fan/configmaps?watch=true&resourceVersion=${rv}`, o.watchers, o.writes, checkOrder);
  try {
    const p = () => w.progress();
    status = `fan-out on ${label}: connecting watchers (${p().connected}/${o.watchers})`;
    const ticker = setInterval(() => (status = `fan-out on ${label}: ${p().connected}/${o.watchers} watchers connected, ${p().finished} have every event`), 1000);
    try {
      await w.ready;
      step(`  ${label}: ${o.watchers} watchers connected`);
      const items = Array.from({ length: o.writes }, (_, i) => i);
      const t0 = performance.now();
      await withConcurrency(16, items, async (i) => void (await ok(api, 'POST', '/api/v1/namespaces/fan/configmaps', cm(`fan-${i}`, i))));
      const writes = performance.now() - t0;
      step(`  ${label}: ${o.writes} writes done in ${writes.toFixed(0)} ms; waiting for every watcher to see them`);
      const doneAt = await w.done;
      return { total: Math.max(...doneAt) - t0, writes };
    } finally {
      clearInterval(ticker);
    }
  } finally {
    w.close();
  }
}

async function fanoutBench(level: string, etcd: string, o: Options): Promise<void> {
  const l = await fanout('LevelDB', level, o);
  const e = await fanout('etcd', etcd, o);
  rows.push({ what: `watch fan-out: ${o.watchers} watchers x ${o.writes} writes, all delivered`, level: ms(l.total), etcd: ms(e.total), ratio: `${x(e.total, l.total)} LevelDB`, goal: 'every event to every watcher, in order: met' });
  rows.push({ what: '  (the writes alone, 16 in flight)', level: ms(l.writes), etcd: ms(e.writes), ratio: `${x(e.writes, l.writes)} LevelDB` });
  rows.push({ what: '  events delivered per second', level: `${((o.watchers * o.writes) / (l.total / 1000)).toFixed(0)} /s`, etcd: `${((o.watchers * o.writes) / (e.total / 1000)).toFixed(0)} /s`, ratio: `${x(l.total, e.total)} LevelDB` });
}

function printRows(): void {
  const cols: Array<keyof Row> = ['what', 'level', 'etcd', 'proxy', 'raw', 'ratio', 'goal'];
  const head: Row = { what: 'measure', level: 'LevelDB', etcd: 'etcd', proxy: 'HTTP+Txn', raw: 'raw etcd Txn', ratio: 'etcd vs', goal: 'goal' };
  const all = [head, ...rows];
  const width = cols.map((c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  for (const r of all) console.log(cols.map((c, i) => (r[c] ?? '').padEnd(width[i])).join('  ').trimEnd());
}

const loadavg = () => `${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (${os.cpus().length} CPUs)`;

/**
 * What this run started, and how to remove it: the apiservers, the etcd member(s) (detached, so they
 * outlive this process unless stopped) and the temporary directory. Safe to call more than once.
 */
class Resources {
  readonly children: ChildProcess[] = [];
  raw: EtcdClient | undefined;
  private cleaning: Promise<void> | undefined;

  constructor(readonly dir: string) {}

  cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      agent.destroy();
      this.raw?.close();
      // Members recorded in members.json are stopped by PID (SIGTERM, then SIGKILL after 5 s).
      const stopped = await stopEtcd(path.join(this.dir, 'etcd'), 5_000).catch((err: Error) => {
        step(`stopping etcd failed: ${err.message}`);
        return [];
      });
      if (stopped.length) step(`etcd member(s) ${stopped.join(', ')} stopped`);
      fs.rmSync(this.dir, { recursive: true, force: true });
      step(`removed ${this.dir}`);
    })();
    return this.cleaning;
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const res = new Resources(fs.mkdtempSync(path.join(os.tmpdir(), 'steer-bench-etcd-')));
  // Interrupted (Ctrl-C, `timeout`): print what was measured, then remove everything this run started.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (finished) return;
      finished = true;
      step(`${sig} while: ${status}; cleaning up`);
      printRows();
      void res.cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    });
  }
  try {
    await run(o, res);
  } finally {
    await res.cleanup();
  }
}

async function run(o: Options, res: Resources): Promise<void> {
  const ports: Array<{ client: number; peer: number }> = [];
  for (let i = 0; i < o.members; i++) ports.push({ client: await freePort(), peer: await freePort() });
  step(`starting ${o.members} etcd member(s) under ${res.dir}`);
  status = 'etcd starting';
  const cluster = await startEtcd({ dir: path.join(res.dir, 'etcd'), members: o.members as 1 | 3, ports });
  res.raw = new EtcdClient({ endpoints: cluster.endpoints });
  const raw = res.raw;
  // Plain HTTP: what is measured is storage, not TLS (both apiservers alike).
  const steer = [path.join(ROOT, 'bin', 'steer.js'), 'apiserver', '--insecure-serving', '--listen', '127.0.0.1:0', '--watch-history', '20000'];
  step('starting the apiservers (LevelDB, etcd)');
  status = 'apiservers starting';
  // What docker-compose.ha.yml runs its apiservers with, unless other flags are being compared.
  const etcdFlags = o.etcdNodeFlags ?? etcdApiserverNodeFlags;
  const [level, etcd, proxy] = await Promise.all([
    startChild([...steer, '--data-dir', path.join(res.dir, 'leveldb')], /serving on (http:\/\/\S+)/),
    startChild([...etcdFlags, ...steer, '--storage', 'etcd', '--etcd-servers', cluster.endpoints.join(',')], /serving on (http:\/\/\S+)/),
    // The one-Txn HTTP service runs with the etcd apiserver's flags: what differs is the apiserver's work.
    startChild([...etcdFlags, path.join(__dirname, 'etcd-proxy-child.js'), cluster.endpoints.join(',')], /serving on (http:\/\/\S+)/),
  ]);
  res.children.push(level.child, etcd.child, proxy.child);
  for (const [label, c] of [['LevelDB', level.child], ['etcd', etcd.child]] as const) {
    c.on('exit', (code, signal) => {
      if (!finished) step(`the ${label} apiserver exited (${signal ?? `code ${String(code)}`}) during: ${status}`);
    });
  }
  console.log(`load average at the start: ${loadavg()}`);
  console.log(`etcd ${o.members === 1 ? '1 member' : '3 members'} (${cluster.endpoints.join(',')}); steer apiserver on LevelDB at ${level.url}, on etcd at ${etcd.url} (node flags: ${etcdFlags.join(' ') || 'none'}); the one-Txn HTTP service at ${proxy.url}; raw Txns from this process`);
  const part = (name: string) => !o.only || o.only.includes(name);
  const waiting = () => status;
  try {
    if (part('latency')) {
      await phase('latency at a fixed rate', o.phaseTimeout, waiting, () => latencyBench(level.url, etcd.url, proxy.url, raw, { level: level.child.pid, etcd: etcd.child.pid, proxy: proxy.child.pid, member: cluster.members[0].pid }, cluster.endpoints[0], o));
    }
    if (part('list')) {
      await phase(`LIST of ${o.pods} pods`, o.phaseTimeout, waiting, () => listBench({ url: level.url, pid: level.child.pid }, { url: etcd.url, pid: etcd.child.pid }, o));
    }
    if (part('fanout')) {
      await phase(`watch fan-out ${o.watchers} x ${o.writes}`, o.phaseTimeout, waiting, () => fanoutBench(level.url, etcd.url, o));
    }
  } finally {
    finished = true;
    printRows();
    // Latency at a fixed rate means little on a machine other jobs load: say how loaded it was.
    console.log(`load average at the end: ${loadavg()}`);
  }
}
main().then(
  () => process.exit(0),
  (err: Error) => {
    step(`failed: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
