// batch/v1beta1 CronJobs: the stored batch/v1 objects served under the older version, as kube-apiserver
// did until 1.25 (kubectl 1.20's `create cronjob`, `create job --from=cronjob/…` and `get cronjobs` use
// it). The two versions carry the same fields (k8s.io/api's batch/v1beta1 and batch/v1 Go types, as
// go-fields.json records them), so conversion is the apiVersion, and a body's unknown fields are
// batch/v1's (client-node has no batch/v1beta1 model); served by served-versions.ts.
import type { CronJob } from 'kubernetes-types/batch/v1';
import { CronJobV1beta1Resource, Resources } from '../../lib/api/resources';
import type { KObj } from '../storage/types';
import type { VersionConversion } from './served-versions';

export const cronJobV1beta1Conversion: VersionConversion = {
  served: CronJobV1beta1Resource,
  stored: Resources.cronjobs,
  schema: Resources.cronjobs,
  toServed: (o: KObj) => ({ ...o, apiVersion: 'batch/v1beta1' }),
  toStored: (body) => ({ ...(body as CronJob), apiVersion: 'batch/v1', kind: 'CronJob' }) as unknown as KObj,
};
