// Defaults and validation of the legacy kinds clients still exercise (kube's pkg/apis/core/validation
// and pkg/apis/scheduling/validation, with their SetDefaults_*): ReplicationControllers, PodTemplates,
// LimitRanges, ResourceQuotas and PriorityClasses, with kube's field paths and messages.
import type { LimitRange, PodTemplate, ReplicationController, ResourceQuota } from 'kubernetes-types/core/v1';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1';
import { compareQuantities, isQuantity, quantityRegexMessage } from '../../lib/api/quantity';
import { JsonMap, mapAt, setDefault, isMap } from '../defaults/common';
import { defaultPodSpec, defaultTemplate } from '../defaults/pod';
import { validateSelectorAndTemplate, validateWorkloadStatus } from './apps';
import { FieldCause, forbidden, goStrings, invalid, invalidPrinted, notSupported, required, validateTemplateMeta } from './common';
import { validatePodSpec } from './pod';

// ---- ReplicationController -------------------------------------------------------------------------

/** SetDefaults_ReplicationController: the selector and labels come from the template's labels; 1 replica. */
export function defaultReplicationController(rc: JsonMap): void {
  const spec = mapAt(rc, 'spec');
  if (!spec) return;
  const template = isMap(spec.template) ? spec.template : undefined;
  const templateLabels = template && isMap(template.metadata) && isMap(template.metadata.labels) ? template.metadata.labels : undefined;
  if (templateLabels && (!isMap(spec.selector) || Object.keys(spec.selector).length === 0)) spec.selector = { ...templateLabels };
  const md = mapAt(rc, 'metadata');
  if (templateLabels && md && (!isMap(md.labels) || Object.keys(md.labels).length === 0)) md.labels = { ...templateLabels };
  setDefault(spec, 'replicas', 1);
  defaultTemplate(rc);
}

export function validateReplicationController(rc: ReplicationController, old?: ReplicationController): FieldCause[] {
  const spec = rc.spec;
  if (!spec) return [required('spec')];
  const causes: FieldCause[] = [];
  if ((spec.replicas ?? 0) < 0) causes.push(invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  if ((spec.minReadySeconds ?? 0) < 0) causes.push(invalid('spec.minReadySeconds', spec.minReadySeconds, 'must be greater than or equal to 0'));
  const selector = spec.selector && Object.keys(spec.selector).length ? { matchLabels: spec.selector } : undefined;
  causes.push(...validateSelectorAndTemplate(selector, spec.template, 'ReplicationController'));
  causes.push(...validateWorkloadStatus(rc.status));
  // Unlike a ReplicaSet's, an RC's selector may change (kube's ValidateReplicationControllerUpdate).
  void old;
  return causes;
}

// ---- PodTemplate ---------------------------------------------------------------------------------

export function defaultPodTemplate(pt: JsonMap): void {
  const template = mapAt(pt, 'template');
  const spec = template && mapAt(template, 'spec');
  if (spec) defaultPodSpec(spec);
}

export function validatePodTemplate(pt: PodTemplate): FieldCause[] {
  if (!pt.template) return [required('template')];
  return [...validateTemplateMeta('template.metadata', pt.template.metadata), ...validatePodSpec(pt.template.spec, 'template.spec')];
}

// ---- LimitRange ----------------------------------------------------------------------------------

const limitTypes = ['Pod', 'Container', 'PersistentVolumeClaim'];
type LimitItem = NonNullable<LimitRange['spec']>['limits'][number];
type QuantityMap = Record<string, string | number>;

/** SetDefaults_LimitRangeItem: a Container's default (limit) falls back to max, defaultRequest to default, then min. */
export function defaultLimitRange(lr: JsonMap): void {
  const spec = mapAt(lr, 'spec');
  const limits = spec && Array.isArray(spec.limits) ? spec.limits : [];
  for (const item of limits) {
    if (!isMap(item) || item.type !== 'Container') continue;
    const max = isMap(item.max) ? item.max : {};
    const min = isMap(item.min) ? item.min : {};
    const dflt = (item.default = isMap(item.default) ? item.default : {}) as JsonMap;
    for (const [k, v] of Object.entries(max)) if (dflt[k] === undefined) dflt[k] = v;
    const req = (item.defaultRequest = isMap(item.defaultRequest) ? item.defaultRequest : {}) as JsonMap;
    for (const [k, v] of Object.entries(dflt)) if (req[k] === undefined) req[k] = v;
    for (const [k, v] of Object.entries(min)) if (req[k] === undefined) req[k] = v;
    if (Object.keys(dflt).length === 0) delete item.default;
    if (Object.keys(req).length === 0) delete item.defaultRequest;
  }
}

function quantities(field: string, m: QuantityMap | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const [k, v] of Object.entries(m ?? {})) if (!isQuantity(v)) causes.push(invalid(`${field}[${k}]`, v, quantityRegexMessage));
  return causes;
}

