// Validation of PersistentVolumes, PersistentVolumeClaims (core/v1) and StorageClasses (storage.k8s.io/v1),
// after k8s.io/kubernetes/pkg/apis/core/validation (ValidatePersistentVolume*) and pkg/apis/storage/validation,
// with kube-apiserver's fields and messages.
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { compareQuantities, isQuantity, quantityRegexMessage } from '../../lib/api/quantity';
import { stableJson } from '../../lib/api/json';
import { type FieldCause, forbidden, invalid, notSupported, required, validateLabelSelector } from './common';

const accessModes = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const volumeModes = ['Block', 'Filesystem'];

function validateAccessModes(field: string, modes: string[] | undefined): FieldCause[] {
  if (!modes || modes.length === 0) return [required(field, 'at least 1 access mode is required')];
  const causes: FieldCause[] = [];
  for (const m of modes) if (!accessModes.includes(m)) causes.push(notSupported(field, m, accessModes));
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) causes.push(forbidden(field, 'may not use ReadWriteOncePod with other access modes'));
  return causes;
}

function validateStorageQuantity(field: string, q: unknown): FieldCause[] {
  if (q === undefined || q === null) return [required(field)];
  if (!isQuantity(q)) return [invalid(field, q, quantityRegexMessage)];
  if (compareQuantities(String(q), '0') <= 0) return [invalid(field, q, 'must be greater than zero')];
  return [];
}

const pvSources = ['hostPath', 'local', 'nfs', 'csi', 'iscsi', 'fc', 'rbd', 'cephfs', 'gcePersistentDisk', 'awsElasticBlockStore', 'azureDisk', 'azureFile'] as const;

export function validatePersistentVolume(pv: PersistentVolume, old?: PersistentVolume): FieldCause[] {
  const spec = pv.spec;
  if (!spec) return [required('spec')];
  const causes: FieldCause[] = [];
  causes.push(...validateAccessModes('spec.accessModes', spec.accessModes));
  if (!spec.capacity) causes.push(required('spec.capacity'));
  else causes.push(...validateStorageQuantity('spec.capacity[storage]', spec.capacity.storage));
  const policy = spec.persistentVolumeReclaimPolicy;
  if (policy !== undefined && !['Delete', 'Recycle', 'Retain'].includes(policy)) causes.push(notSupported('spec.persistentVolumeReclaimPolicy', policy, ['Delete', 'Recycle', 'Retain']));
  if (spec.volumeMode !== undefined && !volumeModes.includes(spec.volumeMode)) causes.push(notSupported('spec.volumeMode', spec.volumeMode, volumeModes));
  const present = pvSources.filter((k) => (spec as Record<string, unknown>)[k] !== undefined);
  if (present.length === 0) causes.push(required('spec', 'must specify a volume type'));
  for (const extra of present.slice(1)) causes.push(forbidden(`spec.${extra}`, 'may not specify more than 1 volume type'));
  if (spec.hostPath && !spec.hostPath.path) causes.push(required('spec.hostPath.path'));
  if (spec.local) {
    if (!spec.local.path) causes.push(required('spec.local.path'));
    else if (!spec.local.path.startsWith('/')) causes.push(invalid('spec.local.path', spec.local.path, 'must be an absolute path'));
    if (!spec.nodeAffinity?.required) causes.push(required('spec.nodeAffinity', 'Local volume requires node affinity'));
  }
  if (old) {
    if (old.spec?.nodeAffinity?.required && stableJson(old.spec.nodeAffinity) !== stableJson(spec.nodeAffinity ?? null)) {
      causes.push(invalid('nodeAffinity.required', spec.nodeAffinity?.required ?? null, 'field is immutable'));
    }
    const sourceChanged = pvSources.some((k) => stableJson((old.spec as Record<string, unknown> | undefined)?.[k] ?? null) !== stableJson((spec as Record<string, unknown>)[k] ?? null));
    if (sourceChanged) causes.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
    if ((old.spec?.volumeMode ?? 'Filesystem') !== (spec.volumeMode ?? 'Filesystem')) causes.push(invalid('spec.volumeMode', spec.volumeMode, 'field is immutable'));
  }
  return causes;
}

