// The ephemeral volume controller's pure core (kube's pkg/controller/volume/ephemeral): a pod's generic
// ephemeral volume (`volumes[].ephemeral.volumeClaimTemplate`) is a PersistentVolumeClaim made for that
// pod alone, named `<pod>-<volume>`, controlled by the pod — so the scheduler and the binder treat it as
// any claim, and the garbage collector deletes it with the pod. A claim of that name that the pod does
// not control is never taken over: the pod cannot start, and says why.
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import { ephemeralClaimNotForPod, volumeClaimName } from '../../lib/api/storage';

export interface EphemeralClaimsPlan {
  /** Claims to create, one per ephemeral volume whose claim does not exist yet. */
  create: PersistentVolumeClaim[];
  /** Volumes whose claim exists but belongs to someone else: kube's FailedBinding warning on the pod. */
  conflicts: Array<{ volume: string; message: string }>;
}

/** What the pod's ephemeral volumes need, given the claims that exist (by name, in the pod's namespace). */
export function planEphemeralClaims(pod: Pod, claim: (name: string) => PersistentVolumeClaim | undefined): EphemeralClaimsPlan {
  const plan: EphemeralClaimsPlan = { create: [], conflicts: [] };
  // A pod on its way out needs no new claims (kube ignores pods being deleted).
  if (pod.metadata?.deletionTimestamp) return plan;
  for (const v of pod.spec?.volumes ?? []) {
    const template = v.ephemeral?.volumeClaimTemplate;
    if (!template) continue;
    const name = volumeClaimName(pod, v)!;
    const existing = claim(name);
    if (existing) {
      const foreign = ephemeralClaimNotForPod(pod, existing);
      if (foreign) plan.conflicts.push({ volume: v.name, message: `ephemeral volume ${v.name}: ${foreign}` });
      continue;
    }
    plan.create.push({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name,
        namespace: pod.metadata?.namespace,
        ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
        ...(template.metadata?.labels ? { labels: template.metadata.labels } : {}),
        ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      },
      spec: template.spec,
    });
  }
  return plan;
}
