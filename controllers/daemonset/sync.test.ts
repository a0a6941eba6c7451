import type { DaemonSet } from 'kubernetes-types/apps/v1';
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1';
import { daemonSetHash, newDaemonPod, planDaemonSet, resolveMaxUnavailable } from './sync';
import { ControllerRevisionHashLabel, fitsNodeAffinity, isPodAvailable, nodeShouldRunDaemonPod, toleratesTaint } from './util';

const now = new Date('2026-11-23T12:00:00Z');

function node(name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: { taints } };
}

function daemonSet(opts: { image?: string; nodeSelector?: Record<string, string>; tolerations?: Toleration[]; maxUnavailable?: number | string; minReadySeconds?: number; onDelete?: boolean } = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', uid: 'uid-agent', generation: 2 },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      minReadySeconds: opts.minReadySeconds,
      updateStrategy: opts.onDelete ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: opts.maxUnavailable ?? 1 } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: { containers: [{ name: 'a', image: opts.image ?? 'agent:1' }], nodeSelector: opts.nodeSelector, tolerations: opts.tolerations },
      },
    },
  };
}

let seq = 0;
function pod(ds: DaemonSet, nodeName: string, o: { hash?: string; ready?: boolean; readySince?: Date; phase?: string; created?: number; deleting?: boolean } = {}): Pod {
  const name = `agent-${seq++}`;
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      namespace: 'default',
      labels: { app: 'agent', [ControllerRevisionHashLabel]: o.hash ?? daemonSetHash(ds) },
      creationTimestamp: new Date((o.created ?? seq) * 1000).toISOString(),
      deletionTimestamp: o.deleting ? now.toISOString() : undefined,
    },
    spec: { nodeName, containers: [] },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.ready === false ? [] : [{ type: 'Ready', status: 'True', lastTransitionTime: (o.readySince ?? new Date(0)).toISOString() }],
    },
  };
}

describe('placement', () => {
  test.each([
    ['no taints', [], undefined, true, true],
    ['untolerated NoSchedule: not placed, may stay', [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }], undefined, false, true],
    ['untolerated NoExecute: not placed, must go', [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }], undefined, false, false],
    ['PreferNoSchedule is ignored', [{ key: 'x', effect: 'PreferNoSchedule' }], undefined, true, true],
    ['tolerated by Equal', [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }], [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }], true, true],
    ['not tolerated by Equal with another value', [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }], [{ key: 'dedicated', operator: 'Equal', value: 'web' }], false, true],
    ['tolerated by Exists without key', [{ key: 'anything', value: 'v', effect: 'NoExecute' }], [{ operator: 'Exists' }], true, true],
    ['automatic: unschedulable (cordoned)', [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }], undefined, true, true],
    ['automatic: not-ready NoExecute', [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }], undefined, true, true],
    ['automatic: unreachable NoExecute', [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }], undefined, true, true],
    ['automatic: disk-pressure', [{ key: 'node.kubernetes.io/disk-pressure', effect: 'NoSchedule' }], undefined, true, true],
    ['automatic: memory-pressure', [{ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }], undefined, true, true],
    ['automatic: pid-pressure', [{ key: 'node.kubernetes.io/pid-pressure', effect: 'NoSchedule' }], undefined, true, true],
    ['not automatic: not-ready NoSchedule', [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }], undefined, false, true],
    ['not automatic: network-unavailable without hostNetwork', [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }], undefined, false, true],
  ] as Array<[string, Taint[], Toleration[] | undefined, boolean, boolean]>)('%s', (_name, taints, tolerations, shouldRun, shouldContinueRunning) => {
    expect(nodeShouldRunDaemonPod(node('n1', {}, taints), daemonSet({ tolerations }))).toEqual({ shouldRun, shouldContinueRunning });
  });

  test('nodeSelector and required node affinity', () => {
    const n = node('n1', { disk: 'ssd', zone: 'a', cores: '8' });
    expect(fitsNodeAffinity({ containers: [], nodeSelector: { disk: 'ssd' } }, n)).toBe(true);
    expect(fitsNodeAffinity({ containers: [], nodeSelector: { disk: 'hdd' } }, n)).toBe(false);
    const affinity = (terms: Array<{ matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>; matchFields?: Array<{ key: string; operator: string; values?: string[] }> }>) => ({
      containers: [],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } },
    });
    expect(fitsNodeAffinity(affinity([{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }]), n)).toBe(true);
    expect(fitsNodeAffinity(affinity([{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }]), n)).toBe(false);
    expect(fitsNodeAffinity(affinity([{ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }]), n)).toBe(true);
    expect(fitsNodeAffinity(affinity([{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['4'] }] }]), n)).toBe(true);
    expect(fitsNodeAffinity(affinity([{ matchExpressions: [{ key: 'cores', operator: 'Lt', values: ['4'] }] }]), n)).toBe(false);
    // Terms are ORed; an empty term matches nothing.
    expect(fitsNodeAffinity(affinity([{}, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }]), n)).toBe(true);
    expect(fitsNodeAffinity(affinity([{}]), n)).toBe(false);
  });

  test('toleratesTaint edge cases', () => {
    expect(toleratesTaint({ key: 'k', operator: 'Exists' }, { key: 'k', value: 'v', effect: 'NoSchedule' })).toBe(true);
    expect(toleratesTaint({ key: 'k', operator: 'Exists', effect: 'NoExecute' }, { key: 'k', effect: 'NoSchedule' })).toBe(false);
    expect(toleratesTaint({ key: 'k', value: 'v' }, { key: 'k', value: 'v', effect: 'NoSchedule' })).toBe(true);
    expect(toleratesTaint({ value: 'v' }, { key: 'k', value: 'v', effect: 'NoSchedule' })).toBe(false);
  });

  test('pod availability honours minReadySeconds', () => {
    const ds = daemonSet();
    const p = pod(ds, 'n1', { readySince: new Date(now.getTime() - 5000) });
    expect(isPodAvailable(p, 0, now)).toBe(true);
    expect(isPodAvailable(p, 5, now)).toBe(true);
    expect(isPodAvailable(p, 6, now)).toBe(false);
    expect(isPodAvailable(pod(ds, 'n1', { ready: false }), 0, now)).toBe(false);
  });
});

