// Table tests of the DefaultStorageClass admission plugin: which class a new claim gets, as kube's
// setdefault plugin decides (newest of several defaults, name order on a tie, "" and the beta annotation
// left alone, only creates).
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { Resources, type ResourceType } from '../../lib/api/resources';
import type { AdmissionAttributes } from '../auth/types';
import type { KObj } from '../storage/types';
import { DefaultStorageClassAdmission } from './default-storage-class';

const cls = (name: string, created: string, annotations: Record<string, string> = {}): StorageClass => ({
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name, creationTimestamp: created, annotations },
  provisioner: 'example.com/p',
});
const dflt = { 'storageclass.kubernetes.io/is-default-class': 'true' };
const betaDflt = { 'storageclass.beta.kubernetes.io/is-default-class': 'true' };

const claim = (spec: Partial<NonNullable<PersistentVolumeClaim['spec']>> = {}, annotations?: Record<string, string>): PersistentVolumeClaim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'c', namespace: 'ns', ...(annotations ? { annotations } : {}) },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});

const attrs = (object: unknown, o: { rt?: ResourceType; operation?: AdmissionAttributes['operation']; subresource?: string } = {}): AdmissionAttributes => ({
  operation: o.operation ?? 'CREATE',
  rt: o.rt ?? Resources.persistentvolumeclaims,
  subresource: o.subresource ?? '',
  namespace: 'ns',
  name: 'c',
  user: { name: 'u', groups: [] },
  object: object as KObj,
  dryRun: false,
  warnings: [],
  auditAnnotations: {},
});

const t1 = '2026-01-01T00:00:00Z';
const t2 = '2026-01-02T00:00:00Z';

describe('DefaultStorageClass admission', () => {
  const cases: Array<{ name: string; classes: StorageClass[]; pvc: PersistentVolumeClaim; want: string | null | undefined }> = [
    { name: 'no class stated, one default: the default', classes: [cls('fast', t1), cls('local-path', t1, dflt)], pvc: claim(), want: 'local-path' },
    { name: 'the beta default annotation counts too', classes: [cls('old', t1, betaDflt)], pvc: claim(), want: 'old' },
    { name: 'an annotation other than "true" is no default', classes: [cls('fast', t1, { 'storageclass.kubernetes.io/is-default-class': 'false' })], pvc: claim(), want: undefined },
    { name: 'no default class: the claim stays classless', classes: [cls('fast', t1)], pvc: claim(), want: undefined },
    { name: 'no classes at all', classes: [], pvc: claim(), want: undefined },
    { name: 'two defaults: the newest', classes: [cls('a-old', t1, dflt), cls('z-new', t2, dflt)], pvc: claim(), want: 'z-new' },
    { name: 'two defaults made at the same time: the first by name', classes: [cls('b', t2, dflt), cls('a', t2, dflt)], pvc: claim(), want: 'a' },
    { name: 'storageClassName "" stays "" (no class, explicitly)', classes: [cls('local-path', t1, dflt)], pvc: claim({ storageClassName: '' }), want: '' },
    { name: 'a class stated is kept', classes: [cls('local-path', t1, dflt), cls('fast', t1)], pvc: claim({ storageClassName: 'fast' }), want: 'fast' },
    { name: 'an unknown class stated is kept (the binder reports it)', classes: [cls('local-path', t1, dflt)], pvc: claim({ storageClassName: 'nope' }), want: 'nope' },
    {
      name: 'the beta storage-class annotation counts as a class',
      classes: [cls('local-path', t1, dflt)],
      pvc: claim({}, { 'volume.beta.kubernetes.io/storage-class': 'fast' }),
      want: undefined,
    },
    { name: 'a null storageClassName is no class stated', classes: [cls('local-path', t1, dflt)], pvc: claim({ storageClassName: null as unknown as string }), want: 'local-path' },
  ];
  it.each(cases)('$name', async ({ classes, pvc, want }) => {
    const plugin = new DefaultStorageClassAdmission({ listStorageClasses: async () => classes });
    await plugin.admit(attrs(pvc));
    expect(pvc.spec?.storageClassName).toBe(want);
  });

  it('touches only creates of claims, not updates, subresources or other kinds', async () => {
    const plugin = new DefaultStorageClassAdmission({ listStorageClasses: async () => [cls('local-path', t1, dflt)] });
    const update = claim();
    await plugin.admit(attrs(update, { operation: 'UPDATE' }));
    expect(update.spec?.storageClassName).toBeUndefined();
    const status = claim();
    await plugin.admit(attrs(status, { subresource: 'status' }));
    expect(status.spec?.storageClassName).toBeUndefined();
    const pv = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'v' }, spec: {} };
    await plugin.admit(attrs(pv, { rt: Resources.persistentvolumes }));
    expect(pv.spec).toEqual({});
  });

  it('reads the classes only for a claim that needs one', async () => {
    let reads = 0;
    const plugin = new DefaultStorageClassAdmission({
      listStorageClasses: async () => {
        reads++;
        return [cls('local-path', t1, dflt)];
      },
    });
    await plugin.admit(attrs(claim({ storageClassName: 'fast' })));
    expect(reads).toBe(0);
    await plugin.admit(attrs(claim()));
    expect(reads).toBe(1);
  });
});
