// The strategy of batch/v1 Jobs (kube's pkg/registry/batch/job/strategy.go): generation tracked, an
// empty status on create; the generated selector is part of Job defaulting.
import type { Job } from 'kubernetes-types/batch/v1';
import { Resources } from '../../lib/api/resources';
import { defaultJob } from '../defaults/batch';
import { jobPrinter } from '../tables/batch';
import { validateJob } from '../validation/batch';
import { defineKind, KindStrategy, startWithEmptyStatus } from './strategy';

export const batchKinds: KindStrategy[] = [
  defineKind<Job>(Resources.jobs, {
    generationTracked: true,
    prepareForCreate: startWithEmptyStatus,
    defaults: defaultJob,
    validate: validateJob,
    printer: jobPrinter,
  }),
];
