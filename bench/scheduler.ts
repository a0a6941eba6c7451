// Scheduler throughput after kube-scheduler's scheduler_perf "SchedulingBasic/5000Nodes_10000Pods":
// 5,000 nodes (4 cpu, 32Gi, 110 pods), 1,000 pods already placed, then 10,000 pods (100m, 500Mi)
// measured; every binding goes through the apiserver (pods/binding) and is counted when the apiserver's
// watch shows the pod bound. No kubelets. The apiserver runs in a child process (as it would in a
// cluster; this machine has 2 cores), or in this process with --inproc.
//
// Printed: (1) the scheduler's figure: pods bound per second from the moment it starts scheduling a
// full queue to the last binding seen on the watch; (2) the floor measured in the same run: the
// apiserver's own rate for the same bindings POSTed directly, with the same concurrency and no
// scheduling — the most any scheduler could reach against this apiserver; (3) the scheduling
// algorithm alone (no API), for the scheduler's own cost.
//
// With --affinity-workloads, (4) the scheduling algorithm alone for scheduler_perf-like workloads of
// the affinity and spread plugins, over the same nodes in 10 zones: ReplicaSet pods with the system
// default spreading, pods with a DoNotSchedule zone constraint, pods with required hostname
// anti-affinity in groups of 10, pods with preferred zone affinity to their group — each next to the
// basic pods' figure measured in the same run.
//
// Usage: npm run build && node dist/bench/scheduler.js [--nodes 5000] [--placed 1000] [--pods 10000] [--inproc]
//        [--concurrency 64: setup and floor requests in flight] [--affinity-workloads]
//        [--algorithm-only: (3) and (4) only, no apiserver]
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { KubeClient } from '../lib/client/client';
import { Resources } from '../lib/api/resources';
import { CycleState, defaultProfile, FitError, Framework, newPodInfo, noObjectListers, Scheduler, SchedulerCache } from '../scheduler';
import type { ObjectListers } from '../scheduler';
import { startApiServerChild } from './apiserver-child';

interface BenchOptions {
  nodes: number;
  placed: number;
  pods: number;
  floorPods: number;
  inproc: boolean;
  affinityWorkloads: boolean;
  algorithmOnly: boolean;
  concurrency: number;
}

function parseArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = { nodes: 5000, placed: 1000, pods: 10000, floorPods: 3000, inproc: false, concurrency: 64, affinityWorkloads: false, algorithmOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 0) throw new Error(`${a} needs a non-negative integer`);
      return n;
    };
    if (a === '--nodes') o.nodes = num();
    else if (a === '--placed') o.placed = num();
    else if (a === '--pods') o.pods = num();
    else if (a === '--floor-pods') o.floorPods = num();
    else if (a === '--concurrency') o.concurrency = num();
    else if (a === '--inproc') o.inproc = true;
    else if (a === '--affinity-workloads') o.affinityWorkloads = true;
    else if (a === '--algorithm-only') o.algorithmOnly = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

function benchNode(name: string): Node {
  const allocatable = { cpu: '4', memory: '32Gi', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: { capacity: allocatable, allocatable, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] },
  };
}

function benchPod(name: string, nodeName?: string, schedulerName?: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName,
      schedulerName,
      containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' } } }],
    },
  };
}

