// The PersistentVolume binder's decisions as pure functions (Kubernetes' pkg/controller/volume/
// persistentvolume, syncClaim and syncVolume): what to do with one claim given the volumes and classes,
// and with one volume given the claims. The controller (controller.ts) performs the writes.
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import {
  claimClass,
  claimRefMatches,
  defaultStorageClass,
  findMatchingVolume,
  ProvisionedByAnnotation,
  SelectedNodeAnnotation,
  StorageProvisionerAnnotation,
} from '../../lib/api/storage';

export type ClaimAction =
  /** Retroactive default class: a claim without storageClassName gets the default one. */
  | { type: 'SetDefaultClass'; className: string }
  /** Bind the claim to this volume (volume first, then claim, as Kubernetes' bind()). */
  | { type: 'Bind'; volume: PersistentVolume }
  /** The claim is bound: its status says Bound with the volume's capacity and access modes. */
  | { type: 'MarkBound'; volume: PersistentVolume }
  /** The volume it was bound to is gone. */
  | { type: 'MarkLost'; message: string }
  /** Hand the claim to a dynamic provisioner (annotation on the claim). */
  | { type: 'Provision'; provisioner: string }
  /** Nothing to write; an event saying why the claim stays Pending. */
  | { type: 'Wait'; eventType: 'Normal' | 'Warning'; reason: string; message: string };

export function planClaim(pvc: PersistentVolumeClaim, volumes: PersistentVolume[], classes: StorageClass[]): ClaimAction | undefined {
  if (pvc.metadata?.deletionTimestamp) return undefined;
  const volumeName = pvc.spec?.volumeName;
  if (volumeName) {
    const pv = volumes.find((v) => v.metadata?.name === volumeName);
    if (!pv) return pvc.status?.phase === 'Lost' ? undefined : { type: 'MarkLost', message: 'Bound claim has lost its PersistentVolume. Data on the volume is lost!' };
    if (!pv.spec?.claimRef) return { type: 'Bind', volume: pv };
    if (!claimRefMatches(pv, pvc)) return { type: 'Wait', eventType: 'Warning', reason: 'FailedBinding', message: `volume "${volumeName}" already bound to a different claim.` };
    const boundStatus = pvc.status?.phase === 'Bound' && String(pvc.status.capacity?.storage ?? '') === String(pv.spec?.capacity?.storage ?? '');
    return boundStatus && pv.status?.phase === 'Bound' ? undefined : { type: 'MarkBound', volume: pv };
  }
  if (pvc.spec?.storageClassName === undefined || pvc.spec?.storageClassName === null) {
    const def = defaultStorageClass(classes);
    if (def && !pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class']) return { type: 'SetDefaultClass', className: def.metadata?.name ?? '' };
  }
  const className = claimClass(pvc);
  const cls = className ? classes.find((c) => c.metadata?.name === className) : undefined;
  const delayed = cls?.volumeBindingMode === 'WaitForFirstConsumer';
  // Delayed binding: the scheduler picks the volume (or asks for one) for the node the first pod goes to.
  if (!delayed) {
    const match = findMatchingVolume(pvc, volumes);
    if (match) return { type: 'Bind', volume: match };
  } else {
    const preBound = volumes.find((v) => claimRefMatches(v, pvc) && !v.metadata?.deletionTimestamp);
    if (preBound) return { type: 'Bind', volume: preBound };
  }
  if (!className) return { type: 'Wait', eventType: 'Normal', reason: 'FailedBinding', message: 'no persistent volumes available for this claim and no storage class is set' };
  if (!cls) return { type: 'Wait', eventType: 'Warning', reason: 'ProvisioningFailed', message: `storageclass.storage.k8s.io "${className}" not found` };
  if (delayed && !pvc.metadata?.annotations?.[SelectedNodeAnnotation]) {
    return { type: 'Wait', eventType: 'Normal', reason: 'WaitForFirstConsumer', message: 'waiting for first consumer to be created before binding' };
  }
  if (!cls.provisioner || cls.provisioner === 'kubernetes.io/no-provisioner') {
    return { type: 'Wait', eventType: 'Normal', reason: 'FailedBinding', message: 'no persistent volumes available for this claim and no storage class is set' };
  }
  if (pvc.metadata?.annotations?.[StorageProvisionerAnnotation] === cls.provisioner) {
    return {
      type: 'Wait',
      eventType: 'Normal',
      reason: 'ExternalProvisioning',
      message: `Waiting for a volume to be created either by the external provisioner '${cls.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
    };
  }
  return { type: 'Provision', provisioner: cls.provisioner };
}

export type VolumeAction =
  | { type: 'SetPhase'; phase: 'Available' | 'Bound' | 'Released' | 'Failed'; message?: string }
  /** Released with reclaim policy Delete and no provisioner of its own: the binder deletes the object. */
  | { type: 'Delete' };

export function planVolume(pv: PersistentVolume, claims: Map<string, PersistentVolumeClaim>): VolumeAction | undefined {
  if (pv.metadata?.deletionTimestamp) return undefined;
  const phase = pv.status?.phase;
  const ref = pv.spec?.claimRef;
  if (!ref) return phase === 'Available' ? undefined : { type: 'SetPhase', phase: 'Available' };
  const claim = claims.get(`${ref.namespace ?? ''}/${ref.name ?? ''}`);
  const claimGone = !claim || (ref.uid !== undefined && ref.uid !== '' && claim.metadata?.uid !== ref.uid);
  if (!claimGone) {
    // Pre-bound, or being bound: Bound once the claim names us.
    if (claim.spec?.volumeName === pv.metadata?.name) return phase === 'Bound' ? undefined : { type: 'SetPhase', phase: 'Bound' };
    return undefined;
  }
  // A pre-bound volume (no uid yet) waits for its claim to appear.
  if (!ref.uid) return phase === 'Available' ? undefined : { type: 'SetPhase', phase: 'Available' };
  if (phase !== 'Released' && phase !== 'Failed') return { type: 'SetPhase', phase: 'Released' };
  if (phase === 'Released' && pv.spec?.persistentVolumeReclaimPolicy === 'Delete' && !pv.metadata?.annotations?.[ProvisionedByAnnotation]) return { type: 'Delete' };
  return undefined;
}
