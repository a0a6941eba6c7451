// The disruption controller's loop (kube's DisruptionController): PodDisruptionBudgets, pods, ReplicaSets
// and Deployments from the shared informers; a budget is recomputed when it or a pod it selects
// changes, or when the scale of the pods' controllers changes, and its status written when it differs.
// Pods owned by another kind are scaled through that kind's scale subresource when it has one.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { budgetsCovering } from '../../lib/api/disruption';
import { goValueEqual } from '../../lib/api/json';
import { Resources } from '../../lib/api/resources';
import { isConflict, isNotFound } from '../../lib/client/client';
import { type Controller, type ControllerContext, type ReconcileResult, runWorkers } from '../../lib/client/controller';
import { type Informer, objectKey, splitKey } from '../../lib/client/informer';
import { WorkQueue } from '../../lib/client/workqueue';
import { controllerRefOf, controllingOwner } from '../shared/controller-ref';
import { findScalable } from '../shared/scale';
import { type ControllerScale, planPdbStatus } from './sync';

export interface DisruptionControllerOptions {
  workers?: number;
  now?: () => Date;
}

export class DisruptionController implements Controller {
  readonly name = 'disruption';
  private readonly queue = new WorkQueue<string>('disruption', { maxDelayMs: 30_000 });
  private readonly pdbs: Informer<PodDisruptionBudget>;
  private readonly pods: Informer<Pod>;
  private readonly replicasets: Informer<ReplicaSet>;
  private readonly deployments: Informer<Deployment>;
  private readonly now: () => Date;
  private running?: Promise<void>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: DisruptionControllerOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
    this.pdbs = ctx.informers.informerFor<PodDisruptionBudget>(Resources.poddisruptionbudgets);
    this.pods = ctx.informers.informerFor<Pod>(Resources.pods);
    this.replicasets = ctx.informers.informerFor<ReplicaSet>(Resources.replicasets);
    this.deployments = ctx.informers.informerFor<Deployment>(Resources.deployments);
  }

  private enqueueFor(pod: Pod): void {
    for (const pdb of budgetsCovering(pod, this.pdbs.list(pod.metadata?.namespace))) this.queue.add(objectKey(pdb));
  }

  private enqueueNamespace(o: { metadata?: { namespace?: string } }): void {
    for (const pdb of this.pdbs.list(o.metadata?.namespace)) this.queue.add(objectKey(pdb));
  }

  async start(): Promise<void> {
    this.pdbs.onAdd((p) => this.queue.add(objectKey(p)));
    this.pdbs.onUpdate((_o, p) => this.queue.add(objectKey(p)));
    this.pods.onAdd((p) => this.enqueueFor(p));
    this.pods.onUpdate((o, p) => {
      this.enqueueFor(o);
      this.enqueueFor(p);
    });
    this.pods.onDelete((p) => this.enqueueFor(p));
    for (const inf of [this.replicasets, this.deployments] as Informer<ReplicaSet | Deployment>[]) {
      inf.onUpdate((o, n) => {
        if (o.spec?.replicas !== n.spec?.replicas) this.enqueueNamespace(n);
      });
    }
    this.ctx.informers.start();
    await Promise.all([this.pdbs.start(), this.pods.start(), this.replicasets.start(), this.deployments.start()]);
    this.running = runWorkers(this.queue, this.opts.workers ?? 2, (key) => this.sync(key), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  async stopped(): Promise<void> {
    await this.running;
  }

  /** The scale of a pod's controller (kube's finders: ReplicaSet, Deployment through its ReplicaSet, any scale subresource). */
  private scaleOf(pod: Pod, scales: Map<string, ControllerScale>): ControllerScale {
    const ref = controllerRefOf(pod);
    if (!ref) return { error: `found no controllers for pod "${pod.metadata?.name}"` };
    const rs = controllingOwner(pod, 'ReplicaSet', this.replicasets);
    if (rs) {
      const d = controllingOwner(rs, 'Deployment', this.deployments);
      if (d) return { uid: d.metadata?.uid ?? '', replicas: d.spec?.replicas ?? 1 };
      return { uid: rs.metadata?.uid ?? '', replicas: rs.spec?.replicas ?? 1 };
    }
    return scales.get(ref.uid) ?? { error: `found no controllers for pod "${pod.metadata?.name}"` };
  }

  /** Scales of other kinds' controllers (StatefulSets, custom resources) through their scale subresource. */
  private async otherScales(pods: Pod[]): Promise<Map<string, ControllerScale>> {
    const out = new Map<string, ControllerScale>();
    for (const pod of pods) {
      const ref = controllerRefOf(pod);
      if (!ref || ref.kind === 'ReplicaSet' || out.has(ref.uid)) continue;
      const rt = findScalable(ref.apiVersion, ref.kind);
      if (!rt) continue;
      try {
        const scale = await this.ctx.client.get<{ metadata?: { uid?: string }; spec?: { replicas?: number } }>(rt, pod.metadata?.namespace, ref.name, 'scale');
        if (scale.metadata?.uid === ref.uid) out.set(ref.uid, { uid: ref.uid, replicas: scale.spec?.replicas ?? 0 });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return out;
  }

  private async sync(key: string): Promise<ReconcileResult> {
    const pdb = this.pdbs.getByKey(key);
    if (!pdb) return;
    const { namespace } = splitKey(key);
    const pods = budgetsCoveringPods(pdb, this.pods.list(namespace));
    const scales = await this.otherScales(pods);
    const plan = planPdbStatus(pdb, pods, (p) => this.scaleOf(p, scales), this.now());
    if (plan.warning) this.ctx.recorder.event(pdb, 'Warning', plan.warning.reason, plan.warning.message);
    if (!goValueEqual(plan.status, pdb.status)) {
      try {
        await this.ctx.client.update<PodDisruptionBudget>(Resources.poddisruptionbudgets, { ...pdb, status: plan.status }, 'status');
      } catch (err) {
        if (isNotFound(err)) return;
        if (isConflict(err)) return { requeueAfterMs: 0 };
        throw err;
      }
    }
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  }
}

/** The pods a budget selects. */
function budgetsCoveringPods(pdb: PodDisruptionBudget, pods: Pod[]): Pod[] {
  return pods.filter((p) => budgetsCovering(p, [pdb]).length === 1);
}
