// One HorizontalPodAutoscaler sync, pure (kube's reconcileAutoscaler): from the target's Scale, the pods
// its selector picks and their metrics, the replicas to set, the status (currentMetrics, conditions
// AbleToScale / ScalingActive / ScalingLimited, lastScaleTime) and the events. Several metrics: the
// largest proposal wins; a metric that fails never lets the others scale down.
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerStatus, MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2';
import type { Pod } from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { formatQuantity, milliValue } from '../../lib/api/quantity';
import { rfc3339 } from '../../lib/api/time';
import { normalizeReplicas, recordScale, type ScalingHistory } from './behavior';
import { type CalculatorOptions, defaultCalculatorOptions, type PodMetric, resourceReplicas } from './replica-calculator';

export interface HpaEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface HpaInput {
  hpa: HorizontalPodAutoscaler;
  /** spec.replicas of the target (its Scale). */
  currentReplicas: number;
  pods: Pod[];
  /** Pod metrics by pod name, or why they could not be read. */
  metrics: Map<string, { containers: Map<string, Record<string, number>>; timestamp: number; windowMs: number }> | string;
  now: number;
}

export interface HpaPlan {
  /** Set the target's replicas to this (undefined: leave them). */
  rescaleTo?: number;
  status: HorizontalPodAutoscalerStatus;
  events: HpaEvent[];
}

function condition(list: HorizontalPodAutoscalerCondition[], type: string, status: 'True' | 'False', reason: string, message: string, now: number): HorizontalPodAutoscalerCondition[] {
  const old = list.find((c) => c.type === type);
  const c: HorizontalPodAutoscalerCondition = {
    type,
    status,
    reason,
    message,
    lastTransitionTime: old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(now),
  };
  return [...list.filter((x) => x.type !== type), c];
}

/** A metric's name as kube's events and conditions say it (its metricNameProposal). */
function describe(m: MetricSpec): string {
  switch (m.type) {
    case 'Resource':
      return m.resource?.target.averageValue !== undefined ? `${m.resource.name} resource` : `${m.resource?.name} resource utilization (percentage of request)`;
    case 'ContainerResource':
      return m.containerResource?.target.averageValue !== undefined
        ? `${m.containerResource.name} resource`
        : `${m.containerResource?.name} container resource utilization (percentage of request)`;
    case 'Pods':
      return `pods metric ${m.pods?.metric.name}`;
    case 'Object':
      return m.object?.target.type === 'AverageValue' ? `external metric ${m.object.metric.name}(${goLabelSelector(m.object.metric.selector)})` : `${m.object?.describedObject.kind} metric ${m.object?.metric.name}`;
    case 'External':
      return `external metric ${m.external?.metric.name}(${goLabelSelector(m.external?.metric.selector)})`;
    default:
      return `${m.type} metric`;
  }
}

/** A *metav1.LabelSelector as Go's %+v prints it (its generated String()), for kube's messages. */
export function goLabelSelector(sel: LabelSelector | undefined): string {
  if (!sel) return 'nil';
  const labels = Object.keys(sel.matchLabels ?? {})
    .sort()
    .map((k) => `${k}: ${sel.matchLabels![k]},`)
    .join('');
  const exprs = (sel.matchExpressions ?? []).map((e) => `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(' ')}],},`).join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}

/**
 * What kube's metrics clients answer when no adapter serves custom.metrics.k8s.io or
 * external.metrics.k8s.io: steer serves neither (discovery lists neither group), so Object, Pods and
 * External metrics fail as they do on a cluster without an adapter.
 */
export const NO_CUSTOM_METRICS_API = 'unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered';
export const NO_EXTERNAL_METRICS_API = 'unable to fetch metrics from external metrics API: the server could not find the requested resource';

/**
 * A metric that could not be computed: `reason` and `detail` make the Warning event and the
 * ScalingActive=False condition (getUnableComputeReplicaCountCondition), `error` is the wrapped error
 * the "invalid metrics" message quotes.
 */
interface MetricFailure {
  reason: string;
  detail: string;
  error: string;
}

