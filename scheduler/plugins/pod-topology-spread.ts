// PodTopologySpread, with kube-scheduler's semantics:
// - filter (whenUnsatisfiable: DoNotSchedule): placing the pod in the node's domain must keep
//   (matching pods in that domain + 1 if the pod matches itself) − (fewest matching pods in any
//   eligible domain, 0 while there are fewer than minDomains domains) ≤ maxSkew; a node without the
//   topology key is rejected outright. Eligible domains come from nodes that have every constraint's
//   key and pass nodeAffinityPolicy (default Honor: the pod's nodeSelector/required node affinity) and
//   nodeTaintsPolicy (default Ignore; Honor: no untolerated NoSchedule/NoExecute taint).
// - score (ScheduleAnyway): fewer matching pods in the node's domains is better, each constraint
//   weighted by log(number of domains + 2), normalized so the emptiest node gets 100.
// - system defaults: a pod without constraints that a Service selects or a ReplicaSet controls gets
//   {hostname, maxSkew 3} and {zone, maxSkew 5}, both ScheduleAnyway, over the union of those
//   selectors (what replaced SelectorSpread; the OwnerSpread plugin is therefore off by default).
// Matching pods are counted from the cache, so pods assumed a moment ago count at once.
import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1';
import type {
  ClusterEvent,
  ClusterSnapshot,
  CycleState,
  EnqueueExtensions,
  FilterPlugin,
  NodeScore,
  ObjectListers,
  PreFilterPlugin,
  PreScorePlugin,
  ScorePlugin,
  Status,
} from '../framework/types';
import { errorStatus, MaxNodeScore, skip, unresolvable, unschedulable } from '../framework/types';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { LabelRequirement, matchesLabels, newRequirement, selectorFromLabelSelector, SelectorError } from '../../lib/api/selectors';
import { matchesRequiredNodeAffinity, RequiredNodeAffinity, requiredNodeAffinity } from '../../lib/api/node-affinity';
import { findUntoleratedTaint } from '../../lib/api/tolerations';
import { ZoneLabel } from './owner-spread';

export const HostnameLabel = 'kubernetes.io/hostname';
export const ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
export const ErrReasonNodeLabelNotMatch = `${ErrReasonConstraintsNotMatch} (missing required label)`;

type InclusionPolicy = 'Honor' | 'Ignore';

export interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelRequirement[];
  minDomains: number;
  nodeAffinityPolicy: InclusionPolicy;
  nodeTaintsPolicy: InclusionPolicy;
}

/** kube-scheduler's system default constraints (for pods with none that a Service or ReplicaSet selects). */
export const SystemDefaultConstraints: ReadonlyArray<Omit<SpreadConstraint, 'selector'>> = [
  { maxSkew: 3, topologyKey: HostnameLabel, minDomains: 1, nodeAffinityPolicy: 'Honor', nodeTaintsPolicy: 'Ignore' },
  { maxSkew: 5, topologyKey: ZoneLabel, minDomains: 1, nodeAffinityPolicy: 'Honor', nodeTaintsPolicy: 'Ignore' },
];

const filterTaintEffects: ReadonlySet<string> = new Set(['NoSchedule', 'NoExecute']);

/** The pod's own constraints with one whenUnsatisfiable, compiled (labelSelector + matchLabelKeys). */
function compileConstraints(pod: Pod, action: 'DoNotSchedule' | 'ScheduleAnyway'): SpreadConstraint[] {
  const labels = pod.metadata?.labels ?? {};
  return (pod.spec?.topologySpreadConstraints ?? [])
    .filter((c) => c.whenUnsatisfiable === action)
    .map((c: TopologySpreadConstraint) => {
      const selector = selectorFromLabelSelector(c.labelSelector);
      for (const key of c.matchLabelKeys ?? []) if (labels[key] !== undefined) selector.push(newRequirement(key, 'in', [labels[key]]));
      return {
        maxSkew: c.maxSkew,
        topologyKey: c.topologyKey,
        selector,
        minDomains: c.minDomains ?? 1,
        nodeAffinityPolicy: c.nodeAffinityPolicy === 'Ignore' ? 'Ignore' : 'Honor',
        nodeTaintsPolicy: c.nodeTaintsPolicy === 'Honor' ? 'Honor' : 'Ignore',
      };
    });
}

/**
 * kube-scheduler's DefaultSelector: the union of the selectors of the Services selecting the pod and
 * of its controlling ReplicaSet; empty (no default spreading) when there are none.
 */
