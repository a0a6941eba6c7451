// The replica-keeping core shared by the ReplicaSet and ReplicationController controllers, after
// Kubernetes' pkg/controller/replicaset (which kube's replication controller also runs, through a
// conversion of RCs to ReplicaSets). The pure core, reconcileReplicaSet(rs, pods, now), claims pods
// (adopt matching orphans, release owned pods that stopped matching), decides how many pods to create or
// which to delete, and computes the status. ReplicaController wires it to informers and a work queue
// for one kind (a ReplicaKind: its resource, its controller-reference names, its conversion to a
// ReplicaSet), writes pods through a PodControl, and keeps *expectations*: creates and deletes it has
// issued but not yet seen in the watch, so a slow watch never makes it create or delete twice.
import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { isNotFound } from '../../lib/client/client';
import { Controller, ControllerContext, ReconcileResult, runWorkers } from '../../lib/client/controller';
import type { Informer } from '../../lib/client/informer';
import { objectKey, splitKey } from '../../lib/client/informer';
import { availableAt, isPodAvailable, isPodReady, isPodTerminal } from '../../lib/api/pod';
import type { ResourceType } from '../../lib/api/resources';
import { Resources } from '../../lib/api/resources';
import type { KubeObject } from '../../lib/client/client';
import { selectorFromLabelSelector, SelectorError } from '../../lib/api/selectors';
import { WorkQueue } from '../../lib/client/workqueue';
import { applyClaim, claimObjects, newControllerRef, ownerStillActive } from './controller-ref';
import { Expectations } from './expectations';
import { handleOwnedPods } from './pod-events';
import { ApiPodControl, createExpectedPods, deleteExpectedPods, LostCreatesRecheckMs, PodControl, settleLostCreates } from './pod-control';
import { compareDeletionOrder, isPodActive } from './pods';
import { convergenceSeconds } from '../metrics';
import { rfc3339 } from '../../lib/api/time';
import { goValueEqual } from '../../lib/api/json';

/** When a sync that left its status to its pods' watch events looks again if none came (ms). */
const StatusAfterPodsRecheckMs = 1000;

/** Kubernetes' burstReplicas: at most this many creates or deletes per sync. */
export const BurstReplicas = 500;

export interface ReplicaSetActions {
  /** Orphans that match the selector: take them (controller ownerReference). */
  adopt: Pod[];
  /** Owned pods that no longer match: drop our ownerReference. */
  release: Pod[];
  /** How many pods to create from the template. */
  create: number;
  /** Pods to delete, least valuable first. */
  delete: Pod[];
  /** The status the ReplicaSet should have now. */
  status: ReplicaSetStatus;
  /** Re-check then: the earliest moment a ready pod becomes available (minReadySeconds). */
  requeueAfterMs?: number;
  /** Set when the selector is invalid: nothing else is done. */
  selectorError?: string;
}

/** The pure core: what to do about one ReplicaSet given every pod in its namespace. */
export function reconcileReplicaSet(rs: ReplicaSet, pods: Pod[], now: Date, opts: { manage?: boolean; burst?: number } = {}): ReplicaSetActions {
  const burst = opts.burst ?? BurstReplicas;
  const manage = opts.manage ?? true;
  const deleting = !!rs.metadata?.deletionTimestamp;
  const actions: ReplicaSetActions = { adopt: [], release: [], create: 0, delete: [], status: {} as ReplicaSetStatus };
  let selector;
  try {
    selector = selectorFromLabelSelector(rs.spec?.selector);
  } catch (err) {
    if (!(err instanceof SelectorError)) throw err;
    actions.selectorError = err.message;
    actions.status = { ...(rs.status || { replicas: 0 }), observedGeneration: rs.metadata?.generation };
    return actions;
  }
  // Finished orphans are never adopted: they would count for nothing.
  const claim = claimObjects(rs, selector, pods, { adoptable: (p) => !isPodTerminal(p) });
  actions.adopt = claim.adopt;
  actions.release = claim.release;
  const owned = claim.owned;
  const active = owned.filter(isPodActive);
  const want = rs.spec?.replicas ?? 1;
  if (manage && !deleting) {
    const diff = active.length - want;
    if (diff < 0) actions.create = Math.min(-diff, burst);
    else if (diff > 0) actions.delete = [...active].sort(compareDeletionOrder).slice(0, Math.min(diff, burst));
  }
  // Status is counted over the active pods, as Kubernetes does.
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const templateLabels = rs.spec?.template?.metadata?.labels || {};
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  let nextAvailableAt = Infinity;
  for (const p of active) {
    const labels = p.metadata?.labels || {};
    if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fullyLabeled++;
    if (!isPodReady(p)) continue;
    ready++;
    if (isPodAvailable(p, minReady, now)) available++;
    else nextAvailableAt = Math.min(nextAvailableAt, availableAt(p, minReady) ?? Infinity);
  }
  const status: ReplicaSetStatus = {
    replicas: active.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata?.generation,
  };
  const conditions = (rs.status?.conditions || []).filter((c) => c.type !== 'ReplicaFailure');
  const failure = (rs.status?.conditions || []).find((c) => c.type === 'ReplicaFailure');
  // A past create failure stays reported until the pod count is right again.
  if (failure && active.length < want) conditions.push(failure);
  if (conditions.length) status.conditions = conditions;
  actions.status = status;
  if (nextAvailableAt !== Infinity) actions.requeueAfterMs = Math.max(1, nextAvailableAt - now.getTime());
  return actions;
}

