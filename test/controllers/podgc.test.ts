// The pod garbage collector against a real in-process apiserver, with a short sweep period and node
// quarantine: a deleted node's pods are marked Failed (DisruptionTarget DeletionByPodGC) and removed, and
// their ReplicaSet replaces them on a live (hollow) node; terminated pods over the threshold go oldest
// first; a deleted pod on an out-of-service node is force-deleted; pods on live nodes are left alone.
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { isNotFound, type KubeClient } from '../../lib/client/client';
import { componentRegistry } from '../../lib/component/metrics';
import { type RunningControllers, startControllers } from '../../controllers/manager';
import { OutOfServiceTaintKey } from '../../controllers/podgc/gc';
import { type HollowNodes, startHollowNodes } from '../../node-agent/hollow';
import { startScheduler } from '../../scheduler/start';
import { makeNode } from '../fixtures/scheduler';
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver';
import { sleep, waitFor } from '../helpers/wait';

const QUARANTINE_MS = 600;
let api: TestApiServer;
let client: KubeClient;
let ctl: RunningControllers;

beforeAll(async () => {
  api = await startTestApiServer();
  client = api.client;
  ctl = await startControllers({ client, controllers: ['podgc', 'replicaset'], leaderElect: false, podGc: { periodMs: 100, quarantineMs: QUARANTINE_MS, terminatedPodThreshold: 3 }, log: () => undefined });
}, 60_000);

afterAll(async () => {
  await ctl?.stop();
  await api?.stop();
});

async function createNode(node: Node): Promise<void> {
  await client.create(Resources.nodes, undefined, node);
}

async function createPod(name: string, o: { namespace?: string; node?: string; labels?: Record<string, string> } = {}): Promise<Pod> {
  return client.create<Pod>(Resources.pods, o.namespace ?? 'default', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: o.labels },
    spec: { nodeName: o.node, containers: [{ name: 'c', image: 'nginx' }] },
  });
}

async function setPhase(pod: Pod, phase: string, reason?: string): Promise<void> {
  await client.patch(Resources.pods, pod.metadata!.namespace, pod.metadata!.name!, { status: { phase, ...(reason ? { reason } : {}) } }, 'merge', 'status');
}