export function defaultSpreadSelector(pod: Pod, listers: ObjectListers): LabelRequirement[] {
  const ns = pod.metadata?.namespace ?? '';
  const podLabels = pod.metadata?.labels ?? {};
  const merged: Record<string, string> = {};
  for (const svc of listers.services(ns)) {
    const sel = svc.spec?.selector;
    if (!sel || Object.keys(sel).length === 0) continue;
    if (Object.entries(sel).every(([k, v]) => podLabels[k] === v)) Object.assign(merged, sel);
  }
  const reqs: LabelRequirement[] = Object.entries(merged).map(([k, v]) => newRequirement(k, '=', [v]));
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller);
  if (owner && owner.kind === 'ReplicaSet' && owner.apiVersion.startsWith('apps/')) {
    const rs = listers.replicaSet(ns, owner.name);
    if (rs?.spec?.selector) reqs.push(...selectorFromLabelSelector(rs.spec.selector));
  }
  return reqs;
}

/** Whether the node has every constraint's topology key. */
function hasAllKeys(node: NodeInfo, constraints: readonly SpreadConstraint[]): boolean {
  for (const c of constraints) if (node.labels[c.topologyKey] === undefined) return false;
  return true;
}

/** Whether the node's domain counts for this constraint (nodeAffinityPolicy / nodeTaintsPolicy). */
function nodeIncluded(c: SpreadConstraint, pod: PodInfo, node: NodeInfo, nodeAffinity: RequiredNodeAffinity): boolean {
  const affinityMatters = nodeAffinity.nodeSelector.length > 0 || nodeAffinity.required !== undefined;
  if (affinityMatters && c.nodeAffinityPolicy === 'Honor' && !matchesRequiredNodeAffinity(nodeAffinity, node)) return false;
  if (c.nodeTaintsPolicy === 'Honor' && node.taints.length > 0 && findUntoleratedTaint(node.taints, pod.pod.spec?.tolerations, filterTaintEffects)) return false;
  return true;
}

/** Pods on the node in the namespace, not being deleted, that the selector matches. */
function countMatching(node: NodeInfo, selector: LabelRequirement[], namespace: string): number {
  if (node.pods.size === 0) return 0;
  let n = 0;
  for (const p of node.pods.values()) {
    const md = p.pod.metadata;
    if (md?.deletionTimestamp || (md?.namespace ?? '') !== namespace) continue;
    if (matchesLabels(selector, md?.labels ?? {})) n++;
  }
  return n;
}

interface PreFilterState {
  constraints: SpreadConstraint[];
  /** Per constraint: topology value → matching pods in that eligible domain. */
  counts: Array<Map<string, number>>;
  /** Per constraint: the global minimum used for the skew (0 below minDomains domains). */
  minMatch: number[];
}

interface PreScoreState {
  constraints: SpreadConstraint[];
  /** Feasible nodes not scored (missing a key of the pod's own constraints): they get 0. */
  ignored: Set<NodeInfo>;
  /** Per constraint (not hostname ones, counted per node in score): topology value → matching pods. */
  counts: Array<Map<string, number>>;
  weights: number[];
}

const filterStateKey = 'PodTopologySpread/filter';
const scoreStateKey = 'PodTopologySpread/score';

export class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions {
  static readonly pluginName = 'PodTopologySpread';
  readonly name = PodTopologySpread.pluginName;

  /** systemDefaulted false: pods without constraints are not spread at all (kube's `defaultingType: List` with none). */
  constructor(private readonly systemDefaulted = true) {}

