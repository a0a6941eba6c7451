// InterPodAffinity, with kube-scheduler's semantics:
// - filter: the pod's required podAffinity (every term must find a matching pod in the node's domain
//   of the term's topologyKey; a pod matching its own terms may start a group when no pod matches
//   yet), its required podAntiAffinity (no matching pod in the domain), and existing pods' required
//   anti-affinity against the incoming pod (symmetry);
// - score: per topology domain, + weight of the pod's preferred affinity terms matching a pod there,
//   − weight of its preferred anti-affinity ones, and the same for existing pods' preferred terms
//   (and required affinity terms, at hardPodAffinityWeight) that match the incoming pod; normalized
//   to [0, 100] between the lowest and highest node.
// Pre-filter and pre-score skip all work when neither the pod nor any placed pod has such terms: the
// cache keeps the nodes holding pods with affinity apart, so that check costs nothing.
import type { Pod } from 'kubernetes-types/core/v1';
import type {
  ClusterEvent,
  ClusterSnapshot,
  CycleState,
  EnqueueExtensions,
  FilterPlugin,
  NodeScore,
  PreFilterPlugin,
  PreScorePlugin,
  ScorePlugin,
  Status,
} from '../framework/types';
import { errorStatus, MaxNodeScore, skip, unresolvable, unschedulable } from '../framework/types';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import type { AffinityTerm, WeightedAffinityTerm } from '../framework/pod-affinity';
import { allTermsMatchPod, termMatchesPod } from '../framework/pod-affinity';

export const ErrReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
export const ErrReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";
export const ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";

/** kube-scheduler's default weight of an existing pod's *required* affinity term in scoring. */
export const DefaultHardPodAffinityWeight = 1;

/** topologyKey → topology value → count (or score). */
type TopologyCounts = Map<string, Map<string, number>>;

function bumpTopology(counts: TopologyCounts, node: NodeInfo, topologyKey: string, by: number): void {
  const value = node.labels[topologyKey];
  if (value === undefined) return;
  let byValue = counts.get(topologyKey);
  if (!byValue) counts.set(topologyKey, (byValue = new Map()));
  byValue.set(value, (byValue.get(value) ?? 0) + by);
}

function countAt(counts: TopologyCounts, topologyKey: string, value: string): number {
  return counts.get(topologyKey)?.get(value) ?? 0;
}

interface PreFilterState {
  /** Nothing to check: no required terms on the pod, no placed pod with required anti-affinity. */
  skip: boolean;
  /** Domains holding pods whose required anti-affinity selects the incoming pod. */
  existingAntiAffinity: TopologyCounts;
  /** Domains holding pods that match all of the pod's required affinity terms. */
  affinity: TopologyCounts;
  /** Domains holding pods that match one of the pod's required anti-affinity terms. */
  antiAffinity: TopologyCounts;
  /** The incoming pod's namespace's labels. */
  nsLabels?: Record<string, string>;
}

interface PreScoreState {
  skip: boolean;
  topologyScore: TopologyCounts;
}

const filterStateKey = 'InterPodAffinity/filter';
const scoreStateKey = 'InterPodAffinity/score';

const skippedFilter: PreFilterState = { skip: true, existingAntiAffinity: new Map(), affinity: new Map(), antiAffinity: new Map() };
const skippedScore: PreScoreState = { skip: true, topologyScore: new Map() };

function nsLabelsOf(snapshot: ClusterSnapshot, pod: Pod): Record<string, string> | undefined {
  return snapshot.listers.namespaceLabels(pod.metadata?.namespace ?? '');
}

