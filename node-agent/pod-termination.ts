// Pods the node agent ends itself, as the kubelet's activeDeadlineHandler does: once a pod has run on
// the node longer than its spec.activeDeadlineSeconds (counted from status.startTime), its status turns
// terminal — phase Failed, reason DeadlineExceeded — and the regular sync then stops everything, as it
// does for any finished pod; a Deployment's or Job's controller sees a failed pod. The eviction manager
// ends pods the same way (reason Evicted, a DisruptionTarget condition, a short grace period). Pure.
import type { Pod, PodCondition } from 'kubernetes-types/core/v1';
import { isPodTerminal } from '../lib/api/pod';

export interface AgentTermination {
  reason: string;
  message: string;
  /** A condition the terminal status carries (an eviction's DisruptionTarget). */
  condition?: PodCondition;
  /** The stop's grace period when shorter than the pod's own (a hard eviction's 1 s). */
  gracePeriodSeconds?: number;
}

export const DeadlineExceeded: AgentTermination = { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' };

/**
 * Milliseconds until the pod's active deadline (≤ 0: past it); undefined without one, before the pod
 * started, or once it is over (terminal, or being deleted).
 */
export function msUntilActiveDeadline(pod: Pod, now: number): number | undefined {
  const seconds = pod.spec?.activeDeadlineSeconds;
  const start = pod.status?.startTime ? Date.parse(pod.status.startTime) : NaN;
  if (seconds === undefined || Number.isNaN(start) || isPodTerminal(pod) || pod.metadata?.deletionTimestamp) return undefined;
  return start + seconds * 1000 - now;
}

/** The pod as the sync should treat it once the agent ended it: terminal, with the reason and message. */
export function endedByAgent(pod: Pod, t: AgentTermination): Pod {
  const conditions = t.condition ? [...(pod.status?.conditions ?? []).filter((c) => c.type !== t.condition!.type), t.condition] : pod.status?.conditions;
  const ended: Pod = { ...pod, status: { ...pod.status, phase: 'Failed', reason: t.reason, message: t.message, ...(conditions ? { conditions } : {}) } };
  const own = pod.spec?.terminationGracePeriodSeconds ?? 30;
  // The stop's grace period is read from the spec: only the sync's copy is changed.
  if (t.gracePeriodSeconds !== undefined && pod.spec && t.gracePeriodSeconds < own) ended.spec = { ...pod.spec, terminationGracePeriodSeconds: t.gracePeriodSeconds };
  return ended;
}
