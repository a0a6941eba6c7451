// Pod helpers every pod-owning controller shares (Kubernetes' pkg/controller/controller_utils.go):
// which pods still count (IsPodActive) and which to delete first when scaling down (ActivePods'
// ordering). Readiness and availability are API-wide and live in lib/api/pod.ts. Pure, no I/O.
import type { Pod } from 'kubernetes-types/core/v1';
import { isPodReady, podReadyCondition } from '../../lib/api/pod';

/** Neither finished (Succeeded, Failed) nor being deleted: the pod still fills a replica's slot. */
export function isPodActive(p: Pod): boolean {
  const phase = p.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !p.metadata?.deletionTimestamp;
}

/** When the pod last became Ready (ms); 0 when the condition carries no time. */
function readySince(p: Pod): number {
  const at = podReadyCondition(p)?.lastTransitionTime;
  return at ? Date.parse(at) : 0;
}

function restarts(p: Pod): number {
  return (p.status?.containerStatuses || []).reduce((n, c) => n + (c.restartCount || 0), 0);
}

const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * Kubernetes' ActivePods ordering: the pod to delete first sorts first. Unscheduled before scheduled,
 * Pending < Unknown < Running, not ready before ready, ready for less time first, more restarts first,
 * newer before older.
 */
export function compareDeletionOrder(a: Pod, b: Pod): number {
  const aBound = a.spec?.nodeName ? 1 : 0;
  const bBound = b.spec?.nodeName ? 1 : 0;
  if (aBound !== bBound) return aBound - bBound;
  const ap = phaseRank[a.status?.phase || 'Pending'] ?? 0;
  const bp = phaseRank[b.status?.phase || 'Pending'] ?? 0;
  if (ap !== bp) return ap - bp;
  const ar = isPodReady(a) ? 1 : 0;
  const br = isPodReady(b) ? 1 : 0;
  if (ar !== br) return ar - br;
  if (ar && br) {
    const as = readySince(a);
    const bs = readySince(b);
    if (as !== bs) return bs - as; // ready more recently → less valuable
  }
  const rc = restarts(b) - restarts(a);
  if (rc !== 0) return rc;
  const at = Date.parse(a.metadata?.creationTimestamp || '') || 0;
  const bt = Date.parse(b.metadata?.creationTimestamp || '') || 0;
  if (at !== bt) return bt - at; // newer first
  return (a.metadata?.name || '').localeCompare(b.metadata?.name || '');
}
