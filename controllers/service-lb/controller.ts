// The service load balancer's loop (k3s' ServiceLB): any change to a Service or to a node's readiness
// or addresses re-plans every Service with the pure core (lb.ts) — ports are shared across Services, so
// one Service's change can free or take another's — and patches `status.loadBalancer` of those whose
// ingress differs, with kube's service controller events (EnsuringLoadBalancer, EnsuredLoadBalancer,
// SyncLoadBalancerFailed for a taken port).
import type { Node, Service } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { isNotFound } from '../../lib/client/client';
import { type Controller, type ControllerContext, type ReconcileResult, runWorkers } from '../../lib/client/controller';
import { type Informer, objectKey, splitKey } from '../../lib/client/informer';
import { WorkQueue } from '../../lib/client/workqueue';
import { ingressMatches, type LoadBalancerPlan, nodeAddresses, planLoadBalancers } from './lb';

/** The one key every change enqueues: the plan is made for all Services at once. */
const ALL = '*';

export class ServiceLbController implements Controller {
  readonly name = 'service-lb';
  private readonly queue = new WorkQueue<string>('service_lb', { maxDelayMs: 30_000 });
  private readonly services: Informer<Service>;
  private readonly nodes: Informer<Node>;
  /** The conflict last reported per Service, so a warning is recorded once, not every pass. */
  private readonly reported = new Map<string, string>();
  private running?: Promise<void>;

  constructor(private readonly ctx: ControllerContext) {
    this.services = ctx.informers.informerFor<Service>(Resources.services);
    this.nodes = ctx.informers.informerFor<Node>(Resources.nodes);
  }

  async start(): Promise<void> {
    const all = () => this.queue.add(ALL);
    this.services.onAdd(all);
    this.services.onDelete(all);
    this.services.onUpdate((before, after) => {
      if (JSON.stringify([before.spec, before.status?.loadBalancer]) !== JSON.stringify([after.spec, after.status?.loadBalancer])) all();
    });
    this.nodes.onAdd(all);
    this.nodes.onDelete(all);
    // Heartbeats change nodes every few seconds; only readiness and addresses matter here.
    this.nodes.onUpdate((before, after) => {
      if (nodeAddresses([before]).join() !== nodeAddresses([after]).join()) all();
    });
    this.ctx.informers.start();
    await Promise.all([this.services.start(), this.nodes.start()]);
    all();
    this.running = runWorkers(this.queue, 1, () => this.sync(), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  async stopped(): Promise<void> {
    await this.running;
  }

  private async sync(): Promise<ReconcileResult> {
    const services = this.services.list();
    const plans = planLoadBalancers(services, this.nodes.list());
    let failed: Error | undefined;
    for (const svc of services) {
      const plan = plans.get(objectKey(svc));
      if (!plan) continue;
      try {
        await this.apply(svc, plan);
      } catch (err) {
        failed = err as Error;
      }
    }
    for (const key of this.reported.keys()) if (!plans.get(key)?.conflict) this.reported.delete(key);
    if (failed) throw failed;
  }

  private async apply(svc: Service, plan: LoadBalancerPlan): Promise<void> {
    const key = objectKey(svc);
    if (plan.conflict && this.reported.get(key) !== plan.conflict) {
      this.reported.set(key, plan.conflict);
      this.ctx.recorder.event(svc, 'Warning', 'SyncLoadBalancerFailed', `Error syncing load balancer: ${plan.conflict}`);
    }
    if (ingressMatches(svc, plan.ingress)) return;
    const ensuring = svc.spec?.type === 'LoadBalancer' && plan.ingress.length > 0;
    if (ensuring) this.ctx.recorder.event(svc, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
    const { namespace, name } = splitKey(key);
    try {
      await this.ctx.client.patch(Resources.services, namespace, name, { status: { loadBalancer: { ingress: plan.ingress.length ? plan.ingress : null } } }, 'merge', 'status');
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (ensuring) this.ctx.recorder.event(svc, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer');
  }
}
