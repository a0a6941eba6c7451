// Pod predicates with k8s.io/kubernetes/pkg/api/v1/pod's semantics, for every component that reads pods.
import type { Container, Pod, PodCondition, PodSpec } from 'kubernetes-types/core/v1';
import { compareQuantities } from './quantity';

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

/** Every container of a pod: init, regular and ephemeral (their names are unique across the three). */
function podContainers(pod: Pod): Container[] {
  const spec = pod.spec;
  return [...(spec?.initContainers || []), ...(spec?.containers || []), ...((spec?.ephemeralContainers || []) as Container[])];
}

/** Every container name of a pod (init, regular, ephemeral): what logs, exec and attach may name. */
export function podContainerNames(pod: Pod): string[] {
  return podContainers(pod).map((c) => c.name);
}

/** The container of a pod with this name, whichever list it is in. */
export function podContainer(pod: Pod, name: string): Container | undefined {
  return podContainers(pod).find((c) => c.name === name);
}

/** Succeeded or Failed: the pod will not run again. */
export function isPodTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * kube's UpdatePodCondition: the condition as it should be stored — a pod that already has it with the
 * same status keeps that lastTransitionTime — or undefined when the pod already holds exactly it.
 */
export function podConditionUpdate(pod: Pod, condition: PodCondition): PodCondition | undefined {
  const old = pod.status?.conditions?.find((c) => c.type === condition.type);
  if (!old) return condition;
  if (old.status === condition.status && old.reason === condition.reason && old.message === condition.message) return undefined;
  return old.status === condition.status ? { ...condition, lastTransitionTime: old.lastTransitionTime } : condition;
}

/** The DisruptionTarget condition kube sets on a pod it is about to delete for someone else's reason. */
export function disruptionTarget(reason: string, message: string, now: string): PodCondition {
  return { type: 'DisruptionTarget', status: 'True', reason, message, lastTransitionTime: now };
}

/**
 * kube's PatchPodStatus as the pod garbage collector, the taint manager and preemption use it before a delete: a
 * strategic merge patch of the pod's phase and one condition (merged by type); undefined when there is
 * nothing to change. metadata.uid makes it apply only to this pod, never to a replacement of the same
 * name (a changed uid is refused as immutable).
 */
export function podStatusPatch(pod: Pod, change: { phase?: string; condition?: PodCondition }): Record<string, unknown> | undefined {
  const condition = change.condition && podConditionUpdate(pod, change.condition);
  const phase = change.phase !== undefined && change.phase !== pod.status?.phase ? change.phase : undefined;
  if (!condition && phase === undefined) return undefined;
  return { metadata: { uid: pod.metadata?.uid }, status: { ...(phase !== undefined ? { phase } : {}), ...(condition ? { conditions: [condition] } : {}) } };
}

type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

function isSet(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function sameQuantity(a: unknown, b: unknown): boolean {
  if ((typeof a !== 'string' && typeof a !== 'number') || (typeof b !== 'string' && typeof b !== 'number')) return a === b;
  try {
    return compareQuantities(a, b) === 0;
  } catch {
    return String(a) === String(b); // not quantities: validation reports them
  }
}

/**
 * The pod's QoS class (GetPodQOS) from its containers' cpu and memory requests and limits: BestEffort
 * with none, Guaranteed when every container limits both and requests (if given) equal the limits,
 * Burstable otherwise. Safe on unvalidated specs (the apiserver defaults status.qosClass before validation).
 */
export function qosClass(spec: PodSpec | undefined): QosClass {
  const listed = (v: unknown): Container[] => (Array.isArray(v) ? v.filter((c): c is Container => typeof c === 'object' && c !== null) : []);
  const containers = [...listed(spec?.initContainers), ...listed(spec?.containers)];
  let hasAnyResource = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const asMap = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
    const resources = asMap(c.resources);
    const requests = asMap(resources.requests);
    const limits = asMap(resources.limits);
    for (const n of ['cpu', 'memory']) {
      if (isSet(requests[n]) || isSet(limits[n])) hasAnyResource = true;
      if (!isSet(limits[n]) || (isSet(requests[n]) && !sameQuantity(requests[n], limits[n]))) guaranteed = false;
    }
  }
  if (!hasAnyResource) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
