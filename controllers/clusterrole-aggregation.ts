// The ClusterRole aggregation controller (pkg/controller/clusterroleaggregation): a ClusterRole with an
// aggregationRule holds the rules of every other ClusterRole its selectors match, so a new ClusterRole
// labelled rbac.authorization.k8s.io/aggregate-to-view=true adds its rules to view (and, through view's
// aggregate-to-edit label, to edit and admin). Any ClusterRole change requeues every aggregated role, as
// Kubernetes does: the set is small and the dependency graph is not worth tracking. Writing rules the
// controller manager does not hold itself needs the `escalate` verb on clusterroles, which its role has.
import type { ClusterRole } from 'kubernetes-types/rbac/v1';
import { isNotFound } from '../lib/client/client';
import { type Controller, type ControllerContext, type ReconcileResult, runWorkers } from '../lib/client/controller';
import type { Informer } from '../lib/client/informer';
import { WorkQueue } from '../lib/client/workqueue';
import { aggregatedRules, sameRules } from '../lib/api/rbac';
import { Resources } from '../lib/api/resources';

export class ClusterRoleAggregationController implements Controller {
  readonly name = 'clusterrole-aggregation';
  private readonly queue = new WorkQueue<string>('clusterrole_aggregation', { maxDelayMs: 30_000 });
  private readonly roles: Informer<ClusterRole>;
  private readonly workers: number;
  private running?: Promise<void>;

  constructor(
    private readonly ctx: ControllerContext,
    opts: { workers?: number } = {},
  ) {
    this.workers = opts.workers ?? 1;
    this.roles = ctx.informers.informerFor<ClusterRole>(Resources.clusterroles);
  }

  /** Every aggregated ClusterRole, to be recomputed. */
  private enqueueAll(): void {
    for (const r of this.roles.list()) if (r.aggregationRule && r.metadata?.name) this.queue.add(r.metadata.name);
  }

  async start(): Promise<void> {
    this.roles.onAdd(() => this.enqueueAll());
    this.roles.onUpdate(() => this.enqueueAll());
    this.roles.onDelete(() => this.enqueueAll());
    this.ctx.informers.start();
    await this.roles.start();
    this.enqueueAll();
    this.running = runWorkers(this.queue, this.workers, (name) => this.sync(name), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  /** Resolves when the workers have exited after stop(). */
  async stopped(): Promise<void> {
    await this.running;
  }

  private async sync(name: string): Promise<ReconcileResult> {
    const role = this.roles.get(undefined, name);
    if (!role) return;
    const rules = aggregatedRules(role, this.roles.list());
    if (rules === undefined || sameRules(rules, role.rules)) return;
    try {
      // Conditional on the cached resourceVersion: a conflict is retried from a fresher cache.
      await this.ctx.client.update<ClusterRole>(Resources.clusterroles, { ...role, rules });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
