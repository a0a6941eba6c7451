// Table tests of the local-path provisioner's decisions: the volume it makes for a claim handed to it
// (or why not), which released volumes it deletes (reclaim Delete) and keeps (Retain), and expansion.
import type { Node, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { defaultLocalPathClass, plannedExpansion, planProvision, shouldDelete, volumeNameFor } from './provision';

const cls = (o: Partial<StorageClass> = {}): StorageClass => ({ ...defaultLocalPathClass(), ...o });
const node: Node = { metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' }, annotations: { 'steer.io/local-path-root': '/var/lib/steer/agent/storage/' } } };
const nodes = new Map([['n1', node], ['bare', { metadata: { name: 'bare' } }]]);

const claim = (o: { ann?: Record<string, string>; spec?: Partial<NonNullable<PersistentVolumeClaim['spec']>>; status?: PersistentVolumeClaim['status'] } = {}): PersistentVolumeClaim => ({
  metadata: { name: 'data', namespace: 'ns', uid: 'u1', annotations: { 'volume.kubernetes.io/storage-provisioner': 'steer.io/local-path', 'volume.kubernetes.io/selected-node': 'n1', ...o.ann } },
  spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'local-path', resources: { requests: { storage: '1Gi' } }, ...o.spec },
  ...(o.status ? { status: o.status } : {}),
});

describe('planProvision', () => {
  it('makes a local volume under the node\'s root, with node affinity, the class\'s reclaim policy and the claim\'s size', () => {
    const d = planProvision(claim(), cls({ reclaimPolicy: 'Retain' }), nodes, new Set());
    expect(d && 'volume' in d ? d.volume : d).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'pvc-u1', annotations: { 'pv.kubernetes.io/provisioned-by': 'steer.io/local-path' } },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: 'local-path',
        volumeMode: 'Filesystem',
        claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'ns', name: 'data', uid: 'u1' },
        local: { path: '/var/lib/steer/agent/storage/pvc-u1' },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } },
      },
    });
  });

  it.each([
    ['not handed to this provisioner', claim({ ann: { 'volume.kubernetes.io/storage-provisioner': 'other.io/p' } }), cls(), undefined],
    ['already bound', claim({ spec: { volumeName: 'x' } }), cls(), undefined],
    ['its volume exists already', claim(), cls(), undefined, new Set(['pvc-u1'])],
    ['the class is gone', claim(), undefined, 'storageclass.storage.k8s.io "local-path" not found'],
    ['a selector', claim({ spec: { selector: { matchLabels: { a: 'b' } } } }), cls(), 'claim Selector is not supported'],
    ['block mode', claim({ spec: { volumeMode: 'Block' } }), cls(), 'Only support Filesystem volume mode'],
    ['no selected node', claim({ ann: { 'volume.kubernetes.io/selected-node': '' } }), cls(), 'configuration error, no node was specified'],
    ['an unknown node', claim({ ann: { 'volume.kubernetes.io/selected-node': 'nope' } }), cls(), 'nodes "nope" not found'],
    ['a node keeping no local-path volumes', claim({ ann: { 'volume.kubernetes.io/selected-node': 'bare' } }), cls(), 'node "bare" has no steer.io/local-path-root annotation: its node agent keeps no local-path volumes'],
  ] as Array<[string, PersistentVolumeClaim, StorageClass | undefined, string | undefined, Set<string>?]>)('%s', (...row) => {
    const [, pvc, c, error, existing] = row;
    const d = planProvision(pvc, c, nodes, existing instanceof Set ? existing : new Set());
    expect(d && 'error' in d ? d.error : d).toEqual(error);
  });

  it('names the volume after the claim\'s uid', () => expect(volumeNameFor(claim())).toBe('pvc-u1'));
});

describe('reclaim: shouldDelete', () => {
  const pv = (o: { phase?: string; policy?: string; mine?: boolean; deleting?: boolean }): PersistentVolume => ({
    metadata: { name: 'pvc-u1', ...(o.mine === false ? {} : { annotations: { 'pv.kubernetes.io/provisioned-by': 'steer.io/local-path' } }), ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { persistentVolumeReclaimPolicy: o.policy ?? 'Delete' },
    status: { phase: o.phase ?? 'Released' },
  });
  it.each([
    ['a released volume of ours under Delete goes', pv({}), true],
    ['Retain keeps it (and its data), Released', pv({ policy: 'Retain' }), false],
    ['a Bound volume stays', pv({ phase: 'Bound' }), false],
    ['an Available volume stays', pv({ phase: 'Available' }), false],
    ['a Failed volume stays (kube leaves those to the admin)', pv({ phase: 'Failed' }), false],
    ['another provisioner\'s volume is not ours to delete', pv({ mine: false }), false],
    ['already being deleted: nothing more', pv({ deleting: true }), false],
  ])('%s', (_n, volume, want) => expect(shouldDelete(volume)).toBe(want));
});

describe('expansion: plannedExpansion', () => {
  const pv: PersistentVolume = { metadata: { name: 'pvc-u1', annotations: { 'pv.kubernetes.io/provisioned-by': 'steer.io/local-path' } }, spec: { capacity: { storage: '1Gi' } } };
  const bound = (want: string, have = '1Gi') => claim({ spec: { resources: { requests: { storage: want } }, volumeName: 'pvc-u1' }, status: { phase: 'Bound', capacity: { storage: have } } });
  it.each([
    ['a bound claim asking for more grows to its request', bound('2Gi'), pv, cls(), '2Gi'],
    ['the same size in other units is no growth', bound('1024Mi'), pv, cls(), undefined],
    ['already grown', bound('2Gi', '2Gi'), pv, cls(), undefined],
    ['the class does not allow expansion', bound('2Gi'), pv, cls({ allowVolumeExpansion: false }), undefined],
    ['not bound yet', claim({ spec: { resources: { requests: { storage: '2Gi' } } } }), pv, cls(), undefined],
    ['a volume of another provisioner', bound('2Gi'), { ...pv, metadata: { name: 'pvc-u1' } }, cls(), undefined],
    ['no volume', bound('2Gi'), undefined, cls(), undefined],
  ] as Array<[string, PersistentVolumeClaim, PersistentVolume | undefined, StorageClass, string | undefined]>)('%s', (_n, pvc, volume, c, want) => {
    expect(plannedExpansion(pvc, volume, c)).toBe(want);
  });
});