/** Object, Pods and External metrics: kube's calculation fails at the metrics client (no adapter). */
function customMetricFailure(m: MetricSpec, namespace: string): MetricFailure {
  if (m.type === 'Object') {
    const o = m.object!;
    const t = o.target;
    if (!((t.type === 'Value' && t.value !== undefined) || (t.type === 'AverageValue' && t.averageValue !== undefined))) {
      const detail = 'invalid object metric source: neither a value target nor an average value target was set';
      return { reason: 'FailedGetObjectMetric', detail, error: `failed to get object metric value: ${detail}` };
    }
    // kube's replica calculator formats this one with its arguments out of order; kept as it reads.
    const detail = `unable to get metric ${o.metric.name}: ${o.describedObject.kind} on ${namespace} ${o.describedObject.name}/${NO_CUSTOM_METRICS_API}`;
    const inner = t.type === 'AverageValue' ? `failed to get ${o.metric.name} object metric: ${detail}` : detail;
    return { reason: 'FailedGetObjectMetric', detail, error: `failed to get object metric value: ${inner}` };
  }
  if (m.type === 'Pods') {
    const detail = `unable to get metric ${m.pods!.metric.name}: ${NO_CUSTOM_METRICS_API}`;
    return { reason: 'FailedGetPodsMetric', detail, error: `failed to get pods metric value: ${detail}` };
  }
  if (m.type === 'External') {
    const e = m.external!;
    const name = e.metric.name;
    if (e.target.averageValue === undefined && e.target.value === undefined) {
      const detail = 'invalid external metric source: neither a value target nor an average value target was set';
      return { reason: 'FailedGetExternalMetric', detail, error: detail };
    }
    const detail = `unable to get external metric ${namespace}/${name}/${goLabelSelector(e.metric.selector)}: ${NO_EXTERNAL_METRICS_API}`;
    const inner = e.target.averageValue !== undefined ? `failed to get ${name} external metric: ${detail}` : `failed to get external metric ${name}: ${detail}`;
    return { reason: 'FailedGetExternalMetric', detail, error: `failed to get ${name} external metric value: ${inner}` };
  }
  const error = `unknown metric source type "${m.type}"`;
  return { reason: 'InvalidMetricSourceType', detail: error, error };
}

function podMetricsFor(input: HpaInput, resource: string, container?: string): Map<string, PodMetric> {
  const out = new Map<string, PodMetric>();
  if (typeof input.metrics === 'string') return out;
  for (const [pod, m] of input.metrics) {
    let milli = 0;
    let found = false;
    for (const [name, usage] of m.containers) {
      if (container && name !== container) continue;
      if (usage[resource] === undefined) continue;
      milli += usage[resource];
      found = true;
    }
    if (found) out.set(pod, { milli, timestamp: m.timestamp, windowMs: m.windowMs });
  }
  return out;
}

function quantityOfMilli(milli: number, resource: string): string {
  // CPU reads best in millicores, memory in whole bytes (kube prints both canonically).
  if (resource === 'cpu') return `${Math.round(milli)}m`;
  return formatQuantity(String(Math.round(milli / 1000)));
}

/** One metric's proposal and status entry, or why it could not be computed. */
function computeMetric(input: HpaInput, m: MetricSpec, o: CalculatorOptions): { replicas: number; status: MetricStatus } | MetricFailure {
  const src = m.type === 'Resource' ? m.resource : m.type === 'ContainerResource' ? m.containerResource : undefined;
  if (!src) return customMetricFailure(m, input.hpa.metadata?.namespace ?? '');
  const reason = m.type === 'Resource' ? 'FailedGetResourceMetric' : 'FailedGetContainerResourceMetric';
  const byValue = src.target.averageValue !== undefined;
  const what = byValue ? 'usage' : 'utilization';
  const fail = (cause: string): MetricFailure => {
    const detail = `failed to get ${src.name} ${what}: ${cause}`;
    const error = m.type === 'Resource' ? `failed to get ${src.name} resource metric value: ${detail}` : `failed to get ${m.containerResource?.container} container metric value: ${detail}`;
    return { reason, detail, error };
  };
  if (typeof input.metrics === 'string') return fail(`unable to get metrics for resource ${src.name}: ${input.metrics}`);
  const container = m.type === 'ContainerResource' ? m.containerResource?.container : undefined;
  const metrics = podMetricsFor(input, src.name, container);
  const target =
    !byValue && src.target.averageUtilization !== undefined ? { utilization: src.target.averageUtilization, container } : { averageMilli: milliValue(src.target.averageValue ?? '0') };
  const r = resourceReplicas(input.currentReplicas, input.pods, metrics, src.name, target, input.now, o);
  if (typeof r === 'string') return fail(r);
  const current = { averageValue: quantityOfMilli(r.averageMilli, src.name), ...(r.utilization !== undefined ? { averageUtilization: r.utilization } : {}) };
  const status: MetricStatus =
    m.type === 'Resource'
      ? { type: 'Resource', resource: { name: src.name, current } }
      : { type: 'ContainerResource', containerResource: { name: src.name, container: container ?? '', current } };
  return { replicas: r.replicas, status };
}

