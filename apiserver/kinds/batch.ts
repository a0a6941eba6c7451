// The strategies of batch/v1 Jobs and CronJobs (kube's pkg/registry/batch/{job,cronjob}/strategy.go):
// generation tracked, an empty status on create; the generated selector is part of Job defaulting.
import type { CronJob, Job } from 'kubernetes-types/batch/v1';
import { Resources } from '../../lib/api/resources';
import { defaultCronJob, defaultJob } from '../defaults/batch';
import { cronJobPrinter, jobPrinter } from '../tables/batch';
import { validateCronJob, validateJob } from '../validation/batch';
import { defineKind, KindStrategy, startWithEmptyStatus } from './strategy';

export const batchKinds: KindStrategy[] = [
  defineKind<Job>(Resources.jobs, {
    generationTracked: true,
    prepareForCreate: startWithEmptyStatus,
    defaults: defaultJob,
    validate: validateJob,
    printer: jobPrinter,
  }),
  defineKind<CronJob>(Resources.cronjobs, {
    generationTracked: true,
    prepareForCreate: startWithEmptyStatus,
    defaults: defaultCronJob,
    validate: validateCronJob,
    printer: cronJobPrinter,
  }),
];
