// Framework: runs a profile's plugins at each extension point, and schedulePod(), kube-scheduler's
// scheduling algorithm: pre-filter, then filter nodes starting at a round-robin index until enough
// feasible ones are found (all in small clusters, an adaptive share in large ones), score those,
// pick the best (ties broken at random).
import type { Pod } from 'kubernetes-types/core/v1';
import type { NodeInfo } from './node-info';
import type { PodInfo } from './pod-info';
import type {
  BindPlugin,
  PreBindPlugin,
  PostFilterPlugin,
  PreemptionCandidate,
  ClusterEvent,
  ClusterSnapshot,
  FilterPlugin,
  NodeScore,
  PreFilterPlugin,
  PreScorePlugin,
  QueueSortPlugin,
  ReservePlugin,
  ScorePlugin,
  Status,
} from './types';
import { CycleState, hasEvents, snapshotOf } from './types';

export interface WeightedScorePlugin {
  plugin: ScorePlugin;
  weight: number;
}

/** The plugins of one scheduler profile, in the order they run. */
export interface Profile {
  schedulerName: string;
  queueSort: QueueSortPlugin;
  preFilter: PreFilterPlugin[];
  filter: FilterPlugin[];
  preScore: PreScorePlugin[];
  score: WeightedScorePlugin[];
  reserve: ReservePlugin[];
  preBind?: PreBindPlugin[];
  bind: BindPlugin[];
  /** Run when no node fits (preemption). */
  postFilter?: PostFilterPlugin[];
}

/** kube-scheduler's floor: never score fewer nodes than this (or all, if fewer exist). */
export const MinFeasibleNodesToFind = 100;
/** …and never less than this share of the cluster when the share is adaptive. */
export const MinFeasibleNodesPercentageToFind = 5;

/**
 * How many feasible nodes to look for before scoring. percentage 0 = adaptive: 50% − nodes/125%,
 * at least 5%; never fewer than 100 nodes.
 */
export function numFeasibleNodesToFind(numAllNodes: number, percentageOfNodesToScore = 0): number {
  if (numAllNodes < MinFeasibleNodesToFind || percentageOfNodesToScore >= 100) return numAllNodes;
  let percentage = percentageOfNodesToScore;
  if (percentage <= 0) {
    percentage = 50 - numAllNodes / 125;
    if (percentage < MinFeasibleNodesPercentageToFind) percentage = MinFeasibleNodesPercentageToFind;
  }
  const n = Math.floor((numAllNodes * percentage) / 100);
  return n < MinFeasibleNodesToFind ? MinFeasibleNodesToFind : n;
}

export const NoNodesAvailableMessage = 'no nodes available to schedule pods';

/** Why a pod fits no node: per node, the status of the filter that rejected it. */
export class FitError extends Error {
  constructor(
    readonly pod: PodInfo,
    readonly numAllNodes: number,
    readonly nodeStatuses: Map<string, Status>,
    readonly unschedulablePlugins: Set<string>,
    readonly preFilterStatus?: Status,
  ) {
    super(fitErrorMessage(numAllNodes, nodeStatuses, preFilterStatus));
    this.name = 'FitError';
  }
}

/**
 * kube-scheduler's message: "0/5 nodes are available: 2 node(s) had untolerated taint {dedicated:
 * gpu}, 3 Insufficient cpu." — each reason with the number of nodes it applies to, sorted.
 */
