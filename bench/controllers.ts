// Controller convergence: a 1,000-replica Deployment over 100 hollow nodes, everything in this process
// (apiserver in memory, real scheduler, hollow node agents on the fake runtime, controller manager).
//
// Printed: (1) convergence: from creating the Deployment until its status shows every replica updated
// and available (and the steer_convergence_seconds the controllers recorded); (2) the floor measured in
// the same run: the apiserver's own cost for the same pods created and bound directly with the same
// concurrency (no controllers, no scheduler) — the least any controller could take; (3) the ratio;
// (4) replacement time after deleting a pod (p50/p99), until a new pod of the Deployment is Ready.
//
// Usage: npm run build && node dist/bench/controllers.js [--replicas 1000] [--nodes 100] [--deletes 20]
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import * as os from 'node:os';
import { componentRegistry } from '../lib/component/metrics';
import { startApiServer } from '../apiserver';
import { startControllers } from '../controllers';
import { KubeClient } from '../lib/client/client';
import { Informer } from '../lib/client/informer';
import { Resources } from '../lib/api/resources';
import { startHollowNodes } from '../node-agent';
import { startScheduler } from '../scheduler';

interface BenchOptions {
  replicas: number;
  nodes: number;
  deletes: number;
  concurrency: number;
}

function parseArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = { replicas: 1000, nodes: 100, deletes: 20, concurrency: 64 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const n = Number(argv[++i]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${a} needs a non-negative integer`);
    if (a === '--replicas') o.replicas = n;
    else if (a === '--nodes') o.nodes = n;
    else if (a === '--deletes') o.deletes = n;
    else if (a === '--concurrency') o.concurrency = n;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isReady(p: Pod): boolean {
  return !p.metadata?.deletionTimestamp && (p.status?.conditions || []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function percentile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

async function pool<T>(items: T[], concurrency: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** The floor: the same number of pods created and bound straight through the API. */
async function measureFloor(client: KubeClient, o: BenchOptions, nodeNames: string[]): Promise<number> {
  const ns = 'bench-floor';
  await client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const t0 = performance.now();
  await pool(Array.from({ length: o.replicas }, (_, i) => i), o.concurrency, async (i) => {
    const name = `floor-${i}`;
    await client.create<Pod>(Resources.pods, ns, { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'floor' } }, spec: { schedulerName: 'none', containers: [{ name: 'c', image: 'pause' }] } });
    await client.create(Resources.pods, ns, { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: nodeNames[i % nodeNames.length] } }, { name, subresource: 'binding' });
  });
  const ms = performance.now() - t0;
  // Remove them so the hollow nodes are idle again for the real run.
  await pool(Array.from({ length: o.replicas }, (_, i) => i), o.concurrency, async (i) => {
    await client.delete(Resources.pods, ns, `floor-${i}`, { gracePeriodSeconds: 0 }).catch(() => undefined);
  });
  return ms;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const api = await startApiServer({ host: '127.0.0.1', port: 0 });
  const client = KubeClient.forServer(api.url);
  const log = () => undefined;
  console.log(`controllers bench: ${o.replicas} replicas over ${o.nodes} hollow nodes (load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`);
  const nodes = await startHollowNodes({ client, count: o.nodes, namePrefix: 'bench-node-', leaseRenewIntervalMs: 2000, maxPods: Math.max(110, Math.ceil((o.replicas * 2) / o.nodes)), port: false, log });
  const scheduler = await startScheduler({ client });
  const controllers = await startControllers({ client, log });

  const ns = 'default';
  const pods = new Informer<Pod>(client, Resources.pods, { namespace: ns, labelSelector: 'app=bench' });
  await pods.start();
  const deployment: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'bench', namespace: ns },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: { app: 'bench' } },
      template: { metadata: { labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27', resources: { requests: { cpu: '1m', memory: '1Mi' } } }] } },
    },
  };
  const t0 = performance.now();
  await client.create(Resources.deployments, ns, deployment);
  let convergedMs = NaN;
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    const d = await client.get<Deployment>(Resources.deployments, ns, 'bench');
    const s = d.status || {};
    if (s.observedGeneration === d.metadata?.generation && s.updatedReplicas === o.replicas && s.availableReplicas === o.replicas && s.replicas === o.replicas) {
      convergedMs = performance.now() - t0;
      break;
    }
    if (Date.now() > deadline) throw new Error(`not converged after 15 min: ${JSON.stringify(s)}`);
    await sleep(100);
  }

  // Replacement time: delete one ready pod at a time, until a new ready pod brings the count back.
  const replaceMs: number[] = [];
  for (let i = 0; i < o.deletes; i++) {
    const ready = pods.list().filter(isReady);
    const victim = ready[Math.floor(Math.random() * ready.length)];
    const before = new Set(ready.map((p) => p.metadata?.uid));
    const t = performance.now();
    await client.delete(Resources.pods, ns, victim.metadata!.name!);
    for (;;) {
      const now = pods.list().filter(isReady);
      if (now.some((p) => !before.has(p.metadata?.uid))) break;
      await sleep(5);
    }
    replaceMs.push(performance.now() - t);
  }
  replaceMs.sort((a, b) => a - b);
  pods.stop();
  await controllers.stop();
  await scheduler.stop();
  // Measured last, on a warm process with the controllers and scheduler stopped.
  const floorMs = await measureFloor(client, o, nodes.names);

  const metrics = await componentRegistry('controllers').getSingleMetricAsString('steer_convergence_seconds');
  const dep = /steer_convergence_seconds_sum\{kind="Deployment"\} ([\d.e+-]+)/.exec(metrics)?.[1];
  console.log('');
  console.log('figure                                        value       floor     ratio');
  console.log(`Deployment ${o.replicas} replicas converged (s)      ${(convergedMs / 1000).toFixed(2).padStart(8)}  ${(floorMs / 1000).toFixed(2).padStart(8)}  ${(convergedMs / floorMs).toFixed(2).padStart(7)}x`);
  console.log(`pod replacement p50 (ms)                     ${percentile(replaceMs, 0.5).toFixed(0).padStart(8)}`);
  console.log(`pod replacement p99 (ms)                     ${percentile(replaceMs, 0.99).toFixed(0).padStart(8)}`);
  if (dep) console.log(`steer_convergence_seconds{kind=Deployment} sum ${Number(dep).toFixed(2)} s (as recorded by the controller)`);
  console.log('floor: the same pods created + bound directly through the apiserver, no controllers or scheduler, same concurrency');

  await nodes.stop();
  client.close();
  await api.close();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
