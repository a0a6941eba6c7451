// DefaultPreemption (kube-scheduler's post-filter plugin of that name): when no node fits a pod, find a
// node where evicting lower-priority pods would make it fit, and the fewest and least important pods to
// evict there. Per node that refused the pod for a reason a change could fix (Unschedulable, not
// Unresolvable): take every lower-priority pod off a copy of the node; if the pod then fits, put them
// back one by one, most important first (PodDisruptionBudget-protected ones before the others), keeping
// each that still leaves room — the rest are the victims. Among the nodes, kube's order picks: fewest
// budget violations, lowest most-important victim, lowest sum of priorities, fewest victims, the most
// recently started most-important victims. Pure: schedule-one.ts carries the choice out.
// Not modelled: pre-filter state is not updated as victims are taken off (kube's RemovePod extensions),
// so pod affinity and topology spread are judged with the victims still counted.
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { budgetsCovering } from '../../lib/api/disruption';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { isBeingDeleted } from '../framework/pod-info';
import type { ClusterSnapshot, CycleState, PostFilterPlugin, PreemptionCandidate, Status } from '../framework/types';
import { unresolvable, unschedulable } from '../framework/types';

export const NoVictimsMessage = 'No preemption victims found for incoming pod.';

function startTime(p: PodInfo): number {
  const t = p.pod.status?.startTime ?? p.pod.metadata?.creationTimestamp;
  return t ? Date.parse(t) : 0;
}

/** kube's MoreImportantPod: higher priority, then the one started earlier. */
function moreImportantFirst(a: PodInfo, b: PodInfo): number {
  return b.priority - a.priority || startTime(a) - startTime(b);
}

/** Splits the candidates into those whose eviction would break a budget and the others, spending each budget's allowance in order. */
function byBudgetViolation(pods: PodInfo[], pdbs: PodDisruptionBudget[]): { violating: PodInfo[]; other: PodInfo[] } {
  const allowed = new Map(pdbs.map((b) => [b, b.status?.disruptionsAllowed ?? 0]));
  const violating: PodInfo[] = [];
  const other: PodInfo[] = [];
  for (const p of pods) {
    let breaks = false;
    for (const b of budgetsCovering(p.pod, pdbs)) {
      // A pod the budget already counts as disrupted costs it nothing more.
      if (b.status?.disruptedPods?.[p.pod.metadata?.name ?? '']) continue;
      const left = (allowed.get(b) ?? 0) - 1;
      allowed.set(b, left);
      if (left < 0) breaks = true;
    }
    (breaks ? violating : other).push(p);
  }
  return { violating, other };
}

/** The victims on one node, or undefined when evicting every lower-priority pod there is not enough. */
export function selectVictimsOnNode(pod: PodInfo, node: NodeInfo, pdbs: PodDisruptionBudget[], fits: (node: NodeInfo) => boolean): PreemptionCandidate | undefined {
  const trial = node.clone();
  const lower = [...trial.pods.values()].filter((p) => p.priority < pod.priority);
  if (lower.length === 0) return undefined;
  for (const p of lower) trial.removePod(p.uid);
  if (!fits(trial)) return undefined;
  lower.sort(moreImportantFirst);
  const { violating, other } = byBudgetViolation(lower, pdbs);
  const victims: PodInfo[] = [];
  let pdbViolations = 0;
  const reprieve = (p: PodInfo, violates: boolean) => {
    trial.addPod(p);
    if (fits(trial)) return;
    trial.removePod(p.uid);
    victims.push(p);
    if (violates) pdbViolations++;
  };
  for (const p of violating) reprieve(p, true);
  for (const p of other) reprieve(p, false);
  return { nodeName: node.name, victims: victims.sort(moreImportantFirst), pdbViolations };
}

/** kube's pickOneNodeForPreemption, criterion after criterion until one candidate is left. */
export function pickCandidate(candidates: PreemptionCandidate[]): PreemptionCandidate | undefined {
  const highest = (c: PreemptionCandidate) => (c.victims.length ? Math.max(...c.victims.map((v) => v.priority)) : -Infinity);
  const criteria: Array<(c: PreemptionCandidate) => number> = [
    (c) => c.pdbViolations,
    highest,
    // Priorities are shifted to be positive, as kube does, so that fewer victims weigh less.
    (c) => c.victims.reduce((sum, v) => sum + v.priority + 2 ** 31, 0),
    (c) => c.victims.length,
    // The latest start among the most important victims: prefer evicting what started most recently.
    (c) => -Math.min(...c.victims.filter((v) => v.priority === highest(c)).map(startTime)),
  ];
  let left = candidates;
  for (const score of criteria) {
    if (left.length <= 1) break;
    const best = Math.min(...left.map(score));
    left = left.filter((c) => score(c) === best);
  }
  return left[0];
}

export class DefaultPreemption implements PostFilterPlugin {
  static readonly pluginName = 'DefaultPreemption';
  readonly name = DefaultPreemption.pluginName;

  postFilter(_state: CycleState, pod: PodInfo, snapshot: ClusterSnapshot, nodeStatuses: ReadonlyMap<string, Status>, fits: (node: NodeInfo) => boolean): PreemptionCandidate | Status {
    if (pod.pod.spec?.preemptionPolicy === 'Never') return unresolvable('not eligible due to preemptionPolicy=Never.');
    // A pod that already preempted waits while its victims on the nominated node terminate.
    const nominated = pod.pod.status?.nominatedNodeName;
    const waitingOn = nominated ? snapshot.nodes.find((n) => n.name === nominated) : undefined;
    if (waitingOn && [...waitingOn.pods.values()].some((p) => p.priority < pod.priority && isBeingDeleted(p.pod))) {
      return unschedulable('not eligible due to a terminating pod on the nominated node.');
    }
    const candidates: PreemptionCandidate[] = [];
    for (const node of snapshot.nodes) {
      // Only nodes a change could fix; a node that was not even evaluated is not a candidate either.
      if (nodeStatuses.get(node.name)?.code !== 'Unschedulable') continue;
      const c = selectVictimsOnNode(pod, node, budgetsOf(node, snapshot), fits);
      if (c) candidates.push(c);
    }
    return pickCandidate(candidates) ?? unschedulable(NoVictimsMessage);
  }
}

/** The budgets that may cover the node's pods, in every namespace they are in (not only the preemptor's). */
function budgetsOf(node: NodeInfo, snapshot: ClusterSnapshot): PodDisruptionBudget[] {
  const list = snapshot.listers.podDisruptionBudgets;
  if (!list) return [];
  const namespaces = new Set([...node.pods.values()].map((p) => p.pod.metadata?.namespace ?? ''));
  return [...namespaces].flatMap((ns) => list(ns));
}
