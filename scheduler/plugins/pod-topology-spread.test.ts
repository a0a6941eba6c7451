import type { Service, TopologySpreadConstraint } from 'kubernetes-types/core/v1';
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import { ErrReasonConstraintsNotMatch, ErrReasonNodeLabelNotMatch, PodTopologySpread } from './pod-topology-spread';
import { makePod, nodeInfo, NodeSpec, podInfo, PodSpecOptions } from '../../test/fixtures/scheduler';
import { CycleState, NodeScore, ObjectListers, noObjectListers, snapshotOf, Status } from '../framework/types';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';

const Zone = 'topology.kubernetes.io/zone';
const Host = 'kubernetes.io/hostname';

function constraint(topologyKey: string, maxSkew: number, whenUnsatisfiable: string, extra: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint {
  return { topologyKey, maxSkew, whenUnsatisfiable, labelSelector: { matchLabels: { app: 'web' } }, ...extra };
}
const inZone = (z: string, extra: NodeSpec = {}): NodeSpec => ({ ...extra, labels: { [Zone]: z, ...extra.labels } });
const web = (name: string, opts: PodSpecOptions = {}) => makePod(name, { labels: { app: 'web' }, ...opts });
const spreadPod = (constraints: TopologySpreadConstraint[], opts: PodSpecOptions = {}) =>
  podInfo('incoming', { labels: { app: 'web' }, topologySpreadConstraints: constraints, ...opts });

function filterAll(pod: PodInfo, nodes: NodeInfo[]): Array<Status | null> {
  const plugin = new PodTopologySpread();
  const state = new CycleState();
  const pre = plugin.preFilter(state, pod, snapshotOf(nodes));
  if (pre?.code === 'Skip') return nodes.map(() => null); // the framework would not run the filter
  expect(pre).toBeNull();
  return nodes.map((n) => plugin.filter(state, pod, n));
}
const passes = (pod: PodInfo, nodes: NodeInfo[]) => filterAll(pod, nodes).map((s) => s === null);

function scores(pod: PodInfo, feasible: NodeInfo[], all: NodeInfo[] = feasible, listers: ObjectListers = noObjectListers): number[] {
  const plugin = new PodTopologySpread();
  const state = new CycleState();
  if (plugin.preScore(state, pod, feasible, snapshotOf(all, listers))?.code === 'Skip') return feasible.map(() => 0); // left out by the framework
  const s: NodeScore[] = feasible.map((node) => ({ node, score: plugin.score(state, pod, node) }));
  plugin.normalizeScores(state, pod, s);
  return s.map((x) => x.score);
}

describe('PodTopologySpread filter (DoNotSchedule)', () => {
  // zone a: 2 matching pods, zone b: 1.
  const cluster = () => [
    nodeInfo('a1', inZone('a'), [web('w1'), web('w2')]),
    nodeInfo('a2', inZone('a')),
    nodeInfo('b1', inZone('b'), [web('w3')]),
  ];

  test('skew = matching in the domain + self − global minimum must stay ≤ maxSkew', () => {
    const st = filterAll(spreadPod([constraint(Zone, 1, 'DoNotSchedule')]), cluster());
    expect(st[0]).toEqual({ code: 'Unschedulable', reasons: [ErrReasonConstraintsNotMatch] });
    expect(st.map((s) => s === null)).toEqual([false, false, true]);
    expect(passes(spreadPod([constraint(Zone, 2, 'DoNotSchedule')]), cluster())).toEqual([true, true, true]);
  });

  test('a pod its own selector does not match adds nothing to the skew', () => {
    expect(passes(spreadPod([constraint(Zone, 1, 'DoNotSchedule')], { labels: { app: 'other' } }), cluster())).toEqual([true, true, true]);
  });

  test('a node without the topology key is rejected as unresolvable', () => {
    const nodes = [...cluster(), nodeInfo('nozone')];
    expect(filterAll(spreadPod([constraint(Zone, 1, 'DoNotSchedule')]), nodes)[3]).toEqual({
      code: 'UnschedulableAndUnresolvable',
      reasons: [ErrReasonNodeLabelNotMatch],
    });
  });

  test('minDomains: with fewer eligible domains the global minimum is 0', () => {
    // Two domains, minDomains 3: zone b (1 pod) would reach 2 − 0 > 1.
    expect(passes(spreadPod([constraint(Zone, 1, 'DoNotSchedule', { minDomains: 3 })]), cluster())).toEqual([false, false, false]);
    expect(passes(spreadPod([constraint(Zone, 2, 'DoNotSchedule', { minDomains: 3 })]), cluster())).toEqual([false, false, true]);
  });

  test('nodeAffinityPolicy: Honor (default) leaves domains the pod cannot use out of the minimum; Ignore counts them', () => {
    // The pod may only go to zone a nodes: zone a's 2 pods are then the minimum.
    const nodes = [
      nodeInfo('a1', inZone('a', { labels: { pool: 'x' } }), [web('w1'), web('w2')]),
      nodeInfo('a2', inZone('a', { labels: { pool: 'x' } })),
      nodeInfo('b1', inZone('b'), [web('w3')]),
    ];
    expect(passes(spreadPod([constraint(Zone, 1, 'DoNotSchedule')], { nodeSelector: { pool: 'x' } }), nodes).slice(0, 2)).toEqual([true, true]);
    expect(passes(spreadPod([constraint(Zone, 1, 'DoNotSchedule', { nodeAffinityPolicy: 'Ignore' })], { nodeSelector: { pool: 'x' } }), nodes).slice(0, 2)).toEqual([false, false]);
  });

  test('nodeTaintsPolicy: Ignore (default) counts a tainted domain; Honor leaves it out', () => {
    const nodes = [
      nodeInfo('a1', inZone('a'), [web('w1'), web('w2')]),
      nodeInfo('b1', inZone('b', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }), [web('w3')]),
    ];
    expect(passes(spreadPod([constraint(Zone, 1, 'DoNotSchedule')]), nodes)[0]).toBe(false);
    expect(passes(spreadPod([constraint(Zone, 1, 'DoNotSchedule', { nodeTaintsPolicy: 'Honor' })]), nodes)[0]).toBe(true);
  });

  test('pods of other namespaces and pods being deleted do not count', () => {
    const nodes = [
      nodeInfo('a1', inZone('a'), [web('w1', { namespace: 'other' }), web('w2', { deleting: true }), web('w3')]),
      nodeInfo('b1', inZone('b')),
    ];
    // Only w3 counts: a1 would reach 1 + 1 − 0 = 2 > 1.
    expect(passes(spreadPod([constraint(Zone, 1, 'DoNotSchedule')]), nodes)).toEqual([false, true]);
  });

  test('matchLabelKeys narrows the selector to pods with the same value of those labels', () => {
    const nodes = [nodeInfo('a1', inZone('a'), [web('old1', { labels: { app: 'web', rev: '1' } }), web('old2', { labels: { app: 'web', rev: '1' } })]), nodeInfo('b1', inZone('b'))];
    const pod = spreadPod([constraint(Zone, 1, 'DoNotSchedule', { matchLabelKeys: ['rev'] })], { labels: { app: 'web', rev: '2' } });
    expect(passes(pod, nodes)).toEqual([true, true]);
    expect(passes(spreadPod([constraint(Zone, 1, 'DoNotSchedule')], { labels: { app: 'web', rev: '2' } }), nodes)).toEqual([false, true]);
  });

  test('ScheduleAnyway constraints never filter', () => {
    expect(passes(spreadPod([constraint(Zone, 1, 'ScheduleAnyway')]), [...cluster(), nodeInfo('nozone')])).toEqual([true, true, true, true]);
  });
});

