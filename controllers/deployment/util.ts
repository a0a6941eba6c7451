// Deployment helpers shared by the sync, rolling, recreate, rollback and progress parts (modelled on
// Kubernetes' pkg/controller/deployment/util): template hashing, revision annotations, max surge /
// max unavailable resolution, replica counting and ReplicaSet ordering. Pure, no I/O.
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { LabelSelector, OwnerReference } from 'kubernetes-types/meta/v1';
import type { KubeObject } from '../../lib/client/client';
import { LabelRequirement, matchesLabels, selectorFromLabelSelector } from '../../lib/api/selectors';
import { rfc3339 } from '../../lib/api/time';
import { semanticJson, semanticEqual } from '../../lib/api/json';

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
// Hashing

/** 32-bit FNV-1a over the UTF-8 bytes of a string (the hash Kubernetes uses for template hashes). */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(s, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

// apimachinery's rand.SafeEncodeString alphabet: no vowels (no words) and no look-alike characters.
const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += safeAlphabet[s.charCodeAt(i) % safeAlphabet.length];
  return out;
}

/**
 * The pod-template-hash of a template: FNV-1a of its canonical form plus the collision count,
 * encoded like Kubernetes' controller.ComputeHash (decimal digits through the safe alphabet).
 */
export function computeTemplateHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let text = semanticJson(template ?? {});
  if (collisionCount !== undefined && collisionCount !== null) text += `#${collisionCount}`;
  return safeEncodeString(String(fnv32a(text)));
}

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

/**
 * An int-or-percent value scaled against total, as apimachinery's GetScaledValueFromIntOrPercent:
 * "25%" of 10 is 3 rounding up, 2 rounding down. Throws on a malformed value.
 */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    // Kubernetes accepts an int serialised as a string only as a percent; plain digits are invalid.
    throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage: ${v}`);
  }
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

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

/** ReplicaSets that still have (or want) pods. */
export function activeReplicaSets(rss: Array<ReplicaSet | undefined>): ReplicaSet[] {
  return rss.filter((rs): rs is ReplicaSet => !!rs && specReplicas(rs) > 0);
}

function creationMillis(o: KubeObject): number {
  const t = o.metadata?.creationTimestamp;
  return t ? Date.parse(t) : 0;
}

/** Oldest first; ties by name (Kubernetes' ReplicaSetsByCreationTimestamp). */
export function byCreationTimestamp(a: KubeObject, b: KubeObject): number {
  const d = creationMillis(a) - creationMillis(b);
  if (d !== 0) return d;
  const an = a.metadata?.name ?? '';
  const bn = b.metadata?.name ?? '';
  return an < bn ? -1 : an > bn ? 1 : 0;
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

// ---------------------------------------------------------------------------------------------------
// Controller references: adopt, keep or release objects by selector

export function controllerRefOf(o: { metadata?: { ownerReferences?: OwnerReference[] } }): OwnerReference | undefined {
  return o.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** What the owner lookups below need of an informer. */
export interface OwnerLister<T extends KubeObject> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string): T[];
}

/**
 * The owner of `kind` that controls `o` through its controller reference, if the lister still holds that
 * very object: same name and uid (a re-created owner of the same name does not own the old one's objects).
 */
export function controllingOwner<T extends KubeObject>(o: KubeObject, kind: string, owners: OwnerLister<T>): T | undefined {
  const ref = controllerRefOf(o);
  if (!ref || ref.kind !== kind) return undefined;
  const owner = owners.get(o.metadata?.namespace, ref.name);
  return owner && owner.metadata?.uid === ref.uid ? owner : undefined;
}

/** The owners in `o`'s namespace whose spec.selector matches its labels: who may adopt it as an orphan. */
export function ownersSelecting<T extends KubeObject & { spec?: { selector?: LabelSelector } }>(o: KubeObject, owners: OwnerLister<T>): T[] {
  const labels = o.metadata?.labels ?? {};
  return owners.list(o.metadata?.namespace).filter((owner) => {
    try {
      return matchesLabels(selectorFromLabelSelector(owner.spec?.selector), labels);
    } catch {
      return false; // an invalid selector adopts nothing
    }
  });
}

export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface ClaimResult<T> {
  /** Controlled by the owner and still matching (including those to adopt). */
  owned: T[];
  /** Orphans that match: take them (add our controller reference). */
  adopt: T[];
  /** Controlled by the owner but no longer matching: let them go. */
  release: T[];
}

/**
 * Kubernetes' ControllerRefManager.Claim as a pure function: objects controlled by someone else are
 * ignored; ours that stop matching are released (unless the owner is being deleted); matching orphans
 * are adopted (unless the owner or the orphan is being deleted).
 */
export function claimObjects<T extends KubeObject & { metadata?: { labels?: Record<string, string> } }>(
  owner: KubeObject,
  selector: LabelRequirement[],
  objects: T[],
): ClaimResult<T> {
  const ownerUid = owner.metadata?.uid;
  const ownerDeleting = !!owner.metadata?.deletionTimestamp;
  const res: ClaimResult<T> = { owned: [], adopt: [], release: [] };
  for (const o of objects) {
    const ref = controllerRefOf(o);
    const matches = matchesLabels(selector, o.metadata?.labels ?? {});
    if (ref) {
      if (ref.uid !== ownerUid) continue;
      if (matches || ownerDeleting) res.owned.push(o);
      else res.release.push(o);
      continue;
    }
    if (!matches || ownerDeleting || o.metadata?.deletionTimestamp) continue;
    res.adopt.push(o);
    res.owned.push(o);
  }
  return res;
}

/**
 * How many replicas the new ReplicaSet may have now (Kubernetes' NewRSNewReplicas): under RollingUpdate,
 * grow it as far as maxSurge allows over all ReplicaSets' spec replicas, never past the desired count;
 * under Recreate, the full count at once.
 */
export function newRSNewReplicas(d: Deployment, allRSs: Array<ReplicaSet | undefined>, newRS: ReplicaSet): number {
  const desired = desiredReplicas(d);
  if (!isRollingUpdate(d)) return desired;
  const surge = scaledValue(d.spec?.strategy?.rollingUpdate?.maxSurge ?? '25%', desired, true);
  const current = sumSpecReplicas(allRSs);
  const maxTotal = desired + surge;
  if (current >= maxTotal) return specReplicas(newRS);
  const scaleUp = Math.min(maxTotal - current, desired - specReplicas(newRS));
  return specReplicas(newRS) + scaleUp;
}
