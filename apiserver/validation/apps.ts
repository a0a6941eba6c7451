// apps/v1 validation: Deployment, ReplicaSet, DaemonSet (k8s.io/kubernetes/pkg/apis/apps/validation).
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import {
  type FieldCause,
  forbidden,
  goStringMap,
  invalid,
  invalidPrinted,
  nonNegative,
  notSupported,
  required,
  selectorMatches,
  validateLabelSelector,
  validateTemplateMeta,
} from './common';
import { validatePodSpec } from './pod';
import { goValueEqual, stableJson } from '../../lib/api/json';

type IntOrString = number | string;

const percentRe = /^[0-9]+%$/;
const percentMessage =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used " +
  "for validation is '[0-9]+%')";

/** ValidatePositiveIntOrPercent + IsNotMoreThan100Percent (also PodDisruptionBudgets'). */
export function intOrPercent(field: string, v: IntOrString | undefined): FieldCause[] {
  if (v === undefined) return [];
  if (typeof v === 'string') {
    if (!percentRe.test(v)) return [invalid(field, v, percentMessage)];
    if (Number(v.slice(0, -1)) > 100) return [invalid(field, v, 'must not be greater than 100%')];
    return [];
  }
  return nonNegative(field, v);
}

// An absent value is not zero: defaulting fills it in (25% for Deployments, 1/0 for DaemonSets).
function isZero(v: IntOrString | undefined): boolean {
  return v === 0 || (typeof v === 'string' && percentRe.test(v) && Number(v.slice(0, -1)) === 0);
}

/** Selector present, non-empty, valid, and matching the template's labels; the template's pod spec. */
export function validateSelectorAndTemplate(
  selector: LabelSelector | undefined,
  template: PodTemplateSpec | undefined,
  kindLabel: string,
): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!selector) causes.push(required('spec.selector'));
  else {
    const selectorCauses = validateLabelSelector('spec.selector', selector);
    causes.push(...selectorCauses);
    const empty = Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
    if (empty) causes.push(invalid('spec.selector', selector, `empty selector is invalid for ${kindLabel}`));
    else if (selectorCauses.length === 0 && template && !selectorMatches(selector, template.metadata?.labels)) {
      causes.push(
        invalidPrinted('spec.template.metadata.labels', goStringMap(template.metadata?.labels), '`selector` does not match template `labels`'),
      );
    }
  }
  if (!template) {
    causes.push(required('spec.template'));
    return causes;
  }
  causes.push(...validateTemplateMeta('spec.template.metadata', template.metadata));
  causes.push(...validatePodSpec(template.spec, 'spec.template.spec'));
  const restartPolicy = template.spec?.restartPolicy;
  if (restartPolicy !== undefined && restartPolicy !== 'Always') {
    causes.push(notSupported('spec.template.spec.restartPolicy', restartPolicy, ['Always']));
  }
  if (template.spec?.activeDeadlineSeconds !== undefined) {
    causes.push(forbidden('spec.template.spec.activeDeadlineSeconds', `activeDeadlineSeconds in ${kindLabel} is not Supported`));
  }
  return causes;
}

export function selectorUpdate(selector: LabelSelector | undefined, old: LabelSelector | undefined): FieldCause[] {
  if (old === undefined || goValueEqual(selector ?? null, old)) return [];
  return [invalid('spec.selector', selector ?? null, 'field is immutable')];
}

interface WorkloadStatus {
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  updatedReplicas?: number;
  fullyLabeledReplicas?: number;
  observedGeneration?: number;
  currentNumberScheduled?: number;
  numberMisscheduled?: number;
  desiredNumberScheduled?: number;
  numberReady?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  updatedNumberScheduled?: number;
  unavailableReplicas?: number;
  terminatingReplicas?: number;
}

export function validateWorkloadStatus(status: WorkloadStatus | undefined): FieldCause[] {
  if (!status) return [];
  const causes: FieldCause[] = [];
  for (const [k, v] of Object.entries(status)) {
    if (typeof v === 'number') causes.push(...nonNegative(`status.${k}`, v));
  }
  const replicas = status.replicas;
  if (replicas !== undefined) {
    for (const k of ['readyReplicas', 'availableReplicas', 'updatedReplicas', 'fullyLabeledReplicas'] as const) {
      const v = status[k];
      if (v !== undefined && v > replicas) causes.push(invalid(`status.${k}`, v, 'cannot be greater than status.replicas'));
    }
  }
  if (status.availableReplicas !== undefined && status.readyReplicas !== undefined && status.availableReplicas > status.readyReplicas) {
    causes.push(invalid('status.availableReplicas', status.availableReplicas, 'cannot be greater than readyReplicas'));
  }
  return causes;
}

