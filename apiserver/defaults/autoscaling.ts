// autoscaling/v2 defaulting (k8s.io/kubernetes/pkg/apis/autoscaling/v2/defaults.go): minReplicas 1,
// 80% CPU when no metric is given, and the scale-up/scale-down rules of a behavior that is set.
import { existingMap, isMap, JsonMap, mapAt, missing, setDefault } from './common';

/** The controller's scale-up rule when none is given: the larger of 4 pods or 100% per 15 s, no window. */
export const defaultScaleUp = (): JsonMap => ({
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
});

/** The scale-down rule when none is given: 100% per 15 s after a 300 s window (the window stays unset). */
export const defaultScaleDown = (): JsonMap => ({
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
});

function defaultRule(behavior: JsonMap, key: string, defaults: JsonMap): void {
  const rule = existingMap(behavior, key);
  if (!rule) {
    if (missing(behavior[key])) behavior[key] = defaults;
    return;
  }
  setDefault(rule, 'selectPolicy', defaults.selectPolicy);
  if (missing(rule.policies) || (Array.isArray(rule.policies) && rule.policies.length === 0)) rule.policies = defaults.policies;
  if (key === 'scaleUp') setDefault(rule, 'stabilizationWindowSeconds', 0);
}

export function defaultHorizontalPodAutoscaler(hpa: JsonMap): void {
  const spec = mapAt(hpa, 'spec');
  if (!spec) return;
  setDefault(spec, 'minReplicas', 1);
  if (missing(spec.metrics) || (Array.isArray(spec.metrics) && spec.metrics.length === 0)) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
  const behavior = existingMap(spec, 'behavior');
  if (behavior) {
    defaultRule(behavior, 'scaleUp', defaultScaleUp());
    defaultRule(behavior, 'scaleDown', defaultScaleDown());
  }
  if (Array.isArray(spec.metrics)) for (const m of spec.metrics) if (isMap(m) && missing(m.type) && isMap(m.resource)) m.type = 'Resource';
}
