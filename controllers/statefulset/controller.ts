// The StatefulSet controller: informers on StatefulSets, their pods, claims and ControllerRevisions feed
// a work queue of set keys; a worker claims the set's pods, keeps its revision history (shared/history.ts),
// asks the pure core (sync.ts) what to do and does it, with Kubernetes' event messages. Pod names are
// fixed (`<set>-<ordinal>`), so a create the cache has not shown yet can only fail with AlreadyExists:
// no expectations are needed.
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1';
import type { PersistentVolumeClaim, Pod, PodTemplateSpec } from 'kubernetes-types/core/v1';
import { Controller, ControllerContext, runWorkers } from '../../lib/client/controller';
import { isAlreadyExists, isNotFound } from '../../lib/client/client';
import type { Informer } from '../../lib/client/informer';
import { objectKey, splitKey } from '../../lib/client/informer';
import { Resources } from '../../lib/api/resources';
import { selectorFromLabelSelector } from '../../lib/api/selectors';
import { WorkQueue } from '../../lib/client/workqueue';
import { applyClaim, claimObjects, controllerRefOf, controllingOwner, newControllerRef, ownerReferencesPatcher, ownersSelecting, ownerStillActive } from '../shared/controller-ref';
import { ownedRevisions, planHistory, RevisionCollisionError, RevisionWriter, sortByRevision } from '../shared/history';
import { ordinalOf, podRevision, startOrdinal } from './identity';
import { completeRollingUpdate, planStatefulSet, predecessorsReady, Revision, StatefulSetPlan } from './sync';

export interface StatefulSetControllerOptions {
  workers?: number;
  now?: () => Date;
}

/** The template a revision stores (its data is the patch `{spec: {template: {..., $patch: replace}}}`). */
export function revisionTemplate(r: ControllerRevision): PodTemplateSpec {
  const data = r.data as { spec?: { template?: Record<string, unknown> } } | undefined;
  const { $patch: _directive, ...template } = data?.spec?.template ?? {};
  return template as PodTemplateSpec;
}

export class StatefulSetController implements Controller {
  readonly name = 'statefulset';
  private readonly queue = new WorkQueue<string>('statefulset', { maxDelayMs: 30_000 });
  private readonly sets: Informer<StatefulSet>;
  private readonly pods: Informer<Pod>;
  private readonly claims: Informer<PersistentVolumeClaim>;
  private readonly revisions: Informer<ControllerRevision>;
  private readonly revisionWriter: RevisionWriter;
  private readonly workers: number;
  private readonly now: () => Date;
  private running?: Promise<void>;

  constructor(
    private readonly ctx: ControllerContext,
    opts: StatefulSetControllerOptions = {},
  ) {
    this.workers = opts.workers ?? 2;
    this.now = opts.now ?? (() => new Date());
    this.sets = ctx.informers.informerFor<StatefulSet>(Resources.statefulsets);
    this.pods = ctx.informers.informerFor<Pod>(Resources.pods);
    this.claims = ctx.informers.informerFor<PersistentVolumeClaim>(Resources.persistentvolumeclaims);
    this.revisions = ctx.informers.informerFor<ControllerRevision>(Resources.controllerrevisions);
    this.revisionWriter = new RevisionWriter(ctx.client);
  }

