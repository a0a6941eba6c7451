// The disruption controller's pure core (kube's pkg/controller/disruption): a PodDisruptionBudget's
// status from the pods it selects and the scale of their controllers — expectedPods, desiredHealthy,
// currentHealthy, disruptionsAllowed, the disruptedPods the eviction subresource recorded, the
// DisruptionAllowed condition — and when to look again (a recorded disruption that never happened).
import type { Pod } from 'kubernetes-types/core/v1';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1';
import { setDisruptionAllowedCondition } from '../../lib/api/disruption';
import { isPodReady } from '../../lib/api/pod';
import { scaledValue } from '../shared/int-or-percent';

/** How long an eviction's entry in disruptedPods keeps its pod out of the healthy count (kube's DeletionTimeout). */
export const DeletionTimeoutMs = 2 * 60 * 1000;

/** The scale of the controller that owns a pod (its uid and replicas), or why there is none. */
export type ControllerScale = { uid: string; replicas: number } | { error: string };

export interface PdbPlan {
  status: PodDisruptionBudgetStatus;
  /** A warning event for the budget (reason, message), when the expected count could not be found. */
  warning?: { reason: string; message: string };
  /** Look again then: a disruptedPods entry expires. */
  requeueAfterMs?: number;
}

function fullPercent(v: number | string | undefined): boolean {
  return typeof v === 'string' && v.endsWith('%');
}

/** expectedCount and desiredHealthy (kube's getExpectedPodCount); an error when a pod's controller has no scale. */
function expected(pdb: PodDisruptionBudget, pods: Pod[], scaleOf: (pod: Pod) => ControllerScale): { expectedCount: number; desiredHealthy: number } | { error: string } {
  const spec = pdb.spec ?? {};
  const byControllers = spec.maxUnavailable !== undefined || fullPercent(spec.minAvailable);
  if (!byControllers) {
    // minAvailable as a number counts the selected pods; with neither field set nothing must stay healthy.
    return { expectedCount: pods.length, desiredHealthy: typeof spec.minAvailable === 'number' ? spec.minAvailable : 0 };
  }
  const seen = new Map<string, number>();
  for (const pod of pods) {
    const s = scaleOf(pod);
    if ('error' in s) return s;
    seen.set(s.uid, s.replicas);
  }
  const expectedCount = [...seen.values()].reduce((a, b) => a + b, 0);
  try {
    if (spec.maxUnavailable !== undefined) {
      const maxUnavailable = scaledValue(spec.maxUnavailable, expectedCount, true);
      return { expectedCount, desiredHealthy: Math.max(0, expectedCount - maxUnavailable) };
    }
    return { expectedCount, desiredHealthy: scaledValue(spec.minAvailable, expectedCount, true) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** The budget's new status: the pods it selects (same namespace, selector matched), their controllers' scale. */
export function planPdbStatus(pdb: PodDisruptionBudget, pods: Pod[], scaleOf: (pod: Pod) => ControllerScale, now: Date): PdbPlan {
  const generation = pdb.metadata?.generation ?? 0;
  const old = pdb.status;
  const exp = expected(pdb, pods, scaleOf);
  if ('error' in exp) {
    // Fail safe: no disruption is allowed while the expected count is unknown.
    return {
      status: {
        ...(old ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }),
        disruptionsAllowed: 0,
        observedGeneration: generation,
        conditions: setDisruptionAllowedCondition(old?.conditions, false, now, 'SyncFailed', generation),
      } as PodDisruptionBudgetStatus,
      warning: { reason: 'CalculateExpectedPodCountFailed', message: `Failed to calculate the number of expected pods: ${exp.error}` },
    };
  }
  // disruptedPods: evictions granted whose deletion has not shown yet; they expire after the timeout.
  const byName = new Map(pods.map((p) => [p.metadata?.name ?? '', p]));
  const disrupted: Record<string, string> = {};
  let requeueAfterMs: number | undefined;
  for (const [name, at] of Object.entries(old?.disruptedPods ?? {})) {
    const pod = byName.get(name);
    if (!pod || pod.metadata?.deletionTimestamp) continue;
    const expiresAt = Date.parse(at) + DeletionTimeoutMs;
    if (!(expiresAt > now.getTime())) continue;
    disrupted[name] = at;
    const wait = expiresAt - now.getTime();
    requeueAfterMs = requeueAfterMs === undefined ? wait : Math.min(requeueAfterMs, wait);
  }
  const counted = (p: Pod) => !p.metadata?.deletionTimestamp && !Object.hasOwn(disrupted, p.metadata?.name ?? '') && isPodReady(p);
  const currentHealthy = pods.filter(counted).length;
  const disruptionsAllowed = Math.max(0, currentHealthy - exp.desiredHealthy);
  const status: PodDisruptionBudgetStatus = {
    currentHealthy,
    desiredHealthy: exp.desiredHealthy,
    expectedPods: exp.expectedCount,
    disruptionsAllowed,
    observedGeneration: generation,
    ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
    conditions: setDisruptionAllowedCondition(old?.conditions, disruptionsAllowed > 0, now, undefined, generation),
  };
  return { status, ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) };
}
