// Defaulting of the storage kinds (SetDefaults_PersistentVolume, _PersistentVolumeClaim, _StorageClass):
// reclaim policy, volume mode, the phase a new object starts in, binding mode.
import { JsonMap, mapAt, setDefault } from './common';

export function defaultPersistentVolume(pv: JsonMap): void {
  const spec = mapAt(pv, 'spec');
  if (spec) {
    setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    setDefault(spec, 'volumeMode', 'Filesystem');
  }
  const status = mapAt(pv, 'status');
  if (status) setDefault(status, 'phase', 'Pending');
}

export function defaultPersistentVolumeClaim(pvc: JsonMap): void {
  const spec = mapAt(pvc, 'spec');
  if (spec) setDefault(spec, 'volumeMode', 'Filesystem');
  const status = mapAt(pvc, 'status');
  if (status) setDefault(status, 'phase', 'Pending');
}

export function defaultStorageClass(sc: JsonMap): void {
  setDefault(sc, 'reclaimPolicy', 'Delete');
  setDefault(sc, 'volumeBindingMode', 'Immediate');
}
