// One HorizontalPodAutoscaler sync, pure (kube's reconcileAutoscaler): from the target's Scale, the pods
// its selector picks and their metrics, the replicas to set, the status (currentMetrics, conditions
// AbleToScale / ScalingActive / ScalingLimited, lastScaleTime) and the events. Several metrics: the
// largest proposal wins; a metric that fails never lets the others scale down.
import type { HorizontalPodAutoscaler, HorizontalPodAutoscalerCondition, HorizontalPodAutoscalerStatus, MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2';
import type { Pod } from 'kubernetes-types/core/v1';
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

/** A resource metric's name as kube's events and conditions say it. */
function describe(m: MetricSpec): string {
  if (m.type === 'Resource') return `${m.resource?.name} resource${m.resource?.target.type === 'Utilization' ? ' utilization (percentage of request)' : ''}`;
  if (m.type === 'ContainerResource') return `${m.containerResource?.name} container resource${m.containerResource?.target.type === 'Utilization' ? ' utilization (percentage of request)' : ''}`;
  return `${m.type} metric`;
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

/** One metric's proposal and status entry; a string is the error. */
function computeMetric(input: HpaInput, m: MetricSpec, o: CalculatorOptions): { replicas: number; status: MetricStatus } | { error: string; reason: string } {
  const src = m.type === 'Resource' ? m.resource : m.type === 'ContainerResource' ? m.containerResource : undefined;
  if (!src) return { error: `the HPA controller has no source of ${m.type} metrics (steer serves the resource metrics API only)`, reason: 'FailedGetExternalMetric' };
  const reason = m.type === 'Resource' ? 'FailedGetResourceMetric' : 'FailedGetContainerResourceMetric';
  if (typeof input.metrics === 'string') return { error: `failed to get ${src.name} utilization: unable to get metrics for resource ${src.name}: ${input.metrics}`, reason };
  const container = m.type === 'ContainerResource' ? m.containerResource?.container : undefined;
  const metrics = podMetricsFor(input, src.name, container);
  const target =
    src.target.type === 'Utilization' && src.target.averageUtilization !== undefined
      ? { utilization: src.target.averageUtilization, container }
      : { averageMilli: milliValue(src.target.averageValue ?? '0') };
  const r = resourceReplicas(input.currentReplicas, input.pods, metrics, src.name, target, input.now, o);
  if (typeof r === 'string') return { error: `failed to get ${src.name} utilization: ${r}`, reason };
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
    let proposal = -1;
    let proposalMetric = '';
    const statuses: MetricStatus[] = [];
    const failures: Array<{ error: string; reason: string }> = [];
    for (const m of spec.metrics ?? []) {
      const r = computeMetric(input, m, o);
      if ('error' in r) {
        failures.push(r);
        events.push({ type: 'Warning', reason: r.reason, message: r.error });
        statuses.push({ type: m.type });
        continue;
      }
      statuses.push(r.status);
      if (r.replicas > proposal) {
        proposal = r.replicas;
        proposalMetric = describe(m);
      }
    }
    const n = spec.metrics?.length ?? 0;
    if (failures.length > 0 && (failures.length === n || proposal < currentReplicas)) {
      // Every metric failed, or a failed one might have asked for more: keep the current count.
      const message = `invalid metrics (${failures.length} invalid out of ${n}), first error is: ${failures[0].error}`;
      events.push({ type: 'Warning', reason: 'FailedComputeMetricsReplicas', message });
      conditions = condition(conditions, 'ScalingActive', 'False', failures[0].reason, `the HPA was unable to compute the replica count: ${failures[0].error}`, now);
      status.currentMetrics = statuses.some((s) => s.resource || s.containerResource) ? statuses.filter((s) => s.resource || s.containerResource) : undefined;
      if (!status.currentMetrics) delete status.currentMetrics;
      status.desiredReplicas = failures.length === n ? currentReplicas : Math.max(proposal, currentReplicas);
      status.conditions = conditions;
      if (failures.length === n) return { status, events };
      proposal = Math.max(proposal, currentReplicas);
    } else {
      conditions = condition(conditions, 'ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${proposalMetric}`, now);
    }
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