export function fitErrorMessage(numAllNodes: number, nodeStatuses: Map<string, Status>, preFilterStatus?: Status): string {
  if (numAllNodes === 0) return NoNodesAvailableMessage;
  let msg = `0/${numAllNodes} nodes are available:`;
  if (preFilterStatus) return `${msg} ${preFilterStatus.reasons.join(', ')}.`;
  const histogram = new Map<string, number>();
  for (const st of nodeStatuses.values()) {
    for (const r of st.reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
  }
  const parts = [...histogram].map(([reason, n]) => `${n} ${reason}`).sort();
  if (parts.length) msg += ` ${parts.join(', ')}.`;
  return msg;
}

export interface ScheduleResult {
  nodeName: string;
  evaluatedNodes: number;
  feasibleNodes: number;
}

export class Framework {
  readonly name: string;
  /** Where the next pod's node search starts, so successive pods spread their search over the cluster. */
  private nextStartNodeIndex = 0;

  constructor(
    readonly profile: Profile,
    private readonly percentageOfNodesToScore = 0,
    private readonly random: () => number = Math.random,
  ) {
    this.name = profile.schedulerName;
  }

  /** For each cluster event, the plugins that asked to see pods they rejected retried after it. */
  eventPlugins(): Map<ClusterEvent, Set<string>> {
    const out = new Map<ClusterEvent, Set<string>>();
    const all = [...this.profile.preFilter, ...this.profile.filter];
    for (const p of all) {
      if (!hasEvents(p)) continue;
      for (const ev of p.events()) {
        let set = out.get(ev);
        if (!set) out.set(ev, (set = new Set()));
        set.add(p.name);
      }
    }
    return out;
  }

  /** Runs the pre-filters; those answering Skip are added to `skipped` (their filters will not run). */
  runPreFilter(state: CycleState, pod: PodInfo, snapshot: ClusterSnapshot, skipped?: Set<string>): Status | null {
    for (const p of this.profile.preFilter) {
      const st = p.preFilter(state, pod, snapshot);
      if (st?.code === 'Skip') {
        skipped?.add(p.name);
        continue;
      }
      if (st) return { ...st, plugin: p.name };
    }
    return null;
  }

  /** Runs filters until the first that rejects the node (as kube-scheduler does). */
  runFilters(state: CycleState, pod: PodInfo, node: NodeInfo, filters: readonly FilterPlugin[] = this.profile.filter): Status | null {
    for (let i = 0; i < filters.length; i++) {
      const st = filters[i].filter(state, pod, node);
      if (st) {
        st.plugin = filters[i].name;
        return st;
      }
    }
    return null;
  }

  /** Weighted sum of every score plugin's normalized score, per node. */
  runScores(state: CycleState, pod: PodInfo, nodes: NodeInfo[], snapshot: ClusterSnapshot): Float64Array {
    let skipped: Set<string> | undefined;
    for (const p of this.profile.preScore) {
      if (p.preScore(state, pod, nodes, snapshot)?.code === 'Skip') (skipped ??= new Set()).add(p.name);
    }
    const n = nodes.length;
    const totals = new Float64Array(n);
    for (const { plugin, weight } of this.profile.score) {
      if (weight === 0 || skipped?.has(plugin.name)) continue;
      if (!plugin.normalizeScores) {
        for (let i = 0; i < n; i++) totals[i] += plugin.score(state, pod, nodes[i]) * weight;
        continue;
      }
      // Score objects are reused from pod to pod: thousands per pod would otherwise keep the GC busy.
      const scores = this.scoreScratch(n);
      for (let i = 0; i < n; i++) {
        scores[i].node = nodes[i];
        scores[i].score = plugin.score(state, pod, nodes[i]);
      }
      plugin.normalizeScores(state, pod, scores);
      for (let i = 0; i < n; i++) totals[i] += scores[i].score * weight;
    }
    return totals;
  }

  private scratch: NodeScore[] = [];

  private scoreScratch(n: number): NodeScore[] {
    const s = this.scratch;
    while (s.length < n) s.push({ node: undefined as unknown as NodeInfo, score: 0 });
    s.length = n;
    return s;
  }

  runReserve(state: CycleState, pod: PodInfo, nodeName: string): Status | null {
    const done: ReservePlugin[] = [];
    for (const p of this.profile.reserve) {
      const st = p.reserve(state, pod, nodeName);
      if (st) {
        for (const d of done.reverse()) d.unreserve(state, pod, nodeName);
        return { ...st, plugin: p.name };
      }
      done.push(p);
    }
    return null;
  }

  runUnreserve(state: CycleState, pod: PodInfo, nodeName: string): void {
    for (const p of [...this.profile.reserve].reverse()) p.unreserve(state, pod, nodeName);
  }

  /**
   * The post-filter plugins, for a pod no node fits: the first preemption candidate one finds, or the
   * last plugin's reason for finding none (undefined without post-filter plugins).
   */
  runPostFilter(state: CycleState, pod: PodInfo, snapshot: ClusterSnapshot, nodeStatuses: ReadonlyMap<string, Status>): PreemptionCandidate | Status | undefined {
    let last: Status | undefined;
    for (const p of this.profile.postFilter ?? []) {
      const r = p.postFilter(state, pod, snapshot, nodeStatuses, (node) => this.runFilters(state, pod, node) === null);
      if ('victims' in r) return r;
      last = { ...r, plugin: p.name };
    }
    return last;
  }

  async runPreBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | null> {
    for (const p of this.profile.preBind ?? []) {
      const st = await p.preBind(state, pod, nodeName);
      if (st) return { ...st, plugin: p.name };
    }
    return null;
  }

  async runBind(pod: Pod, nodeName: string): Promise<Status | null> {
    for (const p of this.profile.bind) {
      const st = await p.bind(pod, nodeName);
      return st ? { ...st, plugin: p.name } : null;
    }
    return { code: 'Error', reasons: ['no bind plugin'] };
  }

  /**
   * Picks a node for the pod among the snapshot's nodes (or a plain list), or throws FitError. Nodes
   * are read as they are now (the cache, including assumed pods); the whole call is synchronous, so
   * nothing changes under it.
   */
  schedulePod(state: CycleState, pod: PodInfo, cluster: ClusterSnapshot | NodeInfo[]): ScheduleResult {
    const snapshot = Array.isArray(cluster) ? snapshotOf(cluster) : cluster;
    const nodes = snapshot.nodes;
    const numAll = nodes.length;
    const nodeStatuses = new Map<string, Status>();
    const rejecting = new Set<string>();
    if (numAll === 0) throw new FitError(pod, 0, nodeStatuses, rejecting);
    const skipped = new Set<string>();
    const pre = this.runPreFilter(state, pod, snapshot, skipped);
    if (pre) {
      if (pre.plugin) rejecting.add(pre.plugin);
      throw new FitError(pod, numAll, nodeStatuses, rejecting, pre);
    }
    // Plugins with nothing to check for this pod (e.g. no pod uses affinity) cost nothing per node.
    const filters = skipped.size === 0 ? this.profile.filter : this.profile.filter.filter((p) => !skipped.has(p.name));

    const want = numFeasibleNodesToFind(numAll, this.percentageOfNodesToScore);
    const feasible: NodeInfo[] = [];
    const start = this.nextStartNodeIndex % numAll;
    let checked = 0;
    for (; checked < numAll && feasible.length < want; checked++) {
      const node = nodes[(start + checked) % numAll];
      const st = this.runFilters(state, pod, node, filters);
      if (st === null) {
        feasible.push(node);
      } else {
        nodeStatuses.set(node.name, st);
        if (st.plugin) rejecting.add(st.plugin);
      }
    }
    this.nextStartNodeIndex = (start + checked) % numAll;

    if (feasible.length === 0) throw new FitError(pod, numAll, nodeStatuses, rejecting);
    if (feasible.length === 1) return { nodeName: feasible[0].name, evaluatedNodes: checked, feasibleNodes: 1 };

    const totals = this.runScores(state, pod, feasible, snapshot);
    return { nodeName: feasible[this.selectHost(totals)].name, evaluatedNodes: checked, feasibleNodes: feasible.length };
  }

  /** The index of the highest total; ties broken uniformly at random (reservoir sampling). */
  private selectHost(totals: Float64Array): number {
    let best = 0;
    let ties = 1;
    for (let i = 1; i < totals.length; i++) {
      if (totals[i] > totals[best]) {
        best = i;
        ties = 1;
      } else if (totals[i] === totals[best]) {
        ties++;
        if (this.random() * ties < 1) best = i;
      }
    }
    return best;
  }
}