export function validateLimitRange(lr: LimitRange): FieldCause[] {
  const causes: FieldCause[] = [];
  (lr.spec?.limits ?? []).forEach((item: LimitItem, i) => {
    const f = `spec.limits[${i}]`;
    if (!limitTypes.includes(item.type)) causes.push(notSupported(`${f}.type`, item.type, limitTypes));
    const maps: Array<[string, QuantityMap | undefined]> = [
      ['max', item.max], ['min', item.min], ['default', item.default], ['defaultRequest', item.defaultRequest], ['maxLimitRequestRatio', item.maxLimitRequestRatio],
    ];
    let bad = false;
    for (const [name, m] of maps) {
      const c = quantities(`${f}.${name}`, m);
      bad ||= c.length > 0;
      causes.push(...c);
    }
    if (bad) return;
    if (item.type === 'Pod' && (item.default || item.defaultRequest)) {
      if (item.default) causes.push(forbidden(`${f}.default`, 'may not be specified when `type` is \'Pod\''));
      if (item.defaultRequest) causes.push(forbidden(`${f}.defaultRequest`, 'may not be specified when `type` is \'Pod\''));
    }
    const cmp = (a: QuantityMap | undefined, b: QuantityMap | undefined, k: string) => (a?.[k] !== undefined && b?.[k] !== undefined ? compareQuantities(a[k], b[k]) : 0);
    for (const k of new Set([...Object.keys(item.min ?? {}), ...Object.keys(item.max ?? {}), ...Object.keys(item.default ?? {}), ...Object.keys(item.defaultRequest ?? {})])) {
      const min = item.min?.[k];
      const max = item.max?.[k];
      if (cmp(item.min, item.max, k) > 0) causes.push(invalid(`${f}.min[${k}]`, min, `min value ${min} is greater than max value ${max}`));
      if (item.defaultRequest?.[k] !== undefined) {
        const v = item.defaultRequest[k];
        if (cmp(item.defaultRequest, item.max, k) > 0) causes.push(invalid(`${f}.defaultRequest[${k}]`, v, `default request value ${v} is greater than max value ${max}`));
        if (cmp(item.min, item.defaultRequest, k) > 0) causes.push(invalid(`${f}.defaultRequest[${k}]`, v, `min value ${min} is greater than default request value ${v}`));
        if (cmp(item.defaultRequest, item.default, k) > 0) causes.push(invalid(`${f}.defaultRequest[${k}]`, v, `default request value ${v} is greater than default limit value ${item.default?.[k]}`));
      }
      if (item.default?.[k] !== undefined) {
        const v = item.default[k];
        if (cmp(item.default, item.max, k) > 0) causes.push(invalid(`${f}.default[${k}]`, v, `default value ${v} is greater than max value ${max}`));
        if (cmp(item.min, item.default, k) > 0) causes.push(invalid(`${f}.default[${k}]`, v, `min value ${min} is greater than default value ${v}`));
      }
    }
    for (const [k, v] of Object.entries(item.maxLimitRequestRatio ?? {})) {
      if (compareQuantities(v, 1) < 0) causes.push(invalid(`${f}.maxLimitRequestRatio[${k}]`, v, `ratio ${v} is less than 1`));
    }
  });
  return causes;
}

// ---- ResourceQuota -------------------------------------------------------------------------------

