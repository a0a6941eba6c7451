// Draining a node under a PodDisruptionBudget, on hollow nodes: `steer drain` and kubectl 1.20's `drain`
// are refused (429) while the budget allows no disruption, keep retrying, and finish once replacements
// on the other node are Ready; the budget's healthy count never drops below minAvailable meanwhile.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { Resources } from '../../lib/api/resources';
import { bufferStreams } from '../../cli/io';
import { runDrain } from '../../cli/verbs/nodes';
import { RunningControllers, startControllers } from '../../controllers/manager';
import { HollowNodes, startHollowNodes } from '../../node-agent/hollow';
import { startScheduler } from '../../scheduler/start';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { waitFor } from '../helpers/wait';

const ns = 'default';
const kubectl120 = path.resolve(__dirname, '..', '..', 'tools', 'kubectl', 'usr', 'bin', 'kubectl');
let api: TestApiServer;
let nodes: HollowNodes;
let scheduler: { stop(): Promise<void> };
let controllers: RunningControllers;

beforeAll(async () => {
  api = await startTestApiServer();
  nodes = await startHollowNodes({ client: api.client, count: 2, namePrefix: 'drain-node-', relistIntervalMs: 200 });
  scheduler = await startScheduler({ client: api.client });
  controllers = await startControllers({ client: api.client, controllers: ['deployment', 'replicaset', 'disruption'], log: () => undefined });
}, 60_000);

afterAll(async () => {
  await controllers?.stop();
  await scheduler?.stop();
  await nodes?.stop();
  await api?.stop();
});

const cordon = (node: string, unschedulable: boolean) => api.client.patch<Node>(Resources.nodes, undefined, node, { spec: { unschedulable } });
const isReady = (p: Pod) => !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const podsOf = async (app: string) => (await api.client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: `app=${app}` })).items;
const pdbOf = (app: string) => api.client.get<PodDisruptionBudget>(Resources.poddisruptionbudgets, ns, app);

/** A 2-replica Deployment with both pods on `on`, guarded by minAvailable 2 (no disruption allowed). */
async function guarded(app: string, on: string, other: string): Promise<void> {
  await cordon(other, true);
  const d: Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app, namespace: ns },
    spec: { replicas: 2, selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'c', image: 'busybox:1.35' }] } } },
  };
  await api.client.create(Resources.deployments, ns, d);
  // The scheduler may place a pod before its informer sees the cordon (as kube-scheduler can): such a pod is
  // deleted so its replacement lands where the setup wants it.
  await waitFor(`both pods Ready on ${on}`, async () => {
    const pods = (await podsOf(app)).filter((p) => !p.metadata?.deletionTimestamp);
    for (const p of pods.filter((p) => p.spec?.nodeName === other)) await api.client.delete(Resources.pods, ns, p.metadata?.name ?? '').catch(() => undefined);
    const placed = pods.map((p) => `${p.metadata?.name}@${p.spec?.nodeName ?? '-'}${isReady(p) ? '(ready)' : ''}`).join(' ');
    if (pods.filter((p) => isReady(p) && p.spec?.nodeName === on).length === 2) return true;
    throw new Error(`pods: ${placed}`);
  }, 30_000);
  await cordon(other, false);
  await api.client.create(Resources.poddisruptionbudgets, ns, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: app, namespace: ns }, spec: { minAvailable: 2, selector: { matchLabels: { app } } } });
  await waitFor('the budget observed', async () => (await pdbOf(app)).status?.currentHealthy === 2, 10_000);
}

/** Samples the budget's healthy count until stopped; returns the lowest seen. */
function watchHealthy(app: string): { stop(): Promise<number> } {
  let lowest = Infinity;
  let running = true;
  const loop = (async () => {
    while (running) {
      const h = (await pdbOf(app).catch(() => undefined))?.status?.currentHealthy;
      if (h !== undefined) lowest = Math.min(lowest, h);
      // Unref'd: a test that fails before stop() must not keep jest from exiting.
      await new Promise((r) => setTimeout(r, 50).unref());
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return lowest;
    },
  };
}

describe('drain under a PodDisruptionBudget', () => {
  it('steer drain retries refused evictions until replacements make room, then finishes', async () => {
    const [from, to] = nodes.names;
    await guarded('steer-guarded', from, to);
    const healthy = watchHealthy('steer-guarded');
    const streams = bufferStreams();
    const drained = runDrain(api.client, from, { evictionRetryMs: 200, timeoutMs: 60_000 }, streams);
    // Refused while the budget allows nothing: retries, both pods still there.
    await waitFor('a refused eviction', async () => /will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./.test(streams.stderr) || undefined, 10_000);
    await new Promise((r) => setTimeout(r, 600));
    expect((await podsOf('steer-guarded')).filter(isReady).length).toBe(2);
    expect(streams.stdout).not.toMatch(/evicted/);
    // Room for one: a third replica lands on the other node; each eviction's replacement then makes room for the next.
    await api.client.patch(Resources.deployments, ns, 'steer-guarded', { spec: { replicas: 3 } });
    await drained;
    expect(streams.stdout).toMatch(new RegExp(`node/${from} cordoned\\n`));
    expect(streams.stdout.match(/pod\/steer-guarded-\S+ evicted/g)).toHaveLength(2);
    expect(streams.stdout).toMatch(new RegExp(`node/${from} drained\\n$`));
    const lowest = await healthy.stop();
    const left = (await podsOf('steer-guarded')).filter((p) => !p.metadata?.deletionTimestamp);
    expect(left.map((p) => `${p.metadata?.name}@${p.spec?.nodeName} created ${p.metadata?.creationTimestamp}`)).toEqual(left.map((p) => `${p.metadata?.name}@${to} created ${p.metadata?.creationTimestamp}`));
    expect(lowest).toBeGreaterThanOrEqual(2);
    await cordon(from, false);
  }, 90_000);

  it('kubectl 1.20 drain honours the budget the same way', async () => {
    const [to, from] = nodes.names;
    await guarded('kubectl-guarded', from, to);
    const healthy = watchHealthy('kubectl-guarded');
    const drained = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(kubectl120, [`--kubeconfig=${api.kubeconfigPath}`, 'drain', from, '--timeout=60s'], (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr })),
    );
    // kubectl waits 5 s between refused evictions: hold the budget through at least one refusal.
    await new Promise((r) => setTimeout(r, 2000));
    expect((await podsOf('kubectl-guarded')).filter(isReady).length).toBe(2);
    await api.client.patch(Resources.deployments, ns, 'kubectl-guarded', { spec: { replicas: 3 } });
    const out = await drained;
    expect(out.stderr).toMatch(/error when evicting pods?\/"kubectl-guarded-\S+" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./);
    expect(out.code).toBe(0);
    expect(out.stdout.match(/pod\/kubectl-guarded-\S+ evicted/g)).toHaveLength(2);
    // kubectl 1.20 names the node with the last pod's verb (kubernetes/kubernetes#105736, fixed in 1.23).
    expect(out.stdout).toMatch(new RegExp(`node/${from} evicted\\n$`));
    expect(await healthy.stop()).toBeGreaterThanOrEqual(2);
    await cordon(from, false);
  }, 120_000);
});
