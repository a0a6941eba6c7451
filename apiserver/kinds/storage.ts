// The strategies of the storage kinds: PersistentVolumes and PersistentVolumeClaims (core/v1, kube's
// pkg/registry/core/persistentvolume{,claim}) and StorageClasses (storage.k8s.io/v1). A new PV or PVC
// starts Pending with its protection finalizer (the StorageObjectInUseProtection admission plugin's
// job in Kubernetes), so neither leaves storage while a pod or a claim still uses it.
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { Resources } from '../../lib/api/resources';
import { PvcProtectionFinalizer, PvProtectionFinalizer } from '../../lib/api/storage';
import { defaultPersistentVolume, defaultPersistentVolumeClaim, defaultStorageClass } from '../defaults/storage';
import type { KObj } from '../storage/types';
import { persistentVolumeClaimPrinter, persistentVolumePrinter, storageClassPrinter } from '../tables/storage';
import { validatePersistentVolume, validatePersistentVolumeClaim, validateStorageClass } from '../validation/storage';
import { defineKind, KindStrategy } from './strategy';

/** PrepareForCreate: status starts as Pending, and the protection finalizer is added. */
function protectedPending(finalizer: string): (obj: KObj) => void {
  return (obj) => {
    obj.status = { phase: 'Pending' };
    const finalizers = Array.isArray(obj.metadata.finalizers) ? obj.metadata.finalizers : [];
    if (!finalizers.includes(finalizer)) obj.metadata.finalizers = [...finalizers, finalizer];
  };
}

export const storageKinds: KindStrategy[] = [
  defineKind<PersistentVolume>(Resources.persistentvolumes, {
    prepareForCreate: protectedPending(PvProtectionFinalizer),
    defaults: defaultPersistentVolume,
    validate: validatePersistentVolume,
    printer: persistentVolumePrinter,
  }),
  defineKind<PersistentVolumeClaim>(Resources.persistentvolumeclaims, {
    prepareForCreate: protectedPending(PvcProtectionFinalizer),
    defaults: defaultPersistentVolumeClaim,
    validate: validatePersistentVolumeClaim,
    printer: persistentVolumeClaimPrinter,
  }),
  defineKind<StorageClass>(Resources.storageclasses, {
    defaults: defaultStorageClass,
    validate: validateStorageClass,
    printer: storageClassPrinter,
  }),
];
