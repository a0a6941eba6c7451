import type { HorizontalPodAutoscaler, MetricSpec } from 'kubernetes-types/autoscaling/v2';
import type { Pod } from 'kubernetes-types/core/v1';
import { emptyHistory } from './behavior';
import { type HpaInput, NO_CUSTOM_METRICS_API, NO_EXTERNAL_METRICS_API, planHpa } from './sync';

const now = Date.parse('2026-01-01T12:00:00Z');
const longAgo = '2026-01-01T11:00:00Z';

function pod(name: string): Pod {
  return {
    metadata: { name },
    spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '100m' } } }] },
    status: { phase: 'Running', startTime: longAgo, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: longAgo }] },
  };
}

function hpa(metrics: MetricSpec[], o: { min?: number; max?: number } = {}): HorizontalPodAutoscaler {
  return {
    metadata: { name: 'web', namespace: 'shop' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: o.min ?? 1, maxReplicas: o.max ?? 10, metrics },
    status: { desiredReplicas: 3, currentReplicas: 3 },
  };
}

/** Three Ready pods, each using `milli` CPU against a 100m request. */
function input(h: HorizontalPodAutoscaler, milli: number): HpaInput {
  const pods = ['a', 'b', 'c'].map(pod);
  const metrics = new Map(pods.map((p) => [p.metadata!.name!, { containers: new Map([['c', { cpu: milli }]]), timestamp: now - 1000, windowMs: 15_000 }]));
  return { hpa: h, currentReplicas: 3, pods, metrics, now };
}

const cpu50: MetricSpec = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } };
const objectValue: MetricSpec = {
  type: 'Object',
  object: { describedObject: { apiVersion: 'v1', kind: 'Service', name: 'front' }, metric: { name: 'requests-per-second' }, target: { type: 'Value', value: '10k' } },
};
const objectAverage: MetricSpec = {
  type: 'Object',
  object: { describedObject: { apiVersion: 'v1', kind: 'Service', name: 'front' }, metric: { name: 'requests-per-second' }, target: { type: 'AverageValue', averageValue: '1k' } },
};
const podsMetric: MetricSpec = { type: 'Pods', pods: { metric: { name: 'packets-per-second' }, target: { type: 'AverageValue', averageValue: '1k' } } };
const external: MetricSpec = {
  type: 'External',
  external: { metric: { name: 'queue_messages_ready', selector: { matchLabels: { queue: 'worker_tasks' } } }, target: { type: 'AverageValue', averageValue: '30' } },
};
const externalValue: MetricSpec = {
  type: 'External',
  external: {
    metric: { name: 'queue_messages_ready', selector: { matchExpressions: [{ key: 'queue', operator: 'In', values: ['a', 'b'] }] } },
    target: { type: 'Value', value: '30' },
  },
};

const svcDetail = `unable to get metric requests-per-second: Service on shop front/${NO_CUSTOM_METRICS_API}`;
const extDetail = `unable to get external metric shop/queue_messages_ready/&LabelSelector{MatchLabels:map[string]string{queue: worker_tasks,},MatchExpressions:[]LabelSelectorRequirement{},}: ${NO_EXTERNAL_METRICS_API}`;

