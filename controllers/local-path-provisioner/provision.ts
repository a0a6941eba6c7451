// steer's built-in dynamic provisioner, pure (k3s's local-path-provisioner as a controller): the
// default StorageClass it serves, the PersistentVolume it makes for a claim handed to it (a `local`
// volume under the chosen node's local-path root, with node affinity so the pod only runs there), when
// a released volume is deleted, and the growth of a bound claim. The directory itself is made by the
// node agent when it mounts the volume and removed by it once the volume object is gone.
import type { Node, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { compareQuantities } from '../../lib/api/quantity';
import {
  IsDefaultClassAnnotation,
  LocalPathClassName,
  LocalPathProvisioner,
  LocalPathRootAnnotation,
  ProvisionedByAnnotation,
  SelectedNodeAnnotation,
  StorageProvisionerAnnotation,
} from '../../lib/api/storage';

/** The class steer creates at start when it does not exist (k3s ships the same as `local-path`). */
export function defaultLocalPathClass(): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: LocalPathClassName, annotations: { [IsDefaultClassAnnotation]: 'true' } },
    provisioner: LocalPathProvisioner,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
    allowVolumeExpansion: true,
  };
}

/** The volume's name: `pvc-<claim uid>`, as external provisioners name theirs. */
export function volumeNameFor(pvc: PersistentVolumeClaim): string {
  return `pvc-${pvc.metadata?.uid ?? ''}`;
}

export type ProvisionDecision = { volume: PersistentVolume } | { error: string } | undefined;

/** The volume for a claim handed to this provisioner, or why not (undefined: not ours or nothing to do). */
export function planProvision(pvc: PersistentVolumeClaim, cls: StorageClass | undefined, nodes: Map<string, Node>, existing: Set<string>): ProvisionDecision {
  if (pvc.metadata?.annotations?.[StorageProvisionerAnnotation] !== LocalPathProvisioner) return undefined;
  if (pvc.spec?.volumeName || pvc.metadata?.deletionTimestamp || existing.has(volumeNameFor(pvc))) return undefined;
  if (!cls) return { error: `storageclass.storage.k8s.io "${pvc.spec?.storageClassName ?? ''}" not found` };
  if (pvc.spec?.selector) return { error: 'claim Selector is not supported' };
  if (pvc.spec?.volumeMode === 'Block') return { error: 'Only support Filesystem volume mode' };
  const nodeName = pvc.metadata?.annotations?.[SelectedNodeAnnotation];
  if (!nodeName) return { error: 'configuration error, no node was specified' };
  const node = nodes.get(nodeName);
  if (!node) return { error: `nodes "${nodeName}" not found` };
  const root = node.metadata?.annotations?.[LocalPathRootAnnotation];
  if (!root) return { error: `node "${nodeName}" has no ${LocalPathRootAnnotation} annotation: its node agent keeps no local-path volumes` };
  const name = volumeNameFor(pvc);
  return {
    volume: {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name, annotations: { [ProvisionedByAnnotation]: LocalPathProvisioner } },
      spec: {
        capacity: { storage: String(pvc.spec?.resources?.requests?.storage ?? '0') },
        accessModes: pvc.spec?.accessModes ?? ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? 'Delete',
        storageClassName: cls.metadata?.name,
        volumeMode: 'Filesystem',
        claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: pvc.metadata?.namespace, name: pvc.metadata?.name, uid: pvc.metadata?.uid },
        local: { path: `${root.replace(/\/+$/, '')}/${name}` },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node.metadata?.labels?.['kubernetes.io/hostname'] ?? nodeName] }] }] } },
      },
    },
  };
}

/** A released volume of ours with reclaim policy Delete: delete the object (the node agent then removes the directory). */
export function shouldDelete(pv: PersistentVolume): boolean {
  return (
    pv.metadata?.annotations?.[ProvisionedByAnnotation] === LocalPathProvisioner &&
    !pv.metadata?.deletionTimestamp &&
    pv.status?.phase === 'Released' &&
    pv.spec?.persistentVolumeReclaimPolicy === 'Delete'
  );
}

/**
 * A bound claim of ours asking for more than it has: the new size (a directory has no quota, so growing
 * is recording the size). Undefined when there is nothing to grow or the class does not allow it.
 */
export function plannedExpansion(pvc: PersistentVolumeClaim, pv: PersistentVolume | undefined, cls: StorageClass | undefined): string | undefined {
  if (!pv || pvc.status?.phase !== 'Bound' || pv.metadata?.annotations?.[ProvisionedByAnnotation] !== LocalPathProvisioner) return undefined;
  if (!cls?.allowVolumeExpansion) return undefined;
  const want = pvc.spec?.resources?.requests?.storage;
  const have = pvc.status?.capacity?.storage ?? pv.spec?.capacity?.storage;
  if (want === undefined || have === undefined) return undefined;
  try {
    return compareQuantities(String(want), String(have)) > 0 ? String(want) : undefined;
  } catch {
    return undefined;
  }
}