/** Runs fn over items with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function range(n: number, prefix: string): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

/** User + system CPU seconds a child process has used so far (Linux /proc), if readable. */
function childCpuSeconds(child: ChildProcess | undefined): number | undefined {
  if (!child?.pid) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Counts pods seen bound on the apiserver's watch; resolves when `target` distinct pods are bound. */
async function watchBindings(client: KubeClient, target: number, prefix: string): Promise<{ done: Promise<number>; stop: () => void }> {
  const bound = new Set<string>();
  const list = await client.list<Pod>(Resources.pods, { namespace: 'default' });
  let resolveDone: (t: number) => void = () => undefined;
  const done = new Promise<number>((r) => (resolveDone = r));
  const handle = await client.watch<Pod>(
    Resources.pods,
    { namespace: 'default', resourceVersion: list.metadata.resourceVersion },
    (ev) => {
      const name = ev.object.metadata?.name ?? '';
      if (ev.object.spec?.nodeName && name.startsWith(prefix) && !bound.has(name)) {
        bound.add(name);
        if (bound.size === target) resolveDone(performance.now());
      }
    },
    (err) => {
      if (bound.size < target) console.error(`bench: watch closed early (${bound.size}/${target}): ${err?.message ?? 'closed'}`);
    },
  );
  return { done, stop: () => handle.stop() };
}

type Workload = 'basic' | 'default-spread' | 'zone-spread' | 'anti-affinity' | 'preferred-affinity';

const ZoneKey = 'topology.kubernetes.io/zone';
const groupSize = 10;

/** A measured pod of a workload: labels, owner and the affinity / spread fields it exercises. */
function workloadPod(name: string, i: number, w: Workload): Pod {
  const p = benchPod(name);
  const group = `g${Math.floor(i / groupSize)}`;
  const md = { ...p.metadata, uid: name, labels: { group } };
  const spec = { ...p.spec, containers: p.spec?.containers ?? [] };
  const sameGroup = { matchLabels: { group } };
  switch (w) {
    case 'basic':
      return { ...p, metadata: { ...p.metadata, uid: name } };
    case 'default-spread':
      // 100 pods per ReplicaSet, spread by the system defaults (hostname and zone).
      return { ...p, metadata: { ...md, labels: { app: `rs${Math.floor(i / 100)}` }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `rs${Math.floor(i / 100)}`, uid: `rs${Math.floor(i / 100)}`, controller: true }] }, spec };
    case 'zone-spread':
      return { ...p, metadata: md, spec: { ...spec, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZoneKey, whenUnsatisfiable: 'DoNotSchedule', labelSelector: sameGroup }] } };
    case 'anti-affinity':
      return { ...p, metadata: md, spec: { ...spec, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: sameGroup }] } } } };
    case 'preferred-affinity':
      return { ...p, metadata: md, spec: { ...spec, affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: { topologyKey: ZoneKey, labelSelector: sameGroup } }] } } } };
  }
}

