// A StatefulSet pod's stable identity and storage (Kubernetes' stateful_set_utils.go): the name
// `<set>-<ordinal>`, hostname and subdomain (the governing Service), the labels, the claims
// `<template>-<set>-<ordinal>` that outlive the pod, and the claims' owners under the retention policy.
// Pure.
import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { PersistentVolumeClaim, Pod, PodTemplateSpec, Volume } from 'kubernetes-types/core/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { controllerRefOf, newControllerRef } from '../shared/controller-ref';
import { ControllerRevisionHashLabel } from '../shared/history';

export const StatefulSetPodNameLabel = 'statefulset.kubernetes.io/pod-name';
export const PodIndexLabel = 'apps.kubernetes.io/pod-index';

export function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata?.name ?? ''}-${ordinal}`;
}

/** The ordinal of a pod of this set, or -1 when its name is not `<set>-<n>`. */
export function ordinalOf(set: StatefulSet, pod: Pod): number {
  const name = pod.metadata?.name ?? '';
  const prefix = `${set.metadata?.name ?? ''}-`;
  if (!name.startsWith(prefix)) return -1;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : -1;
}

export function startOrdinal(set: StatefulSet): number {
  return set.spec?.ordinals?.start ?? 0;
}

export function claimName(set: StatefulSet, templateName: string, ordinal: number): string {
  return `${templateName}-${set.metadata?.name ?? ''}-${ordinal}`;
}

export function podRevision(pod: Pod): string {
  return pod.metadata?.labels?.[ControllerRevisionHashLabel] ?? '';
}

/** The retention policy's owners of a claim: the set (whenDeleted: Delete), the pod once condemned (whenScaled: Delete). */
export function claimOwners(set: StatefulSet, ordinal: number, replicasEnd: number, pod: Pod | undefined, claim?: PersistentVolumeClaim): OwnerReference[] {
  const policy = set.spec?.persistentVolumeClaimRetentionPolicy;
  const keep = (claim?.metadata?.ownerReferences ?? []).filter((r) => r.uid !== set.metadata?.uid && (!pod || r.uid !== pod.metadata?.uid) && !(r.kind === 'Pod' && r.name === pod?.metadata?.name));
  const out = [...keep];
  // A pod scaled away under whenScaled: Delete owns its claim alone (Kubernetes drops the set's reference
  // then, else the set, still there, would keep the claim alive once the pod is gone).
  const scaledAway = policy?.whenScaled === 'Delete' && ordinal >= replicasEnd && !!pod?.metadata?.uid;
  if (policy?.whenDeleted === 'Delete' && !scaledAway) out.push({ ...newControllerRef(set, 'apps/v1', 'StatefulSet'), controller: false, blockOwnerDeletion: true });
  if (scaledAway && pod?.metadata?.uid) {
    out.push({ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name ?? '', uid: pod.metadata.uid, controller: false, blockOwnerDeletion: true });
  }
  return out;
}

/** The claims a pod of this ordinal uses, one per volumeClaimTemplate. */
export function newClaims(set: StatefulSet, ordinal: number, replicasEnd: number): PersistentVolumeClaim[] {
  return (set.spec?.volumeClaimTemplates ?? []).map((t) => {
    const labels = { ...(t.metadata?.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) };
    const owners = claimOwners(set, ordinal, replicasEnd, undefined);
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: claimName(set, t.metadata?.name ?? '', ordinal),
        namespace: set.metadata?.namespace,
        labels,
        ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
        ...(owners.length ? { ownerReferences: owners } : {}),
      },
      spec: { ...(t.spec ?? {}) },
    };
  });
}

/** A new pod of the set at this ordinal, from `template` (the current or the update revision's), labelled with `revision`. */
export function newPod(set: StatefulSet, template: PodTemplateSpec, ordinal: number, revision: string): Pod {
  const name = podName(set, ordinal);
  const spec = JSON.parse(JSON.stringify(template.spec ?? { containers: [] })) as NonNullable<Pod['spec']>;
  // Each claim template becomes (or replaces) the pod's volume of the same name.
  const claimVolumes: Volume[] = (set.spec?.volumeClaimTemplates ?? []).map((t) => ({
    name: t.metadata?.name ?? '',
    persistentVolumeClaim: { claimName: claimName(set, t.metadata?.name ?? '', ordinal) },
  }));
  const names = new Set(claimVolumes.map((v) => v.name));
  spec.volumes = [...(spec.volumes ?? []).filter((v) => !names.has(v.name)), ...claimVolumes];
  if (!spec.volumes.length) delete spec.volumes;
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: set.metadata?.namespace,
      labels: { ...(template.metadata?.labels ?? {}), [StatefulSetPodNameLabel]: name, [PodIndexLabel]: String(ordinal), [ControllerRevisionHashLabel]: revision },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [newControllerRef(set, 'apps/v1', 'StatefulSet')],
    },
    spec,
  };
}

/** The pod is this set's pod of that ordinal, as controlled (a namesake controlled by another owner is not). */
export function ownedBy(set: StatefulSet, o: { metadata?: { ownerReferences?: OwnerReference[] } }): boolean {
  return controllerRefOf(o)?.uid === set.metadata?.uid;
}
