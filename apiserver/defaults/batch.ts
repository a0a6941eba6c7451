// Job defaulting (SetDefaults_Job and the Job strategy's generated selector), with the labels the
// apiserver puts on a Job's pod template and selector.
import { existingMap, JsonMap, mapAt, mapsIn, missing, setDefault } from './common';
import { defaultTemplate } from './pod';

// Labels the apiserver puts on a Job's pod template and selector (k8s.io/api/batch/v1).
export const JobNameLabel = 'batch.kubernetes.io/job-name';
export const LegacyJobNameLabel = 'job-name';
export const ControllerUidLabel = 'batch.kubernetes.io/controller-uid';
export const LegacyControllerUidLabel = 'controller-uid';

/**
 * SetDefaults_Job, preceded by the Job strategy's generateSelector: unless spec.manualSelector is true,
 * the template gets the job-name and controller-uid labels and the selector matches the uid. Needs
 * metadata.uid (set by the registry before defaulting); labels already present are left for validation
 * to judge, as Kubernetes does.
 */
export function defaultJob(job: JsonMap): void {
  const spec = mapAt(job, 'spec');
  if (!spec) return;
  const md = existingMap(job, 'metadata');
  const template = existingMap(spec, 'template');
  const uid = md && typeof md.uid === 'string' && md.uid !== '' ? md.uid : undefined;
  if (spec.manualSelector !== true && template && uid && typeof md?.name === 'string') {
    const tmd = mapAt(template, 'metadata');
    const labels = tmd && mapAt(tmd, 'labels');
    if (labels) {
      setDefault(labels, LegacyJobNameLabel, md.name);
      setDefault(labels, JobNameLabel, md.name);
      setDefault(labels, LegacyControllerUidLabel, uid);
      setDefault(labels, ControllerUidLabel, uid);
    }
    const selector = mapAt(spec, 'selector');
    const matchLabels = selector && mapAt(selector, 'matchLabels');
    if (matchLabels) setDefault(matchLabels, ControllerUidLabel, uid);
  }
  // Both unset: one pod, once. Parallelism alone: a work queue (completions stays unset).
  if (missing(spec.completions) && missing(spec.parallelism)) spec.completions = 1;
  setDefault(spec, 'parallelism', 1);
  // With a back-off limit per index the Job-wide limit is off unless set (kube: MaxInt32).
  setDefault(spec, 'backoffLimit', missing(spec.backoffLimitPerIndex) ? 6 : 2147483647);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  // With a pod failure policy a pod is replaced only once it has Failed (its exit code and conditions are final).
  const failurePolicy = existingMap(spec, 'podFailurePolicy');
  setDefault(spec, 'podReplacementPolicy', failurePolicy ? 'Failed' : 'TerminatingOrFailed');
  // SetDefaults_PodFailurePolicyOnPodConditionsPattern: a pattern without a status matches status True.
  for (const rule of failurePolicy ? mapsIn(failurePolicy, 'rules') : []) {
    for (const pattern of mapsIn(rule, 'onPodConditions')) setDefault(pattern, 'status', 'True');
  }
  // The Job's own labels default to its template's (as read back from storage, with the generated ones).
  const templateLabels = template && existingMap(existingMap(template, 'metadata') ?? {}, 'labels');
  if (md && templateLabels && Object.keys(templateLabels).length > 0) {
    const own = existingMap(md, 'labels');
    if (missing(md.labels) || (own && Object.keys(own).length === 0)) md.labels = { ...templateLabels };
  }
  defaultTemplate(job);
}

/** SetDefaults_CronJob, and the pod defaults of its job template (the Job's own defaults come when a Job is made). */
export function defaultCronJob(cj: JsonMap): void {
  const spec = mapAt(cj, 'spec');
  if (!spec) return;
  setDefault(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  const jobTemplate = existingMap(spec, 'jobTemplate');
  if (jobTemplate) defaultTemplate(jobTemplate);
}
