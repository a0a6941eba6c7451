// Deployment status and progress (Kubernetes' deployment/progress.go and sync.go's calculateStatus):
// the replica counts `kubectl rollout status` reads, the Available condition, and the Progressing
// condition with its deadline (Progressing=False/ProgressDeadlineExceeded when a rollout stalls).
import type { Deployment, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { SyncState } from './state';
import {
  ConditionAvailable,
  ConditionProgressing,
  ConditionReplicaFailure,
  desiredReplicas,
  getCondition,
  hasProgressDeadline,
  maxUnavailable,
  newCondition,
  ReasonDeploymentPaused,
  ReasonDeploymentResumed,
  ReasonMinimumReplicasAvailable,
  ReasonMinimumReplicasUnavailable,
  ReasonNewReplicaSetAvailable,
  ReasonProgressDeadlineExceeded,
  ReasonReplicaSetUpdated,
  removeCondition,
  setCondition,
  sumAvailableReplicas,
  sumReadyReplicas,
  sumSpecReplicas,
  sumStatusReplicas,
} from './util';

/** The status the ReplicaSets imply, keeping the Deployment's conditions and setting Available. */
export function calculateStatus(d: Deployment, allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined, now: Date): DeploymentStatus {
  const available = sumAvailableReplicas(allRSs);
  const total = sumSpecReplicas(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata?.generation ?? 0,
    replicas: sumStatusReplicas(allRSs),
    updatedReplicas: sumStatusReplicas([newRS]),
    readyReplicas: sumReadyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  status.conditions = (d.status?.conditions ?? []).map((c) => ({ ...c }));
  if (available >= desiredReplicas(d) - maxUnavailable(d)) {
    setCondition(status, newCondition(ConditionAvailable, 'True', ReasonMinimumReplicasAvailable, 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, newCondition(ConditionAvailable, 'False', ReasonMinimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
  }
  return status;
}

/** Every desired replica is updated and available, and the latest spec has been observed. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const want = desiredReplicas(d);
  return (
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want &&
    (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0)
  );
}

/** Something moved since the last status: more updated, ready or available pods, or fewer old ones. */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** The Progressing condition was last updated longer than progressDeadlineSeconds ago. */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, now: Date): boolean {
  if (!hasProgressDeadline(d)) return false;
  const cond = getCondition(s, ConditionProgressing);
  if (!cond) return false;
  if (cond.reason === ReasonNewReplicaSetAvailable) return false;
  if (cond.reason === ReasonProgressDeadlineExceeded) return true;
  const from = Date.parse(cond.lastUpdateTime ?? '');
  if (Number.isNaN(from)) return false;
  return from + (d.spec!.progressDeadlineSeconds as number) * 1000 < now.getTime();
}

/** The first ReplicaFailure=True condition among the ReplicaSets (e.g. pod creation forbidden). */
function replicaFailure(allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined, now: Date) {
  const ordered = newRS ? [newRS, ...allRSs.filter((rs) => rs !== newRS)] : allRSs;
  for (const rs of ordered) {
    const c = rs?.status?.conditions?.find((x) => x.type === ConditionReplicaFailure && x.status === 'True');
    if (c) return newCondition(ConditionReplicaFailure, 'True', c.reason ?? '', c.message ?? '', now);
  }
  return undefined;
}

/**
 * Kubernetes' syncRolloutStatus: counts, Available, Progressing (progressing / complete / timed out)
 * and ReplicaFailure; when the rollout is still in flight, asks to be looked at again when its progress
 * deadline would pass.
 */
export function syncRolloutStatus(s: SyncState, allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined): void {
  const d = s.d;
  const next = calculateStatus(d, allRSs, newRS, s.now);
  if (!hasProgressDeadline(d)) removeCondition(next, ConditionProgressing);
  const current = getCondition(d.status, ConditionProgressing);
  const isComplete = next.replicas === next.updatedReplicas && current?.reason === ReasonNewReplicaSetAvailable;
  if (hasProgressDeadline(d) && !isComplete) {
    const subject = newRS ? `ReplicaSet "${newRS.metadata?.name}"` : `Deployment "${d.metadata?.name}"`;
    if (deploymentComplete(d, next)) {
      setCondition(next, newCondition(ConditionProgressing, 'True', ReasonNewReplicaSetAvailable, `${subject} has successfully progressed.`, s.now));
    } else if (deploymentProgressing(d, next)) {
      const cond = newCondition(ConditionProgressing, 'True', ReasonReplicaSetUpdated, `${subject} is progressing.`, s.now);
      // Progress refreshes lastUpdateTime (which the deadline counts from) even when the reason is unchanged.
      if (current?.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
      removeCondition(next, ConditionProgressing);
      setCondition(next, cond);
    } else if (deploymentTimedOut(d, next, s.now)) {
      setCondition(next, newCondition(ConditionProgressing, 'False', ReasonProgressDeadlineExceeded, `${subject} has timed out progressing.`, s.now));
    }
  }
  const failure = replicaFailure(allRSs, newRS, s.now);
  if (failure) setCondition(next, failure);
  else removeCondition(next, ConditionReplicaFailure);
  d.status = next;

  // A stalled rollout produces no events: come back when its deadline passes.
  const cond = getCondition(next, ConditionProgressing);
  if (hasProgressDeadline(d) && cond && !deploymentComplete(d, next) && cond.reason !== ReasonProgressDeadlineExceeded) {
    const from = Date.parse(cond.lastUpdateTime ?? '');
    if (!Number.isNaN(from)) s.requeueAfter(Math.max(1000, from + (d.spec!.progressDeadlineSeconds as number) * 1000 - s.now.getTime() + 1000));
  }
}

/** Status only, no progress bookkeeping (used while scaling or paused). */
export function syncDeploymentStatus(s: SyncState, allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined): void {
  s.d.status = calculateStatus(s.d, allRSs, newRS, s.now);
}

/** Paused → Progressing=Unknown/DeploymentPaused; resumed → Progressing=Unknown/DeploymentResumed. */
export function checkPausedConditions(s: SyncState): void {
  const d = s.d;
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(d.status, ConditionProgressing);
  if (cond?.reason === ReasonProgressDeadlineExceeded) return;
  const paused = cond?.reason === ReasonDeploymentPaused;
  if (d.spec?.paused && !paused) {
    setCondition(d.status!, newCondition(ConditionProgressing, 'Unknown', ReasonDeploymentPaused, 'Deployment is paused', s.now));
  } else if (!d.spec?.paused && paused) {
    setCondition(d.status!, newCondition(ConditionProgressing, 'Unknown', ReasonDeploymentResumed, 'Deployment is resumed', s.now));
  }
}
