// StatefulSet scale-up on hollow nodes: time until N pods are Ready for a StatefulSet with Parallel and
// with OrderedReady pod management, next to the floor measured in the same run — a Deployment of N on
// the same cluster (goal: Parallel ≤ 1.2× the Deployment), wall time and the process's CPU time (all
// components run in it: CPU is the work done, less sensitive to what else loads the machine). Usage: node dist/bench/statefulset.js [--replicas 30] [--nodes 10] [--claims]
// (--claims gives each StatefulSet pod a local-path claim, so binding and provisioning are timed too).
import type { Pod } from 'kubernetes-types/core/v1';
import { startApiServer } from '../apiserver';
import { startControllers } from '../controllers';
import { KubeClient } from '../lib/client/client';
import { Resources } from '../lib/api/resources';
import { startHollowNodes } from '../node-agent';
import { startScheduler } from '../scheduler';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const replicas = arg('replicas', 30);
const nodeCount = arg('nodes', 10);
const withClaims = process.argv.includes('--claims');

const template = (app: string) => ({
  metadata: { labels: { app } },
  spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox:1.35', ...(withClaims && app.startsWith('sts') ? { volumeMounts: [{ name: 'data', mountPath: '/data' }] } : {}) }] },
});

interface Phase {
  /** Wall seconds to all Ready. */
  wall: number;
  /** CPU seconds the process (every component) spent meanwhile: the work, whatever else loads the machine. */
  cpu: number;
}

async function timeToReady(client: KubeClient, app: string, create: () => Promise<unknown>): Promise<Phase> {
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  await create();
  for (;;) {
    const pods = (await client.list<Pod>(Resources.pods, { namespace: 'default', labelSelector: `app=${app}` })).items;
    const ready = pods.filter((p) => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')).length;
    if (ready >= replicas) {
      const cpu = process.cpuUsage(cpu0);
      return { wall: (performance.now() - start) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

const row = (label: string, p: Phase, floor?: Phase, note = '') =>
  `  ${label.padEnd(25)} ${p.wall.toFixed(2).padStart(6)} s${floor ? `   ${(p.wall / floor.wall).toFixed(2)}×` : '        '}   cpu ${p.cpu.toFixed(2).padStart(5)} s${floor ? `   ${(p.cpu / floor.cpu).toFixed(2)}×` : ''}${note}`;

async function main(): Promise<void> {
  // DefaultStorageClass admission as `steer server` runs it: claims are created with the default class
  // (without it the binder names it afterwards, one more write per claim, racing the scheduler).
  const api = await startApiServer({ host: '127.0.0.1', port: 0, enableAdmissionPlugins: ['DefaultStorageClass'] });
  const client = KubeClient.forServer(api.url);
  const nodes = await startHollowNodes({ client, count: nodeCount, port: false, log: () => undefined });
  const scheduler = await startScheduler({ client });
  const controllers = await startControllers({ client, log: () => undefined });
  const sts = (name: string, policy: string) =>
    client.create(Resources.statefulsets, 'default', {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name },
      spec: {
        replicas,
        serviceName: name,
        podManagementPolicy: policy,
        selector: { matchLabels: { app: name } },
        template: template(name),
        ...(withClaims ? { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] } : {}),
      },
    });
  const deployment = await timeToReady(client, 'deploy', () =>
    client.create(Resources.deployments, 'default', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'deploy' }, spec: { replicas, selector: { matchLabels: { app: 'deploy' } }, template: template('deploy') } }),
  );
  const parallel = await timeToReady(client, 'sts-parallel', () => sts('sts-parallel', 'Parallel'));
  const ordered = await timeToReady(client, 'sts-ordered', () => sts('sts-ordered', 'OrderedReady'));
  console.log(`StatefulSet scale-up to ${replicas} Ready on ${nodeCount} hollow nodes${withClaims ? ', one local-path claim per pod' : ''}`);
  console.log(row('Deployment (floor)', deployment));
  console.log(row('StatefulSet Parallel', parallel, deployment, ' (goal ≤ 1.2×)'));
  console.log(row('StatefulSet OrderedReady', ordered, deployment, ' (one pod at a time, each waits for the previous to be Ready)'));
  await controllers.stop();
  await scheduler.stop();
  await nodes.stop();
  await api.close();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
