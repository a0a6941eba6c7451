// PodDisruptionBudget rules both sides read: which budgets cover a pod, and whether an eviction may go
// ahead (kube's pkg/registry/core/pod/storage/eviction.go decision, without its I/O). The apiserver's
// pods/eviction applies the decision; `steer drain` reads the refusal it produces.
import type { Pod } from 'kubernetes-types/core/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { isPodReady } from './pod';
import { rfc3339 } from './time';
import { matchesLabels, selectorFromLabelSelector } from './selectors';

/** The cause type of a refusal (policyv1.DisruptionBudgetCause). */
export const DisruptionBudgetCause = 'DisruptionBudget';

/** The budgets in the pod's namespace whose selector matches it (a null selector matches nothing). */
export function budgetsCovering(pod: Pod, pdbs: PodDisruptionBudget[]): PodDisruptionBudget[] {
  return pdbs.filter((pdb) => {
    if ((pdb.metadata?.namespace ?? '') !== (pod.metadata?.namespace ?? '')) return false;
    try {
      return matchesLabels(selectorFromLabelSelector(pdb.spec?.selector), pod.metadata?.labels);
    } catch {
      return false;
    }
  });
}

export type EvictionDecision =
  /** Delete without touching a budget. */
  | { kind: 'delete' }
  /** Take one disruption from the budget (status written back), then delete. */
  | { kind: 'decrement'; pdb: PodDisruptionBudget; status: NonNullable<PodDisruptionBudget['status']> }
  /** Refuse: 429 with a DisruptionBudget cause, or 500/403 as kube answers. */
  | { kind: 'refuse'; code: 429 | 403 | 500; message: string; cause?: string; budget?: string };

const maxDisruptedPods = 2000;
const tooMany = "Cannot evict pod as it would violate the pod's disruption budget.";

/** What an eviction of `pod` does, given the budgets that cover it, at time `now`. */
export function decideEviction(pod: Pod, covering: PodDisruptionBudget[], now: Date): EvictionDecision {
  const phase = pod.status?.phase;
  // Pods that no longer (or not yet) run and pods already going count toward no budget.
  if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata?.deletionTimestamp) return { kind: 'delete' };
  if (covering.length === 0) return { kind: 'delete' };
  if (covering.length > 1) return { kind: 'refuse', code: 500, message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.' };
  const pdb = covering[0];
  const st = pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 };
  if (!isPodReady(pod)) {
    if (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow') return { kind: 'delete' };
    if (st.currentHealthy >= st.desiredHealthy && st.desiredHealthy > 0) return { kind: 'delete' };
  }
  const name = pdb.metadata?.name ?? '';
  if ((st.observedGeneration ?? 0) < (pdb.metadata?.generation ?? 0)) {
    return { kind: 'refuse', code: 429, message: tooMany, cause: `The disruption budget ${name} is still being processed by the server.` };
  }
  if (st.disruptionsAllowed < 0) return { kind: 'refuse', code: 403, message: 'pdb disruptions allowed is negative', budget: name };
  if (Object.keys(st.disruptedPods ?? {}).length > maxDisruptedPods) {
    return { kind: 'refuse', code: 403, message: 'DisruptedPods map too big - too many evictions not confirmed by PDB controller', budget: name };
  }
  if (st.disruptionsAllowed === 0) {
    return { kind: 'refuse', code: 429, message: tooMany, cause: `The disruption budget ${name} needs ${st.desiredHealthy} healthy pods and has ${st.currentHealthy} currently` };
  }
  const status = { ...st, disruptionsAllowed: st.disruptionsAllowed - 1, disruptedPods: { ...(st.disruptedPods ?? {}), [pod.metadata?.name ?? '']: rfc3339(now) } };
  if (status.disruptionsAllowed === 0) status.conditions = setDisruptionAllowedCondition(st.conditions, false, now);
  return { kind: 'decrement', pdb, status };
}

type Condition = NonNullable<NonNullable<PodDisruptionBudget['status']>['conditions']>[number];

/** The DisruptionAllowed condition (reasons SufficientPods / InsufficientPods), its time kept while it holds. */
export function setDisruptionAllowedCondition(conditions: Condition[] | undefined, allowed: boolean, now: Date, reason?: string, observedGeneration?: number): Condition[] {
  const status = allowed ? 'True' : 'False';
  const r = reason ?? (allowed ? 'SufficientPods' : 'InsufficientPods');
  const old = (conditions ?? []).find((c) => c.type === 'DisruptionAllowed');
  const c: Condition = {
    type: 'DisruptionAllowed',
    status,
    reason: r,
    message: '',
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : rfc3339(now),
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
  };
  return [...(conditions ?? []).filter((x) => x.type !== 'DisruptionAllowed'), c];
}