  preFilter(state: CycleState, pod: PodInfo, snapshot: ClusterSnapshot): Status | null {
    if (!pod.pod.spec?.topologySpreadConstraints?.length) {
      state.write(filterStateKey, { constraints: [], counts: [], minMatch: [] } satisfies PreFilterState);
      return skip();
    }
    let constraints: SpreadConstraint[];
    try {
      constraints = compileConstraints(pod.pod, 'DoNotSchedule');
    } catch (e) {
      if (e instanceof SelectorError) return unresolvable(`invalid topology spread constraint: ${e.message}`);
      throw e;
    }
    if (constraints.length === 0) {
      state.write(filterStateKey, { constraints: [], counts: [], minMatch: [] } satisfies PreFilterState);
      return skip(); // only ScheduleAnyway constraints
    }
    const counts = constraints.map(() => new Map<string, number>());
    const ns = pod.pod.metadata?.namespace ?? '';
    const nodeAffinity = requiredNodeAffinity(pod.pod.spec);
    // This loop runs over every node for every such pod: plain loops, no closures.
    for (const node of snapshot.nodes) {
      if (!hasAllKeys(node, constraints)) continue;
      for (let i = 0; i < constraints.length; i++) {
        const c = constraints[i];
        if (!nodeIncluded(c, pod, node, nodeAffinity)) continue;
        const value = node.labels[c.topologyKey];
        counts[i].set(value, (counts[i].get(value) ?? 0) + countMatching(node, c.selector, ns));
      }
    }
    const minMatch = constraints.map((c, i) => {
      if (counts[i].size < c.minDomains) return 0;
      let min = Infinity;
      for (const n of counts[i].values()) if (n < min) min = n;
      return min;
    });
    state.write(filterStateKey, { constraints, counts, minMatch } satisfies PreFilterState);
    return null;
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | null {
    const s = state.read<PreFilterState>(filterStateKey);
    if (!s) return errorStatus(`${this.name}: filter ran without pre-filter state`);
    if (s.constraints.length === 0) return null;
    const podLabels = pod.pod.metadata?.labels ?? {};
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i];
      const value = node.labels[c.topologyKey];
      if (value === undefined) return unresolvable(ErrReasonNodeLabelNotMatch);
      const self = matchesLabels(c.selector, podLabels) ? 1 : 0;
      const skew = (s.counts[i].get(value) ?? 0) + self - s.minMatch[i];
      if (skew > c.maxSkew) return unschedulable(ErrReasonConstraintsNotMatch);
    }
    return null;
  }

  preScore(state: CycleState, pod: PodInfo, nodes: NodeInfo[], snapshot: ClusterSnapshot): Status | null {
    const own = pod.pod.spec?.topologySpreadConstraints?.length ?? 0;
    let constraints: SpreadConstraint[] = [];
    try {
      if (own > 0) constraints = compileConstraints(pod.pod, 'ScheduleAnyway');
      else if (this.systemDefaulted) {
        const selector = defaultSpreadSelector(pod.pod, snapshot.listers);
        if (selector.length > 0) constraints = SystemDefaultConstraints.map((c) => ({ ...c, selector }));
      }
    } catch (e) {
      if (!(e instanceof SelectorError)) throw e;
      constraints = []; // the filter reported it already, or a Service/ReplicaSet selector is broken: no spreading
    }
    if (constraints.length === 0) {
      state.write(scoreStateKey, undefined);
      return skip();
    }
    // The system defaults use whatever keys a node has (zone is often missing); the pod's own need all.
    const requireAllKeys = own > 0;
    const ignored = new Set<NodeInfo>();
    const counts = constraints.map(() => new Map<string, number>());
    for (const node of nodes) {
      if (requireAllKeys && !hasAllKeys(node, constraints)) {
        ignored.add(node);
        continue;
      }
      constraints.forEach((c, i) => {
        if (c.topologyKey === HostnameLabel) return;
        const value = node.labels[c.topologyKey];
        if (value !== undefined && !counts[i].has(value)) counts[i].set(value, 0);
      });
    }
    const weights = constraints.map((c, i) => Math.log((c.topologyKey === HostnameLabel ? nodes.length - ignored.size : counts[i].size) + 2));
    // Count matching pods in the candidate domains over every node, not only the feasible ones (no
    // candidate domain, e.g. defaults on nodes without zones: nothing to count).
    if (counts.some((m) => m.size > 0)) {
      const ns = pod.pod.metadata?.namespace ?? '';
      const nodeAffinity = requiredNodeAffinity(pod.pod.spec);
      for (const node of snapshot.nodes) {
        if (requireAllKeys && !hasAllKeys(node, constraints)) continue;
        for (let i = 0; i < constraints.length; i++) {
          const c = constraints[i];
          if (c.topologyKey === HostnameLabel) continue;
          const value = node.labels[c.topologyKey];
          const current = value === undefined ? undefined : counts[i].get(value);
          if (current !== undefined && nodeIncluded(c, pod, node, nodeAffinity)) counts[i].set(value, current + countMatching(node, c.selector, ns));
        }
      }
    }
    state.write(scoreStateKey, { constraints, ignored, counts, weights } satisfies PreScoreState);
    return null;
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const s = state.read<PreScoreState>(scoreStateKey);
    if (!s || s.ignored.has(node)) return 0;
    let score = 0;
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i];
      const value = node.labels[c.topologyKey];
      if (value === undefined) continue;
      const count = c.topologyKey === HostnameLabel ? countMatching(node, c.selector, pod.pod.metadata?.namespace ?? '') : (s.counts[i].get(value) ?? 0);
      score += count * s.weights[i] + (c.maxSkew - 1);
    }
    return Math.round(score);
  }

  normalizeScores(state: CycleState, _pod: PodInfo, scores: NodeScore[]): void {
    const s = state.read<PreScoreState>(scoreStateKey);
    if (!s) return;
    let min = Infinity;
    let max = 0;
    for (const x of scores) {
      if (s.ignored.has(x.node)) continue;
      if (x.score < min) min = x.score;
      if (x.score > max) max = x.score;
    }
    for (const x of scores) {
      if (s.ignored.has(x.node)) x.score = 0;
      else if (max === 0) x.score = MaxNodeScore;
      else x.score = Math.floor((MaxNodeScore * (max + min - x.score)) / max);
    }
  }

  events(): ClusterEvent[] {
    // A matching pod bound or gone changes the skew; a node added or relabelled changes the domains.
    return ['PodAdd', 'PodDelete', 'NodeAdd', 'NodeUpdate'];
  }
}
