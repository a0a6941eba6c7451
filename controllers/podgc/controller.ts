// The pod garbage collector's loop (kube's podgc): every 20 s it lists pods and nodes from the shared
// informers, keeps the quarantine of nodes pods name but the cache lacks, asks the API about those whose
// quarantine is over, and force-deletes what the pure core (gc.ts) plans: the status marked Failed
// first when the pod is not terminal, then a DELETE with gracePeriodSeconds 0 conditional on the uid.
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { rfc3339 } from '../../lib/api/time';
import { isNotFound } from '../../lib/client/client';
import type { Controller, ControllerContext } from '../../lib/client/controller';
import type { Informer } from '../../lib/client/informer';
import { componentRegistry, counter } from '../../lib/component/metrics';
import { DEFAULT_TERMINATED_POD_GC_THRESHOLD, failedStatusPatch, planPodGc, POD_GC_PERIOD_MS, POD_GC_QUARANTINE_MS, type PodGcDeletion, quarantineMissingNodes } from './gc';

export interface PodGcOptions {
  /** --terminated-pod-gc-threshold (default 12500; 0: terminated pods are never collected). */
  terminatedPodThreshold?: number;
  /** Sweep period (default 20 s) and node quarantine (default 40 s), as kube's; tests shorten them. */
  periodMs?: number;
  quarantineMs?: number;
  now?: () => number;
  log?: (msg: string) => void;
}

const registry = componentRegistry('controllers');
const deletedTotal = counter({ name: 'pod_gc_collector_force_delete_pods_total', help: 'Number of pods that are being forcefully deleted since the Pod GC Controller started.', labelNames: ['namespace', 'reason'] }, registry);
const deleteErrorsTotal = counter({ name: 'pod_gc_collector_force_delete_pod_errors_total', help: 'Number of errors encountered when forcefully deleting the pods since the Pod GC Controller started.', labelNames: ['namespace', 'reason'] }, registry);

export class PodGcController implements Controller {
  readonly name = 'podgc';
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private missingSince = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private isStopped = false;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly o: PodGcOptions = {},
  ) {
    this.pods = ctx.informers.informerFor<Pod>(Resources.pods);
    this.nodes = ctx.informers.informerFor<Node>(Resources.nodes);
  }

  async start(): Promise<void> {
    this.ctx.informers.start();
    await Promise.all([this.pods.start(), this.nodes.start()]);
    if (this.isStopped) return;
    this.timer = setInterval(() => void this.sweep(), this.o.periodMs ?? POD_GC_PERIOD_MS);
    this.timer.unref();
    void this.sweep();
  }

  stop(): void {
    this.isStopped = true;
    clearInterval(this.timer);
  }

  /** Resolves when the sweep in flight, if any, has ended (the manager drains before the informers go). */
  async stopped(): Promise<void> {
    await this.sweeping;
  }

  /** One sweep; resolves when its writes have been answered (a sweep already running is joined). */
  sweep(): Promise<void> {
    if (this.isStopped) return Promise.resolve();
    this.sweeping ??= this.collect().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async collect(): Promise<void> {
    const now = (this.o.now ?? Date.now)();
    const quarantine = quarantineMissingNodes(this.pods.list(), this.nodes.list(), this.missingSince, now, this.o.quarantineMs ?? POD_GC_QUARANTINE_MS);
    this.missingSince = quarantine.missingSince;
    const goneNodes = new Set<string>();
    await Promise.all(
      quarantine.due.map(async (name) => {
        try {
          await this.ctx.client.get(Resources.nodes, undefined, name);
          // It exists: the cache is behind. Another quarantine before asking again, as kube re-queues it.
          this.missingSince.set(name, now);
        } catch (err) {
          if (isNotFound(err)) goneNodes.add(name);
          else this.o.log?.(`podgc: get node ${name}: ${(err as Error).message}`);
        }
      }),
    );
    // Listed again: deletions seen while the GETs were out are not planned twice.
    const deletions = planPodGc({
      pods: this.pods.list(),
      nodes: this.nodes.list(),
      goneNodes,
      terminatedPodThreshold: this.o.terminatedPodThreshold ?? DEFAULT_TERMINATED_POD_GC_THRESHOLD,
      now: rfc3339(now),
    });
    if (this.isStopped) return;
    const terminated = deletions.filter((d) => d.reason === 'terminated').length;
    if (terminated) this.o.log?.(`podgc: garbage collecting ${terminated} terminated pods`);
    await Promise.all(deletions.map((d) => this.forceDelete(d)));
  }

  private async forceDelete(d: PodGcDeletion): Promise<void> {
    const namespace = d.pod.metadata?.namespace ?? '';
    const name = d.pod.metadata?.name ?? '';
    deletedTotal.inc({ namespace, reason: d.reason });
    try {
      const patch = failedStatusPatch(d);
      if (patch) await this.ctx.client.patch(Resources.pods, namespace, name, patch, 'strategic', 'status');
      await this.ctx.client.delete(Resources.pods, namespace, name, { gracePeriodSeconds: 0, preconditions: { uid: d.pod.metadata?.uid } });
      this.o.log?.(`podgc: force deleted pod ${namespace}/${name} (${d.reason}${d.pod.spec?.nodeName ? `, node ${d.pod.spec.nodeName}` : ''})`);
    } catch (err) {
      // Gone already (its kubelet or a user finished it): nothing was left to collect.
      if (isNotFound(err)) return;
      deleteErrorsTotal.inc({ namespace, reason: d.reason });
      this.o.log?.(`podgc: force delete pod ${namespace}/${name}: ${(err as Error).message}`);
    }
  }
}
