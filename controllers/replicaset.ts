// The ReplicaSet controller, after Kubernetes' pkg/controller/replicaset. The pure core,
// reconcileReplicaSet(rs, pods, now), claims pods (adopt matching orphans, release owned pods that stopped
// matching), decides how many pods to create or which to delete, and computes the status. The
// controller class wires it to informers and a work queue, and keeps *expectations*: creates and deletes
// it has issued but not yet seen in the watch, so a slow watch never makes it create or delete twice.
import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { isNotFound } from '../lib/client/client';
import { Controller, ControllerContext, ReconcileResult, runWorkers } from '../lib/client/controller';
import type { Informer } from '../lib/client/informer';
import { objectKey, splitKey } from '../lib/client/informer';
import { Resources } from '../lib/api/resources';
import { matchesLabels, selectorFromLabelSelector, SelectorError } from '../lib/api/selectors';
import { WorkQueue } from '../lib/client/workqueue';
import { controllerRefOf, controllingOwner, ownersSelecting } from './deployment/util';
import { convergenceSeconds } from './metrics';
import { rfc3339 } from '../lib/api/time';

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

export function isPodActive(p: Pod): boolean {
  const phase = p.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !p.metadata?.deletionTimestamp;
}

export function isPodReady(p: Pod): boolean {
  return (p.status?.conditions || []).some((c) => c.type === 'Ready' && c.status === 'True');
}

function readySince(p: Pod): number | undefined {
  const c = (p.status?.conditions || []).find((x) => x.type === 'Ready' && x.status === 'True');
  if (!c) return undefined;
  return c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : 0;
}

/** Ready for at least minReadySeconds (Kubernetes' IsPodAvailable). */
export function isPodAvailable(p: Pod, minReadySeconds: number, now: Date): boolean {
  const since = readySince(p);
  if (since === undefined) return false;
  if (minReadySeconds <= 0) return true;
  return since + minReadySeconds * 1000 <= now.getTime();
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
    const as = readySince(a) ?? 0;
    const bs = readySince(b) ?? 0;
    if (as !== bs) return bs - as; // ready more recently → less valuable
  }
  const rc = restarts(b) - restarts(a);
  if (rc !== 0) return rc;
  const at = Date.parse(a.metadata?.creationTimestamp || '') || 0;
  const bt = Date.parse(b.metadata?.creationTimestamp || '') || 0;
  if (at !== bt) return bt - at; // newer first
  return (a.metadata?.name || '').localeCompare(b.metadata?.name || '');
}

/** The pure core: what to do about one ReplicaSet given every pod in its namespace. */
export function reconcileReplicaSet(rs: ReplicaSet, pods: Pod[], now: Date, opts: { manage?: boolean; burst?: number } = {}): ReplicaSetActions {
  const burst = opts.burst ?? BurstReplicas;
  const manage = opts.manage ?? true;
  const uid = rs.metadata?.uid;
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
  const owned: Pod[] = [];
  for (const p of pods) {
    if (p.metadata?.namespace !== rs.metadata?.namespace) continue;
    const ref = controllerRefOf(p);
    const matches = matchesLabels(selector, p.metadata?.labels || {});
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches || deleting) owned.push(p);
      else if (!p.metadata?.deletionTimestamp) actions.release.push(p);
      continue;
    }
    // Orphans: adopt only live, matching pods, and never while the ReplicaSet is going away.
    if (!matches || deleting || p.metadata?.deletionTimestamp) continue;
    if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
    actions.adopt.push(p);
    owned.push(p);
  }
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
    else nextAvailableAt = Math.min(nextAvailableAt, (readySince(p) ?? 0) + minReady * 1000);
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
  if (nextAvailableAt !== Infinity) actions.requeueAfterMs = Math.max(1, nextAvailableAt - now.getTime() + 1);
  return actions;
}