describe('planDaemonSet: manage', () => {
  const ds = daemonSet();
  const names = (pods: Pod[]) => pods.map((p) => p.metadata?.name);

  test('one pod per eligible node; a tainted node gets none', () => {
    const nodes = [node('n1'), node('n2'), node('n3'), node('tainted', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }])];
    const plan = planDaemonSet({ daemonSet: ds, nodes, pods: [], now });
    expect(plan.createOn).toEqual(['n1', 'n2', 'n3']);
    expect(plan.delete).toEqual([]);
    expect(plan.status).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 0, numberUnavailable: 3, observedGeneration: 2 });
  });

  test('nodeSelector limits the nodes', () => {
    const nodes = [node('n1', { role: 'edge' }), node('n2')];
    expect(planDaemonSet({ daemonSet: daemonSet({ nodeSelector: { role: 'edge' } }), nodes, pods: [], now }).createOn).toEqual(['n1']);
  });

  test('new node gets one; pods on removed nodes and misplaced pods go; duplicates keep the oldest', () => {
    const p1 = pod(ds, 'n1', { created: 1 });
    const dup = pod(ds, 'n1', { created: 5 });
    const gone = pod(ds, 'removed-node');
    const misplaced = pod(ds, 'n3');
    const nodes = [node('n1'), node('n2'), node('n3', {}, [{ key: 'evict', effect: 'NoExecute' }])];
    const plan = planDaemonSet({ daemonSet: ds, nodes, pods: [p1, dup, gone, misplaced], now });
    expect(plan.createOn).toEqual(['n2']);
    expect(names(plan.delete).sort()).toEqual(names([dup, gone, misplaced]).sort());
    expect(plan.status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 1, numberMisscheduled: 1, numberReady: 1, numberAvailable: 1 });
  });

  test('a failed pod is deleted, replaced on a later sync; a terminating pod blocks a new one', () => {
    const failed = pod(ds, 'n1', { phase: 'Failed', ready: false });
    const terminating = pod(ds, 'n2', { deleting: true });
    const plan = planDaemonSet({ daemonSet: ds, nodes: [node('n1'), node('n2')], pods: [failed, terminating], now });
    expect(names(plan.delete)).toEqual(names([failed]));
    expect(plan.createOn).toEqual([]);
  });

  test('a node in failed-pod back-off gets no new pod until the back-off ends', () => {
    const backoff = new Map([['n1', now.getTime() + 4000]]);
    const plan = planDaemonSet({ daemonSet: ds, nodes: [node('n1'), node('n2')], pods: [], now, createBackoffUntil: backoff });
    expect(plan.createOn).toEqual(['n2']);
    expect(plan.requeueAfterMs).toBe(4050);
    const later = planDaemonSet({ daemonSet: ds, nodes: [node('n1')], pods: [], now: new Date(now.getTime() + 4001), createBackoffUntil: backoff });
    expect(later.createOn).toEqual(['n1']);
  });

  test('expectations not yet satisfied: status only', () => {
    const plan = planDaemonSet({ daemonSet: ds, nodes: [node('n1')], pods: [], now, expectationsSatisfied: false });
    expect(plan.createOn).toEqual([]);
    expect(plan.status.desiredNumberScheduled).toBe(1);
  });

  test('newDaemonPod is bound, labelled, owned and tolerant', () => {
    const p = newDaemonPod(ds, 'n7', 'abc');
    expect(p.spec!.nodeName).toBe('n7');
    expect(p.metadata!.generateName).toBe('agent-');
    expect(p.metadata!.labels).toEqual({ app: 'agent', [ControllerRevisionHashLabel]: 'abc' });
    expect(p.metadata!.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'uid-agent', controller: true, blockOwnerDeletion: true }]);
    expect(p.spec!.tolerations!.map((t) => `${t.key}:${t.effect}`)).toEqual([
      'node.kubernetes.io/not-ready:NoExecute',
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
  });
});