/** A claim's spec at `field` ('spec', or a pod's ephemeral volume template's): kube's ValidatePersistentVolumeClaimSpec. */
export function validateClaimSpec(spec: PersistentVolumeClaim['spec'], field: string): FieldCause[] {
  if (!spec) return [required(field)];
  const causes: FieldCause[] = [];
  causes.push(...validateAccessModes(`${field}.accessModes`, spec.accessModes));
  if (spec.selector) causes.push(...validateLabelSelector(`${field}.selector`, spec.selector));
  causes.push(...validateStorageQuantity(`${field}.resources[storage]`, spec.resources?.requests?.storage));
  if (spec.volumeMode !== undefined && !volumeModes.includes(spec.volumeMode)) causes.push(notSupported(`${field}.volumeMode`, spec.volumeMode, volumeModes));
  return causes;
}

export function validatePersistentVolumeClaim(pvc: PersistentVolumeClaim, old?: PersistentVolumeClaim): FieldCause[] {
  const spec = pvc.spec;
  if (!spec) return [required('spec')];
  const causes = validateClaimSpec(spec, 'spec');
  if (old && old.spec) {
    // Only resources.requests may change (expansion), and volumeName from empty (the binder binds).
    // storageClassName may go from unset to a class (the binder's retroactive default class).
    const classSet = (old.spec.storageClassName === undefined || old.spec.storageClassName === null) && !!spec.storageClassName;
    const strip = (s: PersistentVolumeClaim['spec']) => ({ ...s, resources: { ...s?.resources, requests: undefined }, volumeName: undefined, ...(classSet ? { storageClassName: undefined } : {}) });
    const volumeNameChanged = !!old.spec.volumeName && old.spec.volumeName !== spec.volumeName;
    if (stableJson(strip(old.spec)) !== stableJson(strip(spec)) || volumeNameChanged) {
      causes.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
    } else {
      const before = old.spec.resources?.requests?.storage;
      const after = spec.resources?.requests?.storage;
      if (before !== undefined && after !== undefined && isQuantity(after) && compareQuantities(String(after), String(before)) !== 0) {
        if (old.status?.phase !== 'Bound') causes.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
        else if (compareQuantities(String(after), String(old.status?.capacity?.storage ?? before)) < 0) {
          causes.push(forbidden('spec.resources.requests.storage', 'field can not be less than status.capacity'));
        }
      }
    }
  }
  return causes;
}

export function validateStorageClass(sc: StorageClass, old?: StorageClass): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!sc.provisioner) causes.push(required('provisioner'));
  if (sc.reclaimPolicy !== undefined && !['Delete', 'Retain'].includes(sc.reclaimPolicy)) causes.push(notSupported('reclaimPolicy', sc.reclaimPolicy, ['Delete', 'Retain']));
  const modes = ['Immediate', 'WaitForFirstConsumer'];
  if (sc.volumeBindingMode !== undefined && !modes.includes(sc.volumeBindingMode)) causes.push(notSupported('volumeBindingMode', sc.volumeBindingMode, modes));
  if (old) {
    if (stableJson(old.parameters ?? {}) !== stableJson(sc.parameters ?? {})) causes.push(forbidden('parameters', 'updates to parameters are forbidden.'));
    if (old.provisioner !== sc.provisioner) causes.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
    if ((old.reclaimPolicy ?? 'Delete') !== (sc.reclaimPolicy ?? 'Delete')) causes.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
    if ((old.volumeBindingMode ?? 'Immediate') !== (sc.volumeBindingMode ?? 'Immediate')) causes.push(forbidden('volumeBindingMode', 'field is immutable'));
  }
  return causes;
}
