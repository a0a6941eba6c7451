// Table tests of the PersistentVolumeClaimResize admission plugin: which claim updates may grow the
// storage request, and the 403 words kube-apiserver uses otherwise.
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { Resources } from '../../lib/api/resources';
import type { AdmissionAttributes } from '../auth/types';
import { ApiStatusError } from '../errors';
import type { KObj } from '../storage/types';
import { PersistentVolumeClaimResizeAdmission } from './persistentvolumeclaim-resize';

const classes: Record<string, StorageClass> = {
  grows: { metadata: { name: 'grows' }, provisioner: 'p', allowVolumeExpansion: true },
  fixed: { metadata: { name: 'fixed' }, provisioner: 'p', allowVolumeExpansion: false },
  unset: { metadata: { name: 'unset' }, provisioner: 'p' },
};
const plugin = new PersistentVolumeClaimResizeAdmission({ getStorageClass: async (name) => classes[name] });

const claim = (size: string, cls: string | undefined, phase = 'Bound'): PersistentVolumeClaim => ({
  metadata: { name: 'c', namespace: 'ns' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } }, ...(cls !== undefined ? { storageClassName: cls } : {}), volumeName: 'pv' },
  status: { phase, capacity: { storage: '1Gi' } },
});

const attrs = (object: PersistentVolumeClaim, oldObject: PersistentVolumeClaim, o: Partial<AdmissionAttributes> = {}): AdmissionAttributes => ({
  operation: 'UPDATE',
  rt: Resources.persistentvolumeclaims,
  subresource: '',
  namespace: 'ns',
  name: 'c',
  user: { name: 'u', groups: [] },
  object: object as unknown as KObj,
  oldObject: oldObject as unknown as KObj,
  dryRun: false,
  warnings: [],
  auditAnnotations: {},
  ...o,
});

async function outcome(a: AdmissionAttributes): Promise<string> {
  try {
    await plugin.validate(a);
    return 'allowed';
  } catch (err) {
    if (!(err instanceof ApiStatusError)) throw err;
    expect(err.code).toBe(403);
    return err.message;
  }
}

const notExpandable = 'persistentvolumeclaims "c" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize';

describe('PersistentVolumeClaimResize admission', () => {
  it.each([
    ['a bound claim of a class allowing expansion grows', claim('2Gi', 'grows'), claim('1Gi', 'grows'), 'allowed'],
    ['the same size is no resize', claim('1Gi', 'fixed'), claim('1Gi', 'fixed'), 'allowed'],
    ['1024Mi is the same size as 1Gi', claim('1024Mi', 'fixed'), claim('1Gi', 'fixed'), 'allowed'],
    ['shrinking is not this plugin\'s to refuse (validation does)', claim('512Mi', 'fixed'), claim('1Gi', 'fixed'), 'allowed'],
    ['a class with allowVolumeExpansion: false', claim('2Gi', 'fixed'), claim('1Gi', 'fixed'), notExpandable],
    ['a class that does not say', claim('2Gi', 'unset'), claim('1Gi', 'unset'), notExpandable],
    ['a class that does not exist', claim('2Gi', 'gone'), claim('1Gi', 'gone'), notExpandable],
    ['no class (a static volume)', claim('2Gi', ''), claim('1Gi', ''), notExpandable],
    ['a claim not yet bound', claim('2Gi', 'grows', 'Pending'), claim('1Gi', 'grows', 'Pending'), 'persistentvolumeclaims "c" is forbidden: Only bound persistent volume claims can be expanded'],
  ])('%s', async (_n, pvc, old, want) => {
    expect(await outcome(attrs(pvc, old))).toBe(want);
  });

  it('looks only at updates of the claim itself', async () => {
    expect(await outcome(attrs(claim('2Gi', 'fixed'), claim('1Gi', 'fixed'), { subresource: 'status' }))).toBe('allowed');
    expect(await outcome(attrs(claim('2Gi', 'fixed'), claim('1Gi', 'fixed'), { operation: 'CREATE' }))).toBe('allowed');
  });
});