describe('planDaemonSet: rolling update', () => {
  test.each([
    // maxUnavailable, nodes, expected deletions in the first step
    [1, 4, 1],
    [2, 4, 2],
    ['50%', 5, 3], // rounds up
    [0, 3, 1], // 0 would never progress: 1
  ] as Array<[number | string, number, number]>)('maxUnavailable %p over %p nodes replaces %p old pods at once', (maxUnavailable, n, expected) => {
    const oldDs = daemonSet({ image: 'agent:1' });
    const ds = daemonSet({ image: 'agent:2', maxUnavailable });
    const nodes = Array.from({ length: n }, (_, i) => node(`n${i}`));
    const pods = nodes.map((nd) => pod(oldDs, nd.metadata!.name!));
    const plan = planDaemonSet({ daemonSet: ds, nodes, pods, now });
    expect(plan.delete).toHaveLength(expected);
    expect(plan.createOn).toEqual([]);
    expect(plan.status.updatedNumberScheduled).toBe(0);
  });

  test('unavailable new pods use up the budget; unavailable old pods are replaced regardless', () => {
    const oldDs = daemonSet({ image: 'agent:1' });
    const ds = daemonSet({ image: 'agent:2', maxUnavailable: 1 });
    const nodes = [node('a'), node('b'), node('c'), node('d')];
    const pods = [pod(ds, 'a', { ready: false }), pod(oldDs, 'b'), pod(oldDs, 'c', { ready: false }), pod(oldDs, 'd')];
    const plan = planDaemonSet({ daemonSet: ds, nodes, pods, now });
    expect(plan.delete.map((p) => p.spec!.nodeName)).toEqual(['c']);
    expect(plan.status).toMatchObject({ updatedNumberScheduled: 1, numberReady: 2, numberAvailable: 2, numberUnavailable: 2 });
  });

  test('a node whose old pod is already gone counts against maxUnavailable', () => {
    const oldDs = daemonSet({ image: 'agent:1' });
    const ds = daemonSet({ image: 'agent:2', maxUnavailable: 1 });
    const plan = planDaemonSet({ daemonSet: ds, nodes: [node('a'), node('b')], pods: [pod(oldDs, 'b')], now });
    expect(plan.createOn).toEqual(['a']);
    expect(plan.delete).toEqual([]);
  });

  test('OnDelete: old pods stay', () => {
    const oldDs = daemonSet({ image: 'agent:1' });
    const ds = daemonSet({ image: 'agent:2', onDelete: true });
    const plan = planDaemonSet({ daemonSet: ds, nodes: [node('a')], pods: [pod(oldDs, 'a')], now });
    expect(plan.delete).toEqual([]);
  });

  test('minReadySeconds: a ready pod counts as available later, and a re-check is scheduled', () => {
    const ds = daemonSet({ minReadySeconds: 10 });
    const plan = planDaemonSet({ daemonSet: ds, nodes: [node('a')], pods: [pod(ds, 'a', { readySince: new Date(now.getTime() - 4000) })], now });
    expect(plan.status).toMatchObject({ numberReady: 1, numberAvailable: 0, numberUnavailable: 1 });
    expect(plan.requeueAfterMs).toBe(6050);
  });

  test('resolveMaxUnavailable', () => {
    expect(resolveMaxUnavailable(daemonSet({ maxUnavailable: '10%' }), 25)).toBe(3);
    expect(resolveMaxUnavailable(daemonSet({ maxUnavailable: 0 }), 0)).toBe(0);
  });
});
