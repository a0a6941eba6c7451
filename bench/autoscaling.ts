// Autoscaling: how fast the HorizontalPodAutoscaler reacts to load, and what a LIST of the resource
// metrics API costs, on hollow nodes whose fake runtime reports the CPU this program sets. Everything
// runs in this process (apiserver in memory, scheduler, hollow node agents, controller manager).
//
// Printed, each next to a floor measured in the same run:
// (1) HPA reaction (repeated --rounds times): a 2-replica Deployment (100m requests) idles at 5m; the
//     load goes to 150m per pod; measured until the HPA's first scale-up decision (the Deployment's
//     spec.replicas grows) and until the new pods are Ready. The pipeline's built-in delays are printed
//     with it: the agents' stats period, the metrics API's resolution and the HPA's sync period (their
//     sum is the worst case before a decision can be made). Floor: the same scale-up written straight
//     to another Deployment's scale subresource (no metrics, no HPA): the write itself, and the write
//     to new pods Ready.
// (2) metrics.k8s.io PodMetrics LIST of --pods pods (all namespaces) p50/p99, next to a LIST of the
//     same pods from /api/v1 (the floor: the same objects read from storage).
//
// Usage: npm run build && node dist/bench/autoscaling.js [--pods 1000] [--nodes 20] [--rounds 5]
//        [--lists 50] [--sync-ms 1000] [--resolution-ms 1000] [--stats-ms 500]
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2';
import type { Pod } from 'kubernetes-types/core/v1';
import * as os from 'node:os';
import { startApiServer } from '../apiserver';
import { startControllers } from '../controllers';
import { KubeClient } from '../lib/client/client';
import { MetricsResources, Resources } from '../lib/api/resources';
import { startHollowNodes } from '../node-agent';
import { startScheduler } from '../scheduler';

interface BenchOptions {
  pods: number;
  nodes: number;
  rounds: number;
  lists: number;
  syncMs: number;
  resolutionMs: number;
  statsMs: number;
}

function parseArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = { pods: 1000, nodes: 20, rounds: 5, lists: 50, syncMs: 1000, resolutionMs: 1000, statsMs: 500 };
  const flags: Record<string, keyof BenchOptions> = {
    '--pods': 'pods',
    '--nodes': 'nodes',
    '--rounds': 'rounds',
    '--lists': 'lists',
    '--sync-ms': 'syncMs',
    '--resolution-ms': 'resolutionMs',
    '--stats-ms': 'statsMs',
  };
  for (let i = 0; i < argv.length; i++) {
    const key = flags[argv[i]];
    if (!key) throw new Error(`unknown argument ${argv[i]}`);
    const n = Number(argv[++i]);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${argv[i - 1]} needs a positive integer`);
    o[key] = n;
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ns = 'default';

function percentile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${percentile(s, 0.5).toFixed(1)} ms, p99 ${percentile(s, 0.99).toFixed(1)} ms (n=${s.length})`;
};

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000, stepMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}

async function pool<T>(items: T[], concurrency: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

function deployment(name: string, replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35', resources: { requests: { cpu: '100m' } } }] } },
    },
  };
}

const isReady = (p: Pod) => !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

