// DaemonSet placement rules (Kubernetes' pkg/controller/daemon and its util): which nodes should run a
// daemon pod (nodeName, nodeSelector, required node affinity, taints against tolerations, including the
// tolerations Kubernetes adds to every daemon pod). Node affinity and tolerations are matched by the
// same rules as the scheduler's (lib/api/node-affinity.ts, lib/api/tolerations.ts). Pure, no I/O.
import type { DaemonSet } from 'kubernetes-types/apps/v1';
import type { Node, PodSpec, Toleration } from 'kubernetes-types/core/v1';
import { matchesRequiredNodeAffinity, nodeFacts, requiredNodeAffinity } from '../../lib/api/node-affinity';
import { tolerated } from '../../lib/api/tolerations';

/** The label carrying the template hash on daemon pods (Kubernetes names it after ControllerRevisions). */
export { ControllerRevisionHashLabel } from '../shared/history';

/**
 * Tolerations Kubernetes adds to every daemon pod: keep running on not-ready and unreachable nodes,
 * and be placed despite resource pressure and cordoning (a node-level agent must run everywhere).
 */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const out: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) out.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return out;
}

function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? '') === (b.key ?? '') && (a.operator ?? 'Equal') === (b.operator ?? 'Equal') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');
}

/** The template's tolerations plus the daemon ones it does not already have. */
export function withDaemonTolerations(spec: PodSpec | undefined): Toleration[] {
  const own = [...(spec?.tolerations ?? [])];
  for (const t of daemonTolerations(!!spec?.hostNetwork)) {
    if (!own.some((o) => sameToleration(o, t))) own.push(t);
  }
  return own;
}

/** nodeSelector and required node affinity (terms are ORed). */
export function fitsNodeAffinity(spec: PodSpec | undefined, node: Node): boolean {
  return matchesRequiredNodeAffinity(requiredNodeAffinity(spec), nodeFacts(node));
}

export interface Placement {
  /** A daemon pod should be created here if missing. */
  shouldRun: boolean;
  /** A daemon pod already here may stay (tolerates the NoExecute taints even if not the NoSchedule ones). */
  shouldContinueRunning: boolean;
}

/** Kubernetes' NodeShouldRunDaemonPod. */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): Placement {
  const spec = ds.spec?.template?.spec;
  const none = { shouldRun: false, shouldContinueRunning: false };
  if (spec?.nodeName && spec.nodeName !== node.metadata?.name) return none;
  if (!fitsNodeAffinity(spec, node)) return none;
  const tolerations = withDaemonTolerations(spec);
  const taints = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  const untolerated = taints.filter((t) => !tolerated(tolerations, t));
  if (untolerated.length > 0) {
    return { shouldRun: false, shouldContinueRunning: untolerated.every((t) => t.effect !== 'NoExecute') };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}
