// batch/v1beta1 CronJobs: the stored batch/v1 objects served under the older version, as kube-apiserver
// did until 1.25 (kubectl 1.20's `create cronjob`, `create job --from=cronjob/…` and `get cronjobs` use
// it). The two versions carry the same fields, so conversion is the apiVersion; served by
// served-versions.ts.
import type { CronJob } from 'kubernetes-types/batch/v1';
import { CronJobV1beta1Resource, Resources } from '../../lib/api/resources';
import type { KObj } from '../storage/types';
import type { VersionConversion } from './served-versions';

export const cronJobV1beta1Conversion: VersionConversion = {
  served: CronJobV1beta1Resource,
  stored: Resources.cronjobs,
  toServed: (o: KObj) => ({ ...o, apiVersion: 'batch/v1beta1' }),
  toStored: (body) => ({ ...(body as CronJob), apiVersion: 'batch/v1', kind: 'CronJob' }) as unknown as KObj,
};
