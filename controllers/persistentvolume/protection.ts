// Storage object in-use protection, pure (Kubernetes' pvc-protection and pv-protection controllers): a
// claim being deleted keeps its finalizer while a pod that is not finished uses it; a volume being
// deleted keeps its finalizer while it is bound to a claim.
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import { isPodTerminal } from '../../lib/api/pod';
import { podClaimNames, PvcProtectionFinalizer, PvProtectionFinalizer } from '../../lib/api/storage';

/** The pods (not finished) in the claim's namespace that use it. */
export function podsUsingClaim(pvc: PersistentVolumeClaim, pods: Pod[]): Pod[] {
  return pods.filter((p) => p.metadata?.namespace === pvc.metadata?.namespace && !isPodTerminal(p) && podClaimNames(p).includes(pvc.metadata?.name ?? ''));
}

/** The claim's protection finalizer may go: it is being deleted and no pod uses it. */
export function claimReleasable(pvc: PersistentVolumeClaim, pods: Pod[]): boolean {
  return !!pvc.metadata?.deletionTimestamp && (pvc.metadata.finalizers ?? []).includes(PvcProtectionFinalizer) && podsUsingClaim(pvc, pods).length === 0;
}

/** The volume's protection finalizer may go: it is being deleted and not Bound. */
export function volumeReleasable(pv: PersistentVolume): boolean {
  return !!pv.metadata?.deletionTimestamp && (pv.metadata.finalizers ?? []).includes(PvProtectionFinalizer) && pv.status?.phase !== 'Bound';
}
