// The PersistentVolumeClaimResize admission plugin (kube's plugin/pkg/admission/storage/persistentvolume/
// resize): a claim's storage request may grow only once it is Bound, and only when its StorageClass (the
// same before and after) says allowVolumeExpansion: true; else 403 with Kubernetes' words. Validating,
// updates of the claim itself only (shrinking is refused earlier, by validation).
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { compareQuantities } from '../../lib/api/quantity';
import { Resources } from '../../lib/api/resources';
import type { AdmissionAttributes, AdmissionPlugin } from '../auth/types';
import { errors } from '../errors';

export interface PersistentVolumeClaimResizeOptions {
  getStorageClass: (name: string) => Promise<StorageClass | undefined>;
}

const requested = (pvc: PersistentVolumeClaim | undefined): string | undefined => {
  const q = pvc?.spec?.resources?.requests?.storage;
  return q === undefined || q === null ? undefined : String(q);
};

function grows(pvc: PersistentVolumeClaim, old: PersistentVolumeClaim): boolean {
  const before = requested(old);
  const after = requested(pvc);
  if (before === undefined || after === undefined) return false;
  try {
    return compareQuantities(after, before) > 0;
  } catch {
    return false; // a malformed quantity is validation's to refuse
  }
}

export class PersistentVolumeClaimResizeAdmission implements AdmissionPlugin {
  readonly name = 'PersistentVolumeClaimResize';
  constructor(private readonly o: PersistentVolumeClaimResizeOptions) {}

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.rt !== Resources.persistentvolumeclaims || a.subresource !== '' || a.operation !== 'UPDATE' || !a.object || !a.oldObject) return;
    const pvc = a.object as unknown as PersistentVolumeClaim;
    const old = a.oldObject as unknown as PersistentVolumeClaim;
    if (!grows(pvc, old)) return;
    if (old.status?.phase !== 'Bound') throw errors.forbidden(Resources.persistentvolumeclaims, a.name, 'Only bound persistent volume claims can be expanded');
    if (!(await this.allowResize(pvc, old))) {
      throw errors.forbidden(Resources.persistentvolumeclaims, a.name, 'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize');
    }
  }

  /** kube's allowResize: the claim keeps its class, and that class allows expansion. */
  private async allowResize(pvc: PersistentVolumeClaim, old: PersistentVolumeClaim): Promise<boolean> {
    const cls = pvc.spec?.storageClassName ?? '';
    if (cls === '' || cls !== (old.spec?.storageClassName ?? '')) return false;
    return (await this.o.getStorageClass(cls))?.allowVolumeExpansion === true;
  }
}
