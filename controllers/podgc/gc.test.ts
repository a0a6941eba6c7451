import type { Node, Pod } from 'kubernetes-types/core/v1';
import { failedStatusPatch, OutOfServiceTaintKey, planPodGc, type PodGcInput, quarantineMissingNodes } from './gc';

const NOW = '2026-12-05T12:00:00Z';

interface PodOpts {
  node?: string;
  phase?: string;
  reason?: string;
  created?: string;
  deleting?: boolean;
}
function pod(name: string, o: PodOpts = {}): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: o.created ?? '2026-12-05T10:00:00Z', ...(o.deleting ? { deletionTimestamp: '2026-12-05T11:59:00Z' } : {}) },
    spec: { nodeName: o.node, containers: [{ name: 'c', image: 'nginx' }] },
    status: { phase: o.phase ?? 'Running', ...(o.reason ? { reason: o.reason } : {}) },
  };
}
function node(name: string, o: { ready?: boolean; outOfService?: boolean } = {}): Node {
  return {
    metadata: { name },
    spec: o.outOfService ? { taints: [{ key: OutOfServiceTaintKey, value: 'nodeshutdown', effect: 'NoExecute' }] } : {},
    status: { conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}
function plan(o: Partial<PodGcInput>): Array<[string, string]> {
  return planPodGc({ pods: [], nodes: [], goneNodes: new Set(), terminatedPodThreshold: 12500, now: NOW, ...o }).map((d) => [d.pod.metadata!.name!, d.reason]);
}

describe('quarantineMissingNodes', () => {
  const pods = [pod('a', { node: 'gone' }), pod('b', { node: 'gone' }), pod('c', { node: 'here' }), pod('d'), pod('e', { node: 'new' })];
  test.each<[string, Record<string, number>, number, Record<string, number>, string[]]>([
    ['a missing node starts its quarantine now', {}, 1000, { gone: 1000, new: 1000 }, []],
    ['it is due once the quarantine has passed', { gone: 1000 }, 41_000, { gone: 1000, new: 41_000 }, ['gone']],
    ['not a millisecond before', { gone: 1000 }, 40_999, { gone: 1000, new: 40_999 }, []],
    ['a node back in the cache leaves the quarantine', { here: 1000, gone: 5000 }, 6000, { gone: 5000, new: 6000 }, []],
    ['a name no pod names any more is dropped', { old: 1 }, 6000, { gone: 6000, new: 6000 }, []],
  ])('%s', (_what, previous, now, missing, due) => {
    const q = quarantineMissingNodes(pods, [node('here')], new Map(Object.entries(previous)), now);
    expect(Object.fromEntries(q.missingSince)).toEqual(missing);
    expect(q.due).toEqual(due);
  });
});

describe('planPodGc', () => {
  test('orphans: pods on a node confirmed gone, not on nodes merely missing or present', () => {
    const pods = [pod('on-gone', { node: 'gone' }), pod('on-missing', { node: 'missing' }), pod('on-here', { node: 'here' }), pod('pending')];
    expect(plan({ pods, nodes: [node('here')], goneNodes: new Set(['gone']) })).toEqual([['on-gone', 'orphaned']]);
  });

  test('a node confirmed gone that the cache now holds again orphans nothing', () => {
    expect(plan({ pods: [pod('p', { node: 'back' })], nodes: [node('back')], goneNodes: new Set(['back']) })).toEqual([]);
  });

  test('an orphan that is still running is marked Failed with the DisruptionTarget condition; a finished one is not patched', () => {
    const [running, done] = planPodGc({ pods: [pod('r', { node: 'gone' }), pod('s', { node: 'gone', phase: 'Succeeded' })], nodes: [], goneNodes: new Set(['gone']), terminatedPodThreshold: 0, now: NOW });
    expect(failedStatusPatch(running)).toEqual({
      metadata: { uid: 'uid-r' },
      status: { phase: 'Failed', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists', lastTransitionTime: NOW }] },
    });
    expect(failedStatusPatch(done)).toBeUndefined();
  });

  test.each<[string, Pod[], Node[], Array<[string, string]>]>([
    ['terminating on a not-Ready out-of-service node', [pod('t', { node: 'oos', deleting: true })], [node('oos', { ready: false, outOfService: true })], [['t', 'terminating_out_of_service']]],
    ['not while the node is Ready', [pod('t', { node: 'oos', deleting: true })], [node('oos', { outOfService: true })], []],
    ['not without the taint', [pod('t', { node: 'down', deleting: true })], [node('down', { ready: false })], []],
    ['not a pod that is not being deleted', [pod('t', { node: 'oos' })], [node('oos', { ready: false, outOfService: true })], []],
    ['terminating and never scheduled', [pod('u', { deleting: true }), pod('v')], [], [['u', 'terminating_unscheduled']]],
  ])('%s', (_what, pods, nodes, expected) => {
    expect(plan({ pods, nodes })).toEqual(expected);
  });

  test('an out-of-service pod is marked Failed without a condition', () => {
    const [d] = planPodGc({ pods: [pod('t', { node: 'oos', deleting: true })], nodes: [node('oos', { ready: false, outOfService: true })], goneNodes: new Set(), terminatedPodThreshold: 0, now: NOW });
    expect(failedStatusPatch(d)).toEqual({ metadata: { uid: 'uid-t' }, status: { phase: 'Failed' } });
  });

  describe('terminated pods over the threshold', () => {
    const pods = [
      pod('old', { phase: 'Succeeded', created: '2026-12-05T08:00:00Z', node: 'n' }),
      pod('b-same', { phase: 'Failed', created: '2026-12-05T09:00:00Z', node: 'n' }),
      pod('a-same', { phase: 'Succeeded', created: '2026-12-05T09:00:00Z', node: 'n' }),
      pod('evicted', { phase: 'Failed', reason: 'Evicted', created: '2026-12-05T11:00:00Z', node: 'n' }),
      pod('running', { created: '2026-12-05T07:00:00Z', node: 'n' }),
    ];
    test.each<[number, string[]]>([
      [4, []],
      [3, ['evicted']],
      [2, ['evicted', 'old']],
      [1, ['evicted', 'old', 'a-same']],
      [0, []],
    ])('threshold %d: evicted first, then the oldest, ties by name; running pods never', (threshold, expected) => {
      expect(plan({ pods, nodes: [node('n')], terminatedPodThreshold: threshold }).map(([name]) => name)).toEqual(expected);
    });
  });

  test('a pod that several checks take is deleted once, under the first', () => {
    const p = pod('both', { node: 'gone', phase: 'Failed' });
    expect(plan({ pods: [p, pod('other', { node: 'gone', phase: 'Failed' })], goneNodes: new Set(['gone']), terminatedPodThreshold: 1 })).toEqual([
      ['both', 'terminated'],
      ['other', 'orphaned'],
    ]);
  });
});
