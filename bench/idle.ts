// What the all-in-one `steer server` costs while nothing changes (issue 20: with 30 pods its CPU at most
// 2× dockerd's), and where that CPU goes, on real containerd:
//   1. `steer up` on a state dir, ports, bridge and pod subnet of its own (bench/bench-cluster.ts), no
//      manifest; a Deployment of nginx (the same one bench/swarm.ts makes) scaled to --replicas, until
//      every pod is Ready;
//   2. the swarm bench's first idle sample, taken the same way: 2 s after Ready, the server's CPU over
//      10 s, per thread too (main thread, V8's workers, libuv's pool), with the apiserver's requests
//      around it (its /metrics only: an agent scrape starts the agent's stats polling);
//   3. --settle s after Ready, a scrape of the apiserver's and the agent's /metrics; 35 s later (the
//      stats polling that scrape started is over) the steady window: the server's CPU over --window s,
//      in all and per thread; then a second scrape: the work done per minute between the two scrapes
//      (apiserver_request_total by verb and resource, CRI calls by operation, PLEG relists, work-queue adds);
//   4. with --profile S: a CPU profile through the inspector (the server runs with --inspect on a loopback
//      port of this bench's): S s after the steady window, or (--profile-at early) in place of the first
//      sample's CPU reading; written as a .cpuprofile and summed by self time per file and per function;
//   5. `steer down --purge`.
// Usage (root; under the bench lock):
//   npm run build && flock /tmp/steer-e2e.lock node dist/bench/idle.js [--replicas 30] [--settle 60]
//        [--window 60] [--profile 60 [--profile-at early]] [--state-dir DIR] [--keep]
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import WebSocket from 'ws';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { serverNodeFlags } from '../cli/cluster';
import { agentMetrics, downBenchCluster, upBenchCluster } from './bench-cluster';
import { KubeClient } from '../lib/client/client';
import { Resources } from '../lib/api/resources';
import { IMAGES } from '../node-agent';

const NS = 'default';
const APP = 'bench-idle-nginx';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) a process has used, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/** CPU seconds per thread name (main thread, V8 workers, libuv's pool, …), from /proc/PID/task. */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const key = Number(tid) === pid ? 'main thread' : name;
      out.set(key, (out.get(key) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** Share of one core the process used over `ms` from now, in all and per thread name. */
async function cpuShare(pid: number, ms: number): Promise<{ total: number; threads: Map<string, number> }> {
  const c0 = cpuSeconds(pid);
  const th0 = threadCpu(pid);
  const t0 = Date.now();
  await sleep(ms);
  const seconds = (Date.now() - t0) / 1000;
  const threads = new Map<string, number>();
  for (const [k, v] of threadCpu(pid)) threads.set(k, (v - (th0.get(k) ?? 0)) / seconds);
  return { total: (cpuSeconds(pid) - c0) / seconds, threads };
}


/** Counters worth a row, from Prometheus text: API requests by verb and resource, CRI calls, relists. */
export function workCounts(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const add = (k: string, v: number) => out.set(k, (out.get(k) ?? 0) + v);
  const label = (labels: string, name: string) => new RegExp(`(?:^|,)${name}="([^"]*)"`).exec(labels)?.[1] ?? '';
  for (const m of text.matchAll(/^(\w+)(?:\{([^}]*)\})? (\S+)$/gm)) {
    const [, name, labels = '', value] = m;
    if (name === 'apiserver_request_total') {
      const sub = label(labels, 'subresource');
      add(`API ${label(labels, 'verb')} ${label(labels, 'resource')}${sub ? `/${sub}` : ''}`, Number(value));
    } else if (name === 'kubelet_runtime_operations_duration_seconds_count') add(`CRI ${label(labels, 'operation_type')}`, Number(value));
    else if (name === 'kubelet_pleg_relist_duration_seconds_count') add('PLEG relists', Number(value));
    else if (name === 'workqueue_adds_total') add(`queue adds ${label(labels, 'name')}`, Number(value));
  }
  return out;
}

// ------------------------------------------------------------------ profile through the inspector

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

async function inspectorUrl(port: number): Promise<string> {
  const body = await new Promise<string>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/json/list' }, (res) => {
        let b = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (b += c));
        res.on('end', () => resolve(b));
      })
      .on('error', reject);
  });
  const targets = JSON.parse(body) as Array<{ webSocketDebuggerUrl: string }>;
  if (!targets[0]) throw new Error(`inspector on ${port}: no target`);
  return targets[0].webSocketDebuggerUrl;
}

/** Profiles the process behind the inspector for `ms`, sampling every `intervalUs`. */
async function profile(port: number, ms: number, intervalUs: number): Promise<CpuProfile> {
  const ws = new WebSocket(await inspectorUrl(port));
  await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
  let nextId = 1;
  const pending = new Map<number, (r: unknown) => void>();
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString('utf8')) as { id?: number; result?: unknown; error?: { message: string } };
    if (m.id !== undefined) pending.get(m.id)?.(m.error ? new Error(m.error.message) : m.result);
  });
  const call = <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, (r) => (r instanceof Error ? reject(r) : resolve(r as T)));
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call('Profiler.enable');
    await call('Profiler.setSamplingInterval', { interval: intervalUs });
    await call('Profiler.start');
    await sleep(ms);
    const { profile: p } = await call<{ profile: CpuProfile }>('Profiler.stop');
    await call('Profiler.disable');
    return p;
  } finally {
    ws.close();
  }
}

