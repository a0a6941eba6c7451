import type { PodAffinityTerm } from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import {
  ErrReasonAffinityRulesNotMatch,
  ErrReasonAntiAffinityRulesNotMatch,
  ErrReasonExistingAntiAffinityRulesNotMatch,
  InterPodAffinity,
} from './inter-pod-affinity';
import { makePod, nodeInfo, podInfo, PodSpecOptions } from '../../test/fixtures/scheduler';
import { ClusterSnapshot, CycleState, NodeScore, ObjectListers, noObjectListers, snapshotOf, Status } from '../framework/types';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';

const Zone = 'topology.kubernetes.io/zone';
const Host = 'kubernetes.io/hostname';

function term(matchLabels: Record<string, string>, topologyKey: string, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm {
  return { labelSelector: { matchLabels }, topologyKey, ...extra };
}
const zone = (z: string) => ({ labels: { [Zone]: z } });

function filterAll(pod: PodInfo, nodes: NodeInfo[], listers: ObjectListers = noObjectListers): Array<Status | null> {
  const plugin = new InterPodAffinity();
  const state = new CycleState();
  const pre = plugin.preFilter(state, pod, snapshotOf(nodes, listers));
  if (pre?.code === 'Skip') return nodes.map(() => null); // the framework would not run the filter
  expect(pre).toBeNull();
  return nodes.map((n) => plugin.filter(state, pod, n));
}

function passes(pod: PodInfo, nodes: NodeInfo[], listers?: ObjectListers): boolean[] {
  return filterAll(pod, nodes, listers).map((s) => s === null);
}

function scores(pod: PodInfo, nodes: NodeInfo[], listers: ObjectListers = noObjectListers): number[] {
  const plugin = new InterPodAffinity();
  const state = new CycleState();
  if (plugin.preScore(state, pod, nodes, snapshotOf(nodes, listers))?.code === 'Skip') return nodes.map(() => 0); // left out by the framework
  const s: NodeScore[] = nodes.map((node) => ({ node, score: plugin.score(state, pod, node) }));
  plugin.normalizeScores(state, pod, s);
  return s.map((x) => x.score);
}

const affinityPod = (name: string, required: PodAffinityTerm[], opts: PodSpecOptions = {}) =>
  podInfo(name, { ...opts, affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: required } } });
const antiPod = (name: string, required: PodAffinityTerm[], opts: PodSpecOptions = {}) =>
  podInfo(name, { ...opts, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: required } } });

describe('InterPodAffinity filter: required pod affinity', () => {
  const db = makePod('db', { labels: { app: 'db' } });

  test("only the domain (zone) holding a matching pod; a node without the topology key never", () => {
    const nodes = [nodeInfo('a1', zone('a'), [db]), nodeInfo('a2', zone('a')), nodeInfo('b1', zone('b')), nodeInfo('nozone')];
    const st = filterAll(affinityPod('web', [term({ app: 'db' }, Zone)]), nodes);
    expect(st.map((s) => s === null)).toEqual([true, true, false, false]);
    expect(st[2]).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: [ErrReasonAffinityRulesNotMatch] });
  });

  test("every term must be satisfied, counting only pods that match all terms (kube-scheduler's rule)", () => {
    const primary = makePod('primary', { labels: { app: 'db', tier: 'primary' } });
    const tierOnly = makePod('other-primary', { labels: { tier: 'primary' } });
    const nodes = [nodeInfo('a1', zone('a'), [db]), nodeInfo('a2', zone('a'), [primary]), nodeInfo('b1', zone('b'), [db, tierOnly])];
    const pod = affinityPod('web', [term({ app: 'db' }, Zone), term({ tier: 'primary' }, Host)]);
    expect(passes(pod, nodes)).toEqual([false, true, false]);
  });

  test('the first pod of a self-attracting group may go anywhere with the key; a pod not matching itself may not', () => {
    const nodes = [nodeInfo('a1', zone('a')), nodeInfo('nozone')];
    expect(passes(affinityPod('db-0', [term({ app: 'db' }, Zone)], { labels: { app: 'db' } }), nodes)).toEqual([true, false]);
    expect(passes(affinityPod('web', [term({ app: 'db' }, Zone)], { labels: { app: 'web' } }), nodes)).toEqual([false, false]);
  });

  test('pods in other namespaces do not count unless the term names them', () => {
    const otherDb = makePod('db', { namespace: 'prod', labels: { app: 'db' } });
    const nodes = [nodeInfo('a1', zone('a'), [otherDb]), nodeInfo('b1', zone('b'))];
    expect(passes(affinityPod('web', [term({ app: 'db' }, Zone)]), nodes)).toEqual([false, false]);
    expect(passes(affinityPod('web', [term({ app: 'db' }, Zone, { namespaces: ['prod'] })]), nodes)).toEqual([true, false]);
  });

  test('namespaceSelector: by the namespace labels; an empty one selects every namespace', () => {
    const otherDb = makePod('db', { namespace: 'prod', labels: { app: 'db' } });
    const nodes = [nodeInfo('a1', zone('a'), [otherDb]), nodeInfo('b1', zone('b'))];
    const nsLabels: Record<string, Record<string, string>> = { prod: { env: 'prod' }, default: {} };
    const listers: ObjectListers = { ...noObjectListers, namespaceLabels: (ns) => nsLabels[ns] };
    const withSelector = (sel: LabelSelector) => affinityPod('web', [term({ app: 'db' }, Zone, { namespaceSelector: sel })]);
    expect(passes(withSelector({ matchLabels: { env: 'prod' } }), nodes, listers)).toEqual([true, false]);
    expect(passes(withSelector({ matchLabels: { env: 'dev' } }), nodes, listers)).toEqual([false, false]);
    expect(passes(withSelector({}), nodes, listers)).toEqual([true, false]);
  });
});

