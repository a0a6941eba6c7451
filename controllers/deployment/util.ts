// Deployment helpers shared by the sync, rolling, recreate, rollback and progress parts (modelled on
// Kubernetes' pkg/controller/deployment/util): template comparison, revision annotations, max surge /
// max unavailable resolution, replica counting and ReplicaSet ordering. Pure, no I/O. What every owner
// shares (template hash, int-or-percent, creation order, controller refs) is in ../shared/.
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import type { KubeObject } from '../../lib/client/client';
import { rfc3339 } from '../../lib/api/time';
import { semanticEqual } from '../../lib/api/json';
import { scaledValue } from '../shared/int-or-percent';
import { byCreationTimestamp } from '../shared/creation-order';
import { isPodActive } from '../shared/pods';

export const PodTemplateHashLabel = 'pod-template-hash';
export const RevisionAnnotation = 'deployment.kubernetes.io/revision';
export const RevisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const DesiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
export const MaxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';
/** apps/v1 has no spec.rollbackTo; Kubernetes still honours this annotation (extensions/v1beta1 heritage). */
export const RollbackToAnnotation = 'deprecated.deployment.rollback.to';
export const LastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';
/** Kubernetes caps the revision-history annotation at this many characters. */
export const MaxRevisionHistoryLengthInChars = 2000;

// Condition types and reasons, spelled as Kubernetes spells them (kubectl and alerts match on them).
export const ConditionAvailable = 'Available';
export const ConditionProgressing = 'Progressing';
export const ConditionReplicaFailure = 'ReplicaFailure';
export const ReasonMinimumReplicasAvailable = 'MinimumReplicasAvailable';
export const ReasonMinimumReplicasUnavailable = 'MinimumReplicasUnavailable';
export const ReasonNewReplicaSetCreated = 'NewReplicaSetCreated';
export const ReasonFoundNewReplicaSet = 'FoundNewReplicaSet';
export const ReasonReplicaSetUpdated = 'ReplicaSetUpdated';
export const ReasonNewReplicaSetAvailable = 'NewReplicaSetAvailable';
export const ReasonProgressDeadlineExceeded = 'ProgressDeadlineExceeded';
export const ReasonDeploymentPaused = 'DeploymentPaused';
export const ReasonDeploymentResumed = 'DeploymentResumed';

/** Annotations that belong to the Deployment machinery and are never copied between Deployment and ReplicaSet. */
export const annotationsToSkip = new Set([
  LastAppliedAnnotation,
  RevisionAnnotation,
  RevisionHistoryAnnotation,
  DesiredReplicasAnnotation,
  MaxReplicasAnnotation,
  RollbackToAnnotation,
]);

const maxInt32 = 2147483647;

// ---------------------------------------------------------------------------------------------------
// Templates

function withoutHashLabel(t: PodTemplateSpec | undefined): PodTemplateSpec {
  const copy: PodTemplateSpec = structuredClone(t ?? {});
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[PodTemplateHashLabel];
  }
  return copy;
}

/** Kubernetes' EqualIgnoreHash: templates equal once the pod-template-hash label is ignored. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return semanticEqual(withoutHashLabel(a), withoutHashLabel(b));
}

/** A template without the pod-template-hash label (what a rollback writes back into the Deployment). */
export function templateWithoutHash(t: PodTemplateSpec | undefined): PodTemplateSpec {
  const copy = withoutHashLabel(t);
  if (copy.metadata?.labels && Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  return copy;
}

export function selectorWithLabel(sel: LabelSelector | undefined, key: string, value: string): LabelSelector {
  const copy: LabelSelector = structuredClone(sel ?? {});
  copy.matchLabels = { ...(copy.matchLabels ?? {}), [key]: value };
  return copy;
}

// ---------------------------------------------------------------------------------------------------
// Int-or-percent and the rolling-update fenceposts

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

export function desiredReplicas(d: Deployment): number {
  return d.spec?.replicas ?? 1;
}

/** Max surge and max unavailable for `desired` replicas; both 0 would deadlock, so unavailable becomes 1. */
export function resolveFenceposts(
  maxSurge: number | string | undefined,
  maxUnavailable: number | string | undefined,
  desired: number,
): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, desiredReplicas(d)).surge;
}

export function maxUnavailable(d: Deployment): number {
  const replicas = desiredReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  const { unavailable } = resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicas);
  return Math.min(unavailable, replicas);
}

// ---------------------------------------------------------------------------------------------------
// Replica counting and ordering

