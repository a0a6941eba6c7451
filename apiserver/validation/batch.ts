// batch/v1 validation: Job (k8s.io/kubernetes/pkg/apis/batch/validation), with kube-apiserver's
// messages. The selector and template labels the apiserver generates are in defaults.ts.
import type { CronJob, Job, JobSpec, JobStatus } from 'kubernetes-types/batch/v1';
import { scheduleErrors, timeZoneErrors } from '../../lib/api/cron-schedule';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import {
  type FieldCause,
  dns1123Subdomain,
  duplicate,
  goStringMap,
  invalid,
  invalidOmitValue,
  invalidPrinted,
  key,
  nonNegative,
  notSupported,
  required,
  selectorMatches,
  tooLong,
  tooMany,
  validateLabelSelector,
  validateTemplateMeta,
} from './common';
import { validatePodSpec } from './pod';
import { ControllerUidLabel, LegacyControllerUidLabel } from '../defaults/batch';
import { goValueEqual, stableJson } from '../../lib/api/json';
import { checkIndexesFormat, parseIndexes } from '../../lib/api/job-indexes';
import { validateQualifiedName } from '../../lib/api/selectors';

const completionModes = ['NonIndexed', 'Indexed'];
const jobRestartPolicies = ['OnFailure', 'Never'];
const podReplacementPolicies = ['TerminatingOrFailed', 'Failed'];
// maxParallelismForIndexedJob and maxCompletionsForIndexedJob... Kubernetes caps Indexed parallelism.
const maxParallelismForIndexedJob = 100_000;