async function readyPods(client: KubeClient, app: string): Promise<number> {
  return (await client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: `app=${app}` })).items.filter(isReady).length;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const api = await startApiServer({ host: '127.0.0.1', port: 0, metricResolutionMs: o.resolutionMs });
  const client = KubeClient.forServer(api.url);
  const log = () => undefined;
  console.log(`autoscaling bench: ${o.nodes} hollow nodes, ${o.rounds} HPA rounds, ${o.pods} pods for the metrics LIST (load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`);
  const nodes = await startHollowNodes({ client, count: o.nodes, namePrefix: 'bench-node-', port: 0, relistIntervalMs: 100, statsIntervalMs: o.statsMs, maxPods: Math.max(110, Math.ceil((o.pods * 2) / o.nodes)), log });
  const scheduler = await startScheduler({ client });
  const controllers = await startControllers({
    client,
    controllers: ['deployment', 'replicaset', 'horizontalpodautoscaling'],
    podAutoscaler: { syncPeriodMs: o.syncMs, cpuInitializationPeriodMs: 0, delayOfInitialReadinessStatusMs: 0 },
    log,
  });
  const setUsage = (milliCores: number, pods?: Pod[]) => {
    for (const rt of nodes.runtimes.values()) {
      if (!pods) rt.setUsage({ milliCores, memoryBytes: 16 * 1024 * 1024 });
      else for (const p of pods) rt.setUsage({ milliCores, memoryBytes: 16 * 1024 * 1024 }, { namespace: ns, name: p.metadata!.name! });
    }
  };

  // ---- (1) HPA reaction ------------------------------------------------------------------------------
  setUsage(5);
  const decisionMs: number[] = [];
  const readyMs: number[] = [];
  const floorWriteMs: number[] = [];
  const floorReadyMs: number[] = [];
  for (let round = 0; round < o.rounds; round++) {
    const name = `hpa-${round}`;
    const floorName = `floor-${round}`;
    await client.create(Resources.deployments, ns, deployment(name, 2));
    await client.create(Resources.deployments, ns, deployment(floorName, 2));
    await until('the Deployments Ready', async () => (await readyPods(client, name)) === 2 && (await readyPods(client, floorName)) === 2);
    const pods = (await client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: `app=${name}` })).items;
    setUsage(5, pods);
    const hpa: HorizontalPodAutoscaler = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name, namespace: ns },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      },
    };
    await client.create(Resources.horizontalpodautoscalers, ns, hpa);
    // The HPA has seen the idle pods (ScalingActive) before the load starts.
    await until('the HPA active', async () => {
      const h = await client.get<HorizontalPodAutoscaler>(Resources.horizontalpodautoscalers, ns, name);
      return h.status?.currentMetrics?.length ? true : undefined;
    });
    const t0 = performance.now();
    setUsage(150, pods);
    await until('the scale-up decision', async () => ((await client.get<Deployment>(Resources.deployments, ns, name)).spec?.replicas ?? 0) > 2 || undefined, 120_000, 5);
    decisionMs.push(performance.now() - t0);
    const target = (await client.get<Deployment>(Resources.deployments, ns, name)).spec!.replicas!;
    await until('the new pods Ready', async () => (await readyPods(client, name)) >= target || undefined, 120_000, 5);
    readyMs.push(performance.now() - t0);

    // The floor: the same scale-up written directly.
    const f0 = performance.now();
    await client.patch(Resources.deployments, ns, floorName, { spec: { replicas: target } }, 'merge', 'scale');
    floorWriteMs.push(performance.now() - f0);
    await until('the floor pods Ready', async () => (await readyPods(client, floorName)) >= target || undefined, 120_000, 5);
    floorReadyMs.push(performance.now() - f0);
    await client.delete(Resources.horizontalpodautoscalers, ns, name);
    await client.delete(Resources.deployments, ns, name);
    await client.delete(Resources.deployments, ns, floorName);
  }
  await controllers.stop();
  await scheduler.stop();
  console.log(`HPA sync period ${o.syncMs} ms, metrics resolution ${o.resolutionMs} ms, agent stats period ${o.statsMs} ms (worst case before a decision can see the load: ${o.syncMs + o.resolutionMs + o.statsMs} ms)`);
  console.log(`  load → first scale-up decision:   ${stats(decisionMs)}`);
  console.log(`  floor, the scale write itself:    ${stats(floorWriteMs)}`);
  console.log(`  load → new pods Ready:            ${stats(readyMs)}`);
  console.log(`  floor, scale write → pods Ready:  ${stats(floorReadyMs)}`);

  // ---- (2) metrics API LIST -------------------------------------------------------------------------
  const listNs = 'bench-metrics';
  await client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: listNs } });
  await pool(Array.from({ length: o.pods }, (_, i) => i), 32, async (i) => {
    const name = `m-${i}`;
    await client.create<Pod>(Resources.pods, listNs, { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'metrics' } }, spec: { schedulerName: 'none', containers: [{ name: 'c', image: 'pause' }] } });
    await client.create(Resources.pods, listNs, { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: nodes.names[i % nodes.names.length] } }, { name, subresource: 'binding' });
  });
  // Two scrapes after every pod runs give each pod a rate.
  await until('every pod running', async () => (await client.list<Pod>(Resources.pods, { namespace: listNs })).items.filter((p) => p.status?.phase === 'Running').length === o.pods || undefined, 300_000, 200);
  const metricsCount = await until('metrics for every pod', async () => {
    await api.metricsApi.scrape();
    const n = (await client.list(MetricsResources.pods, { namespace: listNs })).items.length;
    return n === o.pods ? n : undefined;
  }, 120_000, o.statsMs);
  const metricsListMs: number[] = [];
  const podListMs: number[] = [];
  // CPU time of this process (server, client and the hollow nodes' background) per LIST: less at the
  // mercy of the machine's load than the latencies.
  const metricsCpuMs: number[] = [];
  const podCpuMs: number[] = [];
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const u = process.cpuUsage(since);
    return (u.user + u.system) / 1000;
  };
  for (let i = 0; i < o.lists; i++) {
    // Alternated so both see the same background (scrapes, heartbeats).
    let t = performance.now();
    let c = process.cpuUsage();
    const m = await client.list(MetricsResources.pods, { namespace: listNs });
    metricsListMs.push(performance.now() - t);
    metricsCpuMs.push(cpuMs(c));
    t = performance.now();
    c = process.cpuUsage();
    const p = await client.list(Resources.pods, { namespace: listNs });
    podListMs.push(performance.now() - t);
    podCpuMs.push(cpuMs(c));
    if (m.items.length !== o.pods || p.items.length !== o.pods) throw new Error(`listed ${m.items.length} metrics, ${p.items.length} pods`);
  }
  console.log(`LIST of ${metricsCount} pods' metrics (metrics.k8s.io/v1beta1 pods, one namespace):`);
  console.log(`  metrics API:            ${stats(metricsListMs)}   (goal p99 ≤ 100 ms)`);
  console.log(`  floor, LIST /api/v1 pods: ${stats(podListMs)}`);
  console.log(`  CPU per LIST (this process): metrics API ${stats(metricsCpuMs)}; pods ${stats(podCpuMs)}`);

  await nodes.stop();
  await api.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