async function exists(name: string, namespace = 'default'): Promise<boolean> {
  try {
    await client.get(Resources.pods, namespace, name);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

async function forceDeletions(reason: string, namespace: string): Promise<number> {
  const metric = (await componentRegistry('controllers').getSingleMetric('pod_gc_collector_force_delete_pods_total')?.get())?.values ?? [];
  return metric.filter((v) => v.labels.reason === reason && v.labels.namespace === namespace).reduce((s, v) => s + v.value, 0);
}

test('a deleted node: its pods are marked Failed with DisruptionTarget, then removed after the quarantine; pods elsewhere stay', async () => {
  await client.create(Resources.namespaces, undefined, { metadata: { name: 'orphans' } });
  await createNode(makeNode('gc-ghost'));
  await createNode(makeNode('gc-alive'));
  const running = await createPod('on-ghost', { namespace: 'orphans', node: 'gc-ghost' });
  await setPhase(running, 'Running');
  await createPod('on-alive', { namespace: 'orphans', node: 'gc-alive' });
  await createPod('unscheduled', { namespace: 'orphans' });

  // The last state the pod had before it went, from a watch opened now.
  const seen: Pod[] = [];
  const watch = await client.watch<Pod>(Resources.pods, { namespace: 'orphans' }, (ev) => {
    if (ev.object.metadata?.name === 'on-ghost') seen.push(ev.object);
  }, () => undefined);
  try {
    const deletedAt = Date.now();
    await client.delete(Resources.nodes, undefined, 'gc-ghost');
    await waitFor('the orphan removed', async () => !(await exists('on-ghost', 'orphans')), 15_000);
    // Not before the node was missing for the whole quarantine (and confirmed gone by a GET).
    expect(Date.now() - deletedAt).toBeGreaterThanOrEqual(QUARANTINE_MS);
    await waitFor('the deletion watched', () => seen.length >= 2 && seen.some((p) => p.status?.phase === 'Failed'));
    const failed = seen.find((p) => p.status?.phase === 'Failed')!;
    expect(failed.status?.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' })]));
    expect(await forceDeletions('orphaned', 'orphans')).toBe(1);
  } finally {
    watch.stop();
  }
  await sleep(QUARANTINE_MS + 300);
  expect(await exists('on-alive', 'orphans')).toBe(true);
  expect(await exists('unscheduled', 'orphans')).toBe(true);
}, 30_000);

test('terminated pods over the threshold: the evicted, then the oldest, are deleted; running pods never', async () => {
  await client.create(Resources.namespaces, undefined, { metadata: { name: 'terminated' } });
  await createNode(makeNode('gc-done'));
  // Creation timestamps have second resolution: a second apart, so "oldest" is not a tie.
  const made: Pod[] = [];
  for (const name of ['t1', 't2', 't3', 't4']) {
    made.push(await createPod(name, { namespace: 'terminated', node: 'gc-done' }));
    await sleep(1050);
  }
  await createPod('live', { namespace: 'terminated', node: 'gc-done' });
  await setPhase(made[3], 'Failed', 'Evicted');
  await setPhase(made[2], 'Failed');
  // The threshold counts terminated pods cluster-wide (3): four here, plus none elsewhere so far.
  await setPhase(made[1], 'Succeeded');
  await setPhase(made[0], 'Succeeded');
  await waitFor('one terminated pod over the threshold collected', async () => !(await exists('t4', 'terminated')), 10_000);
  await sleep(500);
  expect(await exists('t1', 'terminated')).toBe(true);
  expect(await exists('t2', 'terminated')).toBe(true);
  expect(await exists('t3', 'terminated')).toBe(true);
  // One more terminated pod: the oldest goes.
  await setPhase(await client.get<Pod>(Resources.pods, 'terminated', 'live'), 'Succeeded');
  await waitFor('the oldest collected', async () => !(await exists('t1', 'terminated')), 10_000);
  expect(await exists('t2', 'terminated')).toBe(true);
  expect(await forceDeletions('terminated', 'terminated')).toBe(2);
  // Done with them: out of the way of the next tests' count.
  for (const name of ['t2', 't3', 'live']) await client.delete(Resources.pods, 'terminated', name, { gracePeriodSeconds: 0 });
}, 30_000);

test('a deleted pod on a node that is down and tainted out-of-service is force-deleted; on a Ready node it waits for its kubelet', async () => {
  await client.create(Resources.namespaces, undefined, { metadata: { name: 'oos' } });
  await createNode(makeNode('gc-oos', { ready: false, taints: [{ key: OutOfServiceTaintKey, value: 'nodeshutdown', effect: 'NoExecute' }] }));
  await createNode(makeNode('gc-up', { taints: [{ key: OutOfServiceTaintKey, value: 'nodeshutdown', effect: 'NoExecute' }] }));
  const down = await createPod('stuck', { namespace: 'oos', node: 'gc-oos' });
  await setPhase(down, 'Running');
  await createPod('graceful', { namespace: 'oos', node: 'gc-up' });
  await client.delete(Resources.pods, 'oos', 'graceful');
  // A graceful delete of a bound pod leaves it terminating until its kubelet confirms.
  await client.delete(Resources.pods, 'oos', 'stuck');
  await waitFor('the pod on the out-of-service node removed', async () => !(await exists('stuck', 'oos')), 10_000);
  expect(await forceDeletions('terminating_out_of_service', 'oos')).toBe(1);
  await sleep(500);
  const graceful = await client.get<Pod>(Resources.pods, 'oos', 'graceful');
  expect(graceful.metadata?.deletionTimestamp).toBeTruthy();
}, 30_000);

describe('healing: a ReplicaSet whose node is deleted', () => {
  let nodes: HollowNodes | undefined;
  let scheduler: { stop(): Promise<void> } | undefined;
  afterAll(async () => {
    await scheduler?.stop();
    await nodes?.stop();
  });

  test('its pods on the deleted node are replaced on a live one', async () => {
    await client.create(Resources.namespaces, undefined, { metadata: { name: 'heal' } });
    // The only schedulable node at first is one whose kubelet never comes: the pods stay Pending there.
    for (const n of ['gc-ghost', 'gc-alive', 'gc-done', 'gc-up']) await client.patch(Resources.nodes, undefined, n, { spec: { unschedulable: true } }, 'merge').catch(() => undefined);
    await createNode(makeNode('gc-doomed'));
    scheduler = await startScheduler({ client });
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web', namespace: 'heal' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    };
    await client.create(Resources.replicasets, 'heal', rs);
    const heal = async () => (await client.list<Pod>(Resources.pods, { namespace: 'heal' })).items;
    const first = await waitFor('both pods bound to the doomed node', async () => {
      const pods = await heal();
      return pods.length === 2 && pods.every((p) => p.spec?.nodeName === 'gc-doomed') && pods;
    });
    nodes = await startHollowNodes({ client, count: 1, namePrefix: 'gc-live-', relistIntervalMs: 200, port: false });
    await client.delete(Resources.nodes, undefined, 'gc-doomed');
    await waitFor(
      'two replacements running on the live node',
      async () => {
        const pods = await heal();
        return pods.length === 2 && pods.every((p) => p.spec?.nodeName === 'gc-live-0' && p.status?.phase === 'Running') && pods;
      },
      20_000,
    );
    const firstUids = new Set(first.map((p) => p.metadata?.uid));
    expect((await heal()).some((p) => firstUids.has(p.metadata?.uid))).toBe(false);
  }, 40_000);
});