/** kube's IsStandardResourceQuotaScope. */
const quotaScopes = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'];
/** kube's standardQuotaResources: the names scopes are checked against (count/… and extended names are not). */
const standardQuotaResources = new Set([
  'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.storage', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods', 'resourcequotas', 'services', 'replicationcontrollers',
  'secrets', 'persistentvolumeclaims', 'configmaps', 'services.nodeports', 'services.loadbalancers',
]);
const isStandardQuotaResource = (name: string): boolean => standardQuotaResources.has(name) || /^(requests\.)?hugepages-/.test(name);
const podComputeQuotaResources = new Set(['cpu', 'memory', 'limits.cpu', 'limits.memory', 'requests.cpu', 'requests.memory']);

/** kube's IsResourceQuotaScopeValidForResource: BestEffort pods use no compute, so such a quota may limit only `pods`. */
function scopeValidForResource(scope: string, resource: string): boolean {
  switch (scope) {
    case 'Terminating':
    case 'NotTerminating':
    case 'NotBestEffort':
    case 'PriorityClass':
    case 'CrossNamespacePodAffinity':
      return resource === 'pods' || podComputeQuotaResources.has(resource);
    case 'BestEffort':
      return resource === 'pods';
    default:
      return true;
  }
}

// Field errors print their bad value with Go's %#v of kube's internal types (core.…), as kube-apiserver does.
const goScopes = (scopes: readonly string[] | undefined): string => goStrings('[]core.ResourceQuotaScope', scopes);
function goScopeSelector(sel: NonNullable<NonNullable<ResourceQuota['spec']>['scopeSelector']>): string {
  const reqs = sel.matchExpressions;
  const items = reqs?.map((r) => `core.ScopedResourceSelectorRequirement{ScopeName:${JSON.stringify(r.scopeName ?? '')}, Operator:${JSON.stringify(r.operator ?? '')}, Values:${goStrings('[]string', r.values)}}`);
  return `core.ScopeSelector{MatchExpressions:${items === undefined ? '[]core.ScopedResourceSelectorRequirement(nil)' : `[]core.ScopedResourceSelectorRequirement{${items.join(', ')}}`}}`;
}

const conflictingScopes = [
  ['BestEffort', 'NotBestEffort'],
  ['Terminating', 'NotTerminating'],
];

/** kube's validateResourceQuotaScopes: known scopes, each valid for every standard resource limited, no conflicting pair. */
function validateQuotaScopes(spec: NonNullable<ResourceQuota['spec']>): FieldCause[] {
  const scopes = spec.scopes ?? [];
  if (!scopes.length) return [];
  const causes: FieldCause[] = [];
  const hard = Object.keys(spec.hard ?? {}).sort();
  const printed = goScopes(spec.scopes);
  for (const scope of scopes) {
    if (!quotaScopes.includes(scope)) causes.push(invalidPrinted('spec.scopes', printed, 'unsupported scope'));
    for (const k of hard) if (isStandardQuotaResource(k) && !scopeValidForResource(scope, k)) causes.push(invalidPrinted('spec.scopes', printed, 'unsupported scope applied to resource'));
  }
  for (const pair of conflictingScopes) if (pair.every((p) => scopes.includes(p))) causes.push(invalidPrinted('spec.scopes', printed, 'conflicting scopes'));
  return causes;
}

