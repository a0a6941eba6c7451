// The etcd storage benchmark (issue 15). One etcd member from Debian's etcd-server (or three), and two
// `steer apiserver` child processes measured side by side in the same run: one on LevelDB, one with
// --storage etcd; next to them the raw etcd transaction — the same compare-and-put Txn the etcd storage
// sends, from this process over gRPC, at the same rate — which is the floor the etcd apiserver stands on:
//   1. create and update (PUT) p50/p99 at a fixed, open-loop 500 requests/s (goal: etcd p99 <= 1.5x the
//      raw Txn p99), the three taking turns of one second so that a machine other jobs load treats them
//      alike, and the CPU time each request costs the apiservers;
//   2. LIST of 10,000 pods, median wall time and server CPU time (goal: etcd <= 1.2x LevelDB);
//   3. watch fan-out: 1,000 watchers each receive all of 1,000 writes, none missed, in order.
//
// Usage: npm run build && node dist/bench/etcd.js [--rate 500] [--seconds 6] [--pods 10000]
//        [--list-runs 7] [--watchers 1000] [--writes 1000] [--members 1] [--only latency,list,fanout]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EtcdClient } from '../apiserver';
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
  only?: string[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { rate: 500, seconds: 6, pods: 10_000, listRuns: 7, watchers: 1000, writes: 1000, members: 1 };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const val = argv[++i];
    if (key === 'only') o.only = val.split(',');
    else if (key in o) (o as unknown as Record<string, number>)[key] = Number(val);
    else throw new Error(`unknown option ${argv[i - 1]}`);
  }
  if (o.members !== 1 && o.members !== 3) throw new Error('--members must be 1 or 3');
  return o;
}

interface Row {
  what: string;
  level?: string;
  etcd?: string;
  raw?: string;
  ratio?: string;
  goal?: string;
}
const rows: Row[] = [];
const ms = (n: number) => `${n.toFixed(2)} ms`;
const x = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

type Latency = Awaited<ReturnType<typeof fixedRate>>;

function latencyRows(what: string, level: Latency, etcd: Latency, raw: Latency): void {
  rows.push({ what: `${what} p50`, level: ms(level.p50), etcd: ms(etcd.p50), raw: ms(raw.p50), ratio: `${x(etcd.p50, raw.p50)} raw` });
  rows.push({ what: `${what} p99`, level: ms(level.p99), etcd: ms(etcd.p99), raw: ms(raw.p99), ratio: `${x(etcd.p99, raw.p99)} raw`, goal: 'etcd p99 <= 1.5x raw' });
  const errors = level.errors + etcd.errors + raw.errors;
  if (errors) rows.push({ what: `${what} errors`, level: String(level.errors), etcd: String(etcd.errors), raw: String(raw.errors) });
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
  /** Sends request i. */
  send: (i: number) => Promise<void>;
  /** The process whose CPU time per request is reported. */
  pid?: number;
}

interface Measured extends Latency {
  cpuPerRequest: number;
}

/**
 * The subjects take turns of one second at the rate, `seconds` turns each, so that on a machine other
 * jobs load, each sees the same conditions; each turn's requests are answered before the next starts.
 */
async function interleaved(rate: number, seconds: number, subjects: Subject[]): Promise<Measured[]> {
  const samples = subjects.map(() => [] as number[]);
  const errors = subjects.map(() => 0);
  const cpu = subjects.map(() => 0);
  for (let turn = 0; turn < seconds; turn++) {
    for (const [k, s] of subjects.entries()) {
      const c0 = processCpuMs(s.pid);
      const r = await fixedRate(rate, 1, (i) => s.send(turn * rate + i), samples[k]);
      cpu[k] += processCpuMs(s.pid) - c0;
      errors[k] += r.errors;
    }
  }
  return subjects.map((_, k) => {
    const lat = samples[k].sort((a, b) => a - b);
    return { p50: pct(lat, 50), p99: pct(lat, 99), max: lat[lat.length - 1], errors: errors[k], achieved: rate, cpuPerRequest: cpu[k] / (rate * seconds) };
  });
}

/** Runs the write path a while before it is timed, so that V8 has compiled it in every process alike. */
async function warmUp(level: string, etcd: string, raw: EtcdClient): Promise<void> {
  const items = Array.from({ length: 1000 }, (_, i) => i);
  for (const api of [level, etcd]) {
    await withConcurrency(8, items, async (i) => void (await ok(api, 'POST', '/api/v1/namespaces/default/configmaps', cm(`warm-${i}`, 0))));
    await withConcurrency(8, items, async (i) => void (await ok(api, 'PUT', `/api/v1/namespaces/default/configmaps/warm-${i}`, cm(`warm-${i}`, 1))));
  }
  await withConcurrency(8, items, async (i) => void (await raw.put({ key: Buffer.from(`/bench/warm/${i}`), value: Buffer.from(cm(`warm-${i}`, 0)) })));
}

