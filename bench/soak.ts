// Memory under churn (issue 20): a Deployment of nginx (no probes) scaled replicas → 0 → replicas once
// per period (default 10 replicas every 15 s) for a duration (default 1 h), the server's RSS sampled at
// the end of every cycle, then scaled to --final-replicas (30) to read the RSS the goal names.
//   default: on `steer up` (own state dir, ports, bridge and pod subnet; torn down by `steer down --purge`
//            afterwards, the server stopped by its saved PID); the RSS is the `steer server` process';
//   --hollow: the same components in one child process of this program (apiserver on LevelDB,
//            scheduler, controllers, one node agent on the fake runtime: no containers), so the churn
//            of the control plane and the agent's bookkeeping runs without containerd; the child is
//            killed by its PID at the end.
// Printed: one line per cycle (elapsed, RSS, stored Events, cycle time), then whether RSS plateaued:
// the mean of the last third of the cycles against the middle third (growth ≤ 2 MiB or 2 %), the
// slope over the second half (MiB per cycle), the same test over the cycles after the Event TTL
// (Events pile up until then: the steady state starts there), and the RSS with the final replicas
// (goal ≤ 120 MiB).
// On `steer up` the server also logs a memory line every --memory-log seconds ($STEER_MEMORY_LOG_SECONDS,
// cli/cluster/memory-log.ts); each cycle's line then splits RSS into anonymous and file-backed pages, the
// V8 heap (committed / used), external memory and ArrayBuffers, and the end prints how much each grew:
// that names where RSS growth lives. --node-flags and --env run the server with other V8 flags or
// environment (e.g. --env MALLOC_ARENA_MAX=2) to compare.
// Usage: npm run build && flock /tmp/steer-e2e.lock node dist/bench/soak.js [--duration 3600]
//        [--period 15] [--replicas 10] [--final-replicas 30] [--hollow] [--event-ttl 3600] [--keep]
//        [--node-flags '--optimize-for-size ...'] [--env K=V ...] [--memory-log 15]
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { Command } from 'commander';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { startApiServer } from '../apiserver';
import { serverNodeFlags } from '../cli/cluster';
import { serverEnv as steerServerEnv } from '../cli/cluster/up';
import { MEMORY_LINE_PREFIX, memorySample, type MemorySample } from '../cli/cluster/memory-log';
import { childUrl } from './apiserver-child';
import { downBenchCluster, upBenchCluster } from './bench-cluster';
import { startControllers } from '../controllers';
import { KubeClient } from '../lib/client/client';
import { Resources } from '../lib/api/resources';
import { IMAGES, startHollowNodes } from '../node-agent';
import { startScheduler } from '../scheduler';
import { componentRegistry } from '../lib/component/metrics';

