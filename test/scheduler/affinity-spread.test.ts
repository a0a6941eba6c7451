// InterPodAffinity and PodTopologySpread against a real (in-memory) apiserver with hollow nodes (Node
// objects only, no agents): pods go in through the API, often all at once so that placements depend
// on the scheduler counting its own just-assumed pods, and the outcome is read back through the API.
import type { Event, Namespace, Pod, PodAffinityTerm, Service } from 'kubernetes-types/core/v1';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { Resources } from '../../lib/api/resources';
import { RunningScheduler, startScheduler } from '../../scheduler/start';
import { ErrReasonAntiAffinityRulesNotMatch, ErrReasonExistingAntiAffinityRulesNotMatch } from '../../scheduler/plugins/inter-pod-affinity';
import { ErrReasonConstraintsNotMatch } from '../../scheduler/plugins/pod-topology-spread';
import { waitForWithin } from '../helpers/wait';
import { createNode, createPod, listPods, nodeOf } from '../helpers/scheduler-api';
import type { PodSpecOptions } from '../fixtures/scheduler';

const waitFor = waitForWithin(15000);
jest.setTimeout(60_000);

const Zone = 'topology.kubernetes.io/zone';
const Host = 'kubernetes.io/hostname';

const term = (matchLabels: Record<string, string>, topologyKey: string, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({
  labelSelector: { matchLabels },
  topologyKey,
  ...extra,
});

describe('scheduler: pod affinity and topology spread (integration)', () => {
  let api: TestApiServer;
  let sched: RunningScheduler | undefined;

  beforeEach(async () => {
    api = await startTestApiServer();
  });
  afterEach(async () => {
    await sched?.stop();
    sched = undefined;
    await api.stop();
  });

  const start = async () => {
    sched = await startScheduler({ client: api.client, podInitialBackoffSeconds: 0.2, podMaxBackoffSeconds: 1 });
  };

  async function zonedNodes(layout: Record<string, string>): Promise<void> {
    for (const [name, zone] of Object.entries(layout)) await createNode(api.client, name, { labels: { [Zone]: zone } });
  }

  async function placements(names: string[], namespace = 'default'): Promise<string[]> {
    return waitFor(`${names.length} pods bound`, async () => {
      const nodes = await Promise.all(names.map((n) => nodeOf(api.client, n, namespace)));
      return nodes.every(Boolean) && (nodes as string[]);
    });
  }

  async function failedSchedulingMessage(pod: string): Promise<string> {
    return waitFor(`FailedScheduling for ${pod}`, async () => {
      const evs = (await api.client.list<Event>(Resources.events, { namespace: 'default' })).items;
      return evs.find((e) => e.reason === 'FailedScheduling' && e.involvedObject.name === pod)?.message;
    });
  }

  test('required anti-affinity on hostname, pods created together: one per node, the extra one pending with the reason', async () => {
    await zonedNodes({ n1: 'a', n2: 'a', n3: 'b' });
    await start();
    const solo: PodSpecOptions = { labels: { app: 'solo' }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'solo' }, Host)] } } };
    await Promise.all([0, 1, 2, 3].map((i) => createPod(api.client, `solo-${i}`, solo)));
    const bound = await waitFor('3 of 4 bound', async () => {
      const pods = (await listPods(api.client)).filter((p) => p.spec?.nodeName);
      return pods.length === 3 && pods;
    });
    expect(new Set(bound.map((p) => p.spec?.nodeName))).toEqual(new Set(['n1', 'n2', 'n3']));
    const pending = (await listPods(api.client)).find((p) => !p.spec?.nodeName) as Pod;
    const msg = await failedSchedulingMessage(pending.metadata?.name ?? '');
    // The pending pod is rejected by its own term and by the placed pods' (symmetric) terms; the
    // filter reports the first it finds.
    expect(msg.startsWith('0/3 nodes are available: 3 ')).toBe(true);
    expect(msg.includes(ErrReasonAntiAffinityRulesNotMatch) || msg.includes(ErrReasonExistingAntiAffinityRulesNotMatch)).toBe(true);

    // Deleting a placed pod frees its node for the pending one (PodDelete moves it back).
    const freed = bound[0];
    // Hollow nodes have no agent to finish a graceful deletion: delete at once.
    await api.client.delete(Resources.pods, 'default', freed.metadata?.name ?? '', { gracePeriodSeconds: 0 });
    expect(await placements([pending.metadata?.name ?? ''])).toEqual([freed.spec?.nodeName]);
  });

  test('required affinity to a zone: the pod waits for a matching pod, then joins its zone', async () => {
    await zonedNodes({ a1: 'a', b1: 'b', b2: 'b' });
    await start();
    await createPod(api.client, 'web', { labels: { app: 'web' }, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, Zone)] } } });
    expect(await failedSchedulingMessage('web')).toBe("0/3 nodes are available: 3 node(s) didn't match pod affinity rules.");
    // A db pod bound to b2 by hand (a PodAdd event) makes zone b the place.
    await createPod(api.client, 'db', { labels: { app: 'db' }, nodeName: 'b2' });
    const [node] = await placements(['web']);
    expect(['b1', 'b2']).toContain(node);
  });

  test('a namespaceSelector term reaches pods of labelled namespaces only', async () => {
    await zonedNodes({ a1: 'a', b1: 'b' });
    for (const [name, env] of [['prod', 'prod'], ['dev', 'dev']]) {
      await api.client.create<Namespace>(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { env } } });
    }
    await createPod(api.client, 'db-dev', { namespace: 'dev', labels: { app: 'db' }, nodeName: 'a1' });
    await createPod(api.client, 'db-prod', { namespace: 'prod', labels: { app: 'db' }, nodeName: 'b1' });
    await start();
    await createPod(api.client, 'client', {
      affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' }, Zone, { namespaceSelector: { matchLabels: { env: 'prod' } } })] } },
    });
    expect(await placements(['client'])).toEqual(['b1']);
  });

  test('topology spread DoNotSchedule over zones, 6 pods created together: 3 per zone though zone a has 3 nodes', async () => {
    await zonedNodes({ a1: 'a', a2: 'a', a3: 'a', b1: 'b' });
    await start();
    const names = [0, 1, 2, 3, 4, 5].map((i) => `spread-${i}`);
    const spec: PodSpecOptions = {
      labels: { app: 'spread' },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: Zone, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } }],
    };
    await Promise.all(names.map((n) => createPod(api.client, n, spec)));
    const nodes = await placements(names);
    const perZone = { a: nodes.filter((n) => n.startsWith('a')).length, b: nodes.filter((n) => n === 'b1').length };
    expect(perZone).toEqual({ a: 3, b: 3 });
  });

  test('topology spread DoNotSchedule: a pod that would exceed maxSkew stays pending with the reason', async () => {
    await zonedNodes({ a1: 'a', b1: 'b' });
    // Zone b cannot take pods (cordoned), so zone a may run at most maxSkew more than zone b's 0.
    await api.client.patch(Resources.nodes, undefined, 'b1', { spec: { unschedulable: true } });
    await start();
    const spec: PodSpecOptions = {
      labels: { app: 'capped' },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: Zone, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'capped' } } }],
    };
    await createPod(api.client, 'capped-0', spec);
    expect(await placements(['capped-0'])).toEqual(['a1']);
    await createPod(api.client, 'capped-1', spec);
    const msg = await failedSchedulingMessage('capped-1');
    expect(msg).toContain(`1 ${ErrReasonConstraintsNotMatch}`);
  });

  test("system default spreading: a Service's pods spread over nodes without any constraint of their own", async () => {
    // One big node: resource scoring alone would put all of them there.
    await createNode(api.client, 'big', { cpu: '32', memory: '64Gi' });
    await createNode(api.client, 'small-1');
    await createNode(api.client, 'small-2');
    await api.client.create<Service>(Resources.services, 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api' },
      spec: { selector: { app: 'api' }, ports: [{ port: 80 }] },
    });
    await start();
    // The Service reaches the scheduler's informer before the pods do.
    await waitFor('service in the scheduler', () => (sched?.scheduler.listers.services('default').length ?? 0) > 0);
    const names = [0, 1, 2].map((i) => `api-${i}`);
    for (const n of names) await createPod(api.client, n, { labels: { app: 'api' }, cpu: '100m' });
    expect(new Set(await placements(names)).size).toBe(3);
  });
});
