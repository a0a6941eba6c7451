// The pod garbage collector's pure core, after kube-controller-manager's podgc
// (pkg/controller/podgc). Pods whose kubelet will never finish them are force-deleted:
// - orphaned: bound to a node that no longer exists. The node must be missing from the cache for the
//   quarantine (40 s) and then a GET must answer NotFound, so a node the cache has not seen yet is
//   never mistaken for a deleted one. Without this a deleted node's pods stay Running forever, their
//   ReplicaSet counts them and never replaces them;
// - terminating on an out-of-service node: deleted pods on a node that is not Ready and carries the
//   node.kubernetes.io/out-of-service taint (the admin's word that the node is down for good);
// - terminating and never scheduled;
// - terminated beyond --terminated-pod-gc-threshold (12500): the oldest Succeeded/Failed pods,
//   evicted ones first.
// A pod that is not yet Succeeded or Failed is marked Failed first (orphans also get the
// DisruptionTarget condition), so whoever watches it sees it end instead of vanish while Running.
import type { Node, Pod, PodCondition } from 'kubernetes-types/core/v1';
import { isNodeReady } from '../../lib/api/node';
import { disruptionTarget, isPodTerminal, podStatusPatch } from '../../lib/api/pod';
import { byCreationTimestamp } from '../shared/creation-order';

/** kube's gcCheckPeriod and quarantineTime, and --terminated-pod-gc-threshold's default. */
export const POD_GC_PERIOD_MS = 20_000;
export const POD_GC_QUARANTINE_MS = 40_000;
export const DEFAULT_TERMINATED_POD_GC_THRESHOLD = 12_500;
export const OutOfServiceTaintKey = 'node.kubernetes.io/out-of-service';

/** The reason label of kube's pod_gc_collector_force_delete_pods_total. */
export type PodGcReason = 'terminated' | 'orphaned' | 'terminating_out_of_service' | 'terminating_unscheduled';

export interface PodGcDeletion {
  pod: Pod;
  reason: PodGcReason;
  /** Set on the pod with phase Failed before it is deleted, unless it is terminal already (failedStatusPatch). */
  condition?: PodCondition;
}

export interface Quarantine {
  /** Every node that pods name and the cache lacks, with when it was first found missing (ms). */
  missingSince: Map<string, number>;
  /** Of those, the ones missing for the whole quarantine: ask the API whether they are gone. */
  due: string[];
}

/**
 * Which node names pods are bound to that the cache does not hold, carried from the last sweep's
 * `missingSince`: a name seen again is dropped, a new one starts its quarantine now.
 */
export function quarantineMissingNodes(pods: readonly Pod[], nodes: readonly Node[], previous: ReadonlyMap<string, number>, now: number, quarantineMs = POD_GC_QUARANTINE_MS): Quarantine {
  const existing = new Set(nodes.map((n) => n.metadata?.name ?? ''));
  const missingSince = new Map<string, number>();
  for (const pod of pods) {
    const node = pod.spec?.nodeName;
    if (!node || existing.has(node) || missingSince.has(node)) continue;
    missingSince.set(node, previous.get(node) ?? now);
  }
  const due = [...missingSince].filter(([, since]) => now - since >= quarantineMs).map(([name]) => name);
  return { missingSince, due };
}

/** kubelet's PodIsEvicted: Failed with reason Evicted. */
function isEvicted(pod: Pod): boolean {
  return pod.status?.phase === 'Failed' && pod.status?.reason === 'Evicted';
}

/** kube's byEvictionAndCreationTimestamp: evicted pods first, then the oldest (ties by name). */
function evictedThenOldest(a: Pod, b: Pod): number {
  const ea = isEvicted(a);
  if (ea !== isEvicted(b)) return ea ? -1 : 1;
  return byCreationTimestamp(a, b);
}

export interface PodGcInput {
  pods: readonly Pod[];
  nodes: readonly Node[];
  /** Nodes a GET has confirmed deleted after their quarantine. */
  goneNodes: ReadonlySet<string>;
  /** Terminated pods kept before the oldest are deleted; 0 or less: never. */
  terminatedPodThreshold: number;
  /** For the condition's lastTransitionTime. */
  now: string;
}

/** Every pod one sweep force-deletes, each once, in kube's order of checks. */
export function planPodGc(input: PodGcInput): PodGcDeletion[] {
  const deletions: PodGcDeletion[] = [];
  const taken = new Set<Pod>();
  const take = (pod: Pod, reason: PodGcReason, condition?: PodCondition) => {
    if (taken.has(pod)) return;
    taken.add(pod);
    deletions.push({ pod, reason, condition });
  };
  if (input.terminatedPodThreshold > 0) {
    const terminated = input.pods.filter(isPodTerminal);
    const excess = terminated.length - input.terminatedPodThreshold;
    if (excess > 0) for (const pod of [...terminated].sort(evictedThenOldest).slice(0, excess)) take(pod, 'terminated');
  }

  const nodes = new Map(input.nodes.map((n) => [n.metadata?.name ?? '', n]));
  const outOfService = input.pods
    .filter((pod) => {
      if (!pod.metadata?.deletionTimestamp) return false;
      const node = nodes.get(pod.spec?.nodeName ?? '');
      return !!node && !isNodeReady(node) && (node.spec?.taints ?? []).some((t) => t.key === OutOfServiceTaintKey);
    })
    .sort(evictedThenOldest);
  for (const pod of outOfService) take(pod, 'terminating_out_of_service');

  for (const pod of input.pods) {
    const node = pod.spec?.nodeName;
    if (!node || !input.goneNodes.has(node) || nodes.has(node)) continue;
    take(pod, 'orphaned', disruptionTarget('DeletionByPodGC', 'PodGC: node no longer exists', input.now));
  }

  for (const pod of input.pods) if (pod.metadata?.deletionTimestamp && !pod.spec?.nodeName) take(pod, 'terminating_unscheduled');
  return deletions;
}

/** The status patch that marks the pod Failed (with the condition, if any) before its deletion; undefined when it is already terminal. */
export function failedStatusPatch(d: PodGcDeletion): Record<string, unknown> | undefined {
  if (isPodTerminal(d.pod)) return undefined;
  return podStatusPatch(d.pod, { phase: 'Failed', condition: d.condition });
}