/** kube's validateScopedResourceSelectorRequirement, under spec.scopeSelector.matchExpressions. */
function validateQuotaScopeSelector(spec: NonNullable<ResourceQuota['spec']>): FieldCause[] {
  const sel = spec.scopeSelector;
  if (!sel) return [];
  const causes: FieldCause[] = [];
  const f = 'spec.scopeSelector.matchExpressions';
  const hard = Object.keys(spec.hard ?? {}).sort();
  const names = new Set<string>();
  for (const req of sel.matchExpressions ?? []) {
    if (!quotaScopes.includes(req.scopeName)) causes.push(invalid(`${f}.scopeName`, req.scopeName, 'unsupported scope'));
    for (const k of hard) if (isStandardQuotaResource(k) && !scopeValidForResource(req.scopeName, k)) causes.push(invalidPrinted(f, goScopeSelector(sel), 'unsupported scope applied to resource'));
    if (['BestEffort', 'NotBestEffort', 'Terminating', 'NotTerminating', 'CrossNamespacePodAffinity'].includes(req.scopeName) && req.operator !== 'Exists') {
      causes.push(
        invalid(
          `${f}.operator`,
          req.operator,
          "must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
        ),
      );
    }
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (!req.values?.length) causes.push(required(`${f}.values`, "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (req.values?.length) causes.push(invalidPrinted(`${f}.values`, goStrings('[]string', req.values), "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"));
        break;
      default:
        causes.push(invalid(`${f}.operator`, req.operator, 'not a valid selector operator'));
    }
    names.add(req.scopeName);
  }
  // kube prints spec.scopes here (its own slip), not the selector.
  for (const pair of conflictingScopes) if (pair.every((p) => names.has(p))) causes.push(invalidPrinted(f, goScopes(spec.scopes), 'conflicting scopes'));
  return causes;
}

export function validateResourceQuota(q: ResourceQuota, old?: ResourceQuota): FieldCause[] {
  const causes: FieldCause[] = [];
  causes.push(...quantities('spec.hard', q.spec?.hard));
  causes.push(...quantities('status.hard', q.status?.hard));
  causes.push(...quantities('status.used', q.status?.used));
  for (const [k, v] of Object.entries(q.spec?.hard ?? {})) {
    if (isQuantity(v) && compareQuantities(v, 0) < 0) causes.push(invalid(`spec.hard[${k}]`, v, 'must be greater than or equal to 0'));
  }
  if (q.spec) causes.push(...validateQuotaScopes(q.spec), ...validateQuotaScopeSelector(q.spec));
  // Scopes cannot change (the scope selector can).
  if (old) {
    const was = new Set(old.spec?.scopes ?? []);
    const now = new Set(q.spec?.scopes ?? []);
    if (was.size !== now.size || [...was].some((s) => !now.has(s))) causes.push(invalidPrinted('spec.scopes', goScopes(q.spec?.scopes), 'field is immutable'));
  }
  return causes;
}

// ---- PriorityClass -------------------------------------------------------------------------------

/** scheduling.HighestUserDefinablePriority. */
export const HighestUserDefinablePriority = 1_000_000_000;
/** The classes every cluster has (scheduling.SystemPriorityClasses()). */
export const SystemPriorityClasses: PriorityClass[] = [
  { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'system-node-critical' }, value: 2_000_001_000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'system-cluster-critical' }, value: 2_000_000_000, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
];
const preemptionPolicies = ['Never', 'PreemptLowerPriority'];

export function defaultPriorityClass(pc: JsonMap): void {
  setDefault(pc, 'preemptionPolicy', 'PreemptLowerPriority');
}

export function validatePriorityClass(pc: PriorityClass, old?: PriorityClass): FieldCause[] {
  const causes: FieldCause[] = [];
  const name = pc.metadata?.name ?? '';
  const system = SystemPriorityClasses.find((s) => s.metadata?.name === name);
  if (system) {
    if (pc.value !== system.value) causes.push(forbidden('metadata.name', `${name} is a system priority class with value ${system.value}; its value may not be changed`));
  } else if (name.startsWith('system-')) {
    causes.push(forbidden('metadata.name', "priority class names with 'system-' prefix are reserved for system use only"));
  } else if (pc.value > HighestUserDefinablePriority) {
    causes.push(forbidden('value', `maximum allowed value of a user defined priority is ${HighestUserDefinablePriority}`));
  }
  if (pc.preemptionPolicy !== undefined && !preemptionPolicies.includes(pc.preemptionPolicy)) causes.push(notSupported('preemptionPolicy', pc.preemptionPolicy, preemptionPolicies));
  if (old) {
    if (old.value !== pc.value) causes.push(forbidden('value', 'may not be changed in an update.'));
    if ((old.preemptionPolicy ?? 'PreemptLowerPriority') !== (pc.preemptionPolicy ?? 'PreemptLowerPriority')) causes.push(invalid('preemptionPolicy', pc.preemptionPolicy, 'field is immutable'));
  }
  return causes;
}
