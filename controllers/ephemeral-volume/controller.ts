// The ephemeral volume controller's loop (kube's ephemeral-volume-controller): pods with generic
// ephemeral volumes are synced when they appear or change, and again when one of their claims is
// deleted while they still need it; each sync creates the claims the pure core (claims.ts) plans.
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { isAlreadyExists } from '../../lib/client/client';
import { type Controller, type ControllerContext, type ReconcileResult, runWorkers } from '../../lib/client/controller';
import { type Informer, objectKey, splitKey } from '../../lib/client/informer';
import { WorkQueue } from '../../lib/client/workqueue';
import { componentRegistry, counter } from '../../lib/component/metrics';
import { controllerRefOf } from '../shared/controller-ref';
import { planEphemeralClaims } from './claims';

const registry = componentRegistry('controllers');
const createAttempts = counter({ name: 'ephemeral_volume_controller_create_total', help: 'PersistentVolumeClaims the ephemeral volume controller asked the API to create.', labelNames: [] }, registry);
const createFailures = counter({ name: 'ephemeral_volume_controller_create_failures_total', help: 'PersistentVolumeClaim creates of the ephemeral volume controller that failed.', labelNames: [] }, registry);

/** How soon a pod whose claim name is taken by someone else's claim is looked at again. */
const CONFLICT_RETRY_MS = 30_000;

export interface EphemeralVolumeControllerOptions {
  workers?: number;
}

export class EphemeralVolumeController implements Controller {
  readonly name = 'ephemeral-volume';
  private readonly queue = new WorkQueue<string>('ephemeral_volume', { maxDelayMs: 30_000 });
  private readonly pods: Informer<Pod>;
  private readonly claims: Informer<PersistentVolumeClaim>;
  private running?: Promise<void>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: EphemeralVolumeControllerOptions = {},
  ) {
    this.pods = ctx.informers.informerFor<Pod>(Resources.pods);
    this.claims = ctx.informers.informerFor<PersistentVolumeClaim>(Resources.persistentvolumeclaims);
  }

  private enqueuePod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) return;
    if ((pod.spec?.volumes ?? []).some((v) => v.ephemeral)) this.queue.add(objectKey(pod));
  }

  async start(): Promise<void> {
    this.pods.onAdd((p) => this.enqueuePod(p));
    this.pods.onUpdate((_o, p) => this.enqueuePod(p));
    // A claim deleted under a pod that still runs: made again, as kube's controller does.
    this.claims.onDelete((c) => {
      const ref = controllerRefOf(c);
      if (ref?.kind === 'Pod' && c.metadata?.namespace) this.queue.add(`${c.metadata.namespace}/${ref.name}`);
    });
    this.ctx.informers.start();
    await Promise.all([this.pods.start(), this.claims.start()]);
    this.running = runWorkers(this.queue, this.opts.workers ?? 1, (key) => this.sync(key), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  async stopped(): Promise<void> {
    await this.running;
  }

  private async sync(key: string): Promise<ReconcileResult> {
    const pod = this.pods.getByKey(key);
    if (!pod) return;
    const { namespace } = splitKey(key);
    const plan = planEphemeralClaims(pod, (name) => this.claims.get(namespace, name));
    for (const c of plan.conflicts) this.ctx.recorder.event(pod, 'Warning', 'FailedBinding', c.message);
    let recheckMs: number | undefined = plan.conflicts.length ? CONFLICT_RETRY_MS : undefined;
    for (const claim of plan.create) {
      createAttempts.inc();
      try {
        await this.ctx.client.create(Resources.persistentvolumeclaims, namespace, claim);
      } catch (err) {
        createFailures.inc();
        // Made meanwhile, by this controller's previous sync or by someone else: once the claim
        // informer holds it, the next sync tells which.
        if (isAlreadyExists(err)) {
          recheckMs = Math.min(recheckMs ?? 1000, 1000);
          continue;
        }
        this.ctx.recorder.event(pod, 'Warning', 'FailedBinding', `ephemeral volume ${claim.metadata?.name}: create PVC ${claim.metadata?.name}: ${(err as Error).message}`);
        throw err;
      }
    }
    return recheckMs === undefined ? undefined : { requeueAfterMs: recheckMs };
  }
}