async function latencyBench(level: string, etcd: string, raw: EtcdClient, pids: { level?: number; etcd?: number; member?: number }, o: Options): Promise<void> {
  await warmUp(level, etcd, raw);
  const ns = '/api/v1/namespaces/default/configmaps';
  const n = Math.round(o.rate * o.seconds);
  const key = (i: number) => Buffer.from(`/bench/raw/lat-${i}`);
  const revs: number[] = [];
  // The storage's create, Txn(create_revision == 0 ? Put : Range), and update, Txn(mod_revision ==
  // expected ? Put : Range), with the object's JSON.
  const rawCreate = async (i: number) => {
    const k = key(i);
    const r = await raw.txn({ compare: [{ key: k, target: 'CREATE', result: 'EQUAL', create_revision: 0 }], success: [{ request_put: { key: k, value: Buffer.from(cm(`lat-${i}`, 0)) } }], failure: [{ request_range: { key: k } }] });
    if (!r.succeeded) throw new Error('raw create lost');
    revs[i] = Number(r.header?.revision);
  };
  const rawUpdate = async (i: number) => {
    const k = key(i % n);
    const r = await raw.txn({ compare: [{ key: k, target: 'MOD', result: 'EQUAL', mod_revision: revs[i % n] }], success: [{ request_put: { key: k, value: Buffer.from(cm(`lat-${i % n}`, 1)) } }], failure: [{ request_range: { key: k } }] });
    if (!r.succeeded) throw new Error('raw update lost');
    revs[i % n] = Number(r.header?.revision);
  };
  const write = (api: string, method: string) => async (i: number) =>
    void (method === 'POST' ? await ok(api, 'POST', ns, cm(`lat-${i}`, 0)) : await ok(api, 'PUT', `${ns}/lat-${i % n}`, cm(`lat-${i % n}`, 1)));
  for (const [what, method, rawSend] of [['create', 'POST', rawCreate], ['update (PUT)', 'PUT', rawUpdate]] as const) {
    const [l, e, r] = await interleaved(o.rate, o.seconds, [
      { send: write(level, method), pid: pids.level },
      { send: write(etcd, method), pid: pids.etcd },
      { send: rawSend, pid: pids.member },
    ]);
    latencyRows(`${what} @${o.rate}/s`, l, e, r);
    rows.push({ what: `  CPU per ${what.split(' ')[0]}: apiservers; etcd member for the raw Txn`, level: ms(l.cpuPerRequest), etcd: ms(e.cpuPerRequest), raw: ms(r.cpuPerRequest), ratio: `${x(e.cpuPerRequest, l.cpuPerRequest)} LevelDB` });
  }
  const [lg, eg, rg] = await interleaved(o.rate, o.seconds, [
    { send: async (i) => void (await ok(level, 'GET', `${ns}/lat-${i % n}`)) },
    { send: async (i) => void (await ok(etcd, 'GET', `${ns}/lat-${i % n}`)) },
    { send: async (i) => void (await raw.range({ key: key(i % n) })) },
  ]);
  rows.push({ what: `get (consistent) @${o.rate}/s p50`, level: ms(lg.p50), etcd: ms(eg.p50), raw: ms(rg.p50), ratio: `${x(eg.p50, rg.p50)} raw` });
  rows.push({ what: `get (consistent) @${o.rate}/s p99`, level: ms(lg.p99), etcd: ms(eg.p99), raw: ms(rg.p99), ratio: `${x(eg.p99, rg.p99)} raw` });
}