describe('PodTopologySpread score (ScheduleAnyway)', () => {
  test('hostname: fewer matching pods scores higher (count × log(domains + 2) + maxSkew − 1, normalized)', () => {
    const nodes = [nodeInfo('n1', {}, [web('w1'), web('w2')]), nodeInfo('n2', {}, [web('w3')]), nodeInfo('n3')];
    // raw: round(2·ln 5) = 3, round(ln 5) = 2, 0 → 100·(3 + 0 − raw)/3
    expect(scores(spreadPod([constraint(Host, 1, 'ScheduleAnyway')]), nodes)).toEqual([0, 33, 100]);
  });

  test('zone counts come from every node, also the infeasible ones; nodes missing the key get 0', () => {
    const all = [nodeInfo('a1', inZone('a'), [web('w1'), web('w2')]), nodeInfo('a2', inZone('a')), nodeInfo('b1', inZone('b')), nodeInfo('nozone')];
    const feasible = [all[1], all[2], all[3]];
    const [a2, b1, nozone] = scores(spreadPod([constraint(Zone, 1, 'ScheduleAnyway')]), feasible, all);
    expect(b1).toBe(100);
    expect(a2).toBeLessThan(b1);
    expect(nozone).toBe(0);
  });

  test("system defaults: a ReplicaSet's pods are spread by its selector; a pod nobody selects is not", () => {
    const rs: ReplicaSet = { metadata: { name: 'web-rs', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'web' } }, template: {} } };
    const listers: ObjectListers = { ...noObjectListers, replicaSet: (ns, name) => (ns === 'default' && name === 'web-rs' ? rs : undefined) };
    const nodes = [nodeInfo('n1', {}, [web('w1'), web('w2'), web('w3')]), nodeInfo('n2')];
    const owned = podInfo('p', { labels: { app: 'web' }, ownerUid: 'rs-uid', ownerName: 'web-rs' });
    const [n1, n2] = scores(owned, nodes, nodes, listers);
    expect(n2).toBe(100);
    expect(n1).toBeLessThan(n2);
    expect(scores(podInfo('q', { labels: { app: 'web' } }), nodes, nodes, listers)).toEqual([0, 0]);
  });

  test('system defaults: the selector of a Service selecting the pod; nodes without a zone are still scored', () => {
    const svc: Service = { metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' } } };
    const listers: ObjectListers = { ...noObjectListers, services: (ns) => (ns === 'default' ? [svc] : []) };
    const nodes = [nodeInfo('n1', {}, [web('w1'), web('w2'), web('w3')]), nodeInfo('n2', {}, [web('w4')]), nodeInfo('n3')];
    const s = scores(podInfo('p', { labels: { app: 'web' } }), nodes, nodes, listers);
    expect(s[2]).toBe(100);
    expect(s[1]).toBeGreaterThan(s[0]);
  });

  test("a pod's own constraints replace the defaults", () => {
    const svc: Service = { metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' } } };
    const listers: ObjectListers = { ...noObjectListers, services: () => [svc] };
    const nodes = [nodeInfo('n1', {}, [web('w1')]), nodeInfo('n2')];
    // Only a DoNotSchedule constraint of its own: no ScheduleAnyway left to score by.
    expect(scores(spreadPod([constraint(Host, 1, 'DoNotSchedule')]), nodes, nodes, listers)).toEqual([0, 0]);
  });
});