/** The scheduling algorithm alone: filter + score + assume over the same cluster shape, no API. */
function measureAlgorithm(o: BenchOptions, workload: Workload = 'basic', pods = o.pods): { podsPerSecond: number; podsPerCpuSecond: number; evaluated: number } {
  const cache = new SchedulerCache();
  const nodeNames = range(o.nodes, 'node-');
  nodeNames.forEach((n, i) => {
    const node = benchNode(n);
    if (workload !== 'basic') node.metadata = { ...node.metadata, labels: { ...node.metadata?.labels, [ZoneKey]: `zone-${i % 10}` } };
    cache.addNode(node);
  });
  range(o.placed, 'placed-').forEach((name, i) => {
    const p = benchPod(name, nodeNames[i % nodeNames.length]);
    cache.addOrUpdatePod({ ...p, metadata: { ...p.metadata, uid: name } });
  });
  const fwk = new Framework(defaultProfile(KubeClient.forServer('http://127.0.0.1:1')));
  const listers: ObjectListers = {
    ...noObjectListers,
    replicaSet: (_ns, name) => ({ metadata: { name }, spec: { selector: { matchLabels: { app: name } }, template: {} } }),
  };
  const infos = range(pods, 'algo-').map((name, i) => newPodInfo(workloadPod(name, i, workload)));
  let evaluated = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (const pi of infos) {
    try {
      const r = fwk.schedulePod(new CycleState(), pi, cache.snapshot(listers));
      evaluated += r.evaluatedNodes;
      cache.assumePod(pi, r.nodeName);
    } catch (e) {
      if (!(e instanceof FitError)) throw e;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { podsPerSecond: infos.length / seconds, podsPerCpuSecond: infos.length / cpuSeconds, evaluated: evaluated / infos.length };
}

/** The affinity workloads' algorithm-alone figures next to the basic pods' at the same size. */
function affinityWorkloadRows(o: BenchOptions): Array<[string, string]> {
  // Fewer pods: these workloads cost more per pod.
  const n = Math.min(o.pods, 2000);
  const basic = measureAlgorithm(o, 'basic', n).podsPerCpuSecond;
  const rows: Array<[string, string]> = [[`affinity workloads, algorithm alone, ${n} pods: pods per CPU-second (ratio to basic)`, `basic ${basic.toFixed(0)}`]];
  for (const w of ['default-spread', 'zone-spread', 'anti-affinity', 'preferred-affinity'] as const) {
    const r = measureAlgorithm(o, w, n).podsPerCpuSecond;
    rows.push([`  ${w}`, `${r.toFixed(0)} (${(r / basic).toFixed(2)})`]);
  }
  return rows;
}

function printRows(rows: Array<[string, string]>): void {
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const loadBefore = os.loadavg()[0];
  if (o.algorithmOnly) {
    console.log(`scheduler bench, algorithm alone (no API): ${o.nodes} nodes, ${o.placed} pods placed, ${o.pods} pods measured`);
    const algo = measureAlgorithm(o);
    const rows: Array<[string, string]> = [
      ['scheduling algorithm alone: pods per second (no API)', algo.podsPerSecond.toFixed(0)],
      ['  … per CPU-second (what one free core would do)', algo.podsPerCpuSecond.toFixed(0)],
    ];
    if (o.affinityWorkloads) rows.push(...affinityWorkloadRows(o));
    rows.push([`machine: ${os.cpus().length} cores, 1-min load average before / after`, `${loadBefore.toFixed(1)} / ${os.loadavg()[0].toFixed(1)}`]);
    printRows(rows);
    return;
  }
  console.log(`scheduler bench: ${o.nodes} nodes, ${o.placed} pods placed, ${o.pods} pods measured; apiserver ${o.inproc ? 'in process' : 'in a child process'}`);

  let child: ChildProcess | undefined;
  let closeInproc: (() => Promise<void>) | undefined;
  let url: string;
  if (o.inproc) {
    // Loaded lazily so the child-process mode does not pay for it.
    const { startApiServer } = await import('../apiserver');
    const s = await startApiServer({ host: '127.0.0.1', port: 0 });
    url = s.url;
    closeInproc = () => s.close();
  } else {
    ({ url, child } = await startApiServerChild(['--max-old-space-size=4096']));
  }
  const client = KubeClient.forServer(url);
  try {
    let t = performance.now();
    // Status is normally a node agent's write; skip that second request when create already kept it.
    let statusKept: boolean | undefined;
    await pool(range(o.nodes, 'node-'), o.concurrency, async (name) => {
      const node = benchNode(name);
      const created = await client.create<Node>(Resources.nodes, undefined, node);
      statusKept ??= created.status?.allocatable?.cpu === '4';
      if (!statusKept) await client.patch<Node>(Resources.nodes, undefined, name, { status: node.status }, 'merge', 'status');
    });
    const nodeNames = range(o.nodes, 'node-');
    await pool(range(o.placed, 'placed-'), o.concurrency, (name) =>
      client.create<Pod>(Resources.pods, 'default', benchPod(name, nodeNames[Number(name.slice(7)) % nodeNames.length])),
    );
    console.log(`setup: ${o.nodes} nodes + ${o.placed} placed pods in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // The scheduler lists everything first, then the measured pods fill its queue before it may start.
    const scheduler = new Scheduler({ client });
    await scheduler.startInformers();
    t = performance.now();
    await pool(range(o.pods, 'pod-'), o.concurrency, (name) => client.create<Pod>(Resources.pods, 'default', benchPod(name)));
    const createSeconds = (performance.now() - t) / 1000;
    while (scheduler.queue.lengths().active < o.pods) await new Promise((r) => setTimeout(r, 20));
    const watcher = await watchBindings(client, o.pods, 'pod-');
    const start = performance.now();
    const selfCpu0 = process.cpuUsage();
    const apiCpu0 = childCpuSeconds(child);
    scheduler.startLeading();
    const end = await watcher.done;
    const selfCpu = process.cpuUsage(selfCpu0);
    const schedCpuMsPerPod = ((selfCpu.user + selfCpu.system) / 1000) / o.pods;
    const apiCpu1 = childCpuSeconds(child);
    const apiCpuMsPerPod = apiCpu0 !== undefined && apiCpu1 !== undefined ? ((apiCpu1 - apiCpu0) * 1000) / o.pods : undefined;
    const seconds = (end - start) / 1000;
    const schedRate = o.pods / seconds;
    watcher.stop();
    // The Scheduled events are written behind the bindings; let them finish before moving on.
    t = performance.now();
    await scheduler.flushEvents();
    const eventLagSeconds = (performance.now() - t) / 1000;
    await scheduler.stop();

    // Floor: the same number of bindings POSTed straight at the apiserver, same concurrency.
    const floorPods = Math.min(o.floorPods, o.pods);
    await pool(range(floorPods, 'floor-'), o.concurrency, (name) => client.create<Pod>(Resources.pods, 'default', benchPod(name, undefined, 'nobody')));
    const floorWatch = await watchBindings(client, floorPods, 'floor-');
    t = performance.now();
    let i = 0;
    await pool(range(floorPods, 'floor-'), o.concurrency, (name) =>
      client.create(Resources.pods, 'default', {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name, namespace: 'default' },
        target: { apiVersion: 'v1', kind: 'Node', name: nodeNames[i++ % nodeNames.length] },
      }, { name, subresource: 'binding' }),
    );
    const floorEnd = await floorWatch.done;
    floorWatch.stop();
    const floorRate = floorPods / ((floorEnd - t) / 1000);

    const algo = measureAlgorithm(o);

    const rows: Array<[string, string]> = [
      ['scheduler: pods bound per second (through the apiserver)', schedRate.toFixed(0)],
      ['  time to bind all measured pods (s)', seconds.toFixed(2)],
      ['floor: apiserver bindings per second, POSTed directly, no scheduling', floorRate.toFixed(0)],
      ['ratio scheduler / floor', (schedRate / floorRate).toFixed(2)],
      ['  CPU per pod in the scheduler process (ms; includes watch decoding, events)', schedCpuMsPerPod.toFixed(2)],
      ['  CPU per pod in the apiserver (ms; binding, events, watch fan-out)', apiCpuMsPerPod === undefined ? 'n/a (in process)' : apiCpuMsPerPod.toFixed(2)],
      ['scheduling algorithm alone: pods per second (no API)', algo.podsPerSecond.toFixed(0)],
      ['  … per CPU-second (what one free core would do)', algo.podsPerCpuSecond.toFixed(0)],
      ['  nodes evaluated per pod (adaptive share)', algo.evaluated.toFixed(0)],
      ['  Scheduled events still being written after the last binding (s)', eventLagSeconds.toFixed(1)],
      ['apiserver pod creates per second (setup, for reference)', (o.pods / createSeconds).toFixed(0)],
      ['goal / kube-scheduler CI floor (pods/s)', '2000 / 680'],
      [`machine: ${os.cpus().length} cores, 1-min load average before / after`, `${loadBefore.toFixed(1)} / ${os.loadavg()[0].toFixed(1)}`],
    ];
    if (o.affinityWorkloads) rows.push(...affinityWorkloadRows(o));
    printRows(rows);
  } finally {
    client.close();
    if (closeInproc) await closeInproc();
    child?.kill();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
