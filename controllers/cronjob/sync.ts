// The CronJob controller's pure core (kube's pkg/controller/cronjob, cronjob_controllerv2.go and
// utils.go): from a CronJob, the Jobs it owns and the time, what to do — the active list kept in step
// with its Jobs, lastScheduleTime/lastSuccessfulTime, the Job to start for the most recent missed
// schedule (startingDeadlineSeconds, concurrencyPolicy Allow/Forbid/Replace, suspend, timeZone), the
// Jobs to delete (Replace, history limits), events, and when to look again (the next schedule).
import type { CronJob, CronJobStatus, Job } from 'kubernetes-types/batch/v1';
import type { ObjectReference } from 'kubernetes-types/core/v1';
import { cronJobSchedule, loadLocationError } from '../../lib/api/cron-schedule';
import { rfc3339 } from '../../lib/api/time';
import { byCreationTimestamp } from '../shared/creation-order';

export const ScheduledTimestampAnnotation = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Past this many missed schedules Kubernetes warns and starts only the most recent. */
const tooManyMissed = 100;

export interface CronJobEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface CronJobPlan {
  /** The status to write when it differs from the object's. */
  status: CronJobStatus;
  /** A Job to create (already named, labelled, owned). */
  create?: Job;
  /** Jobs to delete: active ones a Replace removes, then finished ones past the history limits. */
  delete: Job[];
  events: CronJobEvent[];
  /** When the next schedule is due (ms from now); undefined when nothing is scheduled (suspended, bad schedule). */
  requeueAfterMs?: number;
}

function finishedCondition(job: Job): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? []) {
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  }
  return undefined;
}

/** kube's getJobName: the CronJob's name and the scheduled time in minutes since the epoch. */
export function jobNameFor(cronJobName: string, scheduled: Date): string {
  return `${cronJobName}-${Math.floor(scheduled.getTime() / 60_000)}`;
}

function refOf(job: Job): ObjectReference {
  return { kind: 'Job', apiVersion: 'batch/v1', namespace: job.metadata?.namespace, name: job.metadata?.name, uid: job.metadata?.uid, resourceVersion: job.metadata?.resourceVersion };
}

/** A Job from the CronJob's template, owned by it (getJobFromTemplate2). */
export function jobFromTemplate(cj: CronJob, scheduled: Date): Job {
  const tmpl = cj.spec?.jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cj.metadata?.name ?? '', scheduled),
      namespace: cj.metadata?.namespace,
      labels: { ...(tmpl?.metadata?.labels ?? {}) },
      annotations: { ...(tmpl?.metadata?.annotations ?? {}), [ScheduledTimestampAnnotation]: rfc3339(scheduled) },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata?.name ?? '', uid: cj.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec: structuredClone(tmpl?.spec ?? { template: {} }),
  };
}

/** Finished Jobs past the limits, oldest first (kube's removeOldestJobs, ordered by start time). */
function historyToDelete(jobs: Job[], successfulLimit: number | undefined, failedLimit: number | undefined): Job[] {
  const out: Job[] = [];
  const oldestFirst = (a: Job, b: Job) => {
    const sa = a.status?.startTime ? Date.parse(a.status.startTime) : NaN;
    const sb = b.status?.startTime ? Date.parse(b.status.startTime) : NaN;
    if (Number.isNaN(sa) || Number.isNaN(sb)) return Number.isNaN(sa) === Number.isNaN(sb) ? byCreationTimestamp(a, b) : Number.isNaN(sa) ? 1 : -1;
    return sa - sb || byCreationTimestamp(a, b);
  };
  for (const [cond, limit] of [['Complete', successfulLimit], ['Failed', failedLimit]] as const) {
    if (limit === undefined) continue;
    const done = jobs.filter((j) => finishedCondition(j) === cond && !j.metadata?.deletionTimestamp).sort(oldestFirst);
    out.push(...done.slice(0, Math.max(0, done.length - limit)));
  }
  return out;
}

/**
 * Plans one sync. `jobs` are the Jobs the CronJob controls; `goneUids` the active entries confirmed
 * missing from the API (the loop checks before it calls).
 */
