// Pod predicates with k8s.io/kubernetes/pkg/api/v1/pod's semantics, for every component that reads pods.
import type { Pod, PodCondition } from 'kubernetes-types/core/v1';

/** The pod's Ready condition, if it has one. */
export function podReadyCondition(pod: Pod): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/** IsPodReady: the Ready condition is True. */
export function isPodReady(pod: Pod): boolean {
  return podReadyCondition(pod)?.status === 'True';
}

/**
 * IsPodAvailable: ready, and with minReadySeconds > 0 ready since a known time more than
 * minReadySeconds ago (a Ready condition without lastTransitionTime never counts then).
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: Date): boolean {
  const c = podReadyCondition(pod);
  if (c?.status !== 'True') return false;
  if (!minReadySeconds || minReadySeconds <= 0) return true;
  const at = availableAt(pod, minReadySeconds);
  return at !== undefined && at <= now.getTime();
}

/**
 * The first moment (epoch ms) a ready pod counts as available, for a timed re-check; undefined when it
 * is not ready, has no minReadySeconds, or never will (no transition time).
 */
export function availableAt(pod: Pod, minReadySeconds: number): number | undefined {
  const c = podReadyCondition(pod);
  if (c?.status !== 'True' || !minReadySeconds || minReadySeconds <= 0) return undefined;
  const since = Date.parse(c.lastTransitionTime ?? '');
  // Kubernetes compares with Before(now): available strictly after the interval has passed.
  return Number.isNaN(since) ? undefined : since + minReadySeconds * 1000 + 1;
}

/** Succeeded or Failed: the pod will not run again. */
export function isPodTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}
