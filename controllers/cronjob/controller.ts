// The CronJob controller's loop (kube's ControllerV2): CronJobs and Jobs from the shared informers; a
// CronJob is synced when it or one of its Jobs changes and again when its next schedule is due. It
// creates and deletes Jobs and writes the status the pure core (sync.ts) plans. `now` is the clock
// (tests move it and call resync()).
import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import { goValueEqual } from '../../lib/api/json';
import { Resources } from '../../lib/api/resources';
import { isAlreadyExists, isConflict, isNotFound } from '../../lib/client/client';
import { type Controller, type ControllerContext, type ReconcileResult, runWorkers } from '../../lib/client/controller';
import { type Informer, objectKey, splitKey } from '../../lib/client/informer';
import { WorkQueue } from '../../lib/client/workqueue';
import { controllerRefOf } from '../shared/controller-ref';
import { planCronJob, withCreated } from './sync';

export interface CronJobControllerOptions {
  workers?: number;
  now?: () => Date;
}

export class CronJobController implements Controller {
  readonly name = 'cronjob';
  private readonly queue = new WorkQueue<string>('cronjob', { maxDelayMs: 30_000 });
  private readonly cronjobs: Informer<CronJob>;
  private readonly jobs: Informer<Job>;
  private readonly now: () => Date;
  private running?: Promise<void>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: CronJobControllerOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
    this.cronjobs = ctx.informers.informerFor<CronJob>(Resources.cronjobs);
    this.jobs = ctx.informers.informerFor<Job>(Resources.jobs);
  }

  private enqueueOwner(job: Job): void {
    const ref = controllerRefOf(job);
    if (ref?.kind === 'CronJob' && job.metadata?.namespace) this.queue.add(`${job.metadata.namespace}/${ref.name}`);
  }

  async start(): Promise<void> {
    this.cronjobs.onAdd((c) => this.queue.add(objectKey(c)));
    this.cronjobs.onUpdate((_o, c) => this.queue.add(objectKey(c)));
    this.jobs.onAdd((j) => this.enqueueOwner(j));
    this.jobs.onUpdate((_o, j) => this.enqueueOwner(j));
    this.jobs.onDelete((j) => this.enqueueOwner(j));
    this.ctx.informers.start();
    await Promise.all([this.cronjobs.start(), this.jobs.start()]);
    this.running = runWorkers(this.queue, this.opts.workers ?? 2, (key) => this.sync(key), { controller: this.name });
  }

  /** Syncs every CronJob now (after a test moved the clock). */
  resync(): void {
    for (const c of this.cronjobs.list()) this.queue.add(objectKey(c));
  }

  stop(): void {
    this.queue.shutDown();
  }

  async stopped(): Promise<void> {
    await this.running;
  }

  private owned(cj: CronJob): Job[] {
    return this.jobs.list(cj.metadata?.namespace).filter((j) => {
      const ref = controllerRefOf(j);
      return ref?.kind === 'CronJob' && ref.uid === cj.metadata?.uid;
    });
  }

  private async sync(key: string): Promise<ReconcileResult> {
    const cj = this.cronjobs.getByKey(key);
    if (!cj) return;
    const { namespace } = splitKey(key);
    const jobs = this.owned(cj);
    // Active entries the cache does not hold: confirmed with the API before they are dropped.
    const gone = new Set<string>();
    for (const r of cj.status?.active ?? []) {
      if (!r.uid || jobs.some((j) => j.metadata?.uid === r.uid) || !r.name) continue;
      try {
        const j = await this.ctx.client.get<Job>(Resources.jobs, namespace, r.name);
        if (j.metadata?.uid !== r.uid) gone.add(r.uid);
      } catch (err) {
        if (isNotFound(err)) gone.add(r.uid);
        else throw err;
      }
    }
    const plan = planCronJob(cj, jobs, this.now(), gone);
    for (const e of plan.events) this.ctx.recorder.event(cj, e.type, e.reason, e.message);
    for (const j of plan.delete) {
      try {
        await this.ctx.client.delete(Resources.jobs, namespace, j.metadata?.name ?? '', { propagationPolicy: 'Background' });
        if (!plan.events.some((e) => e.message === `Deleted job ${j.metadata?.name}`)) this.ctx.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata?.name}`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    let status = plan.status;
    if (plan.create) {
      try {
        const created = await this.ctx.client.create<Job>(Resources.jobs, namespace, plan.create);
        status = withCreated(status, created);
        this.ctx.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata?.name}`);
      } catch (err) {
        if (!isAlreadyExists(err)) {
          this.ctx.recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(err as Error).message}`);
          throw err;
        }
      }
    }
    if (!goValueEqual(status, cj.status ?? {})) {
      try {
        await this.ctx.client.update<CronJob>(Resources.cronjobs, { ...cj, status }, 'status');
      } catch (err) {
        if (isNotFound(err)) return;
        if (isConflict(err)) return { requeueAfterMs: 0 };
        throw err;
      }
    }
    return plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : undefined;
  }
}