export function specReplicas(rs: ReplicaSet | undefined): number {
  return rs?.spec?.replicas ?? 0;
}

export function sumSpecReplicas(rss: Array<ReplicaSet | undefined>): number {
  return rss.reduce((n, rs) => n + specReplicas(rs), 0);
}

export function sumStatusReplicas(rss: Array<ReplicaSet | undefined>): number {
  return rss.reduce((n, rs) => n + (rs?.status?.replicas ?? 0), 0);
}

export function sumReadyReplicas(rss: Array<ReplicaSet | undefined>): number {
  return rss.reduce((n, rs) => n + (rs?.status?.readyReplicas ?? 0), 0);
}

export function sumAvailableReplicas(rss: Array<ReplicaSet | undefined>): number {
  return rss.reduce((n, rs) => n + (rs?.status?.availableReplicas ?? 0), 0);
}

/**
 * Available replicas a ReplicaSet will still have once it has done what its spec asks: its status'
 * count, never more than spec.replicas. A ReplicaSet just scaled down still reports the pods it is
 * about to delete (its status is written after the scale, or its controller is late); counting them
 * would let a rolling update take the same availability away twice.
 */
export function sumSettledAvailableReplicas(rss: Array<ReplicaSet | undefined>): number {
  return rss.reduce((n, rs) => n + Math.min(rs?.status?.availableReplicas ?? 0, specReplicas(rs)), 0);
}

/** ReplicaSets that still have (or want) pods. */
export function activeReplicaSets(rss: Array<ReplicaSet | undefined>): ReplicaSet[] {
  return rss.filter((rs): rs is ReplicaSet => !!rs && specReplicas(rs) > 0);
}

/** Largest first; among equals the newer first (scale-up goes to the newest). */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  const d = specReplicas(b) - specReplicas(a);
  return d !== 0 ? d : byCreationTimestamp(b, a);
}

/** Largest first; among equals the older first (scale-down takes from the oldest). */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  const d = specReplicas(b) - specReplicas(a);
  return d !== 0 ? d : byCreationTimestamp(a, b);
}

// ---------------------------------------------------------------------------------------------------
// Revisions and annotations

