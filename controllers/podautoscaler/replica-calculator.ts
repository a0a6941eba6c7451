// The HorizontalPodAutoscaler's replica calculation (kube's pkg/controller/podautoscaler/
// replica_calculator.go), pure: pods grouped into ready, unready, missing and ignored; the usage ratio
// against a utilization of requests or an average value; the tolerance; missing pods counted at 100% of
// their request (or the target) on a scale-down and 0 on a scale-up, unready pods 0 on a scale-up; and
// no proposal that would reverse the direction.
import type { Pod } from 'kubernetes-types/core/v1';
import { milliValue } from '../../lib/api/quantity';
import { podReadyCondition } from '../../lib/api/pod';

/** One pod's measured usage in milli-units (millicores, milli-bytes) over a window ending at timestamp. */
export interface PodMetric {
  milli: number;
  timestamp: number;
  windowMs: number;
}

export interface CalculatorOptions {
  /** --horizontal-pod-autoscaler-tolerance (0.1). */
  tolerance: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period (5 min). */
  cpuInitializationPeriodMs: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay (30 s). */
  delayOfInitialReadinessStatusMs: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (5 min): the scale-down window of an HPA whose behavior sets none. */
  downscaleStabilizationMs: number;
}

export const defaultCalculatorOptions: CalculatorOptions = { tolerance: 0.1, cpuInitializationPeriodMs: 5 * 60_000, delayOfInitialReadinessStatusMs: 30_000, downscaleStabilizationMs: 5 * 60_000 };

export interface ReplicaProposal {
  replicas: number;
  /** Utilization in percent of requests (Utilization targets). */
  utilization?: number;
  /** The average value per pod, milli-units. */
  averageMilli: number;
}

interface Groups {
  ready: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

/** kube's groupPods: which pods count, which are unready (CPU only: still initializing) or have no metric. */
export function groupPods(pods: Pod[], metrics: Map<string, PodMetric>, resource: string, now: number, o: CalculatorOptions): Groups {
  const g: Groups = { ready: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '';
    if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') {
      g.ignored.add(name);
      continue;
    }
    if (pod.status?.phase === 'Pending') {
      g.unready.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missing.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const cond = podReadyCondition(pod);
      const start = pod.status?.startTime ? Date.parse(pod.status.startTime) : NaN;
      let unready: boolean;
      if (!cond || Number.isNaN(start)) unready = true;
      else {
        const transition = cond.lastTransitionTime ? Date.parse(cond.lastTransitionTime) : start;
        if (start + o.cpuInitializationPeriodMs > now) {
          // Still initializing: only a ready pod measured entirely after it became ready counts.
          unready = cond.status === 'False' || metric.timestamp < transition + metric.windowMs;
        } else {
          // Past initialization: unready only if it never became ready after its start.
          unready = cond.status === 'False' && start + o.delayOfInitialReadinessStatusMs > transition;
        }
      }
      if (unready) {
        g.unready.add(name);
        continue;
      }
    }
    g.ready++;
  }
  return g;
}

/** The sum of the pods' requests of a resource (in one container, or all), milli-units; an error names what is missing. */
export function podRequests(pods: Pod[], resource: string, container?: string): Map<string, number> | string {
  const out = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.spec?.containers ?? []) {
      if (container && c.name !== container) continue;
      const req = c.resources?.requests?.[resource];
      if (req === undefined) return `missing request for ${resource} in container ${c.name} of Pod ${pod.metadata?.name}`;
      sum += milliValue(req);
    }
    out.set(pod.metadata?.name ?? '', sum);
  }
  return out;
}

type Target = { utilization: number; requests: Map<string, number> } | { averageMilli: number };

function ratioOf(metrics: Map<string, number>, t: Target): { ratio: number; utilization?: number; average: number } {
  let total = 0;
  let requested = 0;
  let n = 0;
  for (const [name, v] of metrics) {
    if ('utilization' in t) {
      const r = t.requests.get(name);
      if (r === undefined) continue;
      requested += r;
    }
    total += v;
    n++;
  }
  const average = n ? total / n : 0;
  if ('utilization' in t) {
    const utilization = requested > 0 ? Math.trunc((total * 100) / requested) : 0;
    return { ratio: requested > 0 ? (total * 100) / requested / t.utilization : 0, utilization, average };
  }
  return { ratio: average / t.averageMilli, average };
}

/**
 * The proposal for one resource metric (GetResourceReplicas / GetRawResourceReplicas): `target` is a
 * utilization percent of requests or an average value per pod in milli-units. A string is the error.
 */
export function resourceReplicas(
  currentReplicas: number,
  pods: Pod[],
  podMetrics: Map<string, PodMetric>,
  resource: string,
  target: { utilization: number; container?: string } | { averageMilli: number },
  now: number,
  o: CalculatorOptions = defaultCalculatorOptions,
): ReplicaProposal | string {
  if (pods.length === 0) return 'no pods returned by selector while calculating replica count';
  const g = groupPods(pods, podMetrics, resource, now, o);
  const metrics = new Map<string, number>();
  for (const [name, m] of podMetrics) if (!g.ignored.has(name) && !g.unready.has(name) && pods.some((p) => p.metadata?.name === name)) metrics.set(name, m.milli);
  if (metrics.size === 0) return 'did not receive metrics for targeted pods (pods might be unready)';
  let t: Target;
  if ('utilization' in target) {
    const requests = podRequests(pods, resource, target.container);
    if (typeof requests === 'string') return requests;
    t = { utilization: target.utilization, requests };
  } else t = { averageMilli: target.averageMilli };
  const first = ratioOf(metrics, t);
  const answer = (replicas: number): ReplicaProposal => ({ replicas, averageMilli: first.average, ...(first.utilization !== undefined ? { utilization: first.utilization } : {}) });

  const scaleUpWithUnready = g.unready.size > 0 && first.ratio > 1.0;
  if (!scaleUpWithUnready && g.missing.size === 0) {
    if (Math.abs(1.0 - first.ratio) <= o.tolerance) return answer(currentReplicas);
    return answer(Math.ceil(first.ratio * g.ready));
  }
  if (g.missing.size > 0) {
    for (const name of g.missing) {
      if (first.ratio < 1.0) {
        // Scale-down: a pod without a metric is taken to use its whole request (or the target, if higher).
        if ('utilization' in t) metrics.set(name, ((t.requests.get(name) ?? 0) * Math.max(100, t.utilization)) / 100);
        else metrics.set(name, t.averageMilli);
      } else metrics.set(name, 0);
    }
  }
  if (scaleUpWithUnready) for (const name of g.unready) metrics.set(name, 0);
  const next = ratioOf(metrics, t);
  if (Math.abs(1.0 - next.ratio) <= o.tolerance || (first.ratio < 1.0 && next.ratio > 1.0) || (first.ratio > 1.0 && next.ratio < 1.0)) return answer(currentReplicas);
  const replicas = Math.ceil(next.ratio * metrics.size);
  if ((next.ratio < 1.0 && replicas > currentReplicas) || (next.ratio > 1.0 && replicas < currentReplicas)) return answer(currentReplicas);
  return answer(replicas);
}