async function listBench(level: { url: string; pid?: number }, etcd: { url: string; pid?: number }, o: Options): Promise<void> {
  const names = Array.from({ length: o.pods }, (_, i) => `pod-${String(i).padStart(5, '0')}`);
  for (const [label, api] of [['LevelDB', level.url], ['etcd', etcd.url]] as const) {
    await ok(api, 'POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'bench' } }));
    const t0 = performance.now();
    await withConcurrency(32, names, async (name) => void (await ok(api, 'POST', '/api/v1/namespaces/bench/pods', pod(name))));
    process.stderr.write(`  ${label}: created ${o.pods} pods at ${(o.pods / ((performance.now() - t0) / 1000)).toFixed(0)}/s\n`);
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
    await timeList(level, times.level, cpu.level);
    await timeList(etcd, times.etcd, cpu.etcd);
  }
  for (const t of [times.level, times.etcd, cpu.level, cpu.etcd]) t.sort((a, b) => a - b);
  rows.push({ what: `LIST ${o.pods} pods (median of ${o.listRuns})`, level: ms(pct(times.level, 50)), etcd: ms(pct(times.etcd, 50)), ratio: `${x(pct(times.etcd, 50), pct(times.level, 50))} LevelDB`, goal: 'etcd <= 1.2x LevelDB' });
  if (cpu.level.length && cpu.etcd.length) {
    rows.push({ what: '  server CPU time per LIST (median)', level: ms(pct(cpu.level, 50)), etcd: ms(pct(cpu.etcd, 50)), ratio: `${x(pct(cpu.etcd, 50), pct(cpu.level, 50))} LevelDB` });
  }
}

async function fanout(api: string, o: Options): Promise<{ total: number; writes: number }> {
  await ok(api, 'POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'fan' } }));
  const rv = (JSON.parse(await ok(api, 'GET', '/api/v1/namespaces/fan/configmaps')) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const checkOrder = (lines: string[]) => {
    const revs = lines.map((l) => Number((JSON.parse(l) as { object: { metadata: { resourceVersion: string } } }).object.metadata.resourceVersion));
    if (new Set(lines.map((l) => (JSON.parse(l) as { object: { metadata: { name: string } } }).object.metadata.name)).size !== o.writes) throw new Error('watcher 0 missed objects');
    for (let i = 1; i < revs.length; i++) if (revs[i] <= revs[i - 1]) throw new Error('events out of order');
  };
  const w = await openWatchers(api, `/api/v1/namespaces/fan/configmaps?watch=true&resourceVersion=${rv}`, o.watchers, o.writes, checkOrder);
  await w.ready;
  const items = Array.from({ length: o.writes }, (_, i) => i);
  const t0 = performance.now();
  await withConcurrency(16, items, async (i) => void (await ok(api, 'POST', '/api/v1/namespaces/fan/configmaps', cm(`fan-${i}`, i))));
  const writes = performance.now() - t0;
  const doneAt = await w.done;
  w.close();
  return { total: Math.max(...doneAt) - t0, writes };
}

async function fanoutBench(level: string, etcd: string, o: Options): Promise<void> {
  const l = await fanout(level, o);
  const e = await fanout(etcd, o);
  rows.push({ what: `watch fan-out: ${o.watchers} watchers x ${o.writes} writes, all delivered`, level: ms(l.total), etcd: ms(e.total), ratio: `${x(e.total, l.total)} LevelDB` });
  rows.push({ what: '  (the writes alone, 16 in flight)', level: ms(l.writes), etcd: ms(e.writes), ratio: `${x(e.writes, l.writes)} LevelDB` });
  rows.push({ what: '  events delivered per second', level: `${((o.watchers * o.writes) / (l.total / 1000)).toFixed(0)} /s`, etcd: `${((o.watchers * o.writes) / (e.total / 1000)).toFixed(0)} /s` });
}

function printRows(): void {
  const cols: Array<keyof Row> = ['what', 'level', 'etcd', 'raw', 'ratio', 'goal'];
  const head: Row = { what: 'measure', level: 'LevelDB', etcd: 'etcd', raw: 'raw etcd Txn', ratio: 'etcd vs', goal: '' };
  const all = [head, ...rows];
  const width = cols.map((c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  for (const r of all) console.log(cols.map((c, i) => (r[c] ?? '').padEnd(width[i])).join('  ').trimEnd());
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-bench-etcd-'));
  const ports: Array<{ client: number; peer: number }> = [];
  for (let i = 0; i < o.members; i++) ports.push({ client: await freePort(), peer: await freePort() });
  const cluster = await startEtcd({ dir: path.join(dir, 'etcd'), members: o.members as 1 | 3, ports });
  const raw = new EtcdClient({ endpoints: cluster.endpoints });
  const steer = [path.join(ROOT, 'bin', 'steer.js'), 'apiserver', '--listen', '127.0.0.1:0', '--watch-history', '20000'];
  const level = await startChild([...steer, '--data-dir', path.join(dir, 'leveldb')], /serving on (http:\/\/\S+)/);
  const etcd = await startChild([...steer, '--storage', 'etcd', '--etcd-servers', cluster.endpoints.join(',')], /serving on (http:\/\/\S+)/);
  console.log(`load average at the start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (${os.cpus().length} CPUs)`);
  console.log(`etcd ${o.members === 1 ? '1 member' : '3 members'} (${cluster.endpoints.join(',')}); steer apiserver on LevelDB at ${level.url}, on etcd at ${etcd.url}; raw Txns from this process`);
  try {
    const part = (name: string) => !o.only || o.only.includes(name);
    if (part('latency')) {
      process.stderr.write('latency at a fixed rate...\n');
      await latencyBench(level.url, etcd.url, raw, { level: level.child.pid, etcd: etcd.child.pid, member: cluster.members[0].pid }, o);
    }
    if (part('list')) {
      process.stderr.write('LIST...\n');
      await listBench({ url: level.url, pid: level.child.pid }, { url: etcd.url, pid: etcd.child.pid }, o);
    }
    if (part('fanout')) {
      process.stderr.write('watch fan-out...\n');
      await fanoutBench(level.url, etcd.url, o);
    }
  } finally {
    printRows();
    // Latency at a fixed rate means little on a machine other jobs load: say how loaded it was.
    console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (${os.cpus().length} CPUs)`);
    level.child.kill('SIGTERM');
    etcd.child.kill('SIGTERM');
    agent.destroy();
    raw.close();
    await new Promise((r) => setTimeout(r, 500));
    await stopEtcd(path.join(dir, 'etcd'));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
