// Pods the node agent ends itself, as the kubelet's activeDeadlineHandler does: once a pod has run on
// the node longer than its spec.activeDeadlineSeconds (counted from status.startTime), its status turns
// terminal — phase Failed, reason DeadlineExceeded — and the regular sync then stops everything, as it
// does for any finished pod; a Deployment's or Job's controller sees a failed pod. Pure.
import type { Pod } from 'kubernetes-types/core/v1';
import { isPodTerminal } from '../lib/api/pod';

export interface AgentTermination {
  reason: string;
  message: string;
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
  return { ...pod, status: { ...pod.status, phase: 'Failed', reason: t.reason, message: t.message } };
}