const NS = 'default';
const APP = 'soak-nginx';
const GOAL_MIB = 120;
/** kube-apiserver's --event-ttl default, which `steer server` keeps (apiserver/server.ts). */
const DEFAULT_EVENT_TTL_S = 3600;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The last memory line in the server log (bytes read from its end only: the log grows all hour). */
function lastMemorySample(logFile: string): MemorySample | undefined {
  const fd = fs.openSync(logFile, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const at = lines[i].indexOf(MEMORY_LINE_PREFIX + '{');
      if (at >= 0) return JSON.parse(lines[i].slice(at + MEMORY_LINE_PREFIX.length)) as MemorySample;
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** The fields of a memory sample worth a column, flattened (V8 spaces as `v8 old`, `v8 code`, …). */
function memoryColumns(m: MemorySample): Record<string, number> {
  const cols: Record<string, number> = { anon: m.anon, file: m.file, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
  for (const [k, v] of Object.entries(m.spaces)) cols[`v8 ${k}`] = v;
  return cols;
}

/** The --hollow child: every component in this one process, on a fake runtime; prints its URL. */
async function hollowServer(dataDir: string, eventTtl: number): Promise<void> {
  const api = await startApiServer({ host: '127.0.0.1', port: 0, dataDir, eventTTLSeconds: eventTtl });
  const client = KubeClient.forServer(api.url);
  const log = () => undefined;
  await startHollowNodes({ client, count: 1, namePrefix: 'soak-node-', port: false, log });
  await startScheduler({ client });
  await startControllers({ client, log });
  // The parent asks for the heap after a full GC: RSS alone cannot tell a leak from a lazy collector.
  process.on('message', (m) => {
    // A heap snapshot on request (--snapshot-cycles): diffing two of them names what grows per cycle.
    if (typeof m === 'object' && m !== null && 'snapshot' in m) {
      (globalThis as { gc?: () => void }).gc?.();
      process.send?.({ snapshotFile: v8.writeHeapSnapshot((m as { snapshot: string }).snapshot) });
      return;
    }
    if (m === 'work') {
      void workCounts().then((w) => process.send?.({ work: w }));
      return;
    }
    // The breakdown the server's memory line gives, without a GC first: what V8 and malloc hold as they run.
    if (m === 'sample') {
      process.send?.({ sample: memorySample() });
      return;
    }
    if (m !== 'heap') return;
    (globalThis as { gc?: () => void }).gc?.();
    const m2 = process.memoryUsage();
    process.send?.({ heapMiB: m2.heapUsed / 2 ** 20, externalMiB: m2.external / 2 ** 20 });
  });
  console.log(`URL ${api.url}`);
}

function heapAfterGc(child: ChildProcess): Promise<{ heapMiB: number; externalMiB: number }> {
  return new Promise((resolve) => {
    const onMessage = (m: { heapMiB?: number; externalMiB?: number }) => {
      if (m.heapMiB === undefined) return;
      child.off('message', onMessage);
      resolve({ heapMiB: m.heapMiB, externalMiB: m.externalMiB ?? NaN });
    };
    child.on('message', onMessage);
    child.send('heap');
  });
}

/** Counts of work done so far in this process: CPU, API requests, CRI calls, work-queue adds (by kind). */
type WorkCounts = Record<string, number>;

async function workCounts(): Promise<WorkCounts> {
  const out: WorkCounts = {};
  const cpu = process.cpuUsage();
  out['CPU ms'] = (cpu.user + cpu.system) / 1000;
  const add = (k: string, v: number) => (out[k] = (out[k] ?? 0) + v);
  for (const component of ['apiserver', 'scheduler', 'controllers', 'node-agent'] as const) {
    for (const metric of await componentRegistry(component).getMetricsAsJSON()) {
      for (const v of metric.values as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>) {
        const l = v.labels;
        if (metric.name === 'apiserver_request_total') add(`API ${l.verb} ${l.resource}${l.subresource ? `/${l.subresource}` : ''}`, v.value);
        else if (metric.name === 'kubelet_runtime_operations_duration_seconds' && v.metricName?.endsWith('_count')) add(`CRI ${l.operation_type}`, v.value);
        else if (metric.name === 'kubelet_pleg_relist_duration_seconds' && v.metricName?.endsWith('_count')) add('PLEG relists', v.value);
        else if (metric.name === 'workqueue_adds_total') add(`queue adds ${l.name}`, v.value);
      }
    }
  }
  return out;
}

/** Sends the hollow child a request and resolves with the first answer `pick` finds in its messages. */
function askChild<T>(child: ChildProcess, request: Parameters<ChildProcess['send']>[0], pick: (m: Record<string, unknown>) => T | undefined): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (m: Record<string, unknown>) => {
      const answer = pick(m);
      if (answer === undefined) return;
      child.off('message', onMessage);
      resolve(answer);
    };
    child.on('message', onMessage);
    child.send(request);
  });
}

const askWork = (child: ChildProcess) => askChild(child, 'work', (m) => m.work as WorkCounts | undefined);
const askSample = (child: ChildProcess) => askChild(child, 'sample', (m) => m.sample as MemorySample | undefined);
const heapSnapshot = (child: ChildProcess, file: string) => askChild(child, { snapshot: file }, (m) => m.snapshotFile as string | undefined);

