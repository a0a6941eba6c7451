import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1';
import { toleratesTaint } from '../lib/api/tolerations';
import { evictionTime, isMarkedUnknown, pressureTaintsUpdate, unknownConditions, unreachableTaint, UnreachableTaintKey } from './node-lifecycle';

const taint: Taint = { key: UnreachableTaintKey, effect: 'NoExecute' };
const podWith = (tolerations?: Toleration[]): Pod => ({ metadata: { name: 'p' }, spec: { containers: [], tolerations } });

describe('toleratesTaint', () => {
  const cases: Array<[string, Toleration, boolean]> = [
    ['exact key, Exists', { key: UnreachableTaintKey, operator: 'Exists', effect: 'NoExecute' }, true],
    ['key without effect', { key: UnreachableTaintKey, operator: 'Exists' }, true],
    ['empty key with Exists tolerates everything', { operator: 'Exists' }, true],
    ['other key', { key: 'node.kubernetes.io/not-ready', operator: 'Exists' }, false],
    ['other effect', { key: UnreachableTaintKey, operator: 'Exists', effect: 'NoSchedule' }, false],
    ['Equal with the same (empty) value', { key: UnreachableTaintKey, operator: 'Equal', value: '' }, true],
    ['Equal with another value', { key: UnreachableTaintKey, operator: 'Equal', value: 'x' }, false],
  ];
  it.each(cases)('%s', (_n, t, want) => expect(toleratesTaint(t, taint)).toBe(want));
});

describe('evictionTime', () => {
  it('evicts pods without a matching toleration now', () => {
    expect(evictionTime(podWith(), taint, 1000)).toBe('now');
    expect(evictionTime(podWith([{ key: 'x', operator: 'Exists' }]), taint, 1000)).toBe('now');
  });
  it('waits tolerationSeconds from when the taint was added; the shortest wins', () => {
    expect(evictionTime(podWith([{ key: UnreachableTaintKey, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }]), taint, 1000)).toBe(31_000);
    expect(
      evictionTime(podWith([{ key: UnreachableTaintKey, operator: 'Exists', tolerationSeconds: 30 }, { operator: 'Exists', tolerationSeconds: 5 }]), taint, 0),
    ).toBe(5000);
    expect(evictionTime(podWith([{ key: UnreachableTaintKey, operator: 'Exists', tolerationSeconds: 0 }]), taint, 0)).toBe('now');
  });
  it('never evicts a pod that tolerates the taint without a time limit', () => {
    expect(evictionTime(podWith([{ key: UnreachableTaintKey, operator: 'Exists', effect: 'NoExecute' }]), taint, 0)).toBe('never');
  });
});

describe('node conditions and taint', () => {
  const node: Node = {
    metadata: { name: 'n1' },
    spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' },
        { type: 'Ready', status: 'True', reason: 'KubeletReady', lastTransitionTime: '2026-11-23T10:00:00Z' },
      ],
    },
  };
  it('marks every condition Unknown with Kubernetes reason and message', () => {
    const conds = unknownConditions(node, Date.parse('2026-11-23T12:00:00Z'));
    expect(conds.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['MemoryPressure', 'Unknown', 'NodeStatusUnknown'],
      ['Ready', 'Unknown', 'NodeStatusUnknown'],
    ]);
    expect(conds[1].message).toBe('Kubelet stopped posting node status.');
    expect(conds[1].lastTransitionTime).toBe('2026-11-23T12:00:00Z');
    expect(isMarkedUnknown(node)).toBe(false);
    expect(isMarkedUnknown({ ...node, status: { conditions: conds } })).toBe(true);
  });
  it('finds only the unreachable NoExecute taint', () => {
    expect(unreachableTaint(node)).toBeUndefined();
    expect(unreachableTaint({ ...node, spec: { taints: [taint] } })).toEqual(taint);
  });
});

describe('pressure taints (TaintNodesByCondition)', () => {
  const node = (conditions: [string, string][], taints: Taint[] = []): Node => ({
    metadata: { name: 'n' },
    spec: { taints },
    status: { conditions: conditions.map(([type, status]) => ({ type, status })) },
  });
  const now = Date.parse('2026-12-05T10:00:00Z');

  it('a True pressure condition adds its NoSchedule taint; others are kept', () => {
    const other: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    expect(pressureTaintsUpdate(node([['MemoryPressure', 'True'], ['DiskPressure', 'False']], [other]), now)).toEqual([
      other,
      { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule', timeAdded: '2026-12-05T10:00:00Z' },
    ]);
  });

  it('a condition no longer True (False, Unknown, gone) takes its taint away; nothing to do gives undefined', () => {
    const pid: Taint = { key: 'node.kubernetes.io/pid-pressure', effect: 'NoSchedule' };
    expect(pressureTaintsUpdate(node([['PIDPressure', 'Unknown']], [pid]), now)).toEqual([]);
    expect(pressureTaintsUpdate(node([['PIDPressure', 'True']], [pid]), now)).toBeUndefined();
    expect(pressureTaintsUpdate(node([['Ready', 'True']]), now)).toBeUndefined();
  });
});