export function planCronJob(cj: CronJob, jobs: Job[], now: Date, goneUids: ReadonlySet<string> = new Set()): CronJobPlan {
  const events: CronJobEvent[] = [];
  const status: CronJobStatus = structuredClone(cj.status ?? {});
  let active = [...(status.active ?? [])];
  const isActive = (uid: string | undefined) => active.some((r) => r.uid === uid);
  const plan: CronJobPlan = { status, delete: [], events };

  for (const j of jobs) {
    const finished = finishedCondition(j);
    if (!isActive(j.metadata?.uid) && !finished) {
      events.push({ type: 'Warning', reason: 'UnexpectedJob', message: `Saw a job that the controller did not create or forgot: ${j.metadata?.name}` });
    } else if (isActive(j.metadata?.uid) && finished) {
      active = active.filter((r) => r.uid !== j.metadata?.uid);
      events.push({ type: 'Normal', reason: 'SawCompletedJob', message: `Saw completed job: ${j.metadata?.name}, condition: ${finished}` });
    }
    if (finished === 'Complete' && j.status?.completionTime) {
      const last = status.lastSuccessfulTime ? Date.parse(status.lastSuccessfulTime) : -Infinity;
      if (Date.parse(j.status.completionTime) > last) status.lastSuccessfulTime = j.status.completionTime;
    }
  }
  for (const r of active.filter((a) => a.uid && goneUids.has(a.uid))) {
    events.push({ type: 'Normal', reason: 'MissingJob', message: `Active job went missing: ${r.name}` });
  }
  active = active.filter((r) => !(r.uid && goneUids.has(r.uid)));
  const finish = (): CronJobPlan => {
    status.active = active.length ? active : undefined;
    if (!status.active) delete status.active;
    plan.delete.push(...historyToDelete(jobs.filter((j) => !plan.delete.includes(j)), cj.spec?.successfulJobsHistoryLimit, cj.spec?.failedJobsHistoryLimit));
    return plan;
  };

  if (cj.metadata?.deletionTimestamp) return finish();
  const spec = cj.spec;
  if (!spec) return finish();
  // kube's syncCronJob: a time zone the tz database does not know stops here, then formatSchedule.
  const tzError = spec.timeZone !== undefined ? loadLocationError(spec.timeZone) : undefined;
  if (tzError) {
    events.push({ type: 'Warning', reason: 'UnknownTimeZone', message: `invalid timeZone: ${JSON.stringify(spec.timeZone)}: ${tzError}` });
    return finish();
  }
  if (spec.schedule.includes('TZ')) {
    events.push({
      type: 'Warning',
      reason: 'UnsupportedSchedule',
      message: `CRON_TZ or TZ used in schedule ${JSON.stringify(spec.schedule)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`,
    });
  }
  const sched = cronJobSchedule(spec.schedule, spec.timeZone);
  if (typeof sched === 'string') {
    events.push({ type: 'Warning', reason: 'UnparseableSchedule', message: `unparseable schedule: ${JSON.stringify(spec.schedule)} : ${sched}` });
    return finish();
  }
  if (spec.suspend) return finish();

  const nextAfter = (t: Date) => {
    const next = sched.next(t);
    return next ? Math.max(0, next.getTime() - now.getTime()) + 100 : undefined;
  };
  // The window to look for missed schedules: since the last one (or creation), at most the deadline back.
  let earliest = Date.parse(status.lastScheduleTime ?? cj.metadata?.creationTimestamp ?? rfc3339(now));
  const deadlineMs = spec.startingDeadlineSeconds !== undefined ? spec.startingDeadlineSeconds * 1000 : undefined;
  if (deadlineMs !== undefined && now.getTime() - deadlineMs > earliest) earliest = now.getTime() - deadlineMs;
  // Enough of the missed times to know whether there were too many; the start is always the latest.
  const missed = sched.between(new Date(earliest), now, tooManyMissed + 1);
  plan.requeueAfterMs = nextAfter(now);
  if (missed.length === 0) return finish();
  if (missed.length > tooManyMissed) {
    events.push({
      type: 'Warning',
      reason: 'TooManyMissedTimes',
      message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
    });
  }
  const scheduled = missed.length > tooManyMissed ? (sched.latest(new Date(earliest), now) ?? missed[missed.length - 1]) : missed[missed.length - 1];
  if (deadlineMs !== undefined && scheduled.getTime() + deadlineMs < now.getTime()) {
    events.push({ type: 'Warning', reason: 'MissSchedule', message: `Missed scheduled time to start a job: ${rfc3339(scheduled)}` });
    return finish();
  }
  const name = jobNameFor(cj.metadata?.name ?? '', scheduled);
  if (active.some((r) => r.name === name) || jobs.some((j) => j.metadata?.name === name)) return finish();
  if (spec.concurrencyPolicy === 'Forbid' && active.length > 0) {
    events.push({ type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' });
    return finish();
  }
  if (spec.concurrencyPolicy === 'Replace') {
    for (const r of active) {
      const j = jobs.find((x) => x.metadata?.uid === r.uid);
      if (j) plan.delete.push(j);
      events.push({ type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted job ${r.name}` });
    }
    active = [];
  }
  plan.create = jobFromTemplate(cj, scheduled);
  status.lastScheduleTime = rfc3339(scheduled);
  return finish();
}

/** The active list with the created Job added (after its create answered). */
export function withCreated(status: CronJobStatus, job: Job): CronJobStatus {
  return { ...status, active: [...(status.active ?? []), refOf(job)] };
}