function validateJobSpec(spec: JobSpec): FieldCause[] {
  const causes: FieldCause[] = [];
  causes.push(...nonNegative('spec.parallelism', spec.parallelism));
  causes.push(...nonNegative('spec.completions', spec.completions));
  causes.push(...nonNegative('spec.activeDeadlineSeconds', spec.activeDeadlineSeconds));
  causes.push(...nonNegative('spec.backoffLimit', spec.backoffLimit));
  causes.push(...nonNegative('spec.ttlSecondsAfterFinished', spec.ttlSecondsAfterFinished));
  const mode = spec.completionMode;
  if (mode !== undefined) {
    if (!completionModes.includes(mode)) causes.push(notSupported('spec.completionMode', mode, completionModes));
    if (mode === 'Indexed') {
      if (spec.completions === undefined) causes.push(required('spec.completions', 'when completion mode is Indexed'));
      if (spec.parallelism !== undefined && spec.parallelism > maxParallelismForIndexedJob) {
        causes.push(
          invalid('spec.parallelism', spec.parallelism, `must be less than or equal to ${maxParallelismForIndexedJob} when completion mode is Indexed`),
        );
      }
    }
  }
  causes.push(...validateBackoffLimitPerIndex(spec));
  if (spec.managedBy !== undefined && spec.managedBy !== null) causes.push(...validateManagedBy(spec.managedBy));
  if (spec.successPolicy) {
    if (spec.completionMode !== 'Indexed') causes.push(invalid('spec.successPolicy', spec.successPolicy, 'requires indexed completion mode'));
    else causes.push(...validateSuccessPolicy(spec));
  }
  if (spec.podReplacementPolicy !== undefined && !podReplacementPolicies.includes(spec.podReplacementPolicy)) {
    causes.push(notSupported('spec.podReplacementPolicy', spec.podReplacementPolicy, podReplacementPolicies));
  }
  if (!spec.selector) causes.push(required('spec.selector'));
  else {
    const selectorCauses = validateLabelSelector('spec.selector', spec.selector);
    causes.push(...selectorCauses);
    // Whether manual or generated, the selector must select the pods the Job makes.
    if (selectorCauses.length === 0 && !selectorMatches(spec.selector, spec.template?.metadata?.labels)) {
      causes.push(
        invalidPrinted('spec.template.metadata.labels', goStringMap(spec.template?.metadata?.labels), '`selector` does not match template `labels`'),
      );
    }
  }
  const template = spec.template;
  if (!template) {
    causes.push(required('spec.template'));
    return causes;
  }
  causes.push(...validateTemplateMeta('spec.template.metadata', template.metadata));
  causes.push(...validatePodSpec(template.spec, 'spec.template.spec'));
  // Defaulting turns an unset restartPolicy into Always, so both mean "not set" here.
  const restartPolicy = template.spec?.restartPolicy;
  if (restartPolicy === undefined || restartPolicy === 'Always' || restartPolicy === '') {
    causes.push(required('spec.template.spec.restartPolicy', 'valid values: "OnFailure", "Never"'));
  } else if (!jobRestartPolicies.includes(restartPolicy)) {
    causes.push(notSupported('spec.template.spec.restartPolicy', restartPolicy, jobRestartPolicies));
  }
  if (spec.podFailurePolicy) {
    if (restartPolicy !== undefined && restartPolicy !== 'Never' && jobRestartPolicies.includes(restartPolicy)) {
      causes.push(invalid('spec.template.spec.restartPolicy', restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'));
    }
    if (spec.podReplacementPolicy !== undefined && spec.podReplacementPolicy !== 'Failed' && podReplacementPolicies.includes(spec.podReplacementPolicy)) {
      causes.push(notSupported('spec.podReplacementPolicy', spec.podReplacementPolicy, ['Failed']));
    }
    causes.push(...validatePodFailurePolicy(spec));
  }
  return causes;
}

const maxManagedByLength = 63;
// apimachinery's httpPathFmt: the path part of a domain-prefixed path.
const httpPathFmt = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
const httpPath = new RegExp(`^${httpPathFmt}$`);

/** kube's checks of spec.managedBy: a domain-prefixed path (IsDomainPrefixedPath) of at most 63 bytes. */
function validateManagedBy(value: string): FieldCause[] {
  const field = 'spec.managedBy';
  if (value === '') return [required(field)];
  const causes: FieldCause[] = [];
  const slash = value.indexOf('/');
  const host = slash < 0 ? '' : value.slice(0, slash);
  const path = slash < 0 ? '' : value.slice(slash + 1);
  if (!host || !path) causes.push(invalid(field, value, 'must be a domain-prefixed path (such as "acme.io/foo")'));
  else {
    for (const msg of dns1123Subdomain(host)) causes.push(invalid(field, host, msg));
    if (!httpPath.test(path)) causes.push(invalid(field, path, `Invalid path (regex used for validation is '${httpPathFmt}')`));
  }
  if (Buffer.byteLength(value) > maxManagedByLength) causes.push(tooLong(field, maxManagedByLength));
  return causes;
}

const maxSuccessPolicyRules = 20;
const maxSucceededIndexesLength = 64 * 1024;

/** kube's validateSuccessPolicy: its rules' succeededIndexes (a valid list below completions) and succeededCount. */
function validateSuccessPolicy(spec: JobSpec): FieldCause[] {
  const causes: FieldCause[] = [];
  const rules = spec.successPolicy?.rules ?? [];
  const completions = spec.completions ?? 0;
  if (rules.length === 0) causes.push(required('spec.successPolicy.rules', 'at least one rules must be specified when the successPolicy is specified'));
  if (rules.length > maxSuccessPolicyRules) causes.push(tooMany('spec.successPolicy.rules', rules.length, maxSuccessPolicyRules));
  rules.forEach((rule, i) => {
    const base = `spec.successPolicy.rules[${i}]`;
    const indexes = rule.succeededIndexes ?? undefined;
    const count = rule.succeededCount ?? undefined;
    if (indexes === undefined && count === undefined) causes.push(required(base, 'at least one of succeededCount or succeededIndexes must be specified'));
    let total = 0;
    if (indexes !== undefined) {
      if (indexes.length > maxSucceededIndexesLength) causes.push(tooLong(`${base}.succeededIndexes`, maxSucceededIndexesLength));
      const checked = checkIndexesFormat(indexes, completions);
      if ('error' in checked) causes.push(invalid(`${base}.succeededIndexes`, indexes, `error parsing succeededIndexes: ${checked.error}`));
      else total = checked.total;
    }
    if (count !== undefined) {
      causes.push(...nonNegative(`${base}.succeededCount`, count));
      if (count > completions) causes.push(invalid(`${base}.succeededCount`, count, `must be less than or equal to ${completions} (the number of specified completions)`));
      if (indexes !== undefined && count > total) causes.push(invalid(`${base}.succeededCount`, count, `must be less than or equal to ${total} (the number of indexes in the specified succeededIndexes field)`));
    }
  });
  return causes;
}

// kube's limits for Jobs with a back-off limit per index.
const maxFailedIndexesLimit = 100_000;
const completionsSoftLimit = 100_000;
const parallelismLimitForHighCompletions = 10_000;
const maxFailedIndexesLimitForHighCompletions = 10_000;

/** kube's checks of backoffLimitPerIndex and maxFailedIndexes (Indexed Jobs only). */
function validateBackoffLimitPerIndex(spec: JobSpec): FieldCause[] {
  const causes: FieldCause[] = [];
  const perIndex = spec.backoffLimitPerIndex;
  const maxFailed = spec.maxFailedIndexes;
  if (perIndex !== undefined && perIndex !== null) {
    causes.push(...nonNegative('spec.backoffLimitPerIndex', perIndex));
    if (spec.completionMode !== 'Indexed') causes.push(invalid('spec.backoffLimitPerIndex', perIndex, 'requires indexed completion mode'));
  }
  if (maxFailed !== undefined && maxFailed !== null) {
    causes.push(...nonNegative('spec.maxFailedIndexes', maxFailed));
    if (perIndex === undefined || perIndex === null) causes.push(required('spec.backoffLimitPerIndex', 'when maxFailedIndexes is specified'));
    if (spec.completions !== undefined && maxFailed > spec.completions) causes.push(invalid('spec.maxFailedIndexes', maxFailed, 'must be less than or equal to completions'));
    if (maxFailed > maxFailedIndexesLimit) causes.push(invalid('spec.maxFailedIndexes', maxFailed, `must be less than or equal to ${maxFailedIndexesLimit}`));
  }
  if (perIndex !== undefined && perIndex !== null && spec.completionMode === 'Indexed' && (spec.completions ?? 0) > completionsSoftLimit) {
    const high = `when completions are above ${completionsSoftLimit} and used with backoff limit per index`;
    if (maxFailed === undefined || maxFailed === null) causes.push(required('spec.maxFailedIndexes', `must be specified when completions is above ${completionsSoftLimit}`));
    else if (maxFailed > maxFailedIndexesLimitForHighCompletions) causes.push(invalid('spec.maxFailedIndexes', maxFailed, `must be less than or equal to ${maxFailedIndexesLimitForHighCompletions} ${high}`));
    if ((spec.parallelism ?? 1) > parallelismLimitForHighCompletions) causes.push(invalid('spec.parallelism', spec.parallelism, `must be less than or equal to ${parallelismLimitForHighCompletions} ${high}`));
  }
  return causes;
}

const podFailurePolicyActions = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const exitCodesOperators = ['In', 'NotIn'];
const conditionStatuses = ['False', 'True', 'Unknown'];
const maxPodFailurePolicyRules = 20;
const maxOnExitCodesValues = 255;
const maxOnPodConditionsPatterns = 20;

/** kube's Required detail for an enum: the values as Go's %q prints a []string. */
const validValues = (values: readonly string[]): string => `valid values: [${values.map((v) => JSON.stringify(v)).join(' ')}]`;

/** Go's %#v of an []int32, as kube prints a bad exit code list. */
const goInt32s = (values: readonly number[]): string => `[]int32{${values.join(', ')}}`;

/** kube's validatePodFailurePolicy: its rules, their actions, exit code and pod condition requirements. */
function validatePodFailurePolicy(spec: JobSpec): FieldCause[] {
  const causes: FieldCause[] = [];
  const rules = spec.podFailurePolicy?.rules ?? [];
  if (rules.length > maxPodFailurePolicyRules) causes.push(tooMany('spec.podFailurePolicy.rules', rules.length, maxPodFailurePolicyRules));
  const containerNames = new Set([...(spec.template?.spec?.containers ?? []), ...(spec.template?.spec?.initContainers ?? [])].map((c) => c.name));
  rules.forEach((rule, i) => {
    const base = `spec.podFailurePolicy.rules[${i}]`;
    if (!rule.action) causes.push(required(`${base}.action`, validValues(podFailurePolicyActions)));
    else if (!podFailurePolicyActions.includes(rule.action)) causes.push(notSupported(`${base}.action`, rule.action, podFailurePolicyActions));
    else if (rule.action === 'FailIndex' && spec.backoffLimitPerIndex === undefined) causes.push(invalid(`${base}.action`, rule.action, 'requires the backoffLimitPerIndex to be set'));
    const exit = rule.onExitCodes;
    const patterns = rule.onPodConditions;
    if (exit && patterns) causes.push(invalidOmitValue(base, 'specifying both OnExitCodes and OnPodConditions is not supported'));
    else if (!exit && !patterns) causes.push(invalidOmitValue(base, 'specifying one of OnExitCodes and OnPodConditions is required'));
    if (exit) {
      const eBase = `${base}.onExitCodes`;
      if (exit.containerName !== undefined && exit.containerName !== null && !containerNames.has(exit.containerName)) {
        causes.push(invalid(`${eBase}.containerName`, exit.containerName, 'must be one of the container or initContainer names in the pod template'));
      }
      if (!exit.operator) causes.push(required(`${eBase}.operator`, validValues(exitCodesOperators)));
      else if (!exitCodesOperators.includes(exit.operator)) causes.push(notSupported(`${eBase}.operator`, exit.operator, exitCodesOperators));
      const values = exit.values ?? [];
      if (values.length === 0) causes.push(invalidPrinted(`${eBase}.values`, goInt32s(values), 'at least one value is required'));
      else if (values.length > maxOnExitCodesValues) causes.push(tooMany(`${eBase}.values`, values.length, maxOnExitCodesValues));
      else {
        const seen = new Set<number>();
        values.forEach((v, j) => {
          if (exit.operator === 'In' && v === 0) causes.push(invalid(`${eBase}.values[${j}]`, v, 'must not be 0 for the In operator'));
          if (seen.has(v)) causes.push(duplicate(`${eBase}.values[${j}]`, v));
          else seen.add(v);
          if (j > 0 && values[j - 1] > v) causes.push(invalidPrinted(`${eBase}.values`, goInt32s(values), 'must be ordered'));
        });
      }
    }
    if (patterns) {
      if (patterns.length > maxOnPodConditionsPatterns) causes.push(tooMany(`${base}.onPodConditions`, patterns.length, maxOnPodConditionsPatterns));
      else {
        patterns.forEach((p, j) => {
          const pBase = `${base}.onPodConditions[${j}]`;
          for (const msg of validateQualifiedName(p.type ?? '')) causes.push(invalid(`${pBase}.type`, p.type ?? '', msg));
          if (!p.status) causes.push(required(`${pBase}.status`, validValues(conditionStatuses)));
          else if (!conditionStatuses.includes(p.status)) causes.push(notSupported(`${pBase}.status`, p.status, conditionStatuses));
        });
      }
    }
  });
  return causes;
}

/** ValidateGeneratedSelector: without manualSelector, the selector and labels must be the generated ones. */
function validateGeneratedSelector(job: Job): FieldCause[] {
  const spec = job.spec;
  const uid = job.metadata?.uid;
  if (!spec || spec.manualSelector === true || !spec.selector || !uid) return [];
  const causes: FieldCause[] = [];
  const labels = spec.template?.metadata?.labels ?? {};
  for (const label of [LegacyControllerUidLabel, ControllerUidLabel]) {
    const field = key('spec.template.metadata.labels', label);
    const value = labels[label];
    if (value === undefined) causes.push(required(field, `must be '${uid}'`));
    else if (value !== uid) causes.push(invalid(field, value, `must be '${uid}'`));
  }
  const expected = { matchLabels: { [ControllerUidLabel]: uid } };
  if (stableJson(spec.selector) !== stableJson(expected)) {
    causes.push(invalid('spec.selector', spec.selector, '`selector` not auto-generated'));
  }
  return causes;
}

function validateJobStatus(status: JobStatus | undefined): FieldCause[] {
  if (!status) return [];
  const causes: FieldCause[] = [];
  for (const k of ['active', 'succeeded', 'failed', 'ready', 'terminating'] as const) {
    causes.push(...nonNegative(`status.${k}`, status[k]));
  }
  for (const k of ['completedIndexes', 'failedIndexes'] as const) {
    const v = status[k];
    if (v !== undefined && v !== '' && parseIndexes(v) === undefined) causes.push(invalid(`status.${k}`, v, 'error parsing list of indexes'));
  }
  return causes;
}


/**
 * validatePodTemplateUpdate: the template is immutable, except that a Job suspended and never started
 * may change its scheduling directives (node affinity, node selector, tolerations, scheduling gates,
 * labels and annotations), as Kubernetes allows.
 */
function templateUpdate(job: Job, old: Job): FieldCause[] {
  const template: PodTemplateSpec = job.spec?.template ?? {};
  let oldTemplate: PodTemplateSpec = old.spec?.template ?? {};
  const mutableScheduling = old.spec?.suspend === true && !old.status?.startTime;
  if (mutableScheduling) {
    const oldSpec = oldTemplate.spec ?? { containers: [] };
    const newSpec = template.spec ?? { containers: [] };
    let affinity = oldSpec.affinity;
    if (!newSpec.affinity && affinity) {
      const { nodeAffinity: _dropped, ...rest } = affinity;
      affinity = Object.keys(rest).length ? rest : undefined;
    } else if (newSpec.affinity) {
      affinity = { ...(affinity ?? {}), nodeAffinity: newSpec.affinity.nodeAffinity };
      if (affinity.nodeAffinity === undefined) delete affinity.nodeAffinity;
    }
    oldTemplate = {
      metadata: { ...(oldTemplate.metadata ?? {}), labels: template.metadata?.labels, annotations: template.metadata?.annotations },
      spec: {
        ...oldSpec,
        affinity,
        nodeSelector: newSpec.nodeSelector,
        tolerations: newSpec.tolerations,
        schedulingGates: newSpec.schedulingGates,
      },
    };
  }
  // As Go compares them: the stored template carries the fields Go always writes (`"resources":{}`).
  if (goValueEqual(template, oldTemplate)) return [];
  return [invalid('spec.template', template, 'field is immutable')];
}

function immutable(field: string, value: unknown, old: unknown): FieldCause[] {
  return goValueEqual(value ?? null, old ?? null) ? [] : [invalid(field, value ?? null, 'field is immutable')];
}

/** Completions may change only for Indexed Jobs, and only together with parallelism (elastic Indexed Jobs). */
function completionsUpdate(spec: JobSpec, old: JobSpec): FieldCause[] {
  if (spec.completionMode !== 'Indexed') return immutable('spec.completions', spec.completions, old.completions);
  if (spec.completions === old.completions || spec.completions === undefined) return [];
  if (spec.completions !== spec.parallelism) {
    return [invalid('spec.completions', spec.completions, 'can only be modified in tandem with spec.parallelism')];
  }
  return [];
}

export function validateJob(job: Job, old?: Job): FieldCause[] {
  const spec = job.spec;
  if (!spec) return [required('spec')];
  const causes: FieldCause[] = [...validateGeneratedSelector(job), ...validateJobSpec(spec)];
  causes.push(...validateJobStatus(job.status));
  if (old?.spec) {
    causes.push(...completionsUpdate(spec, old.spec));
    causes.push(...immutable('spec.selector', spec.selector, old.spec.selector));
    causes.push(...templateUpdate(job, old));
    causes.push(...immutable('spec.completionMode', spec.completionMode, old.spec.completionMode));
    causes.push(...immutable('spec.podFailurePolicy', spec.podFailurePolicy, old.spec.podFailurePolicy));
    causes.push(...immutable('spec.backoffLimitPerIndex', spec.backoffLimitPerIndex, old.spec.backoffLimitPerIndex));
    causes.push(...immutable('spec.successPolicy', spec.successPolicy, old.spec.successPolicy));
    causes.push(...immutable('spec.managedBy', spec.managedBy, old.spec.managedBy));
  }
  return causes;
}

const concurrencyPolicies = ['Allow', 'Forbid', 'Replace'];
// A CronJob's name plus the 11 characters of its Jobs' suffix must stay a DNS-1035 label.
const maxCronJobNameLength = 52;

/** ValidateCronJob: name length, schedule and time zone, policies, limits and the job template's pods. */
export function validateCronJob(cj: CronJob, old?: CronJob): FieldCause[] {
  const causes: FieldCause[] = [];
  const name = cj.metadata?.name ?? '';
  if (name.length > maxCronJobNameLength) causes.push(invalid('metadata.name', name, `must be no more than ${maxCronJobNameLength} characters`));
  const spec = cj.spec;
  if (!spec) return [...causes, required('spec')];
  if (!spec.schedule) causes.push(required('spec.schedule'));
  else {
    // An object stored with TZ in its schedule (before .spec.timeZone) may keep it on update.
    const allowTZ = (old?.spec?.schedule ?? '').includes('TZ');
    for (const m of scheduleErrors(spec.schedule, spec.timeZone, allowTZ)) causes.push(invalid('spec.schedule', spec.schedule, m));
  }
  for (const m of timeZoneErrors(spec.timeZone)) causes.push(invalid('spec.timeZone', spec.timeZone, m));
  if (spec.concurrencyPolicy !== undefined && !concurrencyPolicies.includes(spec.concurrencyPolicy)) {
    causes.push(notSupported('spec.concurrencyPolicy', spec.concurrencyPolicy, concurrencyPolicies));
  }
  causes.push(...nonNegative('spec.startingDeadlineSeconds', spec.startingDeadlineSeconds));
  causes.push(...nonNegative('spec.successfulJobsHistoryLimit', spec.successfulJobsHistoryLimit));
  causes.push(...nonNegative('spec.failedJobsHistoryLimit', spec.failedJobsHistoryLimit));
  const template = spec.jobTemplate?.spec?.template;
  if (!template) return [...causes, required('spec.jobTemplate.spec.template')];
  const base = 'spec.jobTemplate.spec.template';
  causes.push(...validateTemplateMeta(`${base}.metadata`, template.metadata));
  causes.push(...validatePodSpec(template.spec, `${base}.spec`));
  const restartPolicy = template.spec?.restartPolicy;
  if (restartPolicy === undefined || restartPolicy === 'Always' || restartPolicy === '') {
    causes.push(required(`${base}.spec.restartPolicy`, 'valid values: "OnFailure", "Never"'));
  } else if (!jobRestartPolicies.includes(restartPolicy)) {
    causes.push(notSupported(`${base}.spec.restartPolicy`, restartPolicy, jobRestartPolicies));
  }
  return causes;
}