/** The revision annotation as a number; 0 when absent or malformed. */
export function revisionOf(o: KubeObject | undefined): number {
  const v = o?.metadata?.annotations?.[RevisionAnnotation];
  if (v === undefined) return 0;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

export function maxRevision(rss: ReplicaSet[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/** The second highest revision: where `rollout undo` with no revision goes. */
export function lastRevision(rss: ReplicaSet[]): number {
  let max = 0;
  let second = 0;
  for (const rs of rss) {
    const v = revisionOf(rs);
    if (v >= max) {
      second = max;
      max = v;
    } else if (v > second) second = v;
  }
  return second;
}

/** Revision ascending, ties by creation (Kubernetes' ReplicaSetsByRevision: clean-up order). */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  const d = revisionOf(a) - revisionOf(b);
  return d !== 0 ? d : byCreationTimestamp(a, b);
}

function intAnnotation(o: KubeObject, key: string): number | undefined {
  const v = o.metadata?.annotations?.[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) ? n : undefined;
}

export function desiredReplicasAnnotation(rs: ReplicaSet): number | undefined {
  return intAnnotation(rs, DesiredReplicasAnnotation);
}

export function maxReplicasAnnotation(rs: ReplicaSet): number | undefined {
  return intAnnotation(rs, MaxReplicasAnnotation);
}

/** Sets desired-replicas and max-replicas on a ReplicaSet; true when something changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const md = (rs.metadata ??= {});
  const ann = (md.annotations ??= {});
  const want = { [DesiredReplicasAnnotation]: String(desired), [MaxReplicasAnnotation]: String(max) };
  let changed = false;
  for (const [k, v] of Object.entries(want)) {
    if (ann[k] !== v) {
      ann[k] = v;
      changed = true;
    }
  }
  return changed;
}

/** Copies the Deployment's own annotations onto the ReplicaSet; true when something changed. */
export function copyDeploymentAnnotationsToReplicaSet(d: Deployment, rs: ReplicaSet): boolean {
  const ann = ((rs.metadata ??= {}).annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (annotationsToSkip.has(k)) continue;
    if (ann[k] !== v) {
      ann[k] = v;
      changed = true;
    }
  }
  return changed;
}

/**
 * Kubernetes' SetNewReplicaSetAnnotations: copy the Deployment's annotations, raise the revision to
 * newRevision when it is higher (recording the old one in revision-history when a ReplicaSet is re-used,
 * e.g. by a rollback), and on a new ReplicaSet set the replica annotations. True when changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean): boolean {
  let changed = copyDeploymentAnnotationsToReplicaSet(d, rs);
  const ann = ((rs.metadata ??= {}).annotations ??= {});
  const oldRevisionText = ann[RevisionAnnotation];
  const oldRevision = revisionOf(rs);
  if (oldRevision < newRevision) {
    ann[RevisionAnnotation] = String(newRevision);
    changed = true;
  }
  if (exists && oldRevisionText !== undefined && oldRevision < newRevision && oldRevision > 0) {
    const history = ann[RevisionHistoryAnnotation] ? ann[RevisionHistoryAnnotation].split(',') : [];
    history.push(oldRevisionText);
    // Keep the most recent entries within the character cap.
    while (history.join(',').length > MaxRevisionHistoryLengthInChars && history.length > 1) history.shift();
    ann[RevisionHistoryAnnotation] = history.join(',');
  }
  if (!exists) {
    const desired = desiredReplicas(d);
    if (setReplicasAnnotations(rs, desired, desired + maxSurge(d))) changed = true;
  }
  return changed;
}

// ---------------------------------------------------------------------------------------------------
// Finding the new and old ReplicaSets

/** The oldest ReplicaSet whose template equals the Deployment's (ignoring the hash label). */
export function findNewReplicaSet(d: Deployment, rss: ReplicaSet[]): ReplicaSet | undefined {
  return [...rss].sort(byCreationTimestamp).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

// ---------------------------------------------------------------------------------------------------
// Conditions

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}


export function newCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, now: Date): DeploymentCondition {
  const t = rfc3339(now);
  return { type, status, reason, message, lastUpdateTime: t, lastTransitionTime: t };
}

/**
 * Kubernetes' SetDeploymentCondition: a condition with the same status and reason is left alone; a
 * changed reason keeps the old lastTransitionTime when the status did not change.
 */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const current = getCondition(status, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  const next = { ...cond };
  if (current && current.status === cond.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
}

export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec?.progressDeadlineSeconds;
  return s !== undefined && s !== null && s !== maxInt32;
}

/**
 * The pods a ReplicaSet takes up for maxSurge: its spec, or more while it still runs pods beyond it —
 * as its status reports them, or as the pod cache shows them (the active ones). A status can lag its
 * pods for long: the ReplicaSet controller cannot act or write while the apiserver is down, nor delete
 * while creates whose answers were lost are unsettled. Kubernetes counts spec replicas only; its
 * ReplicaSet controller deletes within milliseconds of a scale-down, steer's may not (found by the chaos
 * harness: an old ReplicaSet scaled to 0 with its status saying 3 still ran 5 ready pods, and the new
 * one grew into their room: 57 ready pods with replicas 50, maxSurge 5).
 */
export function replicasInUse(rs: ReplicaSet | undefined, podsByReplicaSetUid: ReadonlyMap<string, Pod[]>): number {
  const pods = podsByReplicaSetUid.get(rs?.metadata?.uid ?? '') ?? [];
  const active = pods.reduce((n, p) => n + (isPodActive(p) ? 1 : 0), 0);
  return Math.max(specReplicas(rs), rs?.status?.replicas ?? 0, active);
}

/**
 * How many replicas the new ReplicaSet may have now (Kubernetes' NewRSNewReplicas): under RollingUpdate,
 * grow it as far as maxSurge allows over all ReplicaSets' spec replicas, never past the desired count;
 * under Recreate, the full count at once.
 */
export function newRSNewReplicas(
  d: Deployment,
  allRSs: Array<ReplicaSet | undefined>,
  newRS: ReplicaSet,
  podsByReplicaSetUid: ReadonlyMap<string, Pod[]> = new Map(),
): number {
  const desired = desiredReplicas(d);
  if (!isRollingUpdate(d)) return desired;
  const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge ?? '25%', desired, true);
  // Pods a ReplicaSet still runs beyond a scale-down count until they are gone: growing the new
  // ReplicaSet into room they still take would put more than replicas + maxSurge pods up at once.
  const current = allRSs.reduce((n, rs) => n + replicasInUse(rs, podsByReplicaSetUid), 0);
  const maxTotal = desired + surge;
  if (current >= maxTotal) return specReplicas(newRS);
  const scaleUp = Math.min(maxTotal - current, desired - specReplicas(newRS));
  return specReplicas(newRS) + scaleUp;
}