async function startHollowChild(dataDir: string, eventTtl: number, nodeFlags: readonly string[], env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  // The server's own Node flags and environment (unless told others), so the child's heap behaves as `steer server`'s does.
  const child = spawn(process.execPath, [...nodeFlags, '--expose-gc', __filename, '--role', 'hollow-server', '--data-dir', dataDir, '--event-ttl', String(eventTtl)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...steerServerEnv(), ...env },
  });
  const url = await childUrl(child, 'hollow server');
  return { child, url };
}

async function waitPods(client: KubeClient, want: number, timeoutMs = 300_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const pods = (await client.list<Pod>(Resources.pods, { namespace: NS, labelSelector: `app=${APP}` })).items;
    const ready = pods.filter((p) => !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
    if (pods.length === want && ready.length === want) return;
    if (Date.now() > end) throw new Error(`${ready.length}/${pods.length} pods Ready of ${want} after ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

async function countEvents(client: KubeClient): Promise<number> {
  const l = await client.list(Resources.events, { limit: 1 });
  return l.items.length + ((l.metadata as { remainingItemCount?: number } | undefined)?.remainingItemCount ?? 0);
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('soak')
    .option('--duration <s>', 'seconds of churn', '3600')
    .option('--period <s>', 'one replicas → 0 → replicas cycle per this many seconds', '15')
    .option('--replicas <n>', 'replicas in the churn', '10')
    .option('--final-replicas <n>', 'replicas at the end, for the RSS the goal names', '30')
    .option('--hollow', 'all components in one child process on a fake runtime (no containerd)', false)
    .option('--event-ttl <s>', '(--hollow) the apiserver --event-ttl', '3600')
    .option('--state-dir <dir>', 'state dir of the steer cluster (or the hollow apiserver data)', '/var/lib/steer-bench/soak')
    .option('--bridge <name>', 'steer CNI bridge', 'steerbsoak')
    .option('--pod-subnet <cidr>', 'steer pod subnet', '10.215.0.0/24')
    .option('--api-port <port>', 'steer apiserver port (loopback)', '28443')
    .option('--agent-port <port>', 'steer node agent port (+1, +2 for the scheduler and controllers)', '22250')
    .option('--idle <s>', '(--hollow) after the final scale, count the work done in this many seconds of nothing changing', '60')
    .option('--gc-every <n>', '(--hollow) heap and external after a full GC every this many cycles (0: never; the forced GC compacts the heap, so RSS then does not show what V8 keeps on its own)', '1')
    .option('--snapshot-cycles <list>', '(--hollow) write a heap snapshot of the child after these cycles, e.g. 10,60', '')
    .option('--snapshot-dir <dir>', '(--hollow) where heap snapshots go', os.tmpdir())
    .option('--keep', 'leave the cluster running afterwards', false)
    .option('--node-flags <flags>', `Node/V8 flags of the steer server, space-separated (default steer up's: '${serverNodeFlags.join(' ')}')`)
    .option('--env <K=V...>', 'environment of the steer server, e.g. MALLOC_ARENA_MAX=2', [])
    .option('--memory-log <s>', 'the steer server logs its memory breakdown every this many seconds ($STEER_MEMORY_LOG_SECONDS)', '15')
    .option('--role <role>', '(internal) hollow-server')
    .option('--data-dir <dir>', '(internal) the hollow server data dir')
    .parse(argv);
  const o = program.opts<{
    duration: string;
    period: string;
    replicas: string;
    finalReplicas: string;
    hollow: boolean;
    eventTtl: string;
    stateDir: string;
    bridge: string;
    podSubnet: string;
    apiPort: string;
    agentPort: string;
    keep: boolean;
    nodeFlags?: string;
    env: string[];
    memoryLog: string;
    snapshotCycles: string;
    gcEvery: string;
    idle: string;
    snapshotDir: string;
    role?: string;
    dataDir?: string;
  }>();
  if (o.role === 'hollow-server') return hollowServer(o.dataDir!, Number(o.eventTtl));

  const replicas = Number(o.replicas);
  // The server's own environment only: containerd and the rest keep this process' environment.
  const serverEnv: Record<string, string> = { STEER_MEMORY_LOG_SECONDS: o.memoryLog };
  for (const kv of o.env) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`--env ${kv}: want K=V`);
    serverEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const nodeFlags = o.nodeFlags === undefined ? undefined : o.nodeFlags.split(/\s+/).filter(Boolean);
  const snapshotCycles = new Set(o.snapshotCycles.split(',').filter((x) => x !== '').map(Number));
  const periodMs = Number(o.period) * 1000;
  let client: KubeClient | undefined;
  let child: ChildProcess | undefined;
  let upDone = false;
  let pid: number;
  let serverLog: string | undefined;
  try {
    if (o.hollow) {
      fs.rmSync(o.stateDir, { recursive: true, force: true });
      fs.mkdirSync(o.stateDir, { recursive: true });
      const h = await startHollowChild(o.stateDir, Number(o.eventTtl), nodeFlags ?? serverNodeFlags, serverEnv);
      child = h.child;
      pid = h.child.pid!;
      client = KubeClient.forServer(h.url);
    } else {
      if (process.getuid?.() !== 0) throw new Error('bench/soak needs root without --hollow');
      const result = await upBenchCluster({ stateDir: o.stateDir, nodeName: 'steer-bench-soak', apiPort: Number(o.apiPort), agentPort: Number(o.agentPort), bridge: o.bridge, podSubnet: o.podSubnet, serverNodeFlags: nodeFlags, serverEnv });
      upDone = true;
      pid = result.info.pid;
      serverLog = result.paths.serverLog;
      console.log(`steer server: node flags ${(nodeFlags ?? serverNodeFlags).join(' ') || '(none)'}${o.env.length ? `, env ${o.env.join(' ')}` : ''}; memory line every ${o.memoryLog} s`);
      client = KubeClient.load({ kubeconfig: result.kubeconfig });
    }
    const c = client;
    const d: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: APP, labels: { app: APP } },
      spec: {
        replicas,
        selector: { matchLabels: { app: APP } },
        template: { metadata: { labels: { app: APP } }, spec: { containers: [{ name: 'nginx', image: IMAGES.nginx, ports: [{ containerPort: 80 }] }] } },
      },
    };
    await c.create(Resources.deployments, NS, d);
    await waitPods(c, replicas);
    const scale = (n: number) => c.patch(Resources.deployments, NS, APP, { spec: { replicas: n } }, 'merge', 'scale');
    const samples: number[] = [];
    /** Seconds since the churn began, per sample. */
    const sampleAt: number[] = [];
    const t0 = Date.now();
    console.log(`soak${o.hollow ? ' (hollow)' : ''}: ${replicas} → 0 → ${replicas} every ${o.period} s for ${o.duration} s; RSS of PID ${pid}, start ${rssMiB(pid).toFixed(1)} MiB`);
    console.log(`elapsed  cycle  RSS MiB  Events  cycle s${child ? '  heap / external after GC MiB' : ''}${serverLog ? '  memory line (MiB; up to --memory-log s old)' : child ? '  memory (MiB, before the GC)' : ''}`);
    const memorySamples: MemorySample[] = [];
    let churnWork0: WorkCounts | undefined;
    for (let cycle = 1; Date.now() - t0 < Number(o.duration) * 1000; cycle++) {
      const cs = Date.now();
      // Work per pod in the first cycle (hollow): the agent's runtime calls per pod torn down and started.
      const w0 = child && cycle === 1 ? await askWork(child) : undefined;
      if (w0) churnWork0 = w0;
      await scale(0);
      await waitPods(c, 0);
      const w1 = w0 && child ? await askWork(child) : undefined;
      await scale(replicas);
      await waitPods(c, replicas);
      if (w0 && w1 && child) {
        const w2 = await askWork(child);
        const perPod = (a: WorkCounts, b: WorkCounts) =>
          Object.keys(b)
            .filter((k) => k.startsWith('CRI ') && b[k] > (a[k] ?? 0))
            .sort()
            .map((k) => `${k.slice(4)} ${((b[k] - (a[k] ?? 0)) / replicas).toFixed(1)}`)
            .join(', ');
        console.log(`runtime calls per pod, ${replicas} → 0: ${perPod(w0, w1)}`);
        console.log(`runtime calls per pod, 0 → ${replicas}: ${perPod(w1, w2)}`);
      }
      const took = (Date.now() - cs) / 1000;
      const rss = rssMiB(pid);
      samples.push(rss);
      const elapsed = Math.round((Date.now() - t0) / 1000);
      sampleAt.push(elapsed);
      // The breakdown before the GC below: a forced full GC would hide what V8 keeps on its own.
      const mem = serverLog ? lastMemorySample(serverLog) : child ? await askSample(child) : undefined;
      const gcEvery = Number(o.gcEvery);
      const h = child && gcEvery > 0 && cycle % gcEvery === 0 ? await heapAfterGc(child) : undefined;
      const heap = child ? (h ? `${h.heapMiB.toFixed(1)} / ${h.externalMiB.toFixed(1)}` : '-').padStart(30) : '';
      if (mem) memorySamples.push(mem);
      const memText = mem
        ? '  ' +
          Object.entries(memoryColumns(mem))
            .map(([k, v]) => `${k} ${v.toFixed(1)}`)
            .join(', ')
        : '';
      console.log(`${String(elapsed).padStart(6)} s ${String(cycle).padStart(6)} ${rss.toFixed(1).padStart(8)} ${String(await countEvents(c)).padStart(7)} ${took.toFixed(1).padStart(8)}${heap}${memText}`);
      if (child && snapshotCycles.has(cycle)) console.log(`heap snapshot: ${await heapSnapshot(child, path.join(o.snapshotDir, `soak-cycle-${cycle}.heapsnapshot`))}`);
      await sleep(Math.max(0, periodMs - (Date.now() - cs)));
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const third = Math.floor(samples.length / 3);
    const middle = mean(samples.slice(third, 2 * third));
    const last = mean(samples.slice(2 * third));
    const half = samples.slice(Math.floor(samples.length / 2));
    const xm = (half.length - 1) / 2;
    const ym = mean(half);
    const slope = half.reduce((a, y, i) => a + (i - xm) * (y - ym), 0) / Math.max(1e-9, half.reduce((a, _, i) => a + (i - xm) ** 2, 0));
    const growth = last - middle;
    const plateau = samples.length >= 6 && growth <= Math.max(2, middle * 0.02);
    console.log(`\n${samples.length} cycles: RSS mean of the middle third ${middle.toFixed(1)} MiB, last third ${last.toFixed(1)} MiB (${growth >= 0 ? '+' : ''}${growth.toFixed(1)}), slope over the second half ${slope.toFixed(3)} MiB/cycle: ${samples.length < 6 ? 'too few cycles to tell' : plateau ? 'plateaued' : 'still growing'}`);
    // Events pile up until the first ones reach the Event TTL: only then can the churn's steady state
    // begin, so the thirds above straddle it on an hour's run. The same test on the cycles after it.
    // (steer up's server keeps the apiserver's default, 1 h; --event-ttl sets the hollow one's.)
    const ttlS = child ? Number(o.eventTtl) : DEFAULT_EVENT_TTL_S;
    const afterTtl = samples.filter((_, i) => sampleAt[i] >= ttlS);
    if (afterTtl.length >= 6) {
      const h = Math.floor(afterTtl.length / 2);
      const [a, b] = [mean(afterTtl.slice(0, h)), mean(afterTtl.slice(h))];
      const bm = mean(afterTtl);
      const bx = (afterTtl.length - 1) / 2;
      const bSlope = afterTtl.reduce((acc, y, i) => acc + (i - bx) * (y - bm), 0) / Math.max(1e-9, afterTtl.reduce((acc, _, i) => acc + (i - bx) ** 2, 0));
      const flat = b - a <= Math.max(2, a * 0.02);
      console.log(`after the Event TTL (${ttlS} s; ${afterTtl.length} cycles): RSS mean of the first half ${a.toFixed(1)} MiB, second half ${b.toFixed(1)} MiB (${b - a >= 0 ? '+' : ''}${(b - a).toFixed(1)}), slope ${bSlope.toFixed(4)} MiB/cycle: ${flat ? 'plateaued' : 'still growing'}`);
    } else console.log(`after the Event TTL (${ttlS} s): ${afterTtl.length} cycles, too few to tell (a run of --duration ${ttlS + 900} or more has enough)`);
    if (child && churnWork0) {
      const cpuMs = (await askWork(child))['CPU ms'] - churnWork0['CPU ms'];
      console.log(`hollow server CPU over the churn: ${(cpuMs / 1000).toFixed(1)} s in ${samples.length} cycles, ${(cpuMs / 1000 / samples.length).toFixed(2)} s per cycle`);
    }
    if (serverLog && memorySamples.length >= 2) {
      const first = memorySamples[0];
      const lastSample = memorySamples[memorySamples.length - 1];
      console.log(`steer server CPU over the churn: ${(lastSample.cpuSeconds - first.cpuSeconds).toFixed(1)} s in ${memorySamples.length - 1} cycles, ${((lastSample.cpuSeconds - first.cpuSeconds) / (memorySamples.length - 1)).toFixed(2)} s per cycle`);
    }
    if (memorySamples.length >= 2) {
      // Where the growth lives: each part of the breakdown, first cycle against the mean of the last third.
      const first = memoryColumns(memorySamples[0]);
      const tail = memorySamples.slice(Math.floor((2 * memorySamples.length) / 3)).map(memoryColumns);
      console.log(`memory breakdown, first cycle → mean of the last third (MiB):`);
      for (const k of ['rss', ...Object.keys(first)]) {
        const a = k === 'rss' ? memorySamples[0].rss : first[k];
        const b = mean(tail.map((t, i) => (k === 'rss' ? memorySamples[memorySamples.length - tail.length + i].rss : t[k] ?? NaN)));
        console.log(`  ${k.padEnd(16)} ${a.toFixed(1).padStart(7)} → ${b.toFixed(1).padStart(7)} (${b - a >= 0 ? '+' : ''}${(b - a).toFixed(1)})`);
      }
    }
    const final = Number(o.finalReplicas);
    await scale(final);
    await waitPods(c, final);
    await sleep(10_000);
    const finalRss = rssMiB(pid);
    const finalMem = serverLog ? lastMemorySample(serverLog) : undefined;
    if (finalMem) console.log(`memory with ${o.finalReplicas} pods (last memory line): ${JSON.stringify(finalMem)}`);
    if (child && Number(o.idle) > 0) {
      // Events are written one at a time; on a loaded machine they lag the churn. Idle starts when they are all in.
      for (let i = 0, last = -1; i < 60; i++) {
        const n = await countEvents(c);
        if (n === last) break;
        last = n;
        await sleep(5000);
      }
      // Idle work (issue 20: with pods and nothing changing the server should do almost nothing): counts,
      // not times, so a loaded machine does not blur them.
      const w0 = await askWork(child);
      await sleep(Number(o.idle) * 1000);
      const w1 = await askWork(child);
      const perMin = 60 / Number(o.idle);
      console.log(`idle work with ${final} pods, per minute (over ${o.idle} s):`);
      for (const k of Object.keys(w1).sort()) {
        const d = (w1[k] - (w0[k] ?? 0)) * perMin;
        if (d > 0) console.log(`  ${k.padEnd(48)} ${d.toFixed(k === 'CPU ms' ? 0 : 1).padStart(9)}`);
      }
    }
    console.log(`RSS with ${final} pods after the churn: ${finalRss.toFixed(1)} MiB (goal ≤ ${GOAL_MIB} MiB: ${finalRss <= GOAL_MIB ? 'met' : 'NOT met'}); ${await countEvents(c)} Events stored`);
    console.log(`load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.cpus().length} cores`);
  } finally {
    client?.close();
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (o.hollow) fs.rmSync(o.stateDir, { recursive: true, force: true });
    else if (!o.keep || !upDone) await downBenchCluster(o.stateDir);
  }
}

if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack || err.message : String(err)}\n`);
    process.exit(1);
  });
}
