// The working state of one Deployment sync. Kubernetes' controller acts step by step (create the new
// ReplicaSet, scale it, scale old ones down, write status), each step seeing the previous one's result.
// Here each step changes in-memory copies and records the API write it implies, so that the whole sync
// is a pure function from (Deployment, ReplicaSets, pods, now) to a plan the controller then carries out.
import type { Deployment, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import {
  byRevision,
  ConditionProgressing,
  desiredReplicas,
  findNewReplicaSet,
  getCondition,
  hasProgressDeadline,
  maxRevision,
  maxSurge,
  newCondition,
  newRSNewReplicas,
  PodTemplateHashLabel,
  ReasonFoundNewReplicaSet,
  ReasonNewReplicaSetCreated,
  RevisionAnnotation,
  revisionOf,
  selectorWithLabel,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
} from './util';
import { computeTemplateHash } from '../shared/template-hash';
import { newControllerRef } from '../shared/controller-ref';

export type DeploymentAction =
  /** POST a new ReplicaSet. */
  | { type: 'createReplicaSet'; replicaSet: ReplicaSet }
  /** PUT a ReplicaSet (its resourceVersion makes it conditional): size, annotations, minReadySeconds. */
  | { type: 'updateReplicaSet'; replicaSet: ReplicaSet }
  /** DELETE an old, empty ReplicaSet (revisionHistoryLimit). */
  | { type: 'deleteReplicaSet'; replicaSet: ReplicaSet }
  /** Merge-patch the Deployment's annotations (its revision). */
  | { type: 'patchDeploymentAnnotations'; annotations: Record<string, string | null> }
  /** PUT the whole Deployment (a rollback writes an old template back). */
  | { type: 'updateDeployment'; deployment: Deployment }
  /** PUT the Deployment's status subresource. */
  | { type: 'updateDeploymentStatus'; status: DeploymentStatus };

export interface PlannedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface DeploymentPlan {
  actions: DeploymentAction[];
  events: PlannedEvent[];
  /** Check again after this long (progress deadline, minReadySeconds). */
  requeueAfterMs?: number;
}

export interface DeploymentSyncInput {
  deployment: Deployment;
  /** The ReplicaSets this Deployment controls (after adoption and release). */
  replicaSets: ReplicaSet[];
  /** Pods of those ReplicaSets by ReplicaSet uid (Recreate waits until old ones are gone; cleanup spares available ones). */
  podsByReplicaSetUid?: Map<string, Pod[]>;
  now: Date;
}

export class SyncState {
  /** The Deployment as this sync sees it; status changes accumulate here. */
  readonly d: Deployment;
  readonly originalStatus: DeploymentStatus;
  readonly now: Date;
  readonly podsByReplicaSetUid: Map<string, Pod[]>;
  /** Working copies by name, in cache order. */
  private readonly rss = new Map<string, ReplicaSet>();
  private readonly created = new Set<string>();
  private readonly updated: string[] = [];
  private readonly deleted = new Map<string, ReplicaSet>();
  private readonly annotationPatch: Record<string, string | null> = {};
  private deploymentUpdate?: Deployment;
  readonly events: PlannedEvent[] = [];
  requeueAfterMs?: number;

  constructor(input: DeploymentSyncInput) {
    this.d = structuredClone(input.deployment);
    this.d.status ??= {};
    this.originalStatus = structuredClone(input.deployment.status ?? {});
    this.now = input.now;
    this.podsByReplicaSetUid = input.podsByReplicaSetUid ?? new Map();
    for (const rs of input.replicaSets) this.rss.set(rs.metadata?.name ?? '', structuredClone(rs));
  }

  get name(): string {
    return this.d.metadata?.name ?? '';
  }

  replicaSets(): ReplicaSet[] {
    return [...this.rss.values()].filter((rs) => !this.deleted.has(rs.metadata?.name ?? ''));
  }

  event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({ type, reason, message });
  }

  requeueAfter(ms: number): void {
    const v = Math.max(0, Math.ceil(ms));
    this.requeueAfterMs = this.requeueAfterMs === undefined ? v : Math.min(this.requeueAfterMs, v);
  }

  /** Records a change to a ReplicaSet's working copy (created ones stay a create). */
  touch(rs: ReplicaSet): void {
    const name = rs.metadata?.name ?? '';
    this.rss.set(name, rs);
    if (!this.created.has(name) && !this.updated.includes(name)) this.updated.push(name);
  }

  create(rs: ReplicaSet): void {
    const name = rs.metadata?.name ?? '';
    this.rss.set(name, rs);
    this.created.add(name);
  }

  remove(rs: ReplicaSet): void {
    this.deleted.set(rs.metadata?.name ?? '', rs);
  }

  setDeploymentAnnotation(key: string, value: string | null): void {
    const ann = ((this.d.metadata ??= {}).annotations ??= {});
    if (value === null) {
      if (!(key in ann)) return;
      delete ann[key];
    } else {
      if (ann[key] === value) return;
      ann[key] = value;
    }
    this.annotationPatch[key] = value;
  }

  /** Replaces the Deployment itself (rollback); the plan then ends with that write. */
  updateDeployment(d: Deployment): void {
    this.deploymentUpdate = d;
  }

  /**
   * Sets a ReplicaSet's size and replica annotations (Kubernetes' scaleReplicaSet); records a
   * ScalingReplicaSet event when the size changes.
   */
  scaleReplicaSet(rs: ReplicaSet, newScale: number, operation: 'up' | 'down' | ''): ReplicaSet {
    const copy = structuredClone(this.rss.get(rs.metadata?.name ?? '') ?? rs);
    const sizeChanged = specReplicas(copy) !== newScale;
    const desired = desiredReplicas(this.d);
    const annotationsChanged = setReplicasAnnotations(copy, desired, desired + maxSurge(this.d));
    if (!sizeChanged && !annotationsChanged) return copy;
    (copy.spec ??= { selector: {}, replicas: 0 }).replicas = newScale;
    this.touch(copy);
    if (sizeChanged) {
      const op = operation || (newScale > specReplicas(rs) ? 'up' : 'down');
      this.event('Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${copy.metadata?.name} to ${newScale}`);
    }
    return copy;
  }

  /** Scales when the size differs; true when it did (Kubernetes' scaleReplicaSetAndRecordEvent). */
  scaleAndRecord(rs: ReplicaSet, newScale: number): { scaled: boolean; rs: ReplicaSet } {
    if (specReplicas(rs) === newScale) return { scaled: false, rs };
    const op = specReplicas(rs) < newScale ? 'up' : 'down';
    return { scaled: true, rs: this.scaleReplicaSet(rs, newScale, op) };
  }

  plan(): DeploymentPlan {
    const actions: DeploymentAction[] = [];
    if (this.deploymentUpdate) {
      actions.push({ type: 'updateDeployment', deployment: this.deploymentUpdate });
      return { actions, events: this.events, requeueAfterMs: this.requeueAfterMs };
    }
    for (const name of this.created) actions.push({ type: 'createReplicaSet', replicaSet: this.rss.get(name)! });
    for (const name of this.updated) actions.push({ type: 'updateReplicaSet', replicaSet: this.rss.get(name)! });
    if (Object.keys(this.annotationPatch).length > 0) actions.push({ type: 'patchDeploymentAnnotations', annotations: { ...this.annotationPatch } });
    for (const rs of this.deleted.values()) actions.push({ type: 'deleteReplicaSet', replicaSet: rs });
    if (!statusEqual(this.originalStatus, this.d.status ?? {})) {
      actions.push({ type: 'updateDeploymentStatus', status: structuredClone(this.d.status ?? {}) });
    }
    return { actions, events: this.events, requeueAfterMs: this.requeueAfterMs };
  }
}

function statusEqual(a: DeploymentStatus, b: DeploymentStatus): boolean {
  return JSON.stringify(normalizeStatus(a)) === JSON.stringify(normalizeStatus(b));
}

function normalizeStatus(s: DeploymentStatus): unknown {
  return {
    observedGeneration: s.observedGeneration ?? 0,
    replicas: s.replicas ?? 0,
    updatedReplicas: s.updatedReplicas ?? 0,
    readyReplicas: s.readyReplicas ?? 0,
    availableReplicas: s.availableReplicas ?? 0,
    unavailableReplicas: s.unavailableReplicas ?? 0,
    collisionCount: s.collisionCount ?? null,
    conditions: (s.conditions ?? []).map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '', c.lastUpdateTime ?? '', c.lastTransitionTime ?? '']),
  };
}

