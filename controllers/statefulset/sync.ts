// One StatefulSet sync as a pure function (Kubernetes' stateful_set_control.go, updateStatefulSet):
// given the set, its pods, its claims and its current and update revisions, which claims and pods to
// create, which pods to delete, and the status. OrderedReady creates ordinals in order and waits for
// each to be Running and Ready (available after minReadySeconds) before the next, and removes
// condemned pods one at a time from the highest ordinal; Parallel does both at once. Rolling updates go
// from the highest ordinal down to `partition`, at most maxUnavailable pods at a time; OnDelete leaves
// pods alone until deleted. No I/O.
import type { StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1';
import type { PersistentVolumeClaim, Pod, PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { availableAt, isPodAvailable, isPodReady, isPodTerminal } from '../../lib/api/pod';
import { scaledValue } from '../shared/int-or-percent';
import { claimName, claimOwners, newClaims, newPod, ordinalOf, podRevision, startOrdinal } from './identity';

export interface Revision {
  /** The revision's name: what pods carry in controller-revision-hash. */
  name: string;
  template: PodTemplateSpec;
}

export interface StatefulSetSyncInput {
  set: StatefulSet;
  /** The pods the set controls. */
  pods: Pod[];
  /** Claims in the set's namespace, by name. */
  claims: Map<string, PersistentVolumeClaim>;
  /** The revision of status.currentRevision (or the update revision when there is none yet). */
  current: Revision;
  /** The revision of the set's template now. */
  update: Revision;
  now: Date;
}

export interface ClaimOwnerUpdate {
  claim: PersistentVolumeClaim;
  ownerReferences: OwnerReference[];
}

export interface StatefulSetPlan {
  /** Claims to create before the pods (missing claims of pods to create or of pods that exist). */
  createClaims: PersistentVolumeClaim[];
  createPods: Pod[];
  deletePods: Pod[];
  /** Claims whose owners the retention policy changes. */
  claimOwners: ClaimOwnerUpdate[];
  status: StatefulSetStatus;
  /** When a pod becomes available (minReadySeconds), to look again. */
  requeueAfterMs?: number;
  /** Why the sync stopped early (OrderedReady waiting), for tests and logs. */
  waitingFor?: string;
}

const isTerminating = (p: Pod): boolean => !!p.metadata?.deletionTimestamp;
const isCreated = (p: Pod): boolean => p.status?.phase !== undefined;
const isRunningAndReady = (p: Pod): boolean => p.status?.phase === 'Running' && isPodReady(p);

/**
 * OrderedReady's rule for creating the pod of `ordinal`: every lower ordinal (from the set's start) has a pod that is not
 * being deleted and is Running and Ready. The loop checks it again on pods read from the API just
 * before an ordered create, because the cache the plan was made from may still show a predecessor
 * that was deleted a moment ago (found by the chaos harness: a pod created while ordinal 0 was gone).
 */
export function predecessorsReady(set: StatefulSet, pods: Pod[], ordinal: number): boolean {
  const ready = new Set(pods.filter((p) => !p.metadata?.deletionTimestamp && isRunningAndReady(p)).map((p) => ordinalOf(set, p)));
  for (let i = startOrdinal(set); i < ordinal; i++) if (!ready.has(i)) return false;
  return true;
}

export function planStatefulSet(input: StatefulSetSyncInput): StatefulSetPlan {
  const { set, claims, current, update, now } = input;
  const replicas = set.spec?.replicas ?? 1;
  const start = startOrdinal(set);
  const end = start + replicas;
  const monotonic = (set.spec?.podManagementPolicy ?? 'OrderedReady') !== 'Parallel';
  const minReady = set.spec?.minReadySeconds ?? 0;
  const available = (p: Pod) => isRunningAndReady(p) && isPodAvailable(p, minReady, now);
  const plan: StatefulSetPlan = { createClaims: [], createPods: [], deletePods: [], claimOwners: [], status: {} as StatefulSetStatus };

  // Pods in range by ordinal; the rest (out of range, duplicates, bad names) are condemned.
  const slots = new Map<number, Pod>();
  const condemned: Pod[] = [];
  for (const p of input.pods) {
    const ord = ordinalOf(set, p);
    if (ord >= start && ord < end && !slots.has(ord)) slots.set(ord, p);
    else condemned.push(p);
  }
  condemned.sort((a, b) => ordinalOf(set, b) - ordinalOf(set, a));

  // Status from what exists now (Kubernetes counts before acting).
  const status: StatefulSetStatus = {
    observedGeneration: set.metadata?.generation ?? 0,
    replicas: 0,
    readyReplicas: 0,
    availableReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
    currentRevision: current.name,
    updateRevision: update.name,
    // Kubernetes always reports collisionCount (0 until a revision name collides) and sets no conditions:
    // the StatefulSet controller has none (status.conditions is left as it is).
    collisionCount: set.status?.collisionCount ?? 0,
    ...(set.status?.conditions ? { conditions: set.status.conditions } : {}),
  };
  let nextAvailable: number | undefined;
  for (const p of input.pods) {
    if (!isCreated(p) || isTerminating(p)) continue;
    status.replicas!++;
    if (isRunningAndReady(p)) {
      status.readyReplicas!++;
      if (isPodAvailable(p, minReady, now)) status.availableReplicas!++;
      else {
        const at = availableAt(p, minReady);
        if (at !== undefined) nextAvailable = Math.min(nextAvailable ?? at, at);
      }
    }
    if (podRevision(p) === current.name) status.currentReplicas!++;
    if (podRevision(p) === update.name) status.updatedReplicas!++;
  }
  plan.status = status;
  if (nextAvailable !== undefined) plan.requeueAfterMs = Math.max(0, nextAvailable - now.getTime());
  if (set.metadata?.deletionTimestamp) return plan;

  // Ordinals below the partition (or all, with OnDelete… no: OnDelete keeps whatever revision pods have,
  // and new pods take the update revision) are made from the current revision.
  const strategy = set.spec?.updateStrategy;
  const partition = strategy?.type === 'OnDelete' ? 0 : (strategy?.rollingUpdate?.partition ?? 0);
  const revisionFor = (ord: number): Revision => {
    if ((strategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      const currentBelow = strategy?.rollingUpdate ? start + partition : start + (set.status?.currentReplicas ?? 0);
      if (ord < currentBelow && current.name !== update.name) return current;
    }
    return update;
  };

  const missingClaims = (ord: number): PersistentVolumeClaim[] =>
    newClaims(set, ord, end).filter((c) => !claims.has(c.metadata?.name ?? ''));

  // Failed or succeeded pods are deleted and made again (Kubernetes: recreate at once).
  for (const [ord, p] of slots) {
    if (isPodTerminal(p) && !isTerminating(p)) {
      plan.deletePods.push(p);
      slots.delete(ord);
      if (monotonic) return { ...plan, waitingFor: `recreating failed pod ${p.metadata?.name}` };
    }
  }

  // Make every ordinal in range exist and be ready, lowest first.
  for (let ord = start; ord < end; ord++) {
    const p = slots.get(ord);
    if (!p) {
      const stale = (set.spec?.volumeClaimTemplates ?? []).map((t) => claims.get(claimName(set, t.metadata?.name ?? '', ord))).find((c) => c?.metadata?.deletionTimestamp);
      if (stale) {
        // A claim still being deleted: the new pod would lose its data or never start; wait for it to go.
        if (monotonic) return { ...plan, waitingFor: `claim ${stale.metadata?.name} is being deleted` };
        continue;
      }
      plan.createClaims.push(...missingClaims(ord));
      const rev = revisionFor(ord);
      plan.createPods.push(newPod(set, rev.template, ord, rev.name));
      if (monotonic) return { ...plan, waitingFor: `pod ${set.metadata?.name}-${ord} to be created` };
      continue;
    }
    plan.createClaims.push(...missingClaims(ord));
    if (isTerminating(p)) {
      if (monotonic) return { ...plan, waitingFor: `pod ${p.metadata?.name} to terminate` };
      continue;
    }
    if (monotonic && !available(p)) return { ...plan, waitingFor: `pod ${p.metadata?.name} to be Running and Ready` };
  }

  // Retention policy: claims of pods in range and of condemned pods get their owners.
  if (set.spec?.persistentVolumeClaimRetentionPolicy) {
    for (const p of [...slots.values(), ...condemned]) {
      const ord = ordinalOf(set, p);
      if (ord < 0) continue;
      for (const t of set.spec.volumeClaimTemplates ?? []) {
        const claim = claims.get(claimName(set, t.metadata?.name ?? '', ord));
        if (!claim) continue;
        const owners = claimOwners(set, ord, end, p, claim);
        const key = (rs: OwnerReference[] | undefined) => (rs ?? []).map((r) => `${r.kind}/${r.uid}`).sort().join(',');
        if (key(owners) !== key(claim.metadata?.ownerReferences)) plan.claimOwners.push({ claim, ownerReferences: owners });
      }
    }
  }

  // Scale down, highest ordinal first.
  for (const p of condemned) {
    if (isTerminating(p)) {
      if (monotonic) return { ...plan, waitingFor: `pod ${p.metadata?.name} to terminate` };
      continue;
    }
    // OrderedReady removes a condemned pod only while every other pod is healthy (or this one is the unhealthy one).
    if (monotonic) {
      const unhealthy = [...slots.values(), ...condemned].find((q) => q !== p && !isRunningAndReady(q));
      if (unhealthy) return { ...plan, waitingFor: `pod ${unhealthy.metadata?.name} to be Running and Ready before scaling down` };
    }
    plan.deletePods.push(p);
    if (monotonic) return { ...plan, waitingFor: `pod ${p.metadata?.name} to terminate` };
  }

  // Rolling update: from the highest ordinal down to the partition, replacing pods of other revisions.
  if ((strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return plan;
  const maxUnavailable = Math.max(1, scaledValue(strategy?.rollingUpdate?.maxUnavailable ?? 1, replicas, false));
  let unavailable = 0;
  for (let ord = start + partition; ord < end; ord++) {
    const p = slots.get(ord);
    if (!p || isTerminating(p) || !available(p)) unavailable++;
  }
  for (let ord = end - 1; ord >= start + partition && unavailable < maxUnavailable; ord--) {
    const p = slots.get(ord);
    if (!p || isTerminating(p) || podRevision(p) === update.name) continue;
    plan.deletePods.push(p);
    if (available(p)) unavailable++;
  }
  if (unavailable >= maxUnavailable && plan.deletePods.length === 0 && status.updatedReplicas! < replicas - partition) plan.waitingFor = 'unavailable pods within maxUnavailable';
  return plan;
}

/**
 * After a sync: the rollout is complete once every pod runs the update revision and is ready, and then
 * the update revision becomes the current one (Kubernetes' completeRollingUpdate).
 */
export function completeRollingUpdate(set: StatefulSet, status: StatefulSetStatus): StatefulSetStatus {
  const replicas = set.spec?.replicas ?? 1;
  if (
    (set.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' &&
    status.updatedReplicas === status.replicas &&
    status.readyReplicas === status.replicas &&
    status.replicas === replicas &&
    status.currentRevision !== status.updateRevision
  ) {
    return { ...status, currentRevision: status.updateRevision, currentReplicas: status.updatedReplicas };
  }
  return status;
}