/** Plans one sync; `history` (recommendations, scale events) is updated in place. */
export function planHpa(input: HpaInput, history: ScalingHistory, o: CalculatorOptions = defaultCalculatorOptions): HpaPlan {
  const { hpa, currentReplicas, now } = input;
  const spec = hpa.spec!;
  const min = spec.minReplicas ?? 1;
  const max = spec.maxReplicas;
  const events: HpaEvent[] = [];
  let conditions = condition(hpa.status?.conditions ?? [], 'AbleToScale', 'True', 'SucceededGetScale', 'the HPA controller was able to get the target\'s current scale', now);
  const status: HorizontalPodAutoscalerStatus = {
    ...(hpa.status ?? { desiredReplicas: 0 }),
    currentReplicas,
    observedGeneration: hpa.metadata?.generation,
  };
  if (status.observedGeneration === undefined) delete status.observedGeneration;
  let desired: number;
  let rescaleReason = '';
  if (currentReplicas === 0 && min !== 0) {
    conditions = condition(conditions, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero', now);
    status.desiredReplicas = 0;
    status.conditions = conditions;
    return { status, events };
  } else if (currentReplicas > max) {
    desired = max;
    rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
  } else if (currentReplicas < min) {
    desired = min;
    rescaleReason = 'Current number of replicas below Spec.MinReplicas';
  } else {
    // kube's computeReplicasForMetrics: the largest proposal of the metrics that could be computed.
    let proposal = 0;
    let proposalMetric = '';
    const statuses: MetricStatus[] = [];
    const failures: MetricFailure[] = [];
    for (const m of spec.metrics ?? []) {
      const r = computeMetric(input, m, o);
      if (!('replicas' in r)) {
        failures.push(r);
        events.push({ type: 'Warning', reason: r.reason, message: r.detail });
        // kube leaves a failed metric's entry empty, so entries stay aligned with spec.metrics.
        statuses.push({ type: '' });
        continue;
      }
      statuses.push(r.status);
      if (proposal === 0 || r.replicas > proposal) {
        proposal = r.replicas;
        proposalMetric = describe(m);
      }
    }
    const n = spec.metrics?.length ?? 0;
    if (failures.length > 0 && (failures.length >= n || proposal < currentReplicas)) {
      // Every metric failed, or the ones left would scale down while a failed one might want more:
      // nothing is scaled; the status keeps its desiredReplicas and says why.
      events.push({ type: 'Warning', reason: 'FailedComputeMetricsReplicas', message: `invalid metrics (${failures.length} invalid out of ${n}), first error is: ${failures[0].error}` });
      status.currentMetrics = statuses;
      status.conditions = condition(conditions, 'ScalingActive', 'False', failures[0].reason, `the HPA was unable to compute the replica count: ${failures[0].detail}`, now);
      return { status, events };
    }
    // No failure, or the computable metrics scale up (or hold): they drive the scale.
    conditions = condition(conditions, 'ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${proposalMetric}`, now);
    status.currentMetrics = statuses;
    const norm = normalizeReplicas(spec.behavior, history, currentReplicas, proposal, min, max, now, o.downscaleStabilizationMs);
    conditions = condition(conditions, 'AbleToScale', 'True', norm.ableToScale.reason, norm.ableToScale.message, now);
    conditions = condition(conditions, 'ScalingLimited', norm.limited.status, norm.limited.reason, norm.limited.message, now);
    desired = norm.replicas;
    rescaleReason = desired > currentReplicas ? `${proposalMetric} above target` : 'All metrics below target';
  }
  status.desiredReplicas = desired;
  status.conditions = conditions;
  if (desired === currentReplicas) return { status, events };
  recordScale(history, spec.behavior, currentReplicas, desired, now);
  status.lastScaleTime = rfc3339(now);
  events.push({ type: 'Normal', reason: 'SuccessfulRescale', message: `New size: ${desired}; reason: ${rescaleReason}` });
  status.conditions = condition(conditions, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`, now);
  return { rescaleTo: desired, status, events };
}
