// The scheduler against a real (in-memory) apiserver: nodes and pods go in through the API, the
// scheduler binds through pods/binding, and the tests read the outcome back through the API.
import type { Event, Node, Pod } from 'kubernetes-types/core/v1';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import { startControllers } from '../../controllers/manager';
import * as http from 'node:http';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { KubeClient } from '../../lib/client/client';
import { resourcePath, Resources } from '../../lib/api/resources';
import { RunningScheduler, startScheduler, SchedulerOptions } from '../../scheduler/start';
import { createNode, createPod, listPods, nodeOf } from '../helpers/scheduler-api';
import { makePod } from '../fixtures/scheduler';
import { defaultProfile } from '../../scheduler/profile';
import { DefaultBinder } from '../../scheduler/plugins/default-binder';
import type { BindPlugin, Status } from '../../scheduler/framework/types';
import { waitForWithin } from '../helpers/wait';

const waitFor = waitForWithin(15000);

jest.setTimeout(60_000);


async function createOwner(client: KubeClient, name: string): Promise<string> {
  const rs = await client.create<ReplicaSet>(Resources.replicasets, 'default', {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: { replicas: 0, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  return rs.metadata!.uid!;
}

describe('scheduler (integration)', () => {
  let api: TestApiServer;
  let sched: RunningScheduler | undefined;
  const extra: RunningScheduler[] = [];

  async function start(opts: Partial<SchedulerOptions> = {}): Promise<RunningScheduler> {
    return startScheduler({ client: api.client, podInitialBackoffSeconds: 0.2, podMaxBackoffSeconds: 1, ...opts });
  }

  beforeEach(async () => {
    api = await startTestApiServer();
  });
  afterEach(async () => {
    await sched?.stop();
    sched = undefined;
    for (const s of extra.splice(0)) await s.stop();
    await api.stop();
  });

  // One big node and two small ones: resource scoring alone would stack every replica on the big one.
  async function unevenNodes(client: KubeClient): Promise<void> {
    await createNode(client, 'n1', { cpu: '16', memory: '32Gi' });
    await createNode(client, 'n2', { cpu: '4', memory: '8Gi' });
    await createNode(client, 'n3', { cpu: '4', memory: '8Gi' });
  }

  test('3 nodes + 3 replicas of one owner: one pod per node', async () => {
    const { client } = api;
    await unevenNodes(client);
    sched = await start();
    const owner = await createOwner(client, 'web');
    // Spread by PodTopologySpread's system defaults: the ReplicaSet's selector (app=web) is the selector,
    // read from the scheduler's ReplicaSet informer (a separate watch from the pods': wait for it).
    await waitFor('ReplicaSet in the scheduler', () => sched?.scheduler.listers.replicaSet('default', 'web'));
    for (let i = 0; i < 3; i++) await createPod(client, `web-${i}`, { ownerUid: owner, ownerName: 'web', labels: { app: 'web' }, cpu: '100m' });
    const placed = await waitFor('3 pods bound', async () => {
      const nodes = await Promise.all([0, 1, 2].map((i) => nodeOf(client, `web-${i}`)));
      return nodes.every(Boolean) && nodes;
    });
    expect(new Set(placed).size).toBe(3);
    const events = (await client.list<Event>(Resources.events, { namespace: 'default' })).items;
    await waitFor('Scheduled events', async () => {
      const evs = (await client.list<Event>(Resources.events, { namespace: 'default' })).items;
      return evs.filter((e) => e.reason === 'Scheduled').length === 3;
    });
    expect(events.every((e) => e.type !== 'Warning')).toBe(true);
  });

  test('3 nodes + a Deployment of 3 replicas (real controllers): one pod per node', async () => {
    const { client } = api;
    await unevenNodes(client);
    sched = await start();
    const controllers = await startControllers({ client, controllers: ['deployment', 'replicaset'], log: () => undefined });
    try {
      await client.create<Deployment>(Resources.deployments, 'default', {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests: { cpu: '100m' } } }] } },
        },
      });
      const pods = await waitFor('3 replicas bound', async () => {
        const ps = (await listPods(client)).filter((p) => p.metadata?.labels?.app === 'web');
        return ps.length === 3 && ps.every((p) => p.spec?.nodeName) && ps;
      });
      expect(new Set(pods.map((p) => p.spec?.nodeName))).toEqual(new Set(['n1', 'n2', 'n3']));
    } finally {
      await controllers.stop();
    }
  });

  test('without default spreading (PodTopologySpread weight 0) resource scoring stacks the replicas on the big node', async () => {
    const { client } = api;
    await unevenNodes(client);
    sched = await start({ scoreWeights: { PodTopologySpread: 0 } });
    const owner = await createOwner(client, 'stacked');
    for (let i = 0; i < 3; i++) await createPod(client, `stacked-${i}`, { ownerUid: owner, ownerName: 'stacked', labels: { app: 'stacked' }, cpu: '100m' });
    const placed = await waitFor('3 pods bound', async () => {
      const nodes = await Promise.all([0, 1, 2].map((i) => nodeOf(client, `stacked-${i}`)));
      return nodes.every(Boolean) && nodes;
    });
    expect(placed).toEqual(['n1', 'n1', 'n1']);
  });

  test('a cordoned node gets no new pods', async () => {
    const { client } = api;
    for (const n of ['n1', 'n2', 'n3']) await createNode(client, n);
    await client.patch<Node>(Resources.nodes, undefined, 'n2', { spec: { unschedulable: true } });
    sched = await start();
    for (let i = 0; i < 9; i++) await createPod(client, `p${i}`);
    const pods = await waitFor('9 pods bound', async () => {
      const ps = await listPods(client);
      return ps.filter((p) => p.spec?.nodeName).length === 9 && ps;
    });
    expect(pods.some((p) => p.spec?.nodeName === 'n2')).toBe(false);
    expect(new Set(pods.map((p) => p.spec?.nodeName))).toEqual(new Set(['n1', 'n3']));
  });

  test('a pod too big for every node stays Pending with the reason, and schedules once a big node joins', async () => {
    const { client } = api;
    for (const n of ['n1', 'n2', 'n3']) await createNode(client, n, { cpu: '4' });
    sched = await start();
    await createPod(client, 'big', { cpu: '16' });
    const pending = await waitFor('PodScheduled=False', async () => {
      const p = await client.get<Pod>(Resources.pods, 'default', 'big');
      return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    });
    const message = '0/3 nodes are available: 3 Insufficient cpu.';
    expect(pending).toMatchObject({ reason: 'Unschedulable', message });
    const event = await waitFor('FailedScheduling event', async () => {
      const evs = (await client.list<Event>(Resources.events, { namespace: 'default' })).items;
      return evs.find((e) => e.reason === 'FailedScheduling' && e.involvedObject.name === 'big');
    });
    expect(event).toMatchObject({ type: 'Warning', message });
    expect(await nodeOf(client, 'big')).toBeUndefined();

    // Unschedulable pods wait for an event (no busy retry): the attempt count stays put.
    await new Promise((r) => setTimeout(r, 1500));
    expect(sched.scheduler.queue.whereIs((await client.get<Pod>(Resources.pods, 'default', 'big')).metadata!.uid!)).toBe('unschedulable');

    const joined = Date.now();
    await createNode(client, 'huge', { cpu: '32' });
    expect(await waitFor('big pod bound', () => nodeOf(client, 'big'), 5000)).toBe('huge');
    expect(Date.now() - joined).toBeLessThan(3000);
  });

  test('a pod waiting for room schedules as soon as a pod on the node is deleted', async () => {
    const { client } = api;
    await createNode(client, 'n1', { cpu: '1' });
    sched = await start({ podMaxInUnschedulablePodsSeconds: 600 }); // only the event can move it
    await createPod(client, 'holder', { cpu: '800m' });
    expect(await waitFor('holder bound', () => nodeOf(client, 'holder'))).toBe('n1');
    await createPod(client, 'waiter', { cpu: '500m' });
    await waitFor('waiter unschedulable', async () => {
      const p = await client.get<Pod>(Resources.pods, 'default', 'waiter');
      return p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message === '0/1 nodes are available: 1 Insufficient cpu.';
    });
    await client.request('DELETE', resourcePath(Resources.pods, { namespace: 'default', name: 'holder' }), { query: { gracePeriodSeconds: 0 } });
    expect(await waitFor('waiter bound', () => nodeOf(client, 'waiter'), 5000)).toBe('n1');
  });

  test('taints and tolerations', async () => {
    const { client } = api;
    await createNode(client, 'gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }], labels: { accel: 'gpu' } });
    await createNode(client, 'plain');
    sched = await start();
    for (let i = 0; i < 4; i++) await createPod(client, `plain-${i}`);
    await createPod(client, 'gpu-job', {
      nodeSelector: { accel: 'gpu' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
    });
    await createPod(client, 'wants-gpu-no-toleration', { nodeSelector: { accel: 'gpu' } });
    await waitFor('pods bound', async () => (await listPods(client)).filter((p) => p.spec?.nodeName).length === 5);
    for (let i = 0; i < 4; i++) expect(await nodeOf(client, `plain-${i}`)).toBe('plain');
    expect(await nodeOf(client, 'gpu-job')).toBe('gpu');
    const stuck = await waitFor('condition', async () => {
      const p = await client.get<Pod>(Resources.pods, 'default', 'wants-gpu-no-toleration');
      return p.status?.conditions?.find((c) => c.type === 'PodScheduled');
    });
    expect(stuck.message).toBe(
      "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: gpu}.",
    );
  });

  test('nodeSelector, required and preferred node affinity', async () => {
    const { client } = api;
    await createNode(client, 'ssd-a', { labels: { disk: 'ssd', zone: 'a' } });
    await createNode(client, 'ssd-b', { labels: { disk: 'ssd', zone: 'b' } });
    await createNode(client, 'hdd-a', { labels: { disk: 'hdd', zone: 'a' } });
    sched = await start();
    await createPod(client, 'sel', { nodeSelector: { disk: 'hdd' } });
    await createPod(client, 'notin', {
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [
        { key: 'disk', operator: 'In', values: ['ssd'] },
        { key: 'zone', operator: 'NotIn', values: ['a'] },
      ] }] } } },
    });
    for (let i = 0; i < 3; i++) {
      await createPod(client, `pref-${i}`, {
        affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } }] } },
      });
    }
    await waitFor('pods bound', async () => (await listPods(client)).filter((p) => p.spec?.nodeName).length === 5);
    expect(await nodeOf(client, 'sel')).toBe('hdd-a');
    expect(await nodeOf(client, 'notin')).toBe('ssd-b');
    for (let i = 0; i < 3; i++) expect(['ssd-a', 'hdd-a']).toContain(await nodeOf(client, `pref-${i}`));
  });

  test('no node is over-committed when 500 pods are created at once', async () => {
    const { client } = api;
    // 5 nodes × 10 cpu = room for exactly 500 pods of 100m, across nodes of different sizes; 550 come.
    const sizes: Record<string, string> = { a: '6', b: '8', c: '10', d: '12', e: '14' };
    for (const [n, cpu] of Object.entries(sizes)) await createNode(client, n, { cpu, memory: '64Gi', pods: '500' });
    sched = await start();
    const total = 550;
    const names = Array.from({ length: total }, (_, i) => `burst-${i}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((n) => createPod(client, n, { cpu: '100m', memory: '64Mi' })));
    }
    const pods = await waitFor('500 bound, 50 reported unschedulable', async () => {
      const ps = await listPods(client);
      const bound = ps.filter((p) => p.spec?.nodeName).length;
      const failed = ps.filter((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable')).length;
      return bound === 500 && failed === 50 && ps;
    }, 40_000);
    const perNode = new Map<string, number>();
    for (const p of pods) if (p.spec?.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 100);
    for (const [n, cpu] of Object.entries(sizes)) expect(perNode.get(n)).toBe(Number(cpu) * 1000);
    // and nothing binds later either
    await new Promise((r) => setTimeout(r, 500));
    expect((await listPods(client)).filter((p) => p.spec?.nodeName).length).toBe(500);
    await sched.scheduler.flushEvents(); // ~550 events are still being written: let them land before the apiserver stops
  });

  test('host ports: two pods wanting the same hostPort go to different nodes', async () => {
    const { client } = api;
    await createNode(client, 'n1');
    await createNode(client, 'n2');
    sched = await start();
    for (let i = 0; i < 3; i++) await createPod(client, `hp-${i}`, { hostPorts: [8080] });
    await waitFor('2 bound', async () => (await listPods(client)).filter((p) => p.spec?.nodeName).length === 2);
    const nodes = await Promise.all([0, 1, 2].map((i) => nodeOf(client, `hp-${i}`)));
    expect(new Set(nodes.filter(Boolean)).size).toBe(2);
    // deleting one frees its port for the third
    const i = nodes.findIndex(Boolean);
    await client.request('DELETE', resourcePath(Resources.pods, { namespace: 'default', name: `hp-${i}` }), { query: { gracePeriodSeconds: 0 } });
    await waitFor('third bound', async () => {
      const ps = await listPods(client);
      return ps.length === 2 && ps.every((p) => p.spec?.nodeName);
    });
  });

  test('a failed bind is forgotten (no resources held) and retried', async () => {
    const { client } = api;
    await createNode(client, 'n1', { cpu: '1' });
    const real = new DefaultBinder(client);
    let calls = 0;
    const flaky: BindPlugin = {
      name: 'FlakyBinder',
      async bind(pod: Pod, nodeName: string): Promise<Status | null> {
        if (++calls === 1) return { code: 'Error', reasons: ['injected failure'] };
        return real.bind(pod, nodeName);
      },
    };
    const profile = { ...defaultProfile(client), bind: [flaky] };
    sched = await start({ profile });
    await createPod(client, 'whole-node', { cpu: '1' });
    expect(await waitFor('bound after retry', () => nodeOf(client, 'whole-node'))).toBe('n1');
    expect(calls).toBe(2);
    // The failed attempt's assumption was dropped: the node holds the pod once.
    await waitFor('cache confirmed', async () => sched!.scheduler.cache.getNode('n1')?.pods.size === 1 && !sched!.scheduler.cache.isAssumed((await client.get<Pod>(Resources.pods, 'default', 'whole-node')).metadata!.uid!));
    expect(sched.scheduler.cache.getNode('n1')?.requested.milliCpu).toBe(1000);
    await waitFor('FailedScheduling event for the failed bind', async () => {
      const evs = (await client.list<Event>(Resources.events, { namespace: 'default' })).items;
      return evs.some((e) => e.reason === 'FailedScheduling' && /Binding rejected: injected failure/.test(e.message ?? ''));
    });
  });

  test('a pod being deleted is not scheduled', async () => {
    const { client } = api;
    sched = await start();
    const pod = makePod('doomed');
    const { uid: _uid, ...metadata } = pod.metadata ?? {};
    await client.create<Pod>(Resources.pods, 'default', { ...pod, metadata: { ...metadata, finalizers: ['example.com/hold'] } });
    await waitFor('reported unschedulable (no nodes)', async () => {
      const p = await client.get<Pod>(Resources.pods, 'default', 'doomed');
      return p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.message === 'no nodes available to schedule pods');
    });
    await client.delete(Resources.pods, 'default', 'doomed');
    await waitFor('deletionTimestamp', async () => (await client.get<Pod>(Resources.pods, 'default', 'doomed')).metadata?.deletionTimestamp);
    await createNode(client, 'n1');
    await createPod(client, 'alive');
    expect(await waitFor('the other pod bound', () => nodeOf(client, 'alive'))).toBe('n1');
    await new Promise((r) => setTimeout(r, 500));
    expect(await nodeOf(client, 'doomed')).toBeUndefined();
    await client.patch<Pod>(Resources.pods, 'default', 'doomed', { metadata: { finalizers: null } });
  });

  test('a pod with scheduling gates is held back', async () => {
    // (Removing the gates is covered by the queue's unit test: the apiserver does not allow that
    // update yet.)
    const { client } = api;
    await createNode(client, 'n1');
    sched = await start();
    const pod = makePod('gated');
    const { uid: _uid, ...metadata } = pod.metadata ?? {};
    const created = await client.create<Pod>(Resources.pods, 'default', { ...pod, metadata, spec: { ...pod.spec!, schedulingGates: [{ name: 'example.com/wait' }] } });
    await createPod(client, 'free');
    expect(await waitFor('the ungated pod bound', () => nodeOf(client, 'free'))).toBe('n1');
    expect(await nodeOf(client, 'gated')).toBeUndefined();
    expect(sched.scheduler.queue.whereIs(created.metadata!.uid!)).toBe('gated');
  });

  test('only pods for this scheduler name', async () => {
    const { client } = api;
    await createNode(client, 'n1');
    sched = await start({ schedulerName: 'custom' });
    await createPod(client, 'default-one');
    await createPod(client, 'custom-one', { schedulerName: 'custom' });
    expect(await waitFor('custom pod bound', () => nodeOf(client, 'custom-one'))).toBe('n1');
    await new Promise((r) => setTimeout(r, 300));
    expect(await nodeOf(client, 'default-one')).toBeUndefined();
  });

  test('leader election: of two schedulers only the leader binds; the other takes over when it stops', async () => {
    const { client } = api;
    await createNode(client, 'n1');
    const le = { leaseDurationSeconds: 2, renewDeadlineSeconds: 1, retryPeriodSeconds: 0.2 };
    const a = await start({ leaderElect: true, leaderElection: { ...le, identity: 'a' } });
    extra.push(a);
    await waitFor('a leads', async () => a.scheduler.isLeading());
    const b = await start({ leaderElect: true, leaderElection: { ...le, identity: 'b' } });
    extra.push(b);
    await createPod(client, 'first');
    await waitFor('first bound', () => nodeOf(client, 'first'));
    expect(a.scheduler.isLeading()).toBe(true);
    expect(b.scheduler.isLeading()).toBe(false);
    await a.stop();
    extra.splice(extra.indexOf(a), 1);
    await waitFor('b leads', async () => b.scheduler.isLeading(), 10_000);
    await createPod(client, 'second');
    expect(await waitFor('second bound', () => nodeOf(client, 'second'))).toBe('n1');
  });

  test('/metrics', async () => {
    const { client } = api;
    await createNode(client, 'n1');
    sched = await start({ metricsPort: 0 });
    expect(sched.metricsPort).toBeUndefined(); // 0 disables
    await sched.stop();
    sched = await startScheduler({ client, metricsListen: { host: '127.0.0.1', port: 0 } });
    await createPod(client, 'm');
    await waitFor('bound', () => nodeOf(client, 'm'));
    const body = await new Promise<string>((resolve, reject) => {
      http.get(`http://127.0.0.1:${sched!.metricsPort}/metrics`, (res) => {
        let s = '';
        res.on('data', (c) => (s += c));
        res.on('end', () => resolve(s));
      }).on('error', reject);
    });
    expect(body).toMatch(/scheduler_schedule_attempts_total\{result="scheduled",profile="default-scheduler"\} [1-9]/);
    expect(body).toContain('scheduler_pending_pods{queue="active"}');
    expect(body).toContain('scheduler_scheduling_attempt_duration_seconds_bucket');
    expect(body).toContain('scheduler_pod_scheduling_duration_seconds_bucket');
  });
});
