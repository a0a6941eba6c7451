import type { Pod } from 'kubernetes-types/core/v1';
import { daemonSet, node, now, pod } from '../../test/fixtures/daemonsets';
import { newDaemonPod, planDaemonSet, resolveMaxUnavailable } from './sync';
import { ControllerRevisionHashLabel } from './util';

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
    // Available strictly after the 10 s (Kubernetes' IsPodAvailable, issue 11): 6 s + 1 ms, plus the 50 ms slack.
    expect(plan.requeueAfterMs).toBe(6051);
  });

  test('resolveMaxUnavailable', () => {
    expect(resolveMaxUnavailable(daemonSet({ maxUnavailable: '10%' }), 25)).toBe(3);
    expect(resolveMaxUnavailable(daemonSet({ maxUnavailable: 0 }), 0)).toBe(0);
  });
});
