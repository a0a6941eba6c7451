// The Deployment controller: informers on Deployments, ReplicaSets and Pods feed a work queue of
// Deployment keys; a worker claims the Deployment's ReplicaSets (adopt matching orphans, release those
// that stopped matching), asks the pure core (sync.ts) for a plan and carries it out through
// the API. Every write is conditional on the resourceVersion the plan was made from, so a stale cache
// costs a retry, never a wrong action; ReplicaSet names are deterministic (<deployment>-<hash>), so a
// slow watch can never make it create a ReplicaSet twice.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { isAlreadyExists, isNotFound, KubeObject } from '../../lib/client/client';
import { Controller, ControllerContext, runWorkers } from '../../lib/client/controller';
import type { Informer } from '../../lib/client/informer';
import { objectKey, splitKey } from '../../lib/client/informer';
import { Resources } from '../../lib/api/resources';
import { LabelRequirement, matchesLabels, selectorFromLabelSelector } from '../../lib/api/selectors';
import { WorkQueue } from '../../lib/client/workqueue';
import { deploymentComplete } from './progress';
import { DeploymentPlan, planDeploymentSync } from './sync';
import { equalIgnoreHash } from './util';
import { applyClaim, claimObjects, controllerRefOf, controllingOwner, newControllerRef, ownerReferencesPatcher, ownerStillActive } from '../shared/controller-ref';
import { convergenceSeconds } from '../metrics';
import { CacheWrites } from '../shared/expectations';

export interface DeploymentControllerOptions {
  /** Concurrent reconciles (Kubernetes' --concurrent-deployment-syncs, default 5). */
  workers?: number;
  /** Clock, for tests. */
  now?: () => Date;
}


export class DeploymentController implements Controller {
  readonly name = 'deployment';
  private readonly queue = new WorkQueue<string>('deployment', { maxDelayMs: 30_000 });
  private readonly deployments: Informer<Deployment>;
  private readonly replicaSets: Informer<ReplicaSet>;
  private readonly pods: Informer<Pod>;
  /** ReplicaSets this controller created or scaled, until its cache shows them (see CacheWrites). */
  private readonly writes = new CacheWrites();
  /**
   * Deployments this controller wrote (status, annotations, spec), under the name `self`, based on the
   * resourceVersion their sync planned from, until the cache shows a newer one. A sync from a cache
   * still at that version would plan from a status it has already replaced and lose its conditional
   * status write (409, a wasted write and a retry): 0.67 such 409s per pod started on the soak's churn.
   */
  private readonly ownWrites = new CacheWrites();
  private readonly workers: number;
  private readonly now: () => Date;
  private running?: Promise<void>;
  /** key → [generation, when this controller first saw it]: for steer_convergence_seconds. */
  private readonly generationSeen = new Map<string, [number, number]>();

  constructor(
    private readonly ctx: ControllerContext,
    opts: DeploymentControllerOptions = {},
  ) {
    this.workers = opts.workers ?? 5;
    this.now = opts.now ?? (() => new Date());
    this.deployments = ctx.informers.informerFor<Deployment>(Resources.deployments);
    this.replicaSets = ctx.informers.informerFor<ReplicaSet>(Resources.replicasets);
    this.pods = ctx.informers.informerFor<Pod>(Resources.pods);
  }

