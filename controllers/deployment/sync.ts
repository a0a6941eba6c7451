// One Deployment sync as a pure function (Kubernetes' syncDeployment and sync.go): paused and scaling
// syncs only resize ReplicaSets (proportionally when a rollout is in flight); otherwise the strategy
// rolls out. planDeploymentSync returns the API writes; the controller in deployment.ts performs them.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import { checkPausedConditions, syncDeploymentStatus } from './progress';
import { rolloutRecreate } from './recreate';
import { rollback, rollbackTo } from './rollback';
import { rolloutRolling } from './rolling';
import { cleanupDeployment, DeploymentPlan, DeploymentSyncInput, getAllReplicaSetsAndSyncRevision, SyncState } from './state';
import {
  activeReplicaSets,
  bySizeNewer,
  bySizeOlder,
  desiredReplicas,
  desiredReplicasAnnotation,
  isRollingUpdate,
  maxReplicasAnnotation,
  maxSurge,
  specReplicas,
  sumSpecReplicas,
} from './util';
import { byCreationTimestamp } from '../shared/creation-order';

export type { DeploymentAction, DeploymentPlan, DeploymentSyncInput, PlannedEvent } from './state';

export function planDeploymentSync(input: DeploymentSyncInput): DeploymentPlan {
  const s = new SyncState(input);
  const d = s.d;
  if (d.metadata?.deletionTimestamp) {
    // Being deleted: only report status (the garbage collector removes the ReplicaSets).
    const { newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(s, false);
    syncDeploymentStatus(s, [...oldRSs, newRS], newRS);
    return s.plan();
  }
  checkPausedConditions(s);
  if (d.spec?.paused) {
    syncScaleOnly(s);
    return s.plan();
  }
  if (rollbackTo(d) !== undefined) {
    rollback(s);
    return s.plan();
  }
  if (isScalingEvent(s)) {
    syncScaleOnly(s);
    return s.plan();
  }
  if (isRollingUpdate(d)) rolloutRolling(s);
  else rolloutRecreate(s);
  return s.plan();
}

/**
 * A scaling event: some active ReplicaSet was sized for a different Deployment size than the current
 * one (its desired-replicas annotation differs).
 */
export function isScalingEvent(s: SyncState): boolean {
  const { newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(s, false);
  const want = desiredReplicas(s.d);
  for (const rs of activeReplicaSets([...oldRSs, newRS])) {
    const desired = desiredReplicasAnnotation(rs);
    if (desired !== undefined && desired !== want) return true;
  }
  return false;
}

/** Resize only (scaling event or paused): no new ReplicaSet, no rollout step. */
export function syncScaleOnly(s: SyncState): void {
  const { newRS, oldRSs } = getAllReplicaSetsAndSyncRevision(s, false);
  const scaled = scale(s, newRS, oldRSs);
  if (s.d.spec?.paused && rollbackTo(s.d) === undefined) cleanupDeployment(s, scaled.oldRSs);
  syncDeploymentStatus(s, [...scaled.oldRSs, scaled.newRS], scaled.newRS);
}

/** The ReplicaSet to give the whole size: the only active one, or the newest if none is active. */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreationTimestamp(b, a));
  const active = activeReplicaSets([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** The new ReplicaSet has everything: its size is the Deployment's and all its pods are available. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const want = desiredReplicas(d);
  return desiredReplicasAnnotation(rs) === want && specReplicas(rs) === want && (rs.status?.availableReplicas ?? 0) === want;
}

/** Round half away from zero (Go's math.Round), unlike Math.round for negative halves. */
function roundHalfAway(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x));
}

/**
 * How much a ReplicaSet grows or shrinks when the Deployment is resized mid-rollout: its share of the
 * new total (replicas + maxSurge) in proportion to its share of the total it was sized for
 * (max-replicas annotation), as Kubernetes' getReplicaSetFraction.
 */
export function replicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  if (desiredReplicas(d) === 0) return -specReplicas(rs);
  const deploymentReplicas = desiredReplicas(d) + maxSurge(d);
  const annotated = maxReplicasAnnotation(rs) ?? d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  return roundHalfAway((specReplicas(rs) * deploymentReplicas) / annotated) - specReplicas(rs);
}

export function proportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if (specReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/**
 * Proportional scaling (Kubernetes' scale): with one active ReplicaSet it gets the whole size; when the
 * new ReplicaSet is saturated old ones go to zero; otherwise, during a rolling update, the difference
 * is spread over active ReplicaSets in proportion to their size, leftovers to the largest.
 */
export function scale(s: SyncState, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): { newRS?: ReplicaSet; oldRSs: ReplicaSet[] } {
  const d = s.d;
  const want = desiredReplicas(d);
  const latest = (rs: ReplicaSet | undefined): ReplicaSet | undefined =>
    rs ? s.replicaSets().find((x) => x.metadata?.name === rs.metadata?.name) ?? rs : undefined;
  const result = () => ({ newRS: latest(newRS), oldRSs: oldRSs.map((rs) => latest(rs)!) });

  const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) {
    if (specReplicas(activeOrLatest) !== want) s.scaleAndRecord(activeOrLatest, want);
    return result();
  }
  if (isSaturated(d, newRS)) {
    for (const rs of activeReplicaSets(oldRSs)) s.scaleAndRecord(rs, 0);
    return result();
  }
  if (!isRollingUpdate(d)) return result();

  const active = activeReplicaSets([...oldRSs, newRS]);
  const allowedSize = want > 0 ? want + maxSurge(d) : 0;
  const toAdd = allowedSize - sumSpecReplicas(active);
  let operation: 'up' | 'down' | '' = '';
  if (toAdd > 0) {
    active.sort(bySizeNewer);
    operation = 'up';
  } else if (toAdd < 0) {
    active.sort(bySizeOlder);
    operation = 'down';
  }
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of active) {
    const p = toAdd !== 0 ? proportion(rs, d, toAdd, added) : 0;
    sizes.set(rs.metadata?.name ?? '', specReplicas(rs) + p);
    added += p;
  }
  active.forEach((rs, i) => {
    const name = rs.metadata?.name ?? '';
    if (i === 0 && toAdd !== 0) sizes.set(name, Math.max(0, sizes.get(name)! + toAdd - added));
    s.scaleReplicaSet(rs, sizes.get(name)!, operation);
  });
  return result();
}
