// The Job printer: COMPLETIONS and DURATION as kubectl prints them.
import type { Job } from 'kubernetes-types/batch/v1';
import { age, ageCol, col, containerColumns, containersCol, formatAge, imagesCol, meta, nameCol, Printer, selectorString } from './common';

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
