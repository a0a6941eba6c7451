// The DaemonSet controller (the "global service"): informers on DaemonSets, Nodes and Pods feed a work
// queue of DaemonSet keys; a worker claims the DaemonSet's pods, asks the pure core (sync.ts)
// what to create and delete, and does it through a PodControl. Pods are created with generateName, so
// expectations remember creates (by node) and deletes not yet seen in the cache: until they are, a sync
// only writes status.
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { KubeObject } from '../../lib/client/client';
import { Controller, ControllerContext, runWorkers } from '../../lib/client/controller';
import type { Informer } from '../../lib/client/informer';
import { objectKey, splitKey } from '../../lib/client/informer';
import { Resources } from '../../lib/api/resources';
import { selectorFromLabelSelector } from '../../lib/api/selectors';
import { WorkQueue } from '../../lib/client/workqueue';
import { DaemonSetPlan, newDaemonPod, planDaemonSet } from './sync';
import { applyClaim, claimObjects, controllerRefOf, controllingOwner, newControllerRef, ownersSelecting, ownerStillActive } from '../shared/controller-ref';
import { Expectations } from '../shared/expectations';
import { ControllerRevisionHashLabel, ownedRevisions, planHistory, RevisionCollisionError, RevisionWriter } from '../shared/history';
import { ApiPodControl, createExpectedPods, deleteExpectedPods, LostCreatesRecheckMs, PodControl, settleLostCreates } from '../shared/pod-control';

export interface DaemonSetControllerOptions {
  workers?: number;
  /** How long unobserved creates/deletes block further ones (Kubernetes: 5 minutes). */
  expectationsTimeoutMs?: number;
  now?: () => Date;
  /** Where pod writes go (default: the API, through ctx.client); tests pass a recording fake. */
  podControl?: PodControl;
}

export class DaemonSetController implements Controller {
  readonly name = 'daemonset';
  private readonly queue = new WorkQueue<string>('daemonset', { maxDelayMs: 30_000 });
  private readonly daemonSets: Informer<DaemonSet>;
  private readonly nodes: Informer<Node>;
  private readonly pods: Informer<Pod>;
  private readonly revisions: Informer<ControllerRevision>;
  private readonly revisionWriter: RevisionWriter;
  private readonly expectations: Expectations;
  private readonly podControl: PodControl;
  /** DaemonSet key → node → no new pod before this time (ms), after failed pods there. */
  private readonly failedPodBackoff = new Map<string, Map<string, number>>();
  private readonly failureCounts = new Map<string, number>();
  private readonly workers: number;
  private readonly now: () => Date;
  private running?: Promise<void>;

  constructor(
    private readonly ctx: ControllerContext,
    opts: DaemonSetControllerOptions = {},
  ) {
    this.workers = opts.workers ?? 2;
    this.now = opts.now ?? (() => new Date());
    this.expectations = new Expectations(opts.expectationsTimeoutMs ?? 60_000, () => this.now().getTime());
    this.podControl = opts.podControl ?? new ApiPodControl(ctx.client, ctx.recorder);
    this.daemonSets = ctx.informers.informerFor<DaemonSet>(Resources.daemonsets);
    this.nodes = ctx.informers.informerFor<Node>(Resources.nodes);
    this.pods = ctx.informers.informerFor<Pod>(Resources.pods);
    this.revisions = ctx.informers.informerFor<ControllerRevision>(Resources.controllerrevisions);
    this.revisionWriter = new RevisionWriter(ctx.client);
  }