  async start(): Promise<void> {
    this.deployments.onAdd((d) => this.enqueue(d));
    this.deployments.onUpdate((_old, d) => this.enqueue(d));
    this.deployments.onDelete((d) => {
      this.generationSeen.delete(objectKey(d));
      this.writes.delete(objectKey(d));
      this.ownWrites.delete(objectKey(d));
      this.enqueue(d);
    });
    this.replicaSets.onAdd((rs) => this.replicaSetChanged(undefined, rs));
    this.replicaSets.onUpdate((old, rs) => this.replicaSetChanged(old, rs));
    this.replicaSets.onDelete((rs) => this.enqueueController(rs));
    // Recreate waits for old pods to be gone; their disappearance must wake it.
    this.pods.onUpdate((_old, pod) => this.podChanged(pod));
    this.pods.onDelete((pod) => this.podChanged(pod));
    this.ctx.informers.start();
    await Promise.all([this.deployments.start(), this.replicaSets.start(), this.pods.start()]);
    this.running = runWorkers(this.queue, this.workers, (key) => this.sync(key), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  /** Resolves when the workers have exited after stop(). */
  async stopped(): Promise<void> {
    await this.running;
  }

  private enqueue(d: Deployment): void {
    this.queue.add(objectKey(d));
  }

  /** The Deployment controlling an object through its controller reference, if it still exists. */
  private controllerOf(o: KubeObject): Deployment | undefined {
    return controllingOwner(o, 'Deployment', this.deployments);
  }

  private enqueueController(o: KubeObject): void {
    const d = this.controllerOf(o);
    if (d) this.enqueue(d);
  }

  /** Deployments in the namespace whose selector matches an orphan's labels (adoption candidates). */
  private enqueueMatching(rs: ReplicaSet): void {
    for (const d of this.deployments.list(rs.metadata?.namespace)) {
      const sel = safeSelector(d);
      if (sel && matchesLabels(sel, rs.metadata?.labels ?? {})) this.enqueue(d);
    }
  }

  private replicaSetChanged(old: ReplicaSet | undefined, rs: ReplicaSet): void {
    const oldRef = old ? controllerRefOf(old) : undefined;
    const ref = controllerRefOf(rs);
    if (old && oldRef && oldRef.uid !== ref?.uid) this.enqueueController(old);
    if (ref) {
      this.enqueueController(rs);
      return;
    }
    const labelsChanged = !old || JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(rs.metadata?.labels ?? {});
    if (labelsChanged || oldRef) this.enqueueMatching(rs);
  }

  private podChanged(pod: Pod): void {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.replicaSets.get(pod.metadata?.namespace, ref.name);
    if (!rs || rs.metadata?.uid !== ref.uid) return;
    const d = this.controllerOf(rs);
    if (d && d.spec?.strategy?.type === 'Recreate') this.enqueue(d);
  }

  /** One reconcile of one Deployment key. */
  async sync(key: string): Promise<void | { requeueAfterMs?: number }> {
    const cached = this.deployments.getByKey(key);
    if (!cached) return;
    const d = withKind(cached);
    const { namespace } = splitKey(key);
    // Plan only from a cache that shows this controller's own last ReplicaSet writes: one it cannot see
    // yet counts as never made (a rollover would start another ReplicaSet beyond maxSurge). Its watch
    // event brings the next sync; the requeue is the safety net.
    if (!this.writes.caughtUp(key, (name) => this.replicaSets.get(namespace, name)?.metadata?.resourceVersion)) return { requeueAfterMs: 250 };
    if (!this.ownWrites.caughtUp(key, () => cached.metadata?.resourceVersion)) return { requeueAfterMs: 250 };
    const selector = safeSelector(d);
    const sel = d.spec?.selector;
    if (!selector || (!Object.keys(sel?.matchLabels ?? {}).length && !(sel?.matchExpressions ?? []).length)) {
      this.ctx.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        await this.ctx.client.update<Deployment>(Resources.deployments, { ...d, status: { ...d.status, observedGeneration: d.metadata?.generation } }, 'status');
        this.wroteSelf(d);
      }
      return;
    }
    const replicaSets = await this.claimReplicaSets(d, selector, this.replicaSets.list(namespace));
    // Recreate waits for old pods to be gone; a rolling update's cleanup never takes pods they show
    // available, whatever a lagging ReplicaSet status says.
    const podsByReplicaSetUid = new Map<string, Pod[]>();
    for (const rs of replicaSets) {
      const uid = rs.metadata?.uid;
      if (uid) podsByReplicaSetUid.set(uid, this.pods.byIndex('ownerUid', uid));
    }
    const now = this.now();
    const plan = planDeploymentSync({ deployment: d, replicaSets, podsByReplicaSetUid, now });
    const done = await this.execute(d, plan);
    if (done.retryAfterMs !== undefined) return { requeueAfterMs: done.retryAfterMs };
    this.observeConvergence(key, d, done.status ?? d.status, now);
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  }

  private observeConvergence(key: string, d: Deployment, status: Deployment['status'], now: Date): void {
    const gen = d.metadata?.generation ?? 0;
    const seen = this.generationSeen.get(key);
    if (!seen || seen[0] !== gen) this.generationSeen.set(key, [gen, now.getTime()]);
    const [g, since] = this.generationSeen.get(key)!;
    if (g === gen && since > 0 && status && deploymentComplete(d, status)) {
      convergenceSeconds.observe({ kind: 'Deployment' }, Math.max(0, now.getTime() - since) / 1000);
      this.generationSeen.set(key, [gen, 0]); // observed once per generation
    }
  }

  /** Adopts matching orphans and releases ReplicaSets that no longer match; returns the owned ones. */
  private claimReplicaSets(d: Deployment, selector: LabelRequirement[], candidates: ReplicaSet[]): Promise<ReplicaSet[]> {
    return applyClaim(claimObjects(d, selector, candidates), newControllerRef(d, 'apps/v1', 'Deployment'), ownerReferencesPatcher<ReplicaSet>(this.ctx.client, Resources.replicasets), {
      canAdopt: ownerStillActive(this.ctx.client, Resources.deployments, d),
    });
  }

  /** Notes a write to the Deployment `d` itself, based on its version `basedOn` (see ownWrites). */
  private wroteSelf(d: Deployment, basedOn = d.metadata?.resourceVersion): void {
    this.ownWrites.wrote(objectKey(d), 'self', basedOn);
  }

  /** Carries out a plan in order; throws (→ retry with back-off) on the first failed write. */
  private async execute(d: Deployment, plan: DeploymentPlan): Promise<{ status?: Deployment['status']; retryAfterMs?: number }> {
    const client = this.ctx.client;
    const latest = new Map<string, ReplicaSet>();
    let resourceVersion = d.metadata?.resourceVersion;
    let writtenStatus: Deployment['status'] | undefined;
    for (const action of plan.actions) {
      switch (action.type) {
        case 'createReplicaSet': {
          const rs = action.replicaSet;
          try {
            latest.set(rs.metadata?.name ?? '', await client.create<ReplicaSet>(Resources.replicasets, rs.metadata?.namespace, rs));
            this.writes.wrote(objectKey(d), rs.metadata?.name ?? '', undefined);
          } catch (e) {
            if (!isAlreadyExists(e)) throw e;
            const existing = await client.get<ReplicaSet>(Resources.replicasets, rs.metadata?.namespace, rs.metadata?.name ?? '');
            const ours = controllerRefOf(existing)?.uid === d.metadata?.uid;
            if (ours && equalIgnoreHash(existing.spec?.template, d.spec?.template)) {
              // Our own earlier create that the cache has not shown yet: the rest of this plan was made
              // without it, so drop it and look again once the watch has caught up.
              return { status: undefined, retryAfterMs: 100 };
            }
            // A different ReplicaSet already has this name: a hash collision. Bump collisionCount so the
            // next sync computes a different hash.
            const collisionCount = (d.status?.collisionCount ?? 0) + 1;
            await client.update<Deployment>(Resources.deployments, { ...d, metadata: { ...d.metadata, resourceVersion }, status: { ...d.status, collisionCount } }, 'status');
            this.wroteSelf(d, resourceVersion);
            throw new Error(`replica set ${rs.metadata?.name} exists with another template: collisionCount now ${collisionCount}`);
          }
          break;
        }
        case 'updateReplicaSet': {
          const rs = action.replicaSet;
          const prior = latest.get(rs.metadata?.name ?? '');
          const body = prior ? { ...rs, metadata: { ...rs.metadata, resourceVersion: prior.metadata?.resourceVersion } } : rs;
          latest.set(rs.metadata?.name ?? '', await client.update<ReplicaSet>(Resources.replicasets, body));
          this.writes.wrote(objectKey(d), rs.metadata?.name ?? '', body.metadata?.resourceVersion);
          break;
        }
        case 'deleteReplicaSet': {
          const rs = action.replicaSet;
          try {
            // Only the empty ReplicaSet the plan was made from: a changed one fails the precondition (409).
            await client.delete(Resources.replicasets, rs.metadata?.namespace, rs.metadata?.name ?? '', {
              preconditions: { uid: rs.metadata?.uid, resourceVersion: rs.metadata?.resourceVersion },
            });
          } catch (e) {
            if (!isNotFound(e)) throw e;
          }
          break;
        }
        case 'patchDeploymentAnnotations': {
          const res = await client.patch<Deployment>(Resources.deployments, d.metadata?.namespace, d.metadata?.name ?? '', { metadata: { annotations: action.annotations } }, 'merge');
          if (res.metadata?.uid !== d.metadata?.uid || res.metadata?.generation !== d.metadata?.generation) {
            throw new Error(`deployment ${d.metadata?.name} changed while syncing; will sync again`);
          }
          this.wroteSelf(d, resourceVersion);
          resourceVersion = res.metadata?.resourceVersion;
          break;
        }
        case 'updateDeployment':
          await client.update<Deployment>(Resources.deployments, action.deployment);
          this.wroteSelf(d, action.deployment.metadata?.resourceVersion);
          break;
        case 'updateDeploymentStatus': {
          const res = await client.update<Deployment>(Resources.deployments, { ...d, metadata: { ...d.metadata, resourceVersion }, status: action.status }, 'status');
          writtenStatus = res.status ?? action.status;
          this.wroteSelf(d, resourceVersion);
          break;
        }
      }
    }
    for (const e of plan.events) this.ctx.recorder.event(d, e.type, e.reason, e.message);
    return { status: writtenStatus };
  }
}

function safeSelector(d: Deployment): LabelRequirement[] | undefined {
  try {
    return selectorFromLabelSelector(d.spec?.selector);
  } catch {
    return undefined;
  }
}

/** Objects from lists may lack kind/apiVersion; events and owner references need them. */
function withKind(d: Deployment): Deployment {
  return { ...d, apiVersion: d.apiVersion ?? 'apps/v1', kind: d.kind ?? 'Deployment' };
}