/** The pod a ReplicaSet (or an RC, as `apiVersion`/`kind`) creates: its template, named <rs>-<5 random chars>, owned by it. */
export function podFromTemplate(rs: ReplicaSet, apiVersion = 'apps/v1', kind = 'ReplicaSet'): Pod {
  const tmpl = rs.spec?.template || {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata?.name}-`,
      namespace: rs.metadata?.namespace,
      labels: { ...(tmpl.metadata?.labels || {}) },
      annotations: tmpl.metadata?.annotations ? { ...tmpl.metadata.annotations } : undefined,
      ownerReferences: [newControllerRef(rs, apiVersion, kind)],
    },
    spec: JSON.parse(JSON.stringify(tmpl.spec || { containers: [] })),
  };
}

export function statusEqual(a: ReplicaSetStatus | undefined, b: ReplicaSetStatus): boolean {
  const pick = (s: ReplicaSetStatus | undefined) => [s?.replicas ?? 0, s?.fullyLabeledReplicas ?? 0, s?.readyReplicas ?? 0, s?.availableReplicas ?? 0, s?.observedGeneration ?? 0, s?.conditions ?? []];
  // Structural: the API answers in kube's field order, which need not be the order built here.
  return goValueEqual(pick(a), pick(b));
}

/** One kind a ReplicaController keeps replicas of: a ReplicaSet, or a ReplicationController seen as one. */
export interface ReplicaKind<T extends KubeObject> {
  /** The controller's name (its workqueue and metrics): 'replicaset', 'replicationcontroller'. */
  name: string;
  resource: ResourceType;
  /** As in the controller references it writes: 'apps/v1' 'ReplicaSet', 'v1' 'ReplicationController'. */
  apiVersion: string;
  kind: string;
  /** The object as the core reads it (kube's conversion of an RC to a ReplicaSet); status is written back as is. */
  toReplicaSet(obj: T): ReplicaSet;
}

export interface ReplicaSetControllerOptions {
  workers?: number;
  burst?: number;
  expectationsTimeoutMs?: number;
  now?: () => Date;
  /** Where pod writes go (default: the API, through ctx.client); tests pass a recording fake. */
  podControl?: PodControl;
}

/** The controller loop of one ReplicaKind. */
export class ReplicaController<T extends KubeObject> implements Controller {
  readonly name: string;
  private readonly queue: WorkQueue<string>;
  private readonly owners: Informer<T>;
  private readonly pods: Informer<Pod>;
  private readonly expectations: Expectations;
  private readonly podControl: PodControl;
  private readonly workers: number;
  private readonly burst: number;
  private readonly now: () => Date;
  private running?: Promise<void>;
  /** key → [generation, first seen (ms)], for steer_convergence_seconds. */
  private readonly generationSeen = new Map<string, [number, number]>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly kind: ReplicaKind<T>,
    opts: ReplicaSetControllerOptions = {},
  ) {
    this.name = kind.name;
    this.queue = new WorkQueue<string>(kind.name, { maxDelayMs: 30_000 });
    this.workers = opts.workers ?? 5;
    this.burst = opts.burst ?? BurstReplicas;
    this.now = opts.now ?? (() => new Date());
    this.expectations = new Expectations(opts.expectationsTimeoutMs ?? 60_000);
    this.podControl = opts.podControl ?? new ApiPodControl(ctx.client, ctx.recorder);
    this.owners = ctx.informers.informerFor<T>(kind.resource);
    this.pods = ctx.informers.informerFor<Pod>(Resources.pods);
  }

  async start(): Promise<void> {
    this.owners.onAdd((o) => this.queue.add(objectKey(o)));
    this.owners.onUpdate((_o, o) => this.queue.add(objectKey(o)));
    this.owners.onDelete((o) => {
      const key = objectKey(o);
      this.expectations.delete(key);
      this.generationSeen.delete(key);
    });
    // The pod handlers match selectors: they see the owners as the core does.
    const asReplicaSets = {
      get: (ns: string | undefined, name: string) => {
        const o = this.owners.get(ns, name);
        return o && this.kind.toReplicaSet(o);
      },
      list: (ns?: string) => this.owners.list(ns).map((o) => this.kind.toReplicaSet(o)),
    };
    handleOwnedPods(this.pods, { owners: asReplicaSets, kind: this.kind.kind, enqueue: (key) => this.queue.add(key), expectations: this.expectations });
    this.ctx.informers.start();
    await Promise.all([this.owners.start(), this.pods.start()]);
    this.running = runWorkers(this.queue, this.workers, (key) => this.sync(key), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  /** Resolves when the workers have exited after stop(). */
  async stopped(): Promise<void> {
    await this.running;
  }

  private async sync(key: string): Promise<ReconcileResult> {
    const owner = this.owners.getByKey(key);
    if (!owner) {
      this.expectations.delete(key);
      return;
    }
    const rs = this.kind.toReplicaSet(owner);
    const { namespace, name } = splitKey(key);
    const now = this.now();
    const settled = await settleLostCreates(this.expectations, key, this.ctx.client, namespace, () => this.pods.resourceVersion());
    const manage = this.expectations.satisfied(key);
    const plan = reconcileReplicaSet(rs, this.pods.list(namespace), now, { manage, burst: this.burst });
    if (plan.selectorError) {
      this.ctx.recorder.event(owner, 'Warning', 'InvalidSelector', plan.selectorError);
      return;
    }
    const ref = newControllerRef(rs, this.kind.apiVersion, this.kind.kind);
    await applyClaim({ owned: [], adopt: plan.adopt, release: plan.release }, ref, (p, patch) => this.podControl.patchOwnerReferences(p, patch), {
      canAdopt: ownerStillActive(this.ctx.client, this.kind.resource, rs),
    });
    let createError: Error | undefined;
    if (plan.create > 0) createError = await this.createPods(key, rs, plan.create);
    // A failed delete still lets the status be written (kube's syncReplicaSet writes status whatever
    // manageReplicas returned), then fails the sync so it is retried.
    const deleteError = plan.delete.length ? await this.deletePods(key, rs, plan.delete) : undefined;
    let status = plan.status;
    if (createError) {
      const cond: ReplicaSetCondition = {
        type: 'ReplicaFailure',
        status: 'True',
        reason: 'FailedCreate',
        message: createError.message,
        lastTransitionTime: rfc3339(now),
      };
      status = { ...status, conditions: [...(status.conditions || []).filter((c) => c.type !== 'ReplicaFailure'), cond] };
    }
    // A sync that created or deleted pods and met no error leaves the status to the sync their watch
    // events bring (a few ms later; the timed requeue is the safety net): it would count none of them
    // yet, and its write would compete with the new pods' bindings for the apiserver's thread.
    const awaitingPods = (plan.create > 0 || plan.delete.length > 0) && !createError && !deleteError && !this.expectations.satisfied(key);
    if (awaitingPods) return { requeueAfterMs: Math.min(plan.requeueAfterMs ?? Infinity, settled ? StatusAfterPodsRecheckMs : LostCreatesRecheckMs) };
    if (!statusEqual(rs.status, status)) {
      try {
        await this.ctx.client.patch<T>(this.kind.resource, namespace, name!, { status }, 'merge', 'status');
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    this.observeConvergence(key, rs, status);
    if (createError) throw createError;
    if (deleteError) throw deleteError;
    // Creates whose answers were lost wait for the pod cache to catch up: look again soon.
    const requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, settled ? Infinity : LostCreatesRecheckMs);
    return requeueAfterMs !== Infinity ? { requeueAfterMs } : undefined;
  }

  private observeConvergence(key: string, rs: ReplicaSet, status: ReplicaSetStatus): void {
    const gen = rs.metadata?.generation ?? 0;
    let entry = this.generationSeen.get(key);
    if (!entry || entry[0] !== gen) {
      entry = [gen, Date.now()];
      this.generationSeen.set(key, entry);
    }
    const want = rs.spec?.replicas ?? 1;
    if (entry[1] >= 0 && status.replicas === want && (status.availableReplicas ?? 0) === want) {
      convergenceSeconds.observe({ kind: this.kind.kind }, (Date.now() - entry[1]) / 1000);
      entry[1] = -1; // observed once per generation
    }
  }

  private async createPods(key: string, rs: ReplicaSet, n: number): Promise<Error | undefined> {
    return (await createExpectedPods(this.podControl, this.expectations, key, rs, n, () => podFromTemplate(rs, this.kind.apiVersion, this.kind.kind))).error;
  }

  private async deletePods(key: string, rs: ReplicaSet, pods: Pod[]): Promise<unknown> {
    return (await deleteExpectedPods(this.podControl, this.expectations, key, rs, pods)).error;
  }
}