export interface NewAndOld {
  newRS?: ReplicaSet;
  oldRSs: ReplicaSet[];
}

/**
 * Kubernetes' getAllReplicaSetsAndSyncRevision: finds the ReplicaSet whose template is the Deployment's
 * (creating it when asked), gives it the next revision (a re-used old ReplicaSet, e.g. after
 * `rollout undo`, moves to the top), and mirrors that revision on the Deployment.
 */
export function getAllReplicaSetsAndSyncRevision(s: SyncState, createIfNotExisted: boolean): NewAndOld {
  const all = s.replicaSets();
  const existing = findNewReplicaSet(s.d, all);
  const oldRSs = all.filter((rs) => rs !== existing);
  const newRevision = maxRevision(oldRSs) + 1;
  const d = s.d;
  if (existing) {
    const copy = structuredClone(existing);
    const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
    const minReady = d.spec?.minReadySeconds ?? 0;
    const minReadyChanged = (copy.spec?.minReadySeconds ?? 0) !== minReady;
    if (annotationsChanged || minReadyChanged) {
      (copy.spec ??= { selector: {} }).minReadySeconds = minReady;
      s.touch(copy);
    }
    s.setDeploymentAnnotation(RevisionAnnotation, String(revisionOf(copy)));
    if (hasProgressDeadline(d) && !getCondition(d.status, ConditionProgressing)) {
      setCondition(d.status!, newCondition(ConditionProgressing, 'True', ReasonFoundNewReplicaSet, `Found new replica set "${copy.metadata?.name}"`, s.now));
    }
    return { newRS: annotationsChanged || minReadyChanged ? copy : existing, oldRSs };
  }
  if (!createIfNotExisted) return { newRS: undefined, oldRSs };

  const template = structuredClone(d.spec?.template ?? {});
  const hash = computeTemplateHash(d.spec?.template, d.status?.collisionCount);
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [PodTemplateHashLabel]: hash } };
  const rs: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${s.name}-${hash}`,
      namespace: d.metadata?.namespace,
      ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
      labels: { ...(template.metadata.labels ?? {}) },
    },
    spec: {
      replicas: 0,
      minReadySeconds: d.spec?.minReadySeconds ?? 0,
      selector: selectorWithLabel(d.spec?.selector, PodTemplateHashLabel, hash),
      template,
    },
  };
  rs.spec!.replicas = newRSNewReplicas(d, [...oldRSs, rs], rs, s.podsByReplicaSetUid);
  setNewReplicaSetAnnotations(d, rs, newRevision, false);
  s.create(rs);
  if (specReplicas(rs) > 0) s.event('Normal', 'ScalingReplicaSet', `Scaled up replica set ${rs.metadata?.name} to ${specReplicas(rs)}`);
  s.setDeploymentAnnotation(RevisionAnnotation, String(newRevision));
  if (hasProgressDeadline(d)) {
    setCondition(d.status!, newCondition(ConditionProgressing, 'True', ReasonNewReplicaSetCreated, `Created new replica set "${rs.metadata?.name}"`, s.now));
  }
  return { newRS: rs, oldRSs };
}

/**
 * revisionHistoryLimit: deletes the oldest old ReplicaSets beyond the limit, but only empty ones whose
 * controller has seen their latest spec (never one that still has or wants pods).
 */
export function cleanupDeployment(s: SyncState, oldRSs: ReplicaSet[]): void {
  const limit = s.d.spec?.revisionHistoryLimit;
  if (limit === undefined || limit === null) return;
  const cleanable = oldRSs.filter((rs) => !rs.metadata?.deletionTimestamp);
  const diff = cleanable.length - limit;
  if (diff <= 0) return;
  cleanable.sort(byRevision);
  for (let i = 0; i < diff; i++) {
    const rs = cleanable[i];
    if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0) continue;
    if ((rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    s.remove(rs);
  }
}
