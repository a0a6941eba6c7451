// Printers of PersistentVolumes, PersistentVolumeClaims and StorageClasses (Kubernetes' printPersistentVolume,
// printPersistentVolumeClaim, printStorageClass): the columns `kubectl get pv,pvc,sc` shows.
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { isDefaultClass } from '../../lib/api/storage';
import { age, ageCol, col, meta, nameCol, Printer } from './common';

const modeShort: Record<string, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };

/** kubectl's access-mode string: RWO,ROX,RWX,RWOP in that order, each once. */
export function accessModesString(modes: string[] | undefined): string {
  const have = new Set(modes ?? []);
  return ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'].filter((m) => have.has(m)).map((m) => modeShort[m]).join(',');
}

const unset = '<unset>';

export const persistentVolumePrinter: Printer = {
  columns: [
    nameCol,
    col('Capacity', 'capacity is the description of the persistent volume\'s resources and capacity.'),
    col('Access Modes', 'accessModes contains all ways the volume can be mounted.'),
    col('Reclaim Policy', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.'),
    col('Status', 'phase indicates if a volume is available, bound to a claim, or released by a claim.'),
    col('Claim', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    col('StorageClass', 'storageClassName is the name of StorageClass to which this persistent volume belongs.'),
    col('VolumeAttributesClass', 'Name of VolumeAttributesClass to which this persistent volume belongs.'),
    col('Reason', 'reason is a brief CamelCase string that describes any failure.'),
    ageCol,
    col('VolumeMode', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', 1),
  ],
  cells(obj, now) {
    const pv = obj as PersistentVolume;
    const ref = pv.spec?.claimRef;
    const phase = pv.metadata?.deletionTimestamp ? 'Terminating' : (pv.status?.phase ?? '');
    return [
      meta(obj).name ?? '',
      String(pv.spec?.capacity?.storage ?? ''),
      accessModesString(pv.spec?.accessModes),
      pv.spec?.persistentVolumeReclaimPolicy ?? '',
      phase,
      ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '',
      pv.spec?.storageClassName ?? '',
      pv.spec?.volumeAttributesClassName ?? unset,
      pv.status?.reason ?? '',
      age(obj, now),
      pv.spec?.volumeMode ?? 'Filesystem',
    ];
  },
};

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    nameCol,
    col('Status', 'phase represents the current phase of PersistentVolumeClaim.'),
    col('Volume', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    col('Capacity', 'capacity represents the actual resources of the underlying volume.'),
    col('Access Modes', 'accessModes contains the actual access modes the volume backing the PVC has.'),
    col('StorageClass', 'storageClassName is the name of the StorageClass required by the claim.'),
    col('VolumeAttributesClass', 'volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.'),
    ageCol,
    col('VolumeMode', 'volumeMode defines what type of volume is required by the claim.', 1),
  ],
  cells(obj, now) {
    const pvc = obj as PersistentVolumeClaim;
    const bound = pvc.status?.phase === 'Bound';
    const phase = pvc.metadata?.deletionTimestamp ? 'Terminating' : (pvc.status?.phase ?? '');
    return [
      meta(obj).name ?? '',
      phase,
      pvc.spec?.volumeName ?? '',
      bound ? String(pvc.status?.capacity?.storage ?? '') : '',
      bound ? accessModesString(pvc.status?.accessModes) : '',
      pvc.spec?.storageClassName ?? '',
      pvc.spec?.volumeAttributesClassName ?? unset,
      age(obj, now),
      pvc.spec?.volumeMode ?? 'Filesystem',
    ];
  },
};

export const storageClassPrinter: Printer = {
  columns: [
    nameCol,
    col('Provisioner', 'provisioner indicates the type of the provisioner.'),
    col('ReclaimPolicy', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.'),
    col('VolumeBindingMode', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.'),
    col('AllowVolumeExpansion', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
    ageCol,
  ],
  cells(obj, now) {
    const sc = obj as unknown as StorageClass;
    const name = meta(obj).name ?? '';
    return [
      isDefaultClass(sc) ? `${name} (default)` : name,
      sc.provisioner ?? '',
      sc.reclaimPolicy ?? 'Delete',
      sc.volumeBindingMode ?? 'Immediate',
      String(sc.allowVolumeExpansion ?? false),
      age(obj, now),
    ];
  },
};
