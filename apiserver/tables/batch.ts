// The Job and CronJob printers: COMPLETIONS and DURATION, SCHEDULE, TIMEZONE, SUSPEND, ACTIVE and LAST
// SCHEDULE as kubectl prints them.
import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import { age, ageCol, ageSince, col, containerColumns, containersCol, formatAge, imagesCol, meta, nameCol, none, Printer, selectorString } from './common';

/** COMPLETIONS as kubectl prints it: `1/3`, or `0/1 of 4` for a work queue (no completions). */
function jobCompletions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  if (job.spec?.completions !== undefined) return `${succeeded}/${job.spec.completions}`;
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** DURATION: start to completion, or start to now while running; empty before the Job starts. */
function jobDuration(job: Job, now: number): string {
  const start = job.status?.startTime ? Date.parse(job.status.startTime) : NaN;
  if (Number.isNaN(start)) return '';
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now;
  return formatAge((Number.isNaN(end) ? now : end) - start);
}

export const jobPrinter: Printer = {
  columns: [
    nameCol,
    col('Completions', 'The number of pods which reached phase Succeeded.'),
    col('Duration', 'Time required to complete the job.'),
    ageCol,
    containersCol,
    imagesCol,
    col(
      'Selector',
      'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
      1,
    ),
  ],
  cells(obj, now) {
    const job = obj as Job;
    const [containers, images] = containerColumns(job.spec?.template?.spec);
    return [
      meta(obj).name ?? '',
      jobCompletions(job),
      jobDuration(job, now),
      age(obj, now),
      containers,
      images,
      selectorString(job.spec?.selector),
    ];
  },
};

export const cronJobPrinter: Printer = {
  columns: [
    nameCol,
    col('Schedule', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    col('Timezone', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.'),
    col('Suspend', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.'),
    col('Active', 'A list of pointers to currently running jobs.', 0, 'integer'),
    col('Last Schedule', 'Information when was the last time the job was successfully scheduled.'),
    ageCol,
    containersCol,
    imagesCol,
    col('Selector', 'A label query over pods that should match the pod count.', 1),
  ],
  cells(obj, now) {
    const cj = obj as CronJob;
    const [containers, images] = containerColumns(cj.spec?.jobTemplate?.spec?.template?.spec);
    const last = cj.status?.lastScheduleTime ? ageSince(cj.status.lastScheduleTime, now) : none;
    return [
      meta(obj).name ?? '',
      cj.spec?.schedule ?? '',
      cj.spec?.timeZone ?? none,
      cj.spec?.suspend === undefined ? '<unset>' : cj.spec.suspend ? 'True' : 'False',
      cj.status?.active?.length ?? 0,
      last,
      age(obj, now),
      containers,
      images,
      cj.spec?.jobTemplate?.spec?.selector ? selectorString(cj.spec.jobTemplate.spec.selector) : none,
    ];
  },
};