/** Self time per function and per file (ms), from a profile's samples. */
function summarize(p: CpuProfile): { total: number; idle: number; byFunction: Array<[string, number]>; byFile: Array<[string, number]> } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // Samples × the mean interval: one sample's time delta may hold a pause spent outside the thread.
  const msPerSample = (p.endTime - p.startTime) / 1000 / Math.max(1, p.samples.length);
  for (const id of p.samples) self.set(id, (self.get(id) ?? 0) + msPerSample);
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, ms] of self) {
    const f = byId.get(id)?.callFrame;
    if (!f) continue;
    total += ms;
    if (f.functionName === '(idle)') {
      idle += ms;
      continue;
    }
    const shortUrl = f.url.replace(/^file:\/\//, '').replace(/^.*\/dist\//, '').replace(/^.*\/node_modules\//, 'node_modules/');
    fn.set(`${f.functionName || '(anonymous)'} ${shortUrl}:${f.lineNumber + 1}`, (fn.get(`${f.functionName || '(anonymous)'} ${shortUrl}:${f.lineNumber + 1}`) ?? 0) + ms);
    const fileKey = shortUrl.startsWith('node_modules/') ? shortUrl.split('/').slice(0, shortUrl.split('/')[1].startsWith('@') ? 3 : 2).join('/') : shortUrl || f.functionName;
    file.set(fileKey, (file.get(fileKey) ?? 0) + ms);
  }
  const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { total, idle, byFunction: top(fn), byFile: top(file) };
}

function printProfile(p: CpuProfile, seconds: number, file: string): void {
  fs.writeFileSync(file, JSON.stringify(p));
  const s = summarize(p);
  const busy = s.total - s.idle;
  console.log(`\nCPU profile of ${seconds} s (${file}): ${busy.toFixed(0)} ms on the JS thread (${((busy / s.total) * 100).toFixed(2)} %)`);
  console.log(`self time by file (ms):`);
  for (const [k, ms] of s.byFile.slice(0, 25)) console.log(`  ${ms.toFixed(1).padStart(8)}  ${k}`);
  console.log(`self time by function (ms):`);
  for (const [k, ms] of s.byFunction.slice(0, 40)) console.log(`  ${ms.toFixed(1).padStart(8)}  ${k}`);
}

// ------------------------------------------------------------------ main