const deploymentStrategies = ['Recreate', 'RollingUpdate'];

export function validateDeployment(d: Deployment, old?: Deployment): FieldCause[] {
  const spec = d.spec;
  if (!spec) return [required('spec')];
  const causes: FieldCause[] = [];
  causes.push(...nonNegative('spec.replicas', spec.replicas));
  causes.push(...validateSelectorAndTemplate(spec.selector, spec.template, 'deployment'));
  const strategy = spec.strategy;
  if (strategy) {
    const type = strategy.type ?? 'RollingUpdate';
    if (!deploymentStrategies.includes(type)) causes.push(notSupported('spec.strategy.type', type, deploymentStrategies));
    else if (type === 'Recreate' && strategy.rollingUpdate) {
      causes.push(forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
    }
    const rolling = strategy.rollingUpdate;
    if (type === 'RollingUpdate' && rolling) {
      causes.push(...intOrPercent('spec.strategy.rollingUpdate.maxUnavailable', rolling.maxUnavailable));
      causes.push(...intOrPercent('spec.strategy.rollingUpdate.maxSurge', rolling.maxSurge));
      if (isZero(rolling.maxUnavailable) && isZero(rolling.maxSurge)) {
        causes.push(invalid('spec.strategy.rollingUpdate.maxUnavailable', rolling.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
      }
    }
  }
  causes.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  causes.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  if (spec.progressDeadlineSeconds !== undefined) {
    causes.push(...nonNegative('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      causes.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  causes.push(...validateWorkloadStatus(d.status));
  if (old) causes.push(...selectorUpdate(spec.selector, old.spec?.selector));
  return causes;
}

export function validateReplicaSet(rs: ReplicaSet, old?: ReplicaSet): FieldCause[] {
  const spec = rs.spec;
  if (!spec) return [required('spec')];
  const causes: FieldCause[] = [];
  causes.push(...nonNegative('spec.replicas', spec.replicas));
  causes.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  causes.push(...validateSelectorAndTemplate(spec.selector, spec.template, 'ReplicaSet'));
  causes.push(...validateWorkloadStatus(rs.status));
  if (old) causes.push(...selectorUpdate(spec.selector, old.spec?.selector));
  return causes;
}

const daemonSetStrategies = ['OnDelete', 'RollingUpdate'];

export function validateDaemonSet(ds: DaemonSet, old?: DaemonSet): FieldCause[] {
  const spec = ds.spec;
  if (!spec) return [required('spec')];
  const causes: FieldCause[] = [];
  causes.push(...validateSelectorAndTemplate(spec.selector, spec.template, 'DaemonSet'));
  const strategy = spec.updateStrategy;
  if (strategy) {
    const type = strategy.type ?? 'RollingUpdate';
    if (!daemonSetStrategies.includes(type)) causes.push(notSupported('spec.updateStrategy.type', type, daemonSetStrategies));
    else if (type === 'OnDelete' && strategy.rollingUpdate) {
      causes.push(forbidden('spec.updateStrategy.rollingUpdate', "may not be specified when strategy `type` is 'OnDelete'"));
    }
    const rolling = strategy.rollingUpdate;
    if (type === 'RollingUpdate' && rolling) {
      causes.push(...intOrPercent('spec.updateStrategy.rollingUpdate.maxUnavailable', rolling.maxUnavailable));
      causes.push(...intOrPercent('spec.updateStrategy.rollingUpdate.maxSurge', rolling.maxSurge));
      if (isZero(rolling.maxUnavailable) && isZero(rolling.maxSurge)) {
        causes.push(
          invalid('spec.updateStrategy.rollingUpdate.maxUnavailable', rolling.maxUnavailable, 'may not be 0 when `maxSurge` is 0'),
        );
      }
    }
  }
  causes.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  causes.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  causes.push(...validateWorkloadStatus(ds.status));
  if (old) causes.push(...selectorUpdate(spec.selector, old.spec?.selector));
  return causes;
}

const podManagementPolicies = ['OrderedReady', 'Parallel'];
const retentionPolicies = ['Retain', 'Delete'];

/** ValidateStatefulSet / ValidateStatefulSetUpdate: spec fields other than these are immutable. */
const statefulSetMutable = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds', 'revisionHistoryLimit'];

export function validateStatefulSet(sts: StatefulSet, old?: StatefulSet): FieldCause[] {
  const spec = sts.spec;
  if (!spec) return [required('spec')];
  const causes: FieldCause[] = [];
  const policy = spec.podManagementPolicy;
  if (policy !== undefined && !podManagementPolicies.includes(policy)) causes.push(notSupported('spec.podManagementPolicy', policy, podManagementPolicies));
  const strategy = spec.updateStrategy;
  if (strategy) {
    const type = strategy.type ?? 'RollingUpdate';
    if (!daemonSetStrategies.includes(type)) causes.push(notSupported('spec.updateStrategy.type', type, daemonSetStrategies));
    else if (type === 'OnDelete' && strategy.rollingUpdate) {
      causes.push(forbidden('spec.updateStrategy.rollingUpdate', "only allowed for updateStrategy 'RollingUpdate'"));
    }
    const rolling = strategy.rollingUpdate;
    if (type === 'RollingUpdate' && rolling) {
      causes.push(...nonNegative('spec.updateStrategy.rollingUpdate.partition', rolling.partition));
      if (rolling.maxUnavailable !== undefined) {
        causes.push(...intOrPercent('spec.updateStrategy.rollingUpdate.maxUnavailable', rolling.maxUnavailable));
        if (isZero(rolling.maxUnavailable)) causes.push(invalid('spec.updateStrategy.rollingUpdate.maxUnavailable', rolling.maxUnavailable, 'must be greater than 0'));
      }
    }
  }
  const retention = spec.persistentVolumeClaimRetentionPolicy;
  if (retention) {
    for (const k of ['whenDeleted', 'whenScaled'] as const) {
      const v = retention[k];
      if (v !== undefined && !retentionPolicies.includes(v)) causes.push(notSupported(`spec.persistentVolumeClaimRetentionPolicy.${k}`, v, retentionPolicies));
    }
  }
  causes.push(...nonNegative('spec.replicas', spec.replicas));
  causes.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  causes.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  if (spec.ordinals?.start !== undefined) causes.push(...nonNegative('spec.ordinals.start', spec.ordinals.start));
  // The claim templates are the pods' volumes of the same names (the controller adds them): mounts may name them.
  const claimVolumes = (spec.volumeClaimTemplates ?? []).filter((t) => t.metadata?.name && !(spec.template?.spec?.volumes ?? []).some((v) => v.name === t.metadata?.name)).map((t) => ({ name: t.metadata!.name!, persistentVolumeClaim: { claimName: t.metadata!.name! } }));
  const template = spec.template && claimVolumes.length ? { ...spec.template, spec: { ...spec.template.spec!, volumes: [...(spec.template.spec?.volumes ?? []), ...claimVolumes] } } : spec.template;
  causes.push(...validateSelectorAndTemplate(spec.selector, template, 'statefulset'));
  (spec.volumeClaimTemplates ?? []).forEach((t, i) => {
    if (!t.metadata?.name) causes.push(required(`spec.volumeClaimTemplates[${i}].metadata.name`));
    if (!t.spec?.accessModes?.length) causes.push(required(`spec.volumeClaimTemplates[${i}].spec.accessModes`, 'at least 1 access mode is required'));
    if (t.spec?.resources?.requests?.storage === undefined) causes.push(required(`spec.volumeClaimTemplates[${i}].spec.resources[storage]`));
  });
  causes.push(...validateWorkloadStatus(sts.status));
  if (old?.spec) {
    // Compared as Go compares them: the stored spec carries the fields Go always writes (`"serviceName":""`).
    const frozen = (s: NonNullable<StatefulSet['spec']>) => Object.fromEntries(Object.entries(s).filter(([k]) => !statefulSetMutable.includes(k)));
    if (!goValueEqual(frozen(spec), frozen(old.spec))) {
      causes.push(forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
    }
  }
  return causes;
}

export function validateControllerRevision(cr: ControllerRevision, old?: ControllerRevision): FieldCause[] {
  const causes: FieldCause[] = [];
  if (cr.data === undefined || cr.data === null) causes.push(required('data', 'data is mandatory'));
  causes.push(...nonNegative('revision', cr.revision));
  if (old && stableJson(old.data ?? null) !== stableJson(cr.data ?? null)) causes.push(invalid('data', '', 'field is immutable'));
  return causes;
}
