// Scaling behavior (kube's horizontal.go normalizeDesiredReplicas[WithBehaviors]), pure: stabilization
// windows over the recommendations of the last minutes, then the rate limits of the scale-up and
// scale-down policies over the scale events of their periods, then min/max — each step with the reason
// and message of the AbleToScale and ScalingLimited conditions.
import type { HorizontalPodAutoscalerBehavior, HPAScalingRules } from 'kubernetes-types/autoscaling/v2';

export interface Recommendation {
  at: number;
  replicas: number;
}

export interface ScaleEvent {
  at: number;
  change: number;
}

/** What the controller remembers per HPA between syncs (kube keeps it in memory too). */
export interface ScalingHistory {
  recommendations: Recommendation[];
  scaleUpEvents: ScaleEvent[];
  scaleDownEvents: ScaleEvent[];
}

export const emptyHistory = (): ScalingHistory => ({ recommendations: [], scaleUpEvents: [], scaleDownEvents: [] });

export interface Normalized {
  replicas: number;
  ableToScale: { reason: string; message: string };
  limited: { status: 'True' | 'False'; reason: string; message: string };
}

/** --horizontal-pod-autoscaler-downscale-stabilization (5 min) without a behavior. */
export const DefaultDownscaleStabilizationMs = 5 * 60_000;

function changeInPeriod(periodSeconds: number, events: ScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  return events.filter((e) => e.at > cutoff).reduce((s, e) => s + e.change, 0);
}

/** calculateScaleUpLimitWithScalingRules. */
export function scaleUpLimit(current: number, h: ScalingHistory, rules: HPAScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = rules.selectPolicy === 'Min' ? Infinity : -Infinity;
  for (const p of rules.policies ?? []) {
    const start = current - changeInPeriod(p.periodSeconds, h.scaleUpEvents, now) + changeInPeriod(p.periodSeconds, h.scaleDownEvents, now);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return Number.isFinite(result) ? result : current;
}

/** calculateScaleDownLimitWithBehaviors. */
export function scaleDownLimit(current: number, h: ScalingHistory, rules: HPAScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = rules.selectPolicy === 'Min' ? -Infinity : Infinity;
  for (const p of rules.policies ?? []) {
    const start = current - changeInPeriod(p.periodSeconds, h.scaleUpEvents, now) + changeInPeriod(p.periodSeconds, h.scaleDownEvents, now);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return Number.isFinite(result) ? result : current;
}

const withinRange = { status: 'False' as const, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };

/**
 * The replicas to set from the desired ones. `h.recommendations` gets the new recommendation (pruned
 * to the longest window); `min`/`max` from the spec.
 */
export function normalizeReplicas(
  behavior: HorizontalPodAutoscalerBehavior | undefined,
  h: ScalingHistory,
  current: number,
  desired: number,
  min: number,
  max: number,
  now: number,
  downscaleStabilizationMs = DefaultDownscaleStabilizationMs,
): Normalized {
  if (!behavior) {
    // Without a behavior: the highest recommendation of the stabilization window (5 min), then at most double (or 4).
    h.recommendations = h.recommendations.filter((r) => r.at > now - downscaleStabilizationMs);
    const stabilized = Math.max(desired, ...h.recommendations.map((r) => r.replicas));
    h.recommendations.push({ at: now, replicas: desired });
    const ableToScale =
      stabilized !== desired
        ? { reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' }
        : { reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
    const upLimit = Math.max(2 * current, 4);
    let replicas = stabilized;
    let limited: Normalized['limited'] = withinRange;
    if (replicas < min) {
      replicas = min;
      limited = { status: 'True', reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
    } else if (replicas > max) {
      replicas = max;
      limited = { status: 'True', reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
    } else if (replicas > upLimit) {
      replicas = upLimit;
      limited = { status: 'True', reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
    }
    return { replicas, ableToScale, limited };
  }

  const upWindow = (behavior.scaleUp?.stabilizationWindowSeconds ?? 0) * 1000;
  const downWindow = behavior.scaleDown?.stabilizationWindowSeconds !== undefined ? behavior.scaleDown.stabilizationWindowSeconds * 1000 : downscaleStabilizationMs;
  let up = desired;
  let down = desired;
  for (const r of h.recommendations) {
    if (r.at > now - upWindow) up = Math.min(up, r.replicas);
    if (r.at > now - downWindow) down = Math.max(down, r.replicas);
  }
  let stabilized = current;
  if (stabilized < up) stabilized = up;
  if (stabilized > down) stabilized = down;
  h.recommendations = h.recommendations.filter((r) => r.at > now - Math.max(upWindow, downWindow));
  h.recommendations.push({ at: now, replicas: desired });
  const ableToScale =
    stabilized === desired
      ? { reason: 'ReadyForNewScale', message: 'recommended size matches current size' }
      : stabilized < desired
        ? { reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' }
        : { reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };

  let replicas = stabilized;
  let limited: Normalized['limited'] = withinRange;
  if (stabilized > current) {
    let limit = scaleUpLimit(current, h, behavior.scaleUp ?? {}, now);
    if (limit < current) limit = current;
    let allowed = max;
    let reason = 'TooManyReplicas';
    let message = 'the desired replica count is more than the maximum replica count';
    if (allowed > limit) {
      allowed = limit;
      reason = 'ScaleUpLimit';
      message = 'the desired replica count is increasing faster than the maximum scale rate';
    }
    if (stabilized > allowed) {
      replicas = allowed;
      limited = { status: 'True', reason, message };
    }
  } else if (stabilized < current) {
    let limit = scaleDownLimit(current, h, behavior.scaleDown ?? {}, now);
    if (limit > current) limit = current;
    let allowed = min;
    let reason = 'TooFewReplicas';
    let message = 'the desired replica count is less than the minimum replica count';
    if (allowed < limit) {
      allowed = limit;
      reason = 'ScaleDownLimit';
      message = 'the desired replica count is decreasing faster than the maximum scale rate';
    }
    if (stabilized < allowed) {
      replicas = allowed;
      limited = { status: 'True', reason, message };
    }
  }
  return { replicas, ableToScale, limited };
}

/** storeScaleEvent: a rescale from `from` to `to` at `now`, for the rate limits of later syncs. */
export function recordScale(h: ScalingHistory, behavior: HorizontalPodAutoscalerBehavior | undefined, from: number, to: number, now: number): void {
  const longest = (r: HPAScalingRules | undefined) => Math.max(0, ...(r?.policies ?? []).map((p) => p.periodSeconds)) * 1000;
  h.scaleUpEvents = h.scaleUpEvents.filter((e) => e.at > now - longest(behavior?.scaleUp));
  h.scaleDownEvents = h.scaleDownEvents.filter((e) => e.at > now - longest(behavior?.scaleDown));
  if (to > from) h.scaleUpEvents.push({ at: now, change: to - from });
  else if (to < from) h.scaleDownEvents.push({ at: now, change: from - to });
}
