// The Job controller, after Kubernetes' pkg/controller/job. The pure core, reconcileJob(job, pods, now),
// claims pods, counts succeeded and failed ones, decides which pods to create (up to parallelism, never
// more than the completions still missing; in Indexed mode one per missing index) or delete, and when the
// Job is Complete, Failed (BackoffLimitExceeded, DeadlineExceeded), Suspended or due for deletion
// (ttlSecondsAfterFinished); a podFailurePolicy (job-failure-policy.ts) decides what each failed pod
// means first. JobController wires it to informers and a work queue, with the shared
// expectations so a slow watch never makes it create a pod twice, and writes pods through a PodControl.
//
// Unlike Kubernetes ≥ 1.26, pods carry no batch.kubernetes.io/job-tracking finalizer: counts come from
// the pods that exist, and status.succeeded/failed never go down, so a finished pod deleted before the
// controller saw it is not counted. The status write is conditional on the Job's resourceVersion (as
// kube's UpdateStatus): a status computed from a cache behind the last write would lower the counts.
import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1';
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { isConflict, isNotFound } from '../lib/client/client';
import { Controller, ControllerContext, ReconcileResult, runWorkers } from '../lib/client/controller';
import type { Informer } from '../lib/client/informer';
import { objectKey, splitKey } from '../lib/client/informer';
import { Resources } from '../lib/api/resources';
import { selectorFromLabelSelector, SelectorError } from '../lib/api/selectors';
import { isPodReady, isPodTerminal } from '../lib/api/pod';
import { WorkQueue } from '../lib/client/workqueue';
import { applyClaim, claimObjects, newControllerRef, ownerStillActive } from './shared/controller-ref';
import { Expectations } from './shared/expectations';
import { handleOwnedPods } from './shared/pod-events';
import { ApiPodControl, createExpectedPods, deleteExpectedPods, LostCreatesRecheckMs, PodControl, settleLostCreates } from './shared/pod-control';
import { compareDeletionOrder } from './shared/pods';
import { rfc3339 } from '../lib/api/time';
import { formatIndexes, parseIndexes } from '../lib/api/job-indexes';
import { goValueEqual } from '../lib/api/json';
import { matchPodFailurePolicy } from './job-failure-policy';
import { matchSuccessPolicy } from './job-success-policy';

/** Annotation (and label) holding an Indexed Job pod's completion index. */
export const CompletionIndexAnnotation = 'batch.kubernetes.io/job-completion-index';
export const CompletionIndexEnv = 'JOB_COMPLETION_INDEX';
/** The failures of its index before this pod (backoffLimitPerIndex): the count survives the pods. */
export const IndexFailureCountAnnotation = 'batch.kubernetes.io/job-index-failure-count';

function indexFailureCount(p: Pod): number {
  const raw = p.metadata?.annotations?.[IndexFailureCountAnnotation];
  return raw !== undefined && /^(0|[1-9][0-9]*)$/.test(raw) ? Number(raw) : 0;
}

export interface JobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface JobPlan {
  /** Matching orphans to take (controller ownerReference). */
  adopt: Pod[];
  /** Owned pods that no longer match the selector: drop our ownerReference. */
  release: Pod[];
  /** Pods to create: a completion index each in Indexed mode, undefined otherwise. */
  create: (number | undefined)[];
  /** With backoffLimitPerIndex: the failures so far of each index to create (its pod's failure-count annotation). */
  indexFailureCounts?: Map<number, number>;
  /** Active pods to delete. */
  delete: Pod[];
  status: JobStatus;
  events: JobEvent[];
  /** The Job is finished and its ttlSecondsAfterFinished has passed. */
  deleteJob: boolean;
  /** Sync again then (deadline, back-off, TTL). */
  requeueAfterMs?: number;
  selectorError?: string;
}