/** The pod a ReplicaSet creates: its template, named <rs>-<5 random chars>, owned by it. */
export function podFromTemplate(rs: ReplicaSet): Pod {
  const tmpl = rs.spec?.template || {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata?.name}-`,
      namespace: rs.metadata?.namespace,
      labels: { ...(tmpl.metadata?.labels || {}) },
      annotations: tmpl.metadata?.annotations ? { ...tmpl.metadata.annotations } : undefined,
      ownerReferences: [ownerRefTo(rs)],
    },
    spec: JSON.parse(JSON.stringify(tmpl.spec || { containers: [] })),
  };
}

export function ownerRefTo(rs: ReplicaSet): OwnerReference {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    name: rs.metadata?.name || '',
    uid: rs.metadata?.uid || '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function statusEqual(a: ReplicaSetStatus | undefined, b: ReplicaSetStatus): boolean {
  const pick = (s: ReplicaSetStatus | undefined) =>
    JSON.stringify([s?.replicas ?? 0, s?.fullyLabeledReplicas ?? 0, s?.readyReplicas ?? 0, s?.availableReplicas ?? 0, s?.observedGeneration ?? 0, s?.conditions ?? []]);
  return pick(a) === pick(b);
}

/** Creates and deletes issued but not yet observed, per ReplicaSet key (Kubernetes' UIDTrackingControllerExpectations). */
export class Expectations {
  private readonly byKey = new Map<string, { adds: number; deletes: Set<string>; at: number }>();
  constructor(private readonly timeoutMs = 60_000) {}

  expectCreations(key: string, n: number): void {
    const e = this.entry(key);
    e.adds += n;
    e.at = Date.now();
  }

  expectDeletions(key: string, uids: string[]): void {
    const e = this.entry(key);
    for (const u of uids) e.deletes.add(u);
    e.at = Date.now();
  }

  creationObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e && e.adds > 0) e.adds--;
  }

  deletionObserved(key: string, uid: string): void {
    this.byKey.get(key)?.deletes.delete(uid);
  }

  /** True when nothing is pending, or what is pending is too old to still be trusted. */
  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if (e.adds <= 0 && e.deletes.size === 0) return true;
    return Date.now() - e.at > this.timeoutMs;
  }

  delete(key: string): void {
    this.byKey.delete(key);
  }

  private entry(key: string) {
    let e = this.byKey.get(key);
    if (!e || Date.now() - e.at > this.timeoutMs) {
      e = { adds: 0, deletes: new Set(), at: Date.now() };
      this.byKey.set(key, e);
    }
    return e;
  }
}


export interface ReplicaSetControllerOptions {
  workers?: number;
  burst?: number;
  expectationsTimeoutMs?: number;
  now?: () => Date;
}

export class ReplicaSetController implements Controller {
  readonly name = 'replicaset';
  private readonly queue = new WorkQueue<string>('replicaset', { maxDelayMs: 30_000 });
  private readonly replicaSets: Informer<ReplicaSet>;
  private readonly pods: Informer<Pod>;
  private readonly expectations: Expectations;
  private readonly workers: number;
  private readonly burst: number;
  private readonly now: () => Date;
  private running?: Promise<void>;
  /** key → [generation, first seen (ms)], for steer_convergence_seconds. */
  private readonly generationSeen = new Map<string, [number, number]>();

  constructor(
    private readonly ctx: ControllerContext,
    opts: ReplicaSetControllerOptions = {},
  ) {
    this.workers = opts.workers ?? 5;
    this.burst = opts.burst ?? BurstReplicas;
    this.now = opts.now ?? (() => new Date());
    this.expectations = new Expectations(opts.expectationsTimeoutMs ?? 60_000);
    this.replicaSets = ctx.informers.informerFor<ReplicaSet>(Resources.replicasets);
    this.pods = ctx.informers.informerFor<Pod>(Resources.pods);
  }

  async start(): Promise<void> {
    this.replicaSets.onAdd((rs) => this.queue.add(objectKey(rs)));
    this.replicaSets.onUpdate((_o, rs) => this.queue.add(objectKey(rs)));
    this.replicaSets.onDelete((rs) => {
      const key = objectKey(rs);
      this.expectations.delete(key);
      this.generationSeen.delete(key);
    });
    this.pods.onAdd((p) => this.podAdded(p));
    this.pods.onUpdate((o, p) => this.podUpdated(o, p));
    this.pods.onDelete((p) => this.podDeleted(p));
    this.ctx.informers.start();
    await Promise.all([this.replicaSets.start(), this.pods.start()]);
    this.running = runWorkers(this.queue, this.workers, (key) => this.sync(key), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  /** Resolves when the workers have exited after stop(). */
  async stopped(): Promise<void> {
    await this.running;
  }

  private ownerKey(p: Pod): string | undefined {
    const rs = controllingOwner(p, 'ReplicaSet', this.replicaSets);
    return rs && objectKey(rs);
  }

  /** ReplicaSets in the pod's namespace whose selector matches it (adoption candidates). */
  private matchingReplicaSets(p: Pod): string[] {
    return ownersSelecting(p, this.replicaSets).map(objectKey);
  }

  private podAdded(p: Pod): void {
    const key = this.ownerKey(p);
    if (key) {
      this.expectations.creationObserved(key);
      this.queue.add(key);
    } else if (!controllerRefOf(p)) for (const k of this.matchingReplicaSets(p)) this.queue.add(k);
  }

  private podUpdated(old: Pod, p: Pod): void {
    if (p.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) {
      // A graceful deletion is as good as gone for counting purposes.
      this.podDeleted(p);
      return;
    }
    const oldKey = this.ownerKey(old);
    const key = this.ownerKey(p);
    if (oldKey && oldKey !== key) this.queue.add(oldKey);
    if (key) this.queue.add(key);
    else if (!controllerRefOf(p)) for (const k of this.matchingReplicaSets(p)) this.queue.add(k);
  }

  private podDeleted(p: Pod): void {
    const key = this.ownerKey(p);
    if (!key) return;
    if (p.metadata?.uid) this.expectations.deletionObserved(key, p.metadata.uid);
    this.queue.add(key);
  }

  private async sync(key: string): Promise<ReconcileResult> {
    const rs = this.replicaSets.getByKey(key);
    if (!rs) {
      this.expectations.delete(key);
      return;
    }
    const { namespace, name } = splitKey(key);
    const now = this.now();
    const manage = this.expectations.satisfied(key);
    const plan = reconcileReplicaSet(rs, this.pods.list(namespace), now, { manage, burst: this.burst });
    if (plan.selectorError) {
      this.ctx.recorder.event(rs, 'Warning', 'InvalidSelector', plan.selectorError);
      return;
    }
    for (const p of plan.adopt) await this.adopt(rs, p);
    for (const p of plan.release) await this.release(rs, p);
    let createError: Error | undefined;
    if (plan.create > 0) createError = await this.createPods(key, rs, plan.create);
    if (plan.delete.length) await this.deletePods(key, rs, plan.delete);
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
    if (!statusEqual(rs.status, status)) {
      try {
        await this.ctx.client.patch<ReplicaSet>(Resources.replicasets, namespace, name!, { status }, 'merge', 'status');
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    this.observeConvergence(key, rs, status);
    if (createError) throw createError;
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
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
      convergenceSeconds.observe({ kind: 'ReplicaSet' }, (Date.now() - entry[1]) / 1000);
      entry[1] = -1; // observed once per generation
    }
  }

  private async adopt(rs: ReplicaSet, p: Pod): Promise<void> {
    const refs = [...(p.metadata?.ownerReferences || []).filter((r) => r.uid !== rs.metadata?.uid), ownerRefTo(rs)];
    try {
      await this.ctx.client.patch<Pod>(Resources.pods, p.metadata?.namespace, p.metadata?.name || '', { metadata: { ownerReferences: refs } }, 'merge');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private async release(rs: ReplicaSet, p: Pod): Promise<void> {
    const refs = (p.metadata?.ownerReferences || []).filter((r) => r.uid !== rs.metadata?.uid);
    try {
      await this.ctx.client.patch<Pod>(Resources.pods, p.metadata?.namespace, p.metadata?.name || '', { metadata: { ownerReferences: refs.length ? refs : null } }, 'merge');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Slow start: batches of 1, 2, 4, … so that a failing template costs one error, not hundreds. */
  private async createPods(key: string, rs: ReplicaSet, n: number): Promise<Error | undefined> {
    this.expectations.expectCreations(key, n);
    let remaining = n;
    let batch = 1;
    while (remaining > 0) {
      const size = Math.min(batch, remaining);
      const results = await Promise.allSettled(
        Array.from({ length: size }, () => this.ctx.client.create<Pod>(Resources.pods, rs.metadata?.namespace, podFromTemplate(rs))),
      );
      let firstError: Error | undefined;
      for (const r of results) {
        if (r.status === 'fulfilled') {
          this.ctx.recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${r.value.metadata?.name}`);
        } else {
          this.expectations.creationObserved(key); // it will never show up in the watch
          firstError = firstError ?? (r.reason as Error);
        }
      }
      remaining -= size;
      if (firstError) {
        // The pods we skip will not show up either.
        for (let i = 0; i < remaining; i++) this.expectations.creationObserved(key);
        this.ctx.recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${firstError.message}`);
        return firstError;
      }
      batch *= 2;
    }
    return undefined;
  }

  private async deletePods(key: string, rs: ReplicaSet, pods: Pod[]): Promise<void> {
    this.expectations.expectDeletions(key, pods.map((p) => p.metadata?.uid || ''));
    const results = await Promise.allSettled(pods.map((p) => this.ctx.client.delete(Resources.pods, p.metadata?.namespace, p.metadata?.name || '')));
    let firstError: unknown;
    results.forEach((r, i) => {
      const p = pods[i];
      if (r.status === 'fulfilled') this.ctx.recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata?.name}`);
      else {
        this.expectations.deletionObserved(key, p.metadata?.uid || '');
        if (!isNotFound(r.reason)) firstError = firstError ?? r.reason;
      }
    });
    if (firstError) throw firstError;
  }
}