  async start(): Promise<void> {
    this.sets.onAdd((s) => this.queue.add(objectKey(s)));
    this.sets.onUpdate((_o, s) => this.queue.add(objectKey(s)));
    this.sets.onDelete((s) => this.queue.add(objectKey(s)));
    this.pods.onAdd((p) => this.podChanged(p));
    this.pods.onUpdate((_o, p) => this.podChanged(p));
    this.pods.onDelete((p) => this.podChanged(p));
    // A claim going away may unblock a pod waiting to be made again with a fresh claim.
    this.claims.onDelete((c) => this.enqueueNamespace(c.metadata?.namespace));
    this.ctx.informers.start();
    await Promise.all([this.sets.start(), this.pods.start(), this.claims.start(), this.revisions.start()]);
    this.running = runWorkers(this.queue, this.workers, (key) => this.sync(key), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  async stopped(): Promise<void> {
    await this.running;
  }

  private enqueueNamespace(namespace: string | undefined): void {
    for (const s of this.sets.list(namespace)) this.queue.add(objectKey(s));
  }

  private podChanged(pod: Pod): void {
    const owner = controllingOwner(pod, 'StatefulSet', this.sets);
    if (owner) {
      this.queue.add(objectKey(owner));
      return;
    }
    if (controllerRefOf(pod)) return;
    for (const s of ownersSelecting(pod, this.sets)) this.queue.add(objectKey(s));
  }

  async sync(key: string): Promise<void | { requeueAfterMs?: number }> {
    const cached = this.sets.getByKey(key);
    if (!cached) return;
    const set: StatefulSet = { ...cached, apiVersion: 'apps/v1', kind: 'StatefulSet' };
    const { namespace } = splitKey(key);
    let selector;
    try {
      selector = selectorFromLabelSelector(set.spec?.selector);
    } catch (e) {
      this.ctx.recorder.event(set, 'Warning', 'InvalidSelector', `Invalid selector: ${(e as Error).message}`);
      return;
    }
    // Only pods named as members of the set are claimed (Kubernetes' isMemberOf).
    const candidates = this.pods.list(namespace).filter((p) => ordinalOf(set, p) >= 0 || controllerRefOf(p)?.uid === set.metadata?.uid);
    const pods = await applyClaim(claimObjects(set, selector, candidates), newControllerRef(set, 'apps/v1', 'StatefulSet'), ownerReferencesPatcher<Pod>(this.ctx.client, Resources.pods), {
      canAdopt: ownerStillActive(this.ctx.client, Resources.statefulsets, set),
    });

    const revisions = ownedRevisions(set, this.revisions.list(namespace));
    const inUse = new Set([...pods.map(podRevision), set.status?.currentRevision ?? ''].filter(Boolean));
    const history = planHistory({ owner: set, apiVersion: 'apps/v1', kind: 'StatefulSet', revisions, inUse });
    let updateRevision: ControllerRevision;
    try {
      updateRevision = await this.revisionWriter.apply(history);
    } catch (err) {
      if (!(err instanceof RevisionCollisionError)) throw err;
      await this.writeStatus(set, { ...(set.status ?? {}), replicas: set.status?.replicas ?? 0, collisionCount: (set.status?.collisionCount ?? 0) + 1 });
      return;
    }
    const update: Revision = { name: updateRevision.metadata?.name ?? '', template: set.spec?.template ?? {} };
    const currentStored = sortByRevision(revisions).find((r) => r.metadata?.name === set.status?.currentRevision);
    const current: Revision = currentStored ? { name: currentStored.metadata?.name ?? '', template: revisionTemplate(currentStored) } : update;

    const claims = new Map(this.claims.list(namespace).map((c) => [c.metadata?.name ?? '', c]));
    const plan = planStatefulSet({ set, pods, claims, current, update, now: this.now() });
    if (!(await this.orderedCreateStillAllowed(set, plan))) return { requeueAfterMs: 1000 };
    await this.execute(set, plan);
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  }

  private async execute(set: StatefulSet, plan: StatefulSetPlan): Promise<void> {
    const setName = set.metadata?.name;
    const ns = set.metadata?.namespace;
    const createClaim = async (claim: PersistentVolumeClaim): Promise<void> => {
      try {
        await this.ctx.client.create(Resources.persistentvolumeclaims, ns, claim);
        this.ctx.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Claim ${claim.metadata?.name} Pod ${this.podOfClaim(plan, claim)} in StatefulSet ${setName} success`);
      } catch (err) {
        if (isAlreadyExists(err)) return;
        this.ctx.recorder.event(set, 'Warning', 'FailedCreate', `create Claim ${claim.metadata?.name} for Pod ${this.podOfClaim(plan, claim)} in StatefulSet ${setName} failed error: ${(err as Error).message}`);
        throw err;
      }
    };
    // Each pod's claims are made just before it (as Kubernetes' createPersistentVolumeClaims), and the
    // pods of one sync (Parallel) side by side, so 30 pods do not wait for 30 claims made one by one.
    const claimsOf = (pod: Pod) => new Set((pod.spec?.volumes ?? []).map((v) => v.persistentVolumeClaim?.claimName).filter(Boolean));
    const withPod = new Set(plan.createPods.flatMap((p) => [...claimsOf(p)]));
    await Promise.all(plan.createClaims.filter((c) => !withPod.has(c.metadata?.name)).map(createClaim));
    await Promise.all(
      plan.createPods.map(async (pod) => {
        const mine = claimsOf(pod);
        await Promise.all(plan.createClaims.filter((c) => mine.has(c.metadata?.name)).map(createClaim));
        try {
          await this.ctx.client.create(Resources.pods, ns, pod);
          this.ctx.recorder.event(set, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata?.name} in StatefulSet ${setName} successful`);
        } catch (err) {
          if (isAlreadyExists(err)) return;
          this.ctx.recorder.event(set, 'Warning', 'FailedCreate', `create Pod ${pod.metadata?.name} in StatefulSet ${setName} failed error: ${(err as Error).message}`);
          throw err;
        }
      }),
    );
    // Claims get their retention owners before a condemned pod goes (as Kubernetes fixes claim refs
    // first), so the garbage collector finds the pod gone and the claim with it.
    for (const u of plan.claimOwners) {
      await this.ctx.client
        .patch(Resources.persistentvolumeclaims, ns, u.claim.metadata?.name ?? '', { metadata: { resourceVersion: u.claim.metadata?.resourceVersion, ownerReferences: u.ownerReferences.length ? u.ownerReferences : null } }, 'merge')
        .catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
    }
    await Promise.all(
      plan.deletePods.map(async (pod) => {
        try {
          await this.ctx.client.delete(Resources.pods, ns, pod.metadata?.name ?? '', { preconditions: { uid: pod.metadata?.uid } });
          this.ctx.recorder.event(set, 'Normal', 'SuccessfulDelete', `delete Pod ${pod.metadata?.name} in StatefulSet ${setName} successful`);
        } catch (err) {
          if (isNotFound(err)) return;
          this.ctx.recorder.event(set, 'Warning', 'FailedDelete', `delete Pod ${pod.metadata?.name} in StatefulSet ${setName} failed error: ${(err as Error).message}`);
          throw err;
        }
      }),
    );
    await this.writeStatus(set, completeRollingUpdate(set, plan.status));
  }

  /**
   * OrderedReady: a create of ordinal i is confirmed against the pods as the API has them now (one
   * LIST), since the cache may still show a predecessor that is already gone. Parallel sets, and plans
   * that create nothing beyond the first ordinal, need no read.
   */
  private async orderedCreateStillAllowed(set: StatefulSet, plan: StatefulSetPlan): Promise<boolean> {
    if ((set.spec?.podManagementPolicy ?? 'OrderedReady') === 'Parallel') return true;
    const ordinals = plan.createPods.map((p) => ordinalOf(set, p)).filter((o) => o > startOrdinal(set));
    if (!ordinals.length) return true;
    // Narrowed by matchLabels when that is the whole selector; ownership decides either way.
    const sel = set.spec?.selector;
    const labelSelector = sel?.matchExpressions?.length ? undefined : Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || undefined;
    const live = (await this.ctx.client.list<Pod>(Resources.pods, { namespace: set.metadata?.namespace, labelSelector })).items.filter((p) => controllerRefOf(p)?.uid === set.metadata?.uid);
    return ordinals.every((o) => predecessorsReady(set, live, o));
  }

  private podOfClaim(plan: StatefulSetPlan, claim: PersistentVolumeClaim): string {
    const pod = plan.createPods.find((p) => (p.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim.metadata?.name));
    return pod?.metadata?.name ?? claim.metadata?.name?.split('-').slice(-2).join('-') ?? '';
  }

  private async writeStatus(set: StatefulSet, status: StatefulSetStatus): Promise<void> {
    const norm = (s: object) => JSON.stringify(Object.entries(s).filter(([, v]) => v !== undefined && v !== 0).sort(([a], [b]) => (a < b ? -1 : 1)));
    if (norm(set.status ?? {}) === norm(status)) return;
    await this.ctx.client.update<StatefulSet>(Resources.statefulsets, { ...set, status }, 'status');
  }
}