export interface JobReconcileOptions {
  /** False while creates/deletes are still unobserved: count, but create or delete nothing. */
  manage?: boolean;
  /** At most this many creates per sync (Kubernetes' burst, 500). */
  burst?: number;
  /** Pod failure back-off: base × 2^(failures since the last success − 1), capped (10 s, 6 min). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export const DefaultBackoffBaseMs = 10_000;
export const DefaultBackoffMaxMs = 360_000;

function condition(status: JobStatus | undefined, type: string): JobCondition | undefined {
  return (status?.conditions ?? []).find((c) => c.type === type);
}

function isTrue(status: JobStatus | undefined, type: string): boolean {
  return condition(status, type)?.status === 'True';
}

/** The value of spec.managedBy that means this controller (also the meaning of leaving it out). */
export const JobControllerName = 'kubernetes.io/job-controller';

export function isManagedByJobController(job: Job): boolean {
  const by = job.spec?.managedBy;
  return by === undefined || by === null || by === JobControllerName;
}

/** Complete or Failed: nothing more to run. */
export function isJobFinished(job: Job): boolean {
  return isTrue(job.status, 'Complete') || isTrue(job.status, 'Failed');
}

/** Sets (or adds) a condition; an unchanged one keeps its timestamps. */
function setCondition(conditions: JobCondition[], type: string, status: 'True' | 'False', reason: string, message: string, now: string): JobCondition[] {
  const old = conditions.find((c) => c.type === type);
  if (old && old.status === status && old.reason === reason && old.message === message) return conditions;
  const next: JobCondition = { type, status, reason, message, lastProbeTime: now, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now };
  return old ? conditions.map((c) => (c === old ? next : c)) : [...conditions, next];
}

/** The completion index of an Indexed Job's pod, from its annotation (or label); undefined if none or malformed. */
export function podIndex(p: Pod): number | undefined {
  const raw = p.metadata?.annotations?.[CompletionIndexAnnotation] ?? p.metadata?.labels?.[CompletionIndexAnnotation];
  if (raw === undefined || !/^(0|[1-9][0-9]*)$/.test(raw)) return undefined;
  return Number(raw);
}


/** When a finished pod finished: its containers' latest finishedAt, else its creation. */
function finishedAt(p: Pod): number {
  let t = 0;
  for (const s of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) {
    const f = s.state?.terminated?.finishedAt;
    if (f) t = Math.max(t, Date.parse(f) || 0);
  }
  return t || Date.parse(p.metadata?.creationTimestamp ?? '') || 0;
}

function restartCount(p: Pod): number {
  return [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].reduce((n, s) => n + (s.restartCount ?? 0), 0);
}

/**
 * How long new pods must still wait after failures (0: go): base × 2^(n−1) after the newest failure,
 * n being the failures since the newest success.
 */
export function failureBackoffRemaining(finished: Pod[], now: number, baseMs: number, maxMs: number): number {
  const sorted = [...finished].sort((a, b) => finishedAt(a) - finishedAt(b));
  let failures = 0;
  let lastFailure = 0;
  for (const p of sorted) {
    if (p.status?.phase === 'Succeeded') failures = 0;
    else {
      failures++;
      lastFailure = finishedAt(p);
    }
  }
  if (failures === 0) return 0;
  const delay = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
  return Math.max(0, lastFailure + delay - now);
}

/** The pure core: what to do about one Job given the pods of its namespace. */
export function reconcileJob(job: Job, pods: Pod[], now: Date, opts: JobReconcileOptions = {}): JobPlan {
  const manage = opts.manage ?? true;
  const burst = opts.burst ?? 500;
  const nowMs = now.getTime();
  const nowStr = rfc3339(now);
  const spec = job.spec ?? { template: {} };
  const old = job.status ?? {};
  const plan: JobPlan = { adopt: [], release: [], create: [], delete: [], status: { ...old }, events: [], deleteJob: false };
  let selector;
  try {
    selector = selectorFromLabelSelector(spec.selector);
  } catch (err) {
    if (!(err instanceof SelectorError)) throw err;
    plan.selectorError = err.message;
    return plan;
  }
  const deleting = !!job.metadata?.deletionTimestamp;
  // Finished orphans are never adopted: they would count as successes or failures of this Job.
  const claim = claimObjects(job, selector, pods, { adoptable: (p) => !isPodTerminal(p) });
  plan.adopt = claim.adopt;
  plan.release = claim.release;
  const owned = claim.owned;
  const active = owned.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  const terminating = owned.filter((p) => p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  const succeededPods = owned.filter((p) => p.status?.phase === 'Succeeded');
  const failedPods = owned.filter((p) => p.status?.phase === 'Failed');
  const indexed = spec.completionMode === 'Indexed';
  const completions = spec.completions;

  const status: JobStatus = { ...old };
  let conditions = [...(old.conditions ?? [])];
  const finishedBefore = isTrue(old, 'Complete') || isTrue(old, 'Failed');

  // Counts never go down: pods may be deleted after they were counted.
  const completed = new Set<number>(indexed ? (parseIndexes(old.completedIndexes ?? '') ?? []) : []);
  if (indexed) {
    for (const p of succeededPods) {
      const i = podIndex(p);
      if (i !== undefined && completions !== undefined && i < completions) completed.add(i);
    }
    status.completedIndexes = formatIndexes(completed);
    status.succeeded = Math.max(old.succeeded ?? 0, completed.size);
  } else {
    status.succeeded = Math.max(old.succeeded ?? 0, succeededPods.length);
  }
  // podFailurePolicy: an Ignored failure is not counted (nor backed off from); a FailJob match ends the Job.
  const verdicts = new Map(failedPods.map((p) => [p, matchPodFailurePolicy(spec.podFailurePolicy, p)]));
  const countedFailures = failedPods.filter((p) => verdicts.get(p)!.counts);
  const failJob = [...failedPods].sort((a, b) => finishedAt(a) - finishedAt(b)).map((p) => verdicts.get(p)!.failJob).find((m) => m !== undefined);
  status.failed = Math.max(old.failed ?? 0, countedFailures.length);
  const succeeded = status.succeeded;
  const failed = status.failed;

  // backoffLimitPerIndex (Indexed): an index fails once a counted failure of it had used up the limit
  // before (its pod's failure-count annotation), or a FailIndex rule matched; failed indexes never
  // come back. The next pod of an index carries the index's failures so far.
  const perIndexLimit = indexed ? (spec.backoffLimitPerIndex ?? undefined) : undefined;
  const indexFailures = new Map<number, number>();
  const failedIndexes = new Set<number>(perIndexLimit !== undefined ? (parseIndexes(old.failedIndexes ?? '') ?? []) : []);
  if (perIndexLimit !== undefined) {
    for (const p of owned) {
      const i = podIndex(p);
      if (i === undefined || completions === undefined || i >= completions) continue;
      const before = indexFailureCount(p);
      const verdict = verdicts.get(p);
      indexFailures.set(i, Math.max(indexFailures.get(i) ?? 0, before + (verdict?.counts ? 1 : 0)));
      if (verdict && (verdict.action === 'FailIndex' || (verdict.counts && before >= perIndexLimit))) failedIndexes.add(i);
    }
    for (const i of completed) failedIndexes.delete(i);
    status.failedIndexes = formatIndexes(failedIndexes);
  }

  const deleteAllActive = (): void => {
    plan.delete = [...active];
  };

  if (finishedBefore) {
    // A finished Job only lets its leftover pods go and waits for its TTL.
    deleteAllActive();
  } else {
    const suspended = spec.suspend === true;
    const wasSuspended = isTrue(old, 'Suspended');
    if (!suspended && wasSuspended) {
      conditions = setCondition(conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', nowStr);
      plan.events.push({ type: 'Normal', reason: 'Resumed', message: 'Job resumed' });
      status.startTime = nowStr; // the active deadline counts from the resumption
    } else if (!suspended && !status.startTime) {
      status.startTime = nowStr;
    }

    const backoffLimit = spec.backoffLimit ?? 6;
    let failure: { reason: string; message: string } | undefined;
    if (failJob !== undefined) failure = { reason: 'PodFailurePolicy', message: failJob };
    else if (failed > backoffLimit) failure = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
    else if (spec.template?.spec?.restartPolicy === 'OnFailure') {
      // Container restarts in place count as failures (pastBackoffLimitOnFailure); a pod being
      // deleted still counts, or a sync between its deletion and the Failed status would undercount.
      const restarts = [...active, ...terminating].reduce((n, p) => n + restartCount(p), 0) + failed;
      if (backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit) {
        failure = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
      }
    }
    const deadline = spec.activeDeadlineSeconds;
    const startMs = status.startTime ? Date.parse(status.startTime) : NaN;
    if (!failure && !suspended && deadline !== undefined && !Number.isNaN(startMs)) {
      const remaining = startMs + deadline * 1000 - nowMs;
      if (remaining <= 0) failure = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
      else plan.requeueAfterMs = remaining;
    }
    if (!failure && perIndexLimit !== undefined) {
      if (spec.maxFailedIndexes !== undefined && spec.maxFailedIndexes !== null && failedIndexes.size > spec.maxFailedIndexes) {
        failure = { reason: 'MaxFailedIndexesExceeded', message: 'Job has exceeded the specified maximal number of failed indexes' };
      } else if (failedIndexes.size > 0 && failedIndexes.size + completed.size >= (completions ?? 0)) {
        failure = { reason: 'FailedIndexes', message: 'Job has failed indexes' };
      }
    }

    // successPolicy (Indexed): one rule holding completes the Job before every index has run.
    const successPolicyMet = indexed && !failure ? matchSuccessPolicy(spec.successPolicy, completions ?? 0, completed) : undefined;
    let complete = false;
    if (indexed) complete = completions !== undefined && completed.size >= completions;
    else if (completions !== undefined) complete = succeeded >= completions;
    else complete = succeeded > 0 && active.length === 0; // work queue: one success and nobody left working

    if (failure) {
      deleteAllActive();
      // kube records the interim FailureTarget before Failed when a pod failure policy decides.
      if (failure.reason === 'PodFailurePolicy') conditions = setCondition(conditions, 'FailureTarget', 'True', failure.reason, failure.message, nowStr);
      conditions = setCondition(conditions, 'Failed', 'True', failure.reason, failure.message, nowStr);
      plan.events.push({ type: 'Warning', reason: failure.reason, message: failure.message });
      plan.requeueAfterMs = undefined;
    } else if (successPolicyMet !== undefined || complete) {
      deleteAllActive();
      if (successPolicyMet !== undefined) {
        // kube records SuccessCriteriaMet first; Complete carries its reason and message.
        conditions = setCondition(conditions, 'SuccessCriteriaMet', 'True', 'SuccessPolicy', successPolicyMet, nowStr);
        conditions = setCondition(conditions, 'Complete', 'True', 'SuccessPolicy', successPolicyMet, nowStr);
      } else {
        conditions = setCondition(conditions, 'Complete', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', nowStr);
      }
      status.completionTime = nowStr;
      plan.events.push({ type: 'Normal', reason: 'Completed', message: 'Job completed' });
      plan.requeueAfterMs = undefined;
    } else if (suspended) {
      deleteAllActive();
      if (!wasSuspended) {
        conditions = setCondition(conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', nowStr);
        plan.events.push({ type: 'Normal', reason: 'Suspended', message: 'Job suspended' });
      }
      plan.requeueAfterMs = undefined;
    } else if (manage && !deleting) {
      // A failed index is as done as a completed one: no pod of it runs again.
      manageActive(plan, { spec, active, terminating, completed: failedIndexes.size ? new Set([...completed, ...failedIndexes]) : completed, succeeded, burst });
      const backoff = (finished: Pod[]) => failureBackoffRemaining(finished, nowMs, opts.backoffBaseMs ?? DefaultBackoffBaseMs, opts.backoffMaxMs ?? DefaultBackoffMaxMs);
      if (plan.create.length > 0 && perIndexLimit !== undefined) {
        // Each index backs off from its own failures.
        let wait = Infinity;
        plan.create = plan.create.filter((i) => {
          const left = backoff([...succeededPods, ...countedFailures].filter((p) => podIndex(p) === i));
          if (left > 0) wait = Math.min(wait, left);
          return left <= 0;
        });
        if (wait !== Infinity) plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, wait);
        plan.indexFailureCounts = new Map(plan.create.map((i) => [i!, indexFailures.get(i!) ?? 0]));
      } else if (plan.create.length > 0) {
        const wait = backoff([...succeededPods, ...countedFailures]);
        if (wait > 0) {
          plan.create = [];
          plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, wait);
        }
      }
    }
    if (!manage) plan.delete = []; // counted, but acted on once earlier actions are observed
  }
  // Status as Kubernetes reports it: the pods this sync leaves running or starts.
  const deleted = new Set(plan.delete);
  const remaining = active.filter((p) => !deleted.has(p));
  status.active = remaining.length + plan.create.length;
  status.ready = remaining.filter(isPodReady).length;
  status.terminating = terminating.length + plan.delete.length;
  if (conditions.length > 0) status.conditions = conditions;
  if (!indexed) delete status.completedIndexes;
  if (perIndexLimit === undefined) delete status.failedIndexes;
  plan.status = status;

  // ttlSecondsAfterFinished: the finish time is the completion time or the Failed condition's.
  const ttl = spec.ttlSecondsAfterFinished;
  const finishedNow = isTrue(status, 'Complete') || isTrue(status, 'Failed');
  if (ttl !== undefined && finishedNow) {
    const finishedAtStr = status.completionTime ?? condition(status, 'Failed')?.lastTransitionTime ?? condition(status, 'Complete')?.lastTransitionTime;
    const finished = finishedAtStr ? Date.parse(finishedAtStr) : nowMs;
    const left = finished + ttl * 1000 - nowMs;
    if (left <= 0) plan.deleteJob = true;
    else plan.requeueAfterMs = left;
  }
  return plan;
}

/** manageJob: create or delete pods so that the right number (or the right indexes) run. */
function manageActive(
  plan: JobPlan,
  o: { spec: NonNullable<Job['spec']>; active: Pod[]; terminating: Pod[]; completed: Set<number>; succeeded: number; burst: number },
): void {
  const { spec, active } = o;
  const parallelism = Math.max(0, spec.parallelism ?? 1);
  // podReplacementPolicy Failed: a terminating pod still holds its slot until it is gone.
  const held = spec.podReplacementPolicy === 'Failed' ? o.terminating.length : 0;
  if (spec.completionMode === 'Indexed') {
    const completions = spec.completions ?? 0;
    const byIndex = new Map<number, Pod[]>();
    const extra: Pod[] = [];
    for (const p of active) {
      const i = podIndex(p);
      // Invalid, out of range or already completed: not wanted.
      if (i === undefined || i >= completions || o.completed.has(i)) extra.push(p);
      else byIndex.set(i, [...(byIndex.get(i) ?? []), p]);
    }
    const keep: Pod[] = [];
    for (const group of byIndex.values()) {
      // Duplicates of one index: keep the most advanced, delete the rest.
      const sorted = [...group].sort(compareDeletionOrder);
      keep.push(sorted[sorted.length - 1]);
      extra.push(...sorted.slice(0, -1));
    }
    const excess = keep.length + held - parallelism;
    if (excess > 0) {
      // Highest indexes go first, as Kubernetes does when parallelism shrinks.
      const byIndexDesc = [...keep].sort((a, b) => (podIndex(b) ?? 0) - (podIndex(a) ?? 0));
      extra.push(...byIndexDesc.slice(0, excess));
    }
    plan.delete = extra;
    const room = Math.min(o.burst, parallelism - keep.length - held);
    for (let i = 0; i < completions && plan.create.length < room; i++) {
      if (!o.completed.has(i) && !byIndex.has(i)) plan.create.push(i);
    }
    return;
  }
  let wantActive: number;
  if (spec.completions === undefined) wantActive = o.succeeded > 0 ? active.length : parallelism;
  else wantActive = Math.max(0, Math.min(spec.completions - o.succeeded, parallelism));
  const diff = active.length + held - wantActive;
  if (diff > 0) plan.delete = [...active].sort(compareDeletionOrder).slice(0, Math.min(diff, active.length));
  else if (diff < 0) plan.create = Array.from({ length: Math.min(-diff, o.burst) }, () => undefined);
}

function withIndexEnv(c: Container): Container {
  if ((c.env ?? []).some((e) => e.name === CompletionIndexEnv)) return c;
  const env = [...(c.env ?? []), { name: CompletionIndexEnv, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${CompletionIndexAnnotation}']` } } }];
  return { ...c, env };
}

/** The pod a Job creates: its template, owned by it; with index, an Indexed Job's pod for that index. */
export function podForJob(job: Job, index?: number, indexFailures?: number): Pod {
  const tmpl = job.spec?.template ?? {};
  const name = job.metadata?.name ?? '';
  const spec = JSON.parse(JSON.stringify(tmpl.spec ?? { containers: [] })) as NonNullable<Pod['spec']>;
  const labels = { ...(tmpl.metadata?.labels ?? {}) };
  const annotations = { ...(tmpl.metadata?.annotations ?? {}) };
  if (index !== undefined) {
    annotations[CompletionIndexAnnotation] = String(index);
    if (indexFailures !== undefined) annotations[IndexFailureCountAnnotation] = String(indexFailures);
    labels[CompletionIndexAnnotation] = String(index);
    spec.containers = spec.containers.map(withIndexEnv);
    if (spec.initContainers) spec.initContainers = spec.initContainers.map(withIndexEnv);
    const hostname = `${name}-${index}`;
    // Only a valid DNS label can be a hostname (a Job name may contain dots).
    if (!spec.hostname && hostname.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(hostname)) spec.hostname = hostname;
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: index === undefined ? `${name}-` : `${name}-${index}-`,
      namespace: job.metadata?.namespace,
      labels,
      annotations: Object.keys(annotations).length ? annotations : undefined,
      ownerReferences: [newControllerRef(job, 'batch/v1', 'Job')],
    },
    spec,
  };
}

/** Status fields the controller writes, compared structurally (key order and absent-vs-undefined ignored). */
export function jobStatusEqual(a: JobStatus | undefined, b: JobStatus): boolean {
  // The API answers in kube's field order at every depth, with the fields Go always writes, which need
  // not be the order or the fields built here.
  return goValueEqual(a ?? {}, b);
}

export interface JobControllerOptions extends Omit<JobReconcileOptions, 'manage'> {
  workers?: number;
  expectationsTimeoutMs?: number;
  now?: () => Date;
  /** Where pod writes go (default: the API, through ctx.client); tests pass a recording fake. */
  podControl?: PodControl;
}

export class JobController implements Controller {
  readonly name = 'job';
  private readonly queue = new WorkQueue<string>('job', { maxDelayMs: 30_000 });
  private readonly jobs: Informer<Job>;
  private readonly pods: Informer<Pod>;
  private readonly expectations: Expectations;
  private readonly podControl: PodControl;
  private readonly workers: number;
  private readonly now: () => Date;
  private running?: Promise<void>;
  /**
   * Finished statuses this controller wrote, by key (with the Job's uid). Complete and Failed are
   * final, so until the informer catches up the cached Job is read with this status: a sync between
   * the write and its watch event would otherwise see the pods it just deleted and replace them.
   */
  private readonly finished = new Map<string, { uid: string; status: JobStatus }>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: JobControllerOptions = {},
  ) {
    this.workers = opts.workers ?? 5;
    this.now = opts.now ?? (() => new Date());
    this.expectations = new Expectations(opts.expectationsTimeoutMs ?? 60_000);
    this.podControl = opts.podControl ?? new ApiPodControl(ctx.client, ctx.recorder);
    this.jobs = ctx.informers.informerFor<Job>(Resources.jobs);
    this.pods = ctx.informers.informerFor<Pod>(Resources.pods);
  }

  async start(): Promise<void> {
    this.jobs.onAdd((j) => this.queue.add(objectKey(j)));
    this.jobs.onUpdate((_o, j) => this.queue.add(objectKey(j)));
    this.jobs.onDelete((j) => {
      this.expectations.delete(objectKey(j));
      this.finished.delete(objectKey(j));
    });
    handleOwnedPods(this.pods, { owners: this.jobs, kind: 'Job', enqueue: (key) => this.queue.add(key), expectations: this.expectations });
    this.ctx.informers.start();
    await Promise.all([this.jobs.start(), this.pods.start()]);
    this.running = runWorkers(this.queue, this.workers, (key) => this.sync(key), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  async stopped(): Promise<void> {
    await this.running;
  }

  private async sync(key: string): Promise<ReconcileResult> {
    const cached = this.jobs.getByKey(key);
    if (!cached) {
      this.expectations.delete(key);
      this.finished.delete(key);
      return;
    }
    // spec.managedBy names another controller (e.g. MultiKueue's): the Job and its status are its to run.
    if (!isManagedByJobController(cached)) return;
    const written = this.finished.get(key);
    let job = cached;
    if (written && written.uid === cached.metadata?.uid) {
      if (isJobFinished(cached)) this.finished.delete(key); // the informer has caught up
      else job = { ...cached, status: written.status };
    }
    const { namespace, name } = splitKey(key);
    const settled = await settleLostCreates(this.expectations, key, this.ctx.client, namespace, () => this.pods.resourceVersion());
    const plan = reconcileJob(job, this.pods.list(namespace), this.now(), { ...this.opts, manage: this.expectations.satisfied(key) });
    if (plan.selectorError) {
      this.ctx.recorder.event(job, 'Warning', 'InvalidSelector', plan.selectorError);
      return;
    }
    if (plan.deleteJob) {
      try {
        await this.ctx.client.delete(Resources.jobs, namespace, name, { propagationPolicy: 'Background', preconditions: { uid: job.metadata?.uid } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      return;
    }
    await applyClaim({ owned: [], adopt: plan.adopt, release: plan.release }, newControllerRef(job, 'batch/v1', 'Job'), (p, patch) => this.podControl.patchOwnerReferences(p, patch), {
      canAdopt: ownerStillActive(this.ctx.client, Resources.jobs, job),
    });
    if (plan.delete.length) await this.deletePods(key, job, plan.delete);
    let createError: Error | undefined;
    if (plan.create.length) createError = await this.createPods(key, job, plan.create, plan.indexFailureCounts);
    if (!jobStatusEqual(job.status, plan.status)) {
      try {
        // Conditional on the Job this status was computed from, as Kubernetes' UpdateStatus is: a cache
        // behind the last write must not overwrite it (with a succeeded pod gone since, a stale status
        // would count one success fewer). A 409 syncs again on a fresher cache.
        const patch = { metadata: { resourceVersion: cached.metadata?.resourceVersion }, status: plan.status };
        await this.ctx.client.patch<Job>(Resources.jobs, namespace, name, patch, 'merge', 'status');
      } catch (err) {
        if (!isNotFound(err)) throw err;
        return;
      }
      for (const e of plan.events) this.ctx.recorder.event(job, e.type, e.reason, e.message);
      if (isJobFinished({ status: plan.status }) && job.metadata?.uid) this.finished.set(key, { uid: job.metadata.uid, status: plan.status });
    }
    if (createError) throw createError;
    // Creates whose answers were lost wait for the pod cache to catch up: look again soon.
    const requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, settled ? Infinity : LostCreatesRecheckMs);
    return requeueAfterMs !== Infinity ? { requeueAfterMs: Math.max(1, requeueAfterMs) } : undefined;
  }

  private async createPods(key: string, job: Job, indexes: (number | undefined)[], failures?: Map<number, number>): Promise<Error | undefined> {
    const build = (i: number) => podForJob(job, indexes[i], indexes[i] === undefined ? undefined : failures?.get(indexes[i]!));
    return (await createExpectedPods(this.podControl, this.expectations, key, job, indexes.length, build)).error;
  }

  private async deletePods(key: string, job: Job, pods: Pod[]): Promise<void> {
    const res = await deleteExpectedPods(this.podControl, this.expectations, key, job, pods);
    if (res.error) throw res.error;
  }
}
