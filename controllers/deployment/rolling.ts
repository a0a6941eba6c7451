// RollingUpdate (Kubernetes' deployment/rolling.go): grow the new ReplicaSet as far as maxSurge allows,
// shrink old ones as far as maxUnavailable allows, one step per sync; every ReplicaSet status change
// brings the next sync.
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import { deploymentComplete, syncRolloutStatus } from './progress';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, SyncState } from './state';
import {
  activeReplicaSets,
  desiredReplicas,
  maxUnavailable,
  newRSNewReplicas,
  specReplicas,
  sumSettledAvailableReplicas,
  sumSpecReplicas,
} from './util';
import { byCreationTimestamp } from '../shared/creation-order';
import { isPodActive } from '../shared/pods';
import { isPodAvailable } from '../../lib/api/pod';

export function rolloutRolling(s: SyncState): void {
  const { newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(s, true);
  const allRSs = [...oldRSs, newRS!];
  const up = reconcileNewReplicaSet(s, allRSs, newRS!);
  if (up.scaled) {
    syncRolloutStatus(s, [...oldRSs, up.rs], up.rs);
    return;
  }
  const down = reconcileOldReplicaSets(s, allRSs, activeReplicaSets(oldRSs), newRS!);
  if (down.scaled) {
    syncRolloutStatus(s, [...down.oldRSs, newRS!], newRS);
    return;
  }
  if (deploymentComplete(s.d, s.d.status ?? {})) cleanupDeployment(s, oldRSs);
  syncRolloutStatus(s, allRSs, newRS);
}

/** Scales the new ReplicaSet toward the desired count within maxSurge (or down if it is too big). */
export function reconcileNewReplicaSet(s: SyncState, allRSs: ReplicaSet[], newRS: ReplicaSet): { scaled: boolean; rs: ReplicaSet } {
  const want = desiredReplicas(s.d);
  if (specReplicas(newRS) === want) return { scaled: false, rs: newRS };
  if (specReplicas(newRS) > want) return s.scaleAndRecord(newRS, want);
  return s.scaleAndRecord(newRS, newRSNewReplicas(s.d, allRSs, newRS, s.podsByReplicaSetUid));
}

/**
 * Scales old ReplicaSets down as far as maxUnavailable allows: first the unhealthy replicas of old
 * ReplicaSets (they cost no availability), then healthy ones, oldest ReplicaSet first.
 */
export function reconcileOldReplicaSets(
  s: SyncState,
  allRSs: ReplicaSet[],
  oldRSs: ReplicaSet[],
  newRS: ReplicaSet,
): { scaled: boolean; oldRSs: ReplicaSet[] } {
  if (sumSpecReplicas(oldRSs) === 0) return { scaled: false, oldRSs };
  const allPods = sumSpecReplicas(allRSs);
  const minAvailable = desiredReplicas(s.d) - maxUnavailable(s.d);
  const newRSUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = allPods - minAvailable - newRSUnavailable;
  if (maxScaledDown <= 0) return { scaled: false, oldRSs };

  const cleaned = cleanupUnhealthyReplicas(s, oldRSs, maxScaledDown);
  const scaledDown = scaleDownOldReplicaSetsForRollingUpdate(s, [...cleaned.oldRSs, newRS], cleaned.oldRSs);
  return { scaled: cleaned.count + scaledDown > 0, oldRSs: cleaned.oldRSs };
}

/**
 * An old ReplicaSet's available replicas as cleanup counts them: its status, or the available pods the
 * cache shows when more. A status may lag its pods — its last write lost when the apiserver died, its
 * next sync backed off after the outage — and replicas it still calls unavailable would then be taken
 * from pods that are available (found by the chaos harness: ready pods below replicas − maxUnavailable).
 */
function availableForCleanup(s: SyncState, rs: ReplicaSet): number {
  const status = rs.status?.availableReplicas ?? 0;
  const pods = s.podsByReplicaSetUid.get(rs.metadata?.uid ?? '');
  if (!pods) return status;
  const minReady = s.d.spec?.minReadySeconds ?? 0;
  const cached = pods.filter((p) => isPodActive(p) && isPodAvailable(p, minReady, s.now)).length;
  return Math.max(status, cached);
}

/** Removes old ReplicaSets' unavailable replicas, up to maxCleanup, oldest ReplicaSet first. */
export function cleanupUnhealthyReplicas(s: SyncState, oldRSs: ReplicaSet[], maxCleanup: number): { oldRSs: ReplicaSet[]; count: number } {
  const sorted = [...oldRSs].sort(byCreationTimestamp);
  let total = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (total >= maxCleanup) break;
    const rs = sorted[i];
    const replicas = specReplicas(rs);
    const available = availableForCleanup(s, rs);
    if (replicas === 0 || replicas <= available) continue;
    const count = Math.min(maxCleanup - total, replicas - available);
    sorted[i] = s.scaleAndRecord(rs, replicas - count).rs;
    total += count;
  }
  return { oldRSs: sorted, count: total };
}

/**
 * Scales healthy old replicas down while more than minAvailable pods are available, oldest first.
 * Availability is counted as the ReplicaSets will have it once their last scale is carried out
 * (sumSettledAvailableReplicas): a status that still counts pods being deleted would otherwise let the
 * same pods be taken away twice, dipping below replicas − maxUnavailable.
 */
export function scaleDownOldReplicaSetsForRollingUpdate(s: SyncState, allRSs: ReplicaSet[], oldRSs: ReplicaSet[]): number {
  const minAvailable = desiredReplicas(s.d) - maxUnavailable(s.d);
  const available = sumSettledAvailableReplicas(allRSs);
  if (available <= minAvailable) return 0;
  const toScaleDown = available - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(byCreationTimestamp)) {
    if (total >= toScaleDown) break;
    if (specReplicas(rs) === 0) continue;
    const count = Math.min(specReplicas(rs), toScaleDown - total);
    s.scaleAndRecord(rs, specReplicas(rs) - count);
    total += count;
  }
  return total;
}
