// The HorizontalPodAutoscaler printer: REFERENCE, TARGETS, MINPODS, MAXPODS, REPLICAS as kubectl prints them.
import type { HorizontalPodAutoscaler, MetricSpec, MetricStatus } from 'kubernetes-types/autoscaling/v2';
import { formatQuantity, isQuantity } from '../../lib/api/quantity';
import { age, ageCol, col, meta, nameCol, Printer } from './common';

const q = (v: string | number | undefined): string => (v !== undefined && isQuantity(v) ? formatQuantity(v) : '<unknown>');

/** One metric's "current/target", as kube's formatHPAMetrics writes it. */
function metricTarget(spec: MetricSpec, status: MetricStatus | undefined): string {
  switch (spec.type) {
    case 'Resource':
    case 'ContainerResource': {
      const src = spec.type === 'Resource' ? spec.resource : spec.containerResource;
      const cur = spec.type === 'Resource' ? status?.resource?.current : status?.containerResource?.current;
      const name = src?.name ?? '';
      const label = spec.type === 'Resource' ? name : `${name} (${spec.containerResource?.container ?? ''})`;
      if (src?.target?.averageValue !== undefined) return `${label}: ${cur?.averageValue !== undefined ? q(cur.averageValue) : '<unknown>'}/${q(src.target.averageValue)}`;
      const current = cur?.averageUtilization !== undefined ? `${cur.averageUtilization}%` : '<unknown>';
      const target = src?.target?.averageUtilization !== undefined ? `${src.target.averageUtilization}%` : '<auto>';
      return `${label}: ${current}/${target}`;
    }
    case 'Pods':
      return `${status?.pods?.current?.averageValue !== undefined ? q(status.pods.current.averageValue) : '<unknown>'}/${q(spec.pods?.target?.averageValue)}`;
    case 'Object': {
      const t = spec.object?.target;
      const c = status?.object?.current;
      if (t?.averageValue !== undefined) return `${c?.averageValue !== undefined ? q(c.averageValue) : '<unknown>'}/${q(t.averageValue)} (avg)`;
      return `${c?.value !== undefined ? q(c.value) : '<unknown>'}/${q(t?.value)}`;
    }
    case 'External': {
      const t = spec.external?.target;
      const c = status?.external?.current;
      if (t?.averageValue !== undefined) return `${c?.averageValue !== undefined ? q(c.averageValue) : '<unknown>'}/${q(t.averageValue)} (avg)`;
      return `${c?.value !== undefined ? q(c.value) : '<unknown>'}/${q(t?.value)}`;
    }
    default:
      return '<unknown type>';
  }
}

/** TARGETS: the first two metrics, then "+ N more...". */
export function formatHpaMetrics(specs: MetricSpec[] | undefined, statuses: MetricStatus[] | undefined): string {
  if (!specs?.length) return '<none>';
  const shown = specs.slice(0, 2).map((s, i) => metricTarget(s, statuses?.[i]));
  return specs.length > 2 ? `${shown.join(', ')} + ${specs.length - 2} more...` : shown.join(', ');
}

export const hpaPrinter: Printer = {
  columns: [
    nameCol,
    col('Reference', 'reference to the target object'),
    col('Targets', 'the target metric values'),
    col('MinPods', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.'),
    col('MaxPods', 'maxReplicas is the upper limit for the number of pods that can be set by the autoscaler.'),
    col('Replicas', 'current number of replicas of pods managed by this autoscaler.', 0, 'integer'),
    ageCol,
  ],
  cells(obj, now) {
    const hpa = obj as HorizontalPodAutoscaler;
    const ref = hpa.spec?.scaleTargetRef;
    return [
      meta(obj).name ?? '',
      `${ref?.kind ?? ''}/${ref?.name ?? ''}`,
      formatHpaMetrics(hpa.spec?.metrics, hpa.status?.currentMetrics),
      hpa.spec?.minReplicas !== undefined ? String(hpa.spec.minReplicas) : '<unset>',
      String(hpa.spec?.maxReplicas ?? 0),
      hpa.status?.currentReplicas ?? 0,
      age(obj, now),
    ];
  },
};