  async start(): Promise<void> {
    this.daemonSets.onAdd((ds) => this.queue.add(objectKey(ds)));
    this.daemonSets.onUpdate((_o, ds) => this.queue.add(objectKey(ds)));
    this.daemonSets.onDelete((ds) => {
      this.expectations.delete(objectKey(ds));
      this.failedPodBackoff.delete(objectKey(ds));
      for (const k of [...this.failureCounts.keys()]) if (k.startsWith(`${objectKey(ds)}|`)) this.failureCounts.delete(k);
      this.queue.add(objectKey(ds));
    });
    this.nodes.onAdd(() => this.enqueueAll());
    this.nodes.onUpdate((old, node) => {
      if (nodeChangeMatters(old, node)) this.enqueueAll();
    });
    this.nodes.onDelete(() => this.enqueueAll());
    this.pods.onAdd((pod) => this.podChanged(pod, 'add'));
    this.pods.onUpdate((old, pod) => {
      if (!old.metadata?.deletionTimestamp && pod.metadata?.deletionTimestamp) this.podChanged(pod, 'delete');
      else this.podChanged(pod, 'update', old);
    });
    this.pods.onDelete((pod) => this.podChanged(pod, 'delete'));
    this.ctx.informers.start();
    await Promise.all([this.daemonSets.start(), this.nodes.start(), this.pods.start(), this.revisions.start()]);
    this.running = runWorkers(this.queue, this.workers, (key) => this.sync(key), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  async stopped(): Promise<void> {
    await this.running;
  }

  private enqueueAll(): void {
    for (const ds of this.daemonSets.list()) this.queue.add(objectKey(ds));
  }

  private ownerKey(o: KubeObject): string | undefined {
    const ds = controllingOwner(o, 'DaemonSet', this.daemonSets);
    return ds && objectKey(ds);
  }

  private podChanged(pod: Pod, how: 'add' | 'update' | 'delete', old?: Pod): void {
    const key = this.ownerKey(pod);
    if (key && pod.status?.phase === 'Running' && pod.spec?.nodeName) {
      this.failureCounts.delete(`${key}|${pod.spec.nodeName}`);
      this.failedPodBackoff.get(key)?.delete(pod.spec.nodeName);
    }
    if (key) {
      if (how === 'add') this.expectations.creationObserved(key, pod.spec?.nodeName ?? '');
      if (how === 'delete') this.expectations.deletionObserved(key, pod.metadata?.uid ?? '');
      this.queue.add(key);
      return;
    }
    if (controllerRefOf(pod)) return;
    // An orphan: DaemonSets whose selector matches may adopt it.
    if (how === 'update' && old && JSON.stringify(old.metadata?.labels) === JSON.stringify(pod.metadata?.labels)) return;
    for (const ds of ownersSelecting(pod, this.daemonSets)) this.queue.add(objectKey(ds));
  }

  async sync(key: string): Promise<void | { requeueAfterMs?: number }> {
    const cached = this.daemonSets.getByKey(key);
    if (!cached) {
      this.expectations.delete(key);
      return;
    }
    const ds: DaemonSet = { ...cached, apiVersion: cached.apiVersion ?? 'apps/v1', kind: cached.kind ?? 'DaemonSet' };
    const { namespace } = splitKey(key);
    let selector;
    try {
      selector = selectorFromLabelSelector(ds.spec?.selector);
    } catch (e) {
      this.ctx.recorder.event(ds, 'Warning', 'InvalidSelector', `Invalid selector: ${(e as Error).message}`);
      return;
    }
    // Expectations are read before the cache, never after (Kubernetes' syncDaemonSet does the same):
    // a pod that shows up later satisfies them only once it is in the cache, so a sync that finds them
    // satisfied reads a cache holding every pod it expected. Read after the awaits below (claims, the
    // revision write), they could be satisfied by a pod missing from the pods read here — and a second
    // pod would be created on its node (found by the chaos harness).
    const settled = await settleLostCreates(this.expectations, key, this.ctx.client, namespace, () => this.pods.resourceVersion());
    const satisfied = !ds.metadata?.deletionTimestamp && this.expectations.satisfied(key);
    const pods = await this.claimPods(ds, selector, this.pods.list(namespace));
    if (!ds.metadata?.deletionTimestamp && !(await this.syncHistory(ds, pods))) return;
    const now = this.now();
    const plan = planDaemonSet({ daemonSet: ds, nodes: this.nodes.list(), pods, now, expectationsSatisfied: satisfied, createBackoffUntil: this.failedPodBackoff.get(key) });
    this.recordFailedPods(key, ds, plan, now.getTime());
    await this.execute(key, ds, plan);
    // Creates whose answers were lost wait for the pod cache to catch up: look again soon.
    const requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, settled ? Infinity : LostCreatesRecheckMs);
    return requeueAfterMs !== Infinity ? { requeueAfterMs } : undefined;
  }

  /**
   * Keeps the DaemonSet's ControllerRevisions (kubectl rollout history/undo read them): one per template,
   * the current one numbered highest, old ones beyond revisionHistoryLimit dropped unless a pod still
   * runs them. On a hash collision the DaemonSet's status.collisionCount is bumped and false returned:
   * the status update brings the DaemonSet back with a new hash.
   */
  private async syncHistory(ds: DaemonSet, pods: Pod[]): Promise<boolean> {
    const revisions = ownedRevisions(ds, this.revisions.list(ds.metadata?.namespace));
    const inUse = new Set(pods.map((p) => `${ds.metadata?.name}-${p.metadata?.labels?.[ControllerRevisionHashLabel] ?? ''}`));
    const plan = planHistory({ owner: ds, apiVersion: 'apps/v1', kind: 'DaemonSet', revisions, inUse });
    try {
      await this.revisionWriter.apply(plan);
      return true;
    } catch (err) {
      if (!(err instanceof RevisionCollisionError)) throw err;
      const status = { ...(ds.status ?? {}), collisionCount: (ds.status?.collisionCount ?? 0) + 1 } as DaemonSet['status'];
      await this.ctx.client.update<DaemonSet>(Resources.daemonsets, { ...ds, status }, 'status');
      return false;
    }
  }

  /**
   * Failed pods the plan deletes put their node in back-off for the next create: 1 s, doubling per
   * failure up to 5 minutes (Kubernetes' daemon controller does the same); cleared when a pod runs there.
   */
  private recordFailedPods(key: string, ds: DaemonSet, plan: DaemonSetPlan, now: number): void {
    let perNode = this.failedPodBackoff.get(key);
    for (const pod of plan.delete) {
      if (pod.status?.phase !== 'Failed' || !pod.spec?.nodeName) continue;
      if (!perNode) this.failedPodBackoff.set(key, (perNode = new Map()));
      const failures = (this.failureCounts.get(`${key}|${pod.spec.nodeName}`) ?? 0) + 1;
      this.failureCounts.set(`${key}|${pod.spec.nodeName}`, failures);
      perNode.set(pod.spec.nodeName, now + Math.min(1000 * 2 ** (failures - 1), 300_000));
      this.ctx.recorder.event(
        ds,
        'Warning',
        'FailedDaemonPod',
        `Found failed daemon pod ${pod.metadata?.namespace}/${pod.metadata?.name} on node ${pod.spec.nodeName}, will try to kill it`,
      );
    }
  }

  private async claimPods(ds: DaemonSet, selector: ReturnType<typeof selectorFromLabelSelector>, candidates: Pod[]): Promise<Pod[]> {
    return applyClaim(claimObjects(ds, selector, candidates), newControllerRef(ds, 'apps/v1', 'DaemonSet'), (p, patch) => this.podControl.patchOwnerReferences(p, patch), {
      canAdopt: ownerStillActive(this.ctx.client, Resources.daemonsets, ds),
    });
  }

  private async execute(key: string, ds: DaemonSet, plan: DaemonSetPlan): Promise<void> {
    const [created, deleted] = await Promise.all([
      plan.createOn.length
        ? createExpectedPods(this.podControl, this.expectations, key, ds, plan.createOn.length, (i) => newDaemonPod(ds, plan.createOn[i], plan.hash), plan.createOn)
        : undefined,
      plan.delete.length ? deleteExpectedPods(this.podControl, this.expectations, key, ds, plan.delete) : undefined,
    ]);
    if (!statusEqual(ds.status ?? {}, plan.status)) {
      await this.ctx.client.update<DaemonSet>(Resources.daemonsets, { ...ds, status: plan.status }, 'status');
    }
    const error = created?.error ?? deleted?.error;
    if (error) throw error;
  }
}

function statusEqual(a: object, b: object): boolean {
  const norm = (o: object) => JSON.stringify(Object.entries(o).filter(([, v]) => v !== undefined && v !== 0).sort(([x], [y]) => (x < y ? -1 : 1)));
  return norm(a) === norm(b);
}

/** Labels, taints and unschedulable decide placement; heartbeats alone do not. */
function nodeChangeMatters(old: Node, cur: Node): boolean {
  return (
    JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {}) ||
    JSON.stringify(old.spec?.taints ?? []) !== JSON.stringify(cur.spec?.taints ?? []) ||
    !!old.spec?.unschedulable !== !!cur.spec?.unschedulable
  );
}