describe('planHpa without a custom or external metrics API (kube without an adapter)', () => {
  it.each([
    // [name, metric, reason, event/condition detail, the wrapped error the invalid-metrics message quotes]
    ['Object (Value)', objectValue, 'FailedGetObjectMetric', svcDetail, `failed to get object metric value: ${svcDetail}`],
    ['Object (AverageValue)', objectAverage, 'FailedGetObjectMetric', svcDetail, `failed to get object metric value: failed to get requests-per-second object metric: ${svcDetail}`],
    [
      'Pods',
      podsMetric,
      'FailedGetPodsMetric',
      `unable to get metric packets-per-second: ${NO_CUSTOM_METRICS_API}`,
      `failed to get pods metric value: unable to get metric packets-per-second: ${NO_CUSTOM_METRICS_API}`,
    ],
    ['External (AverageValue)', external, 'FailedGetExternalMetric', extDetail, `failed to get queue_messages_ready external metric value: failed to get queue_messages_ready external metric: ${extDetail}`],
    [
      'External (Value)',
      externalValue,
      'FailedGetExternalMetric',
      `unable to get external metric shop/queue_messages_ready/&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:queue,Operator:In,Values:[a b],},},}: ${NO_EXTERNAL_METRICS_API}`,
      `failed to get queue_messages_ready external metric value: failed to get external metric queue_messages_ready: unable to get external metric shop/queue_messages_ready/&LabelSelector{MatchLabels:map[string]string{},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:queue,Operator:In,Values:[a b],},},}: ${NO_EXTERNAL_METRICS_API}`,
    ],
  ])('a lone %s metric: ScalingActive=False with its reason and event, no scale', (_name, metric, reason, detail, wrapped) => {
    const plan = planHpa(input(hpa([metric]), 500), emptyHistory());
    expect(plan.rescaleTo).toBeUndefined();
    expect(plan.events).toEqual([
      { type: 'Warning', reason, message: detail },
      { type: 'Warning', reason: 'FailedComputeMetricsReplicas', message: `invalid metrics (1 invalid out of 1), first error is: ${wrapped}` },
    ]);
    expect(plan.status.conditions?.find((c) => c.type === 'ScalingActive')).toMatchObject({ status: 'False', reason, message: `the HPA was unable to compute the replica count: ${detail}` });
    expect(plan.status.conditions?.find((c) => c.type === 'AbleToScale')).toMatchObject({ status: 'True', reason: 'SucceededGetScale' });
    // The entry of a metric that failed is left empty (kube's zero MetricStatus); desiredReplicas is kept.
    expect(plan.status.currentMetrics).toEqual([{ type: '' }]);
    expect(plan.status.desiredReplicas).toBe(3);
    expect(plan.status.currentReplicas).toBe(3);
  });

  it.each([
    // [what, metrics, cpu milli per pod, want rescale, want ScalingActive reason]
    ['CPU at 200% still scales up past a failing Pods metric', [podsMetric, cpu50], 100, 6, 'ValidMetricFound'],
    ['CPU within tolerance holds: the failing metric does not block a proposal equal to the current count', [cpu50, external], 50, undefined, 'ValidMetricFound'],
    ['CPU at 10% never scales down while another metric fails', [cpu50, objectValue], 5, undefined, 'FailedGetObjectMetric'],
    ['CPU at 10% alone scales down', [cpu50], 5, 1, 'ValidMetricFound'],
  ])('%s', (_what, metrics, milli, want, reason) => {
    // No behavior: an empty history has no recommendation to stabilize on.
    const plan = planHpa(input(hpa(metrics as MetricSpec[]), milli as number), emptyHistory());
    expect(plan.rescaleTo).toBe(want);
    expect(plan.status.conditions?.find((c) => c.type === 'ScalingActive')?.reason).toBe(reason);
    // The CPU entry sits at its spec index; the failed metric's is empty.
    const cpuAt = (metrics as MetricSpec[]).indexOf(cpu50);
    expect(plan.status.currentMetrics?.[cpuAt]?.type).toBe('Resource');
    if ((metrics as MetricSpec[]).length > 1) expect(plan.status.currentMetrics?.[1 - cpuAt]).toEqual({ type: '' });
  });

  it('scales up past a failing metric with the events kube records', () => {
    const plan = planHpa(input(hpa([cpu50, podsMetric]), 100), emptyHistory());
    expect(plan.events.map((e) => e.reason)).toEqual(['FailedGetPodsMetric', 'SuccessfulRescale']);
    expect(plan.events[1].message).toBe('New size: 6; reason: cpu resource utilization (percentage of request) above target');
    expect(plan.status.conditions?.find((c) => c.type === 'ScalingActive')?.message).toBe('the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)');
  });

  it('words a resource metric failure as kube does (the detail in the condition, wrapped in the invalid-metrics event)', () => {
    const i = input(hpa([cpu50]), 100);
    i.metrics = 'the server is currently unable to handle the request';
    const plan = planHpa(i, emptyHistory());
    const detail = 'failed to get cpu utilization: unable to get metrics for resource cpu: the server is currently unable to handle the request';
    expect(plan.events).toEqual([
      { type: 'Warning', reason: 'FailedGetResourceMetric', message: detail },
      { type: 'Warning', reason: 'FailedComputeMetricsReplicas', message: `invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: ${detail}` },
    ]);
  });
});