async function main(argv: string[]): Promise<void> {
  const program = new Command('idle-bench')
    .option('--replicas <n>', 'nginx replicas', '30')
    .option('--settle <s>', 'seconds after every pod is Ready before the steady window', '60')
    .option('--window <s>', 'seconds of the steady window (CPU and counted work)', '60')
    .option('--profile <s>', 'then a CPU profile of this many seconds (0 = none)', '0')
    .option('--profile-at <window>', "'steady': after the steady window, for --profile s; 'early': instead of the swarm row's CPU, its 10 s", 'steady')
    .option('--profile-interval <us>', 'sampling interval of the profile (µs)', '1000')
    .option('--profile-file <file>', 'where the .cpuprofile goes', path.join(os.tmpdir(), 'steer-idle.cpuprofile'))
    .option('--state-dir <dir>', 'state dir of the steer cluster', '/var/lib/steer-bench/idle')
    .option('--bridge <name>', 'steer CNI bridge', 'steerbidle')
    .option('--pod-subnet <cidr>', 'steer pod subnet', '10.218.0.0/24')
    .option('--api-port <port>', 'steer apiserver port (loopback)', '29543')
    .option('--agent-port <port>', 'steer node agent port (+1, +2 for the scheduler and controllers; +3 the inspector with --profile)', '23350')
    .option('--keep', 'leave the cluster running afterwards', false)
    .parse(argv);
  const o = program.opts<{
    replicas: string;
    settle: string;
    window: string;
    profile: string;
    profileAt: string;
    profileInterval: string;
    profileFile: string;
    stateDir: string;
    bridge: string;
    podSubnet: string;
    apiPort: string;
    agentPort: string;
    keep: boolean;
  }>();
  if (process.getuid?.() !== 0) throw new Error('bench/idle needs root (containerd, CNI and cgroups)');
  const replicas = Number(o.replicas);
  const inspectPort = Number(o.agentPort) + 3;
  const profiling = Number(o.profile) > 0;
  let client: KubeClient | undefined;
  let upDone = false;
  try {
    const result = await upBenchCluster({
      stateDir: o.stateDir,
      nodeName: 'steer-bench-idle',
      apiPort: Number(o.apiPort),
      agentPort: Number(o.agentPort),
      bridge: o.bridge,
      podSubnet: o.podSubnet,
      serverNodeFlags: profiling ? [...serverNodeFlags, `--inspect=127.0.0.1:${inspectPort}`] : undefined,
    });
    upDone = true;
    const pid = result.info.pid;
    const c = KubeClient.load({ kubeconfig: result.kubeconfig });
    client = c;
    console.log(`steer up: server PID ${pid}, ${result.info.apiserverUrl}${profiling ? `, inspector on 127.0.0.1:${inspectPort}` : ''}`);
    const targets = fs.existsSync(result.paths.prometheusNodeTargets)
      ? (JSON.parse(fs.readFileSync(result.paths.prometheusNodeTargets, 'utf8')) as Array<{ targets: string[] }>).flatMap((t) => t.targets)
      : [];
    const scrape = async () => {
      const api = await c.request<string>('GET', '/metrics', { accept: 'text/plain' });
      const agent = targets[0] ? await agentMetrics(result.paths.pki, targets[0]) : '';
      return workCounts(`${api}\n${agent}`);
    };

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
    const t1 = Date.now();
    await c.create(Resources.deployments, NS, d);
    for (;;) {
      const pods = await c.list<Pod>(Resources.pods, { namespace: NS, labelSelector: `app=${APP}` });
      const ready = pods.items.filter((p) => !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True')).length;
      if (ready >= replicas) break;
      if (Date.now() - t1 > 300_000) throw new Error(`only ${ready} of ${replicas} pods Ready after 300 s`);
      await sleep(500);
    }
    const readyAt = Date.now();
    console.log(`${replicas} pods Ready ${((readyAt - t1) / 1000).toFixed(1)} s after the create`);

    // The swarm bench's idle row, the same way (bench/swarm.ts: 2 s after Ready, 10 s of CPU), with the
    // apiserver's counts around it (its /metrics only: an agent scrape would start the stats polling).
    const apiCounts = async () => workCounts(await c.request<string>('GET', '/metrics', { accept: 'text/plain' }));
    const e0 = await apiCounts();
    const e0At = Date.now();
    await sleep(Math.max(0, readyAt + 2000 - Date.now()));
    let early = { total: NaN, threads: new Map<string, number>() };
    let earlyProfile: CpuProfile | undefined;
    if (profiling && o.profileAt === 'early') earlyProfile = await profile(inspectPort, 10_000, Number(o.profileInterval));
    else early = await cpuShare(pid, 10_000);
    const e1 = await apiCounts();
    const earlySeconds = (Date.now() - e0At) / 1000;
    await sleep(Math.max(0, readyAt + Number(o.settle) * 1000 - Date.now()));
    // The agent's stats polling, started by the first scrape, stops 3 stats intervals (30 s) after it:
    // the CPU window begins after that; the counts cover both.
    const w0 = await scrape();
    const countStart = Date.now();
    await sleep(35_000);
    const steady = await cpuShare(pid, Number(o.window) * 1000);
    const w1 = await scrape();
    const countSeconds = (Date.now() - countStart) / 1000;
    console.log(`\nsteer server CPU (% of one core) with ${replicas} pods, nothing changing:`);
    console.log(`  2 s after Ready, 10 s (the swarm bench's idle row)   ${earlyProfile ? '(profiled)' : `${(early.total * 100).toFixed(2)} %`}`);
    console.log(`  ${Number(o.settle) + 35} s after Ready, ${o.window} s                          ${(steady.total * 100).toFixed(2)} %`);
    const byThread = (m: Map<string, number>) => [...m].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${(v * 100).toFixed(2)} %`).join(', ');
    if (!earlyProfile) console.log(`  by thread, the swarm row: ${byThread(early.threads)}`);
    console.log(`  by thread, steady: ${byThread(steady.threads)}`);
    const printCounts = (a: Map<string, number>, b: Map<string, number>, seconds: number) => {
      for (const k of [...b.keys()].sort()) {
        const n = ((b.get(k) ?? 0) - (a.get(k) ?? 0)) * (60 / seconds);
        if (n > 0) console.log(`  ${k.padEnd(52)} ${n.toFixed(1).padStart(8)}`);
      }
    };
    console.log(`API requests from Ready to 12 s after, per minute (the bench's own LIST and /metrics included):`);
    printCounts(e0, e1, earlySeconds);
    console.log(`work in the steady window (${countSeconds.toFixed(0)} s from the first scrape), per minute:`);
    printCounts(w0, w1, countSeconds);
    if (earlyProfile) printProfile(earlyProfile, 10, o.profileFile);

    if (profiling && o.profileAt === 'steady') printProfile(await profile(inspectPort, Number(o.profile) * 1000, Number(o.profileInterval)), Number(o.profile), o.profileFile);
    console.log(`\nload average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);
  } finally {
    client?.close();
    if (!o.keep && upDone) await downBenchCluster(o.stateDir);
  }
}

if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack || err.message : String(err)}\n`);
    process.exit(1);
  });
}