describe('InterPodAffinity filter: anti-affinity', () => {
  const web = makePod('web-0', { labels: { app: 'web' } });

  test("the pod's own required anti-affinity: not in a domain holding a matching pod", () => {
    const nodes = [nodeInfo('n1', {}, [web]), nodeInfo('n2')];
    const st = filterAll(antiPod('web-1', [term({ app: 'web' }, Host)], { labels: { app: 'web' } }), nodes);
    expect(st[0]).toEqual({ code: 'Unschedulable', reasons: [ErrReasonAntiAffinityRulesNotMatch] });
    expect(st[1]).toBeNull();
  });

  test("existing pods' required anti-affinity keeps matching pods out of their domain (symmetry)", () => {
    const loner = makePod('loner', { labels: { app: 'loner' }, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, Zone)] } } });
    const nodes = [nodeInfo('a1', zone('a'), [loner]), nodeInfo('a2', zone('a')), nodeInfo('b1', zone('b'))];
    const st = filterAll(podInfo('web', { labels: { app: 'web' } }), nodes);
    expect(st[0]).toEqual({ code: 'Unschedulable', reasons: [ErrReasonExistingAntiAffinityRulesNotMatch] });
    expect(st.map((s) => s === null)).toEqual([false, false, true]);
    // A pod the term does not select is not affected.
    expect(passes(podInfo('db', { labels: { app: 'db' } }), nodes)).toEqual([true, true, true]);
  });

  test('nothing to check: pre-filter does not even look at the node list', () => {
    const nodes = [nodeInfo('n1', {}, [web])];
    const snapshot: ClusterSnapshot = {
      get nodes(): NodeInfo[] {
        throw new Error('the node list was read');
      },
      nodesWithPodAffinity: [],
      nodesWithRequiredAntiAffinity: [],
      listers: noObjectListers,
    };
    const plugin = new InterPodAffinity();
    const state = new CycleState();
    const pod = podInfo('plain', { labels: { app: 'web' } });
    // Skip: the framework runs neither its filter nor its score for this pod.
    expect(plugin.preFilter(state, pod, snapshot)?.code).toBe('Skip');
    expect(plugin.preScore(state, pod, nodes, snapshot)?.code).toBe('Skip');
  });

  test('an invalid term rejects the pod in pre-filter', () => {
    const bad = antiPod('bad', [{ labelSelector: { matchExpressions: [{ key: 'app', operator: 'Bogus' }] }, topologyKey: Host }]);
    const st = new InterPodAffinity().preFilter(new CycleState(), bad, snapshotOf([]));
    expect(st?.code).toBe('UnschedulableAndUnresolvable');
    expect(st?.reasons[0]).toMatch(/invalid pod affinity term/);
  });
});

describe('InterPodAffinity score', () => {
  test("the pod's preferred affinity (+weight) and anti-affinity (−weight) per domain, normalized min..max", () => {
    const pod = podInfo('p', {
      affinity: {
        podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 80, podAffinityTerm: term({ app: 'db' }, Zone) }] },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 20, podAffinityTerm: term({ app: 'web' }, Host) }] },
      },
    });
    const nodes = [
      nodeInfo('a1', zone('a'), [makePod('db', { labels: { app: 'db' } })]), // +80
      nodeInfo('a2', zone('a'), [makePod('web', { labels: { app: 'web' } })]), // +80 −20
      nodeInfo('b1', zone('b')), // 0
    ];
    expect(scores(pod, nodes)).toEqual([100, 75, 0]);
  });

  test("existing pods' terms that select the incoming pod: required affinity at weight 1, preferred ±weight", () => {
    const attract = makePod('a', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'web' }, Host)] } } });
    expect(scores(podInfo('web', { labels: { app: 'web' } }), [nodeInfo('n1', {}, [attract]), nodeInfo('n2')])).toEqual([100, 0]);
    const repel = makePod('r', {
      affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term({ app: 'web' }, Host) }] } },
    });
    expect(scores(podInfo('web', { labels: { app: 'web' } }), [nodeInfo('n1', {}, [repel]), nodeInfo('n2')])).toEqual([0, 100]);
    // Not selected by the term: no preference.
    expect(scores(podInfo('db', { labels: { app: 'db' } }), [nodeInfo('n1', {}, [repel]), nodeInfo('n2')])).toEqual([0, 0]);
  });
});