export class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  static readonly pluginName = 'InterPodAffinity';
  readonly name = InterPodAffinity.pluginName;

  constructor(private readonly hardPodAffinityWeight = DefaultHardPodAffinityWeight) {}

  preFilter(state: CycleState, pod: PodInfo, snapshot: ClusterSnapshot): Status | null {
    const info = pod.affinity;
    if (info?.error) return unresolvable(info.error);
    const required = info?.requiredAffinity ?? [];
    const requiredAnti = info?.requiredAntiAffinity ?? [];
    if (required.length === 0 && requiredAnti.length === 0 && snapshot.nodesWithRequiredAntiAffinity.length === 0) {
      state.write(filterStateKey, skippedFilter);
      return skip();
    }
    const incomingNsLabels = nsLabelsOf(snapshot, pod.pod);
    const s: PreFilterState = { skip: false, existingAntiAffinity: new Map(), affinity: new Map(), antiAffinity: new Map(), nsLabels: incomingNsLabels };
    for (const node of snapshot.nodesWithRequiredAntiAffinity) {
      for (const existing of node.podsWithRequiredAntiAffinity.values()) {
        for (const term of existing.affinity?.requiredAntiAffinity ?? []) {
          if (termMatchesPod(term, pod.pod, incomingNsLabels)) bumpTopology(s.existingAntiAffinity, node, term.topologyKey, 1);
        }
      }
    }
    if (required.length > 0 || requiredAnti.length > 0) {
      // Namespace labels are looked up only when a term has a namespaceSelector.
      const needNsLabels = required.some((t) => t.namespaceSelector) || requiredAnti.some((t) => t.namespaceSelector);
      for (const node of snapshot.nodes) {
        if (node.pods.size === 0) continue;
        for (const existing of node.pods.values()) {
          const nsLabels = needNsLabels ? nsLabelsOf(snapshot, existing.pod) : undefined;
          if (required.length > 0 && allTermsMatchPod(required, existing.pod, nsLabels)) {
            for (const term of required) bumpTopology(s.affinity, node, term.topologyKey, 1);
          }
          for (const term of requiredAnti) {
            if (termMatchesPod(term, existing.pod, nsLabels)) bumpTopology(s.antiAffinity, node, term.topologyKey, 1);
          }
        }
      }
    }
    state.write(filterStateKey, s);
    return null;
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | null {
    const s = state.read<PreFilterState>(filterStateKey);
    if (!s) return errorStatus(`${this.name}: filter ran without pre-filter state`);
    if (s.skip) return null;
    const info = pod.affinity;
    if (info && info.requiredAffinity.length > 0 && !this.satisfiesAffinity(s, info.requiredAffinity, pod, node)) {
      return unresolvable(ErrReasonAffinityRulesNotMatch);
    }
    if (info && s.antiAffinity.size > 0) {
      for (const term of info.requiredAntiAffinity) {
        const value = node.labels[term.topologyKey];
        if (value !== undefined && countAt(s.antiAffinity, term.topologyKey, value) > 0) return unschedulable(ErrReasonAntiAffinityRulesNotMatch);
      }
    }
    if (s.existingAntiAffinity.size > 0) {
      for (const [key, byValue] of s.existingAntiAffinity) {
        const value = node.labels[key];
        if (value !== undefined && (byValue.get(value) ?? 0) > 0) return unschedulable(ErrReasonExistingAntiAffinityRulesNotMatch);
      }
    }
    return null;
  }

  /**
   * Every term's topology key must be on the node and its domain must hold a matching pod — unless no
   * pod anywhere matches and the pod matches its own terms (the first of a group that attracts itself).
   */
  private satisfiesAffinity(s: PreFilterState, terms: readonly AffinityTerm[], pod: PodInfo, node: NodeInfo): boolean {
    let podsExist = true;
    for (const term of terms) {
      const value = node.labels[term.topologyKey];
      if (value === undefined) return false;
      if (countAt(s.affinity, term.topologyKey, value) <= 0) podsExist = false;
    }
    if (podsExist) return true;
    return s.affinity.size === 0 && allTermsMatchPod(terms, pod.pod, s.nsLabels);
  }

  preScore(state: CycleState, pod: PodInfo, _nodes: NodeInfo[], snapshot: ClusterSnapshot): Status | null {
    const info = pod.affinity;
    const preferred = info?.preferredAffinity ?? [];
    const preferredAnti = info?.preferredAntiAffinity ?? [];
    const hasPreferred = preferred.length > 0 || preferredAnti.length > 0;
    if (!hasPreferred && snapshot.nodesWithPodAffinity.length === 0) {
      state.write(scoreStateKey, skippedScore);
      return skip();
    }
    const topologyScore: TopologyCounts = new Map();
    const incomingNsLabels = nsLabelsOf(snapshot, pod.pod);
    // With preferred terms of its own the pod looks at every placed pod; otherwise only pods with terms can matter.
    const nodes = hasPreferred ? snapshot.nodes : snapshot.nodesWithPodAffinity;
    const needNsLabels = preferred.some((t) => t.namespaceSelector) || preferredAnti.some((t) => t.namespaceSelector);
    for (const node of nodes) {
      const pods = hasPreferred ? node.pods : node.podsWithAffinity;
      if (pods.size === 0) continue;
      for (const existing of pods.values()) {
        if (hasPreferred) {
          const nsLabels = needNsLabels ? nsLabelsOf(snapshot, existing.pod) : undefined;
          addWeighted(topologyScore, preferred, existing.pod, nsLabels, node, 1);
          addWeighted(topologyScore, preferredAnti, existing.pod, nsLabels, node, -1);
        }
        const theirs = existing.affinity;
        if (!theirs) continue;
        if (this.hardPodAffinityWeight > 0) {
          for (const term of theirs.requiredAffinity) {
            if (termMatchesPod(term, pod.pod, incomingNsLabels)) bumpTopology(topologyScore, node, term.topologyKey, this.hardPodAffinityWeight);
          }
        }
        addWeighted(topologyScore, theirs.preferredAffinity, pod.pod, incomingNsLabels, node, 1);
        addWeighted(topologyScore, theirs.preferredAntiAffinity, pod.pod, incomingNsLabels, node, -1);
      }
    }
    // No term matched anything: every node would score 0.
    state.write(scoreStateKey, { skip: topologyScore.size === 0, topologyScore } satisfies PreScoreState);
    return topologyScore.size === 0 ? skip() : null;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const s = state.read<PreScoreState>(scoreStateKey);
    if (!s || s.skip) return 0;
    let total = 0;
    for (const [key, byValue] of s.topologyScore) {
      const value = node.labels[key];
      if (value !== undefined) total += byValue.get(value) ?? 0;
    }
    return total;
  }

  normalizeScores(state: CycleState, _pod: PodInfo, scores: NodeScore[]): void {
    const s = state.read<PreScoreState>(scoreStateKey);
    if (!s || s.skip) return;
    let min = Infinity;
    let max = -Infinity;
    for (const x of scores) {
      if (x.score > max) max = x.score;
      if (x.score < min) min = x.score;
    }
    const diff = max - min;
    for (const x of scores) x.score = diff > 0 ? Math.trunc((MaxNodeScore * (x.score - min)) / diff) : 0;
  }

  events(): ClusterEvent[] {
    // A matching pod bound (affinity) or gone (anti-affinity), a node labelled into a domain.
    return ['PodAdd', 'PodDelete', 'NodeAdd', 'NodeUpdate'];
  }
}

function addWeighted(
  scores: TopologyCounts,
  terms: readonly WeightedAffinityTerm[],
  pod: Pod,
  nsLabels: Record<string, string> | undefined,
  node: NodeInfo,
  sign: 1 | -1,
): void {
  for (const term of terms) {
    if (termMatchesPod(term, pod, nsLabels)) bumpTopology(scores, node, term.topologyKey, sign * term.weight);
  }
}
