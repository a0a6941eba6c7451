import type { Taint, Toleration } from 'kubernetes-types/core/v1';
import { isPodAvailable } from '../../lib/api/pod';
import { toleratesTaint } from '../../lib/api/tolerations';
import { daemonSet, node, now, pod } from '../../test/fixtures/daemonsets';
import { fitsNodeAffinity, nodeShouldRunDaemonPod } from './util';

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
    // Kubernetes' ToleratesTaint: an empty key matches any key, and Equal compares the values (issue 11: one
    // toleratesTaint with Kubernetes' semantics; API validation refuses an empty key with Equal anyway).
    expect(toleratesTaint({ value: 'v' }, { key: 'k', value: 'v', effect: 'NoSchedule' })).toBe(true);
  });

  test('pod availability honours minReadySeconds', () => {
    const ds = daemonSet();
    const p = pod(ds, 'n1', { readySince: new Date(now.getTime() - 5000) });
    expect(isPodAvailable(p, 0, now)).toBe(true);
    // Kubernetes' IsPodAvailable: available only strictly after minReadySeconds (issue 11).
    expect(isPodAvailable(p, 5, now)).toBe(false);
    expect(isPodAvailable(p, 4, now)).toBe(true);
    expect(isPodAvailable(p, 6, now)).toBe(false);
    expect(isPodAvailable(pod(ds, 'n1', { ready: false }), 0, now)).toBe(false);
  });
});
