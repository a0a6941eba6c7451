// Recreate (Kubernetes' deployment/recreate.go): scale every old ReplicaSet to zero, wait until none of
// their pods is left running, then create (or scale up) the new ReplicaSet at full size.
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { deploymentComplete, syncRolloutStatus } from './progress';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, SyncState } from './state';
import { activeReplicaSets, desiredReplicas, sumStatusReplicas } from './util';

export function rolloutRecreate(s: SyncState): void {
  let { newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(s, false);
  let scaledDown = false;
  const afterScaleDown: ReplicaSet[] = [];
  for (const rs of oldRSs) {
    if (activeReplicaSets([rs]).length === 0) {
      afterScaleDown.push(rs);
      continue;
    }
    const r = s.scaleAndRecord(rs, 0);
    scaledDown ||= r.scaled;
    afterScaleDown.push(r.rs);
  }
  if (scaledDown) {
    syncRolloutStatus(s, [...afterScaleDown, newRS], newRS);
    return;
  }
  if (oldPodsRunning(newRS, oldRSs, s.podsByReplicaSetUid)) {
    syncRolloutStatus(s, [...oldRSs, newRS], newRS);
    return;
  }
  if (!newRS) ({ newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(s, true));
  const up = s.scaleAndRecord(newRS!, desiredReplicas(s.d));
  if (deploymentComplete(s.d, s.d.status ?? {})) cleanupDeployment(s, oldRSs);
  syncRolloutStatus(s, [...oldRSs, up.rs], up.rs);
}

/**
 * Whether any pod of an old ReplicaSet may still be running: old ReplicaSets report pods, or a pod of
 * theirs has not finished (Failed and Succeeded pods are done; Unknown may still be running).
 */
export function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[], podsByRS: Map<string, Pod[]>): boolean {
  if (sumStatusReplicas(oldRSs) > 0) return true;
  for (const [uid, pods] of podsByRS) {
    if (newRS && newRS.metadata?.uid === uid) continue;
    for (const pod of pods) {
      const phase = pod.status?.phase;
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
  }
  return false;
}
