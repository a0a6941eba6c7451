// autoscaling/v2 validation (k8s.io/kubernetes/pkg/apis/autoscaling/validation) with kube-apiserver's
// messages: the scale target, min/max replicas, each metric and its target, behavior rules.
import type { HorizontalPodAutoscaler, HPAScalingRules, MetricSpec, MetricTarget } from 'kubernetes-types/autoscaling/v2';
import { isQuantity, parseQuantity, quantityRegexMessage } from '../../lib/api/quantity';
import { at, type FieldCause, idx, invalid, notSupported, required } from './common';

const metricTypes = ['Object', 'Pods', 'Resource', 'ContainerResource', 'External'];
const targetTypes = ['Utilization', 'Value', 'AverageValue'];
const selectPolicies = ['Max', 'Min', 'Disabled'];
const policyTypes = ['Pods', 'Percent'];
const MaxPeriodSeconds = 1800;
const MaxStabilizationWindowSeconds = 3600;

function validateTarget(field: string, t: MetricTarget | undefined): FieldCause[] {
  if (!t) return [required(field, 'must specify a metric target')];
  const causes: FieldCause[] = [];
  if (!t.type) causes.push(required(at(field, 'type'), 'must specify a metric target type'));
  else if (!targetTypes.includes(t.type)) causes.push(notSupported(at(field, 'type'), t.type, targetTypes));
  const quantity = (name: 'value' | 'averageValue') => {
    const v = t[name];
    if (v === undefined) return;
    if (!isQuantity(v)) causes.push(invalid(at(field, name), v, quantityRegexMessage));
    else if (parseQuantity(v).value <= 0) causes.push(invalid(at(field, name), v, 'must be positive'));
  };
  quantity('value');
  quantity('averageValue');
  if (t.averageUtilization !== undefined && t.averageUtilization < 1) causes.push(invalid(at(field, 'averageUtilization'), t.averageUtilization, 'must be greater than 0'));
  if (t.type === 'Utilization' && t.averageUtilization === undefined) causes.push(required(at(field, 'averageUtilization'), 'must set averageUtilization when type is Utilization'));
  if (t.type === 'AverageValue' && t.averageValue === undefined) causes.push(required(at(field, 'averageValue'), 'must set averageValue when type is AverageValue'));
  if (t.type === 'Value' && t.value === undefined) causes.push(required(at(field, 'value'), 'must set value when type is Value'));
  return causes;
}

function validateMetric(field: string, m: MetricSpec): FieldCause[] {
  if (!m.type) return [required(at(field, 'type'), 'must specify a metric source type')];
  if (!metricTypes.includes(m.type)) return [notSupported(at(field, 'type'), m.type, metricTypes)];
  const causes: FieldCause[] = [];
  if (m.type === 'Resource' || m.type === 'ContainerResource') {
    const key = m.type === 'Resource' ? 'resource' : 'containerResource';
    const src = m.type === 'Resource' ? m.resource : m.containerResource;
    if (!src) return [required(at(field, key), `must populate information for the given metric source (type ${m.type})`)];
    if (!src.name) causes.push(required(at(at(field, key), 'name'), 'must specify a resource name'));
    if (m.type === 'ContainerResource' && !m.containerResource?.container) causes.push(required(at(at(field, key), 'container'), 'must specify a container'));
    causes.push(...validateTarget(at(at(field, key), 'target'), src.target));
    if (src.target?.type === 'Value') causes.push(invalid(at(at(at(field, key), 'target'), 'type'), 'Value', 'must be either Utilization or AverageValue'));
  } else {
    const key = ({ Object: 'object', Pods: 'pods', External: 'external' } as const)[m.type as 'Object' | 'Pods' | 'External'];
    const src = m[key] as { metric?: { name?: string }; target?: MetricTarget } | undefined;
    if (!src) return [required(at(field, key), `must populate information for the given metric source (type ${m.type})`)];
    if (!src.metric?.name) causes.push(required(at(at(at(field, key), 'metric'), 'name'), 'must specify a metric name'));
    causes.push(...validateTarget(at(at(field, key), 'target'), src.target));
  }
  return causes;
}

function validateRules(field: string, r: HPAScalingRules | undefined): FieldCause[] {
  if (!r) return [];
  const causes: FieldCause[] = [];
  const w = r.stabilizationWindowSeconds;
  if (w !== undefined && (w < 0 || w > MaxStabilizationWindowSeconds)) {
    causes.push(invalid(at(field, 'stabilizationWindowSeconds'), w, w < 0 ? 'must be greater than or equal to zero' : `must be less than or equal to ${MaxStabilizationWindowSeconds}`));
  }
  if (r.selectPolicy !== undefined && !selectPolicies.includes(r.selectPolicy)) causes.push(notSupported(at(field, 'selectPolicy'), r.selectPolicy, selectPolicies));
  (r.policies ?? []).forEach((p, i) => {
    const f = idx(at(field, 'policies'), i);
    if (!policyTypes.includes(p.type)) causes.push(notSupported(at(f, 'type'), p.type, policyTypes));
    if (!(p.value > 0)) causes.push(invalid(at(f, 'value'), p.value, 'must be greater than zero'));
    if (!(p.periodSeconds > 0)) causes.push(invalid(at(f, 'periodSeconds'), p.periodSeconds, 'must be greater than zero'));
    else if (p.periodSeconds > MaxPeriodSeconds) causes.push(invalid(at(f, 'periodSeconds'), p.periodSeconds, `must be less than or equal to ${MaxPeriodSeconds}`));
  });
  return causes;
}

export function validateHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler): FieldCause[] {
  const spec = hpa.spec;
  if (!spec) return [required('spec')];
  const causes: FieldCause[] = [];
  const ref = spec.scaleTargetRef;
  if (!ref?.kind) causes.push(required('spec.scaleTargetRef.kind'));
  if (!ref?.name) causes.push(required('spec.scaleTargetRef.name'));
  if (spec.minReplicas !== undefined && spec.minReplicas < 1) causes.push(invalid('spec.minReplicas', spec.minReplicas, 'must be greater than or equal to 1'));
  if (!(spec.maxReplicas >= 1)) causes.push(invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than 0'));
  else if (spec.minReplicas !== undefined && spec.maxReplicas < spec.minReplicas) causes.push(invalid('spec.maxReplicas', spec.maxReplicas, 'must be greater than or equal to `minReplicas`'));
  (spec.metrics ?? []).forEach((m, i) => causes.push(...validateMetric(idx('spec.metrics', i), m)));
  causes.push(...validateRules('spec.behavior.scaleUp', spec.behavior?.scaleUp));
  causes.push(...validateRules('spec.behavior.scaleDown', spec.behavior?.scaleDown));
  return causes;
}
