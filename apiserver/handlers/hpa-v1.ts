// autoscaling/v1 HorizontalPodAutoscalers: the stored autoscaling/v2 objects converted at the edge, as
// kube-apiserver serves both versions of one kind (kubectl 1.20's `autoscale` writes v1). v1 carries the
// CPU utilization target only; the other v2 metrics and the behavior of a stored object survive a v1
// write, and the v2 conditions are shown in the `autoscaling.alpha.kubernetes.io/conditions` annotation
// as kube does. Served by served-versions.ts.
import type { HorizontalPodAutoscaler as HpaV1 } from 'kubernetes-types/autoscaling/v1';
import type { HorizontalPodAutoscaler as HpaV2, MetricSpec } from 'kubernetes-types/autoscaling/v2';
import { HpaV1Resource, Resources } from '../../lib/api/resources';
import type { KObj } from '../storage/types';
import type { VersionConversion } from './served-versions';

const ConditionsAnnotation = 'autoscaling.alpha.kubernetes.io/conditions';

const isCpuUtilization = (m: MetricSpec) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource.target.type === 'Utilization';

/** v2 → v1. */
export function toV1(h: HpaV2): HpaV1 {
  const cpu = h.spec?.metrics?.find(isCpuUtilization);
  const cur = h.status?.currentMetrics?.find((m) => m.type === 'Resource' && m.resource?.name === 'cpu')?.resource?.current.averageUtilization;
  const annotations = { ...(h.metadata?.annotations ?? {}) };
  if (h.status?.conditions?.length) annotations[ConditionsAnnotation] = JSON.stringify(h.status.conditions);
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { ...h.metadata, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: {
      scaleTargetRef: h.spec!.scaleTargetRef,
      ...(h.spec?.minReplicas !== undefined ? { minReplicas: h.spec.minReplicas } : {}),
      maxReplicas: h.spec?.maxReplicas ?? 0,
      ...(cpu?.resource?.target.averageUtilization !== undefined ? { targetCPUUtilizationPercentage: cpu.resource.target.averageUtilization } : {}),
    },
    status: {
      currentReplicas: h.status?.currentReplicas ?? 0,
      desiredReplicas: h.status?.desiredReplicas ?? 0,
      ...(h.status?.lastScaleTime ? { lastScaleTime: h.status.lastScaleTime } : {}),
      ...(h.status?.observedGeneration !== undefined ? { observedGeneration: h.status.observedGeneration } : {}),
      ...(cur !== undefined ? { currentCPUUtilizationPercentage: cur } : {}),
    },
  };
}

/** v1 → v2, keeping what only v2 holds from the stored object (other metrics, behavior, status). */
export function toV2(v1: HpaV1, stored?: HpaV2): HpaV2 {
  const others = (stored?.spec?.metrics ?? []).filter((m) => !isCpuUtilization(m));
  const pct = v1.spec?.targetCPUUtilizationPercentage;
  const cpu: MetricSpec[] = pct !== undefined ? [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: pct } } }] : [];
  const annotations = { ...(v1.metadata?.annotations ?? {}) };
  delete annotations[ConditionsAnnotation];
  const metrics = [...cpu, ...others];
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { ...v1.metadata, annotations: Object.keys(annotations).length ? annotations : undefined },
    spec: {
      scaleTargetRef: v1.spec?.scaleTargetRef as NonNullable<HpaV2['spec']>['scaleTargetRef'],
      ...(v1.spec?.minReplicas !== undefined ? { minReplicas: v1.spec.minReplicas } : {}),
      maxReplicas: v1.spec?.maxReplicas as number,
      ...(metrics.length ? { metrics } : {}),
      ...(stored?.spec?.behavior ? { behavior: stored.spec.behavior } : {}),
    },
    ...(stored?.status ? { status: stored.status } : {}),
  };
}

/** autoscaling/v1 served from the stored autoscaling/v2 objects. */
export const hpaV1Conversion: VersionConversion = {
  served: HpaV1Resource,
  stored: Resources.horizontalpodautoscalers,
  toServed: (o: KObj) => toV1(o as unknown as HpaV2),
  toStored: (body, current) => toV2(body as HpaV1, current as unknown as HpaV2 | undefined) as unknown as KObj,
};
