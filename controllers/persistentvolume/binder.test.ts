// Table tests of the binder's decisions: static matching (size, modes, class, selector, smallest wins),
// default class, delayed binding, provisioning hand-off, Pending reasons, volume phases and reclaim.
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { planClaim, planVolume } from './binder';

const pvc = (o: Partial<{ size: string; cls: string | null; modes: string[]; labels: Record<string, string>; ann: Record<string, string>; volumeName: string }> = {}): PersistentVolumeClaim => ({
  metadata: { name: 'c', namespace: 'ns', uid: 'c-uid', annotations: o.ann },
  spec: {
    accessModes: o.modes ?? ['ReadWriteOnce'],
    resources: { requests: { storage: o.size ?? '1Gi' } },
    ...(o.cls === null ? {} : { storageClassName: o.cls ?? '' }),
    ...(o.labels ? { selector: { matchLabels: o.labels } } : {}),
    ...(o.volumeName ? { volumeName: o.volumeName } : {}),
  },
});
const pv = (name: string, size: string, o: Partial<{ cls: string; modes: string[]; labels: Record<string, string>; ref: { name: string; uid?: string }; phase: string; policy: string }> = {}): PersistentVolume => ({
  metadata: { name, labels: o.labels },
  spec: {
    capacity: { storage: size },
    accessModes: o.modes ?? ['ReadWriteOnce', 'ReadOnlyMany'],
    storageClassName: o.cls ?? '',
    hostPath: { path: `/d/${name}` },
    persistentVolumeReclaimPolicy: o.policy ?? 'Retain',
    ...(o.ref ? { claimRef: { namespace: 'ns', name: o.ref.name, uid: o.ref.uid } } : {}),
  },
  status: { phase: o.phase ?? 'Available' },
});
const sc = (name: string, o: Partial<{ wffc: boolean; def: boolean; provisioner: string }> = {}): StorageClass => ({
  metadata: { name, annotations: o.def ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {} },
  provisioner: o.provisioner ?? 'steer.io/local-path',
  volumeBindingMode: o.wffc ? 'WaitForFirstConsumer' : 'Immediate',
});

describe('planClaim', () => {
  it.each([
    ['binds the smallest volume that fits', pvc({ size: '2Gi' }), [pv('big', '10Gi'), pv('small', '1Gi'), pv('fit', '5Gi')], [], 'Bind:fit'],
    ['needs every access mode', pvc({ modes: ['ReadWriteMany'] }), [pv('a', '5Gi')], [], 'Wait:FailedBinding'],
    ['needs the same class', pvc({ cls: 'fast' }), [pv('a', '5Gi')], [sc('fast', { provisioner: 'kubernetes.io/no-provisioner' })], 'Wait:FailedBinding'],
    ['needs the selector to match', pvc({ labels: { tier: 'db' } }), [pv('a', '5Gi'), pv('b', '5Gi', { labels: { tier: 'db' } })], [], 'Bind:b'],
    ['a claim larger than every volume stays Pending', pvc({ size: '100Gi' }), [pv('a', '5Gi')], [], 'Wait:FailedBinding'],
    ['skips volumes bound to another claim', pvc(), [pv('a', '5Gi', { ref: { name: 'other', uid: 'x' }, phase: 'Bound' })], [], 'Wait:FailedBinding'],
    ['takes a volume pre-bound to it', pvc({ cls: 'x' }), [pv('a', '5Gi', { ref: { name: 'c' } })], [sc('x', { wffc: true })], 'Bind:a'],
    ['an unknown class stays Pending with a reason', pvc({ cls: 'nope' }), [], [], 'Wait:ProvisioningFailed'],
    ['gets the default class when it names none', pvc({ cls: null }), [], [sc('local-path', { def: true })], 'SetDefaultClass:local-path'],
    ['WaitForFirstConsumer waits for a pod', pvc({ cls: 'lp' }), [pv('a', '5Gi', { cls: 'lp' })], [sc('lp', { wffc: true })], 'Wait:WaitForFirstConsumer'],
    ['with a selected node it goes to the provisioner', pvc({ cls: 'lp', ann: { 'volume.kubernetes.io/selected-node': 'n1' } }), [], [sc('lp', { wffc: true })], 'Provision:steer.io/local-path'],
    ['a bound claim whose volume is gone is Lost', pvc({ volumeName: 'gone' }), [], [], 'MarkLost:'],
  ])('%s', (_n, claim, volumes, classes, want) => {
    const a = planClaim(claim, volumes, classes);
    const got = !a ? 'none' : a.type === 'Bind' ? `Bind:${a.volume.metadata?.name}` : a.type === 'Wait' ? `Wait:${a.reason}` : a.type === 'SetDefaultClass' ? `SetDefaultClass:${a.className}` : a.type === 'Provision' ? `Provision:${a.provisioner}` : `${a.type}:`;
    expect(got).toBe(want);
  });

  it('explains a claim no volume and no class can serve', () => {
    const a = planClaim(pvc({ size: '100Gi' }), [pv('a', '5Gi')], []);
    expect(a).toMatchObject({ type: 'Wait', message: 'no persistent volumes available for this claim and no storage class is set' });
  });
});

describe('planVolume', () => {
  const claims = new Map([['ns/c', { ...pvc(), spec: { ...pvc().spec, volumeName: 'a' } }]]);
  it.each([
    ['an unclaimed volume is Available', pv('a', '1Gi', { phase: 'Pending' }), 'SetPhase:Available'],
    ['a volume whose claim names it is Bound', pv('a', '1Gi', { ref: { name: 'c', uid: 'c-uid' }, phase: 'Available' }), 'SetPhase:Bound'],
    ['a volume whose claim is gone is Released', pv('a', '1Gi', { ref: { name: 'gone', uid: 'g' }, phase: 'Bound' }), 'SetPhase:Released'],
    ['a released Retain volume stays', pv('a', '1Gi', { ref: { name: 'gone', uid: 'g' }, phase: 'Released' }), 'none'],
    ['a released Delete volume is deleted', pv('a', '1Gi', { ref: { name: 'gone', uid: 'g' }, phase: 'Released', policy: 'Delete' }), 'Delete:'],
  ])('%s', (_n, volume, want) => {
    const a = planVolume(volume, claims);
    expect(!a ? 'none' : a.type === 'SetPhase' ? `SetPhase:${a.phase}` : `${a.type}:`).toBe(want);
  });
});
