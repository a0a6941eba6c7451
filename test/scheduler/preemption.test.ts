// Preemption on the whole stack: an in-process apiserver (Priority admission resolving PriorityClasses),
// the scheduler and a hollow node. A high-priority pod that fits nowhere evicts the fewest low-priority
// pods on a node (marked DisruptionTarget PreemptionByScheduler, Preempted events, deleted with their
// grace period), waits on status.nominatedNodeName and is bound there once they are gone; a pod with
// preemptionPolicy Never, or of no higher priority, evicts nothing.
import type { Event, Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { componentRegistry } from '../../lib/component/metrics';
import { type HollowNodes, startHollowNodes } from '../../node-agent/hollow';
import { type RunningScheduler, startScheduler } from '../../scheduler/start';
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver';
import { sleep, waitForWithin } from '../helpers/wait';

const waitFor = waitForWithin(20_000);
const ns = 'default';
let api: TestApiServer;
let nodes: HollowNodes;
let scheduler: RunningScheduler;

beforeAll(async () => {
  api = await startTestApiServer({ enableAdmissionPlugins: ['Priority'] });
  // One node with room for two 1-cpu pods.
  nodes = await startHollowNodes({ client: api.client, count: 1, namePrefix: 'prio-node-', cpu: 2, relistIntervalMs: 200, port: false });
  scheduler = await startScheduler({ client: api.client, podInitialBackoffSeconds: 0.2, podMaxBackoffSeconds: 1 });
  for (const [name, value, preemptionPolicy] of [['low', 10], ['high', 1000], ['high-polite', 1000, 'Never']] as const) {
    await api.client.create(Resources.priorityclasses, undefined, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...(preemptionPolicy ? { preemptionPolicy } : {}) });
  }
}, 60_000);

afterAll(async () => {
  await scheduler?.stop();
  await nodes?.stop();
  await api?.stop();
});

function pod(name: string, priorityClassName: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { test: 'preemption' } },
    spec: {
      priorityClassName,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: 'busybox:1.35', resources: { requests: { cpu: '1' } } }],
    },
  };
}

const get = (name: string) => api.client.get<Pod>(Resources.pods, ns, name).catch(() => undefined);
const running = async (name: string) => (await get(name))?.status?.phase === 'Running';

test('a high-priority pod evicts one low-priority pod and runs in its place; the other low one stays', async () => {
  await api.client.create(Resources.pods, ns, pod('low-a', 'low'));
  await waitFor('low-a running', () => running('low-a'));
  await api.client.create(Resources.pods, ns, pod('low-b', 'low'));
  await waitFor('low-b running', () => running('low-b'));

  // The victims' last states, from a watch opened now.
  const seen = new Map<string, Pod>();
  const watch = await api.client.watch<Pod>(Resources.pods, { namespace: ns }, (ev) => seen.set(`${ev.object.metadata?.name}/${ev.type}`, ev.object), () => undefined);
  try {
    await api.client.create(Resources.pods, ns, pod('urgent', 'high'));
    const bound = await waitFor('urgent bound', async () => {
      const p = await get('urgent');
      return p?.spec?.nodeName ? p : undefined;
    });
    expect(bound.spec?.nodeName).toBe('prio-node-0');
    expect(bound.status?.nominatedNodeName).toBe('prio-node-0');
    const left = ['low-a', 'low-b'].filter((n) => seen.has(`${n}/DELETED`));
    expect(left).toHaveLength(1);
    const victim = left[0];
    const marked = [...seen.entries()].filter(([k]) => k.startsWith(`${victim}/`)).map(([, p]) => p.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).find(Boolean);
    expect(marked).toMatchObject({ status: 'True', reason: 'PreemptionByScheduler', message: 'default-scheduler: preempting to accommodate a higher priority pod' });
    const survivor = victim === 'low-a' ? 'low-b' : 'low-a';
    expect(await running(survivor)).toBe(true);
    await waitFor('urgent running', () => running('urgent'));
    const events = (await api.client.list<Event>(Resources.events, { namespace: ns, fieldSelector: `involvedObject.name=${victim}` })).items;
    expect(events.find((e) => e.reason === 'Preempted')?.message).toBe(`Preempted by pod ${bound.metadata?.uid} on node prio-node-0`);
    const metrics = await componentRegistry('scheduler').getSingleMetric('scheduler_preemption_attempts_total')?.get();
    expect(metrics?.values[0]?.value).toBeGreaterThanOrEqual(1);
  } finally {
    watch.stop();
  }
}, 60_000);

test('preemptionPolicy Never, and a pod of no higher priority, evict nothing and stay pending', async () => {
  // The node is full: the survivor and urgent from the test before.
  // Its PriorityClass gives it preemptionPolicy Never (a pod may not set it itself).
  await api.client.create(Resources.pods, ns, pod('polite', 'high-polite'));
  await api.client.create(Resources.pods, ns, pod('peer', 'low'));
  await waitFor('both reported unschedulable', async () => {
    const events = (await api.client.list<Event>(Resources.events, { namespace: ns })).items.filter((e) => e.reason === 'FailedScheduling');
    return ['polite', 'peer'].every((n) => events.some((e) => e.involvedObject.name === n));
  });
  await sleep(1500);
  const pods = (await api.client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: 'test=preemption' })).items;
  expect(pods.filter((p) => p.metadata?.deletionTimestamp)).toEqual([]);
  expect((await get('polite'))?.spec?.nodeName).toBeUndefined();
  expect((await get('peer'))?.spec?.nodeName).toBeUndefined();
  expect((await get('urgent'))?.status?.phase).toBe('Running');
}, 60_000);
