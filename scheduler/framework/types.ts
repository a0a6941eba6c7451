// The scheduler framework's vocabulary, after kube-scheduler's: a pod passes through named extension
// points (queue sort, pre-filter, filter, pre-score, score + normalize, reserve, bind), and each plugin
// is a small object with a name and the method(s) of its point(s).
import type { PersistentVolume, PersistentVolumeClaim, Pod, Service } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import type { NodeInfo } from './node-info';
import type { PodInfo } from './pod-info';

/** Highest score a plugin may give a node (after normalization). */
export const MaxNodeScore = 100;

export type StatusCode =
  | 'Unschedulable' // fails now, may fit after a cluster change
  | 'UnschedulableAndUnresolvable' // no cluster change to this node would help (e.g. wrong name)
  | 'Error' // an internal failure
  | 'Skip'; // from pre-filter / pre-score: nothing for this plugin to do for this pod; its filter / score is not run

/** A non-success outcome of a plugin; success is `null`. */
export interface Status {
  code: StatusCode;
  /** Kubernetes' human reasons, e.g. "Insufficient cpu"; counted per node in the FailedScheduling message. */
  reasons: string[];
  plugin?: string;
}

export function unschedulable(...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons };
}
export function unresolvable(...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons };
}
/** A pre-filter's or pre-score's "not relevant for this pod": the framework skips the plugin's filter or score. */
export function skip(): Status {
  return { code: 'Skip', reasons: [] };
}
export function errorStatus(message: string): Status {
  return { code: 'Error', reasons: [message] };
}

/**
 * Data a plugin computes once per pod per scheduling cycle (in pre-filter or pre-score) and reads for
 * every node; keyed by plugin name.
 */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
}

export interface Plugin {
  readonly name: string;
}

/** The API objects besides nodes and pods that some plugins read (from the scheduler's informers). */
export interface ObjectListers {
  /** A namespace's labels (namespaceSelector of pod affinity terms); undefined when unknown. */
  namespaceLabels(namespace: string): Record<string, string> | undefined;
  services(namespace: string): Service[];
  replicaSet(namespace: string, name: string): ReplicaSet | undefined;
  /** Storage objects the VolumeBinding plugin reads. */
  claim?(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volumes?(): PersistentVolume[];
  storageClass?(name: string): StorageClass | undefined;
  storageClasses?(): StorageClass[];
  /** Calls fn after each claim add or update the listers have seen; returns the unsubscribe. */
  onClaimChange?(fn: () => void): () => void;
  /** A namespace's PodDisruptionBudgets (preemption spares pods they protect when it can). */
  podDisruptionBudgets?(namespace: string): PodDisruptionBudget[];
}

export const noObjectListers: ObjectListers = {
  namespaceLabels: () => undefined,
  services: () => [],
  replicaSet: () => undefined,
};

/**
 * The cluster as one scheduling cycle sees it (kube-scheduler's Snapshot): every node with its pods
 * (bound and assumed), the subsets of nodes holding pods with pod (anti-)affinity — so the affinity
 * plugins cost nothing when no pod uses it — and the listers.
 */
export interface ClusterSnapshot {
  readonly nodes: NodeInfo[];
  /** Nodes with at least one pod that has any pod affinity or anti-affinity term. */
  readonly nodesWithPodAffinity: NodeInfo[];
  /** Nodes with at least one pod that has a required anti-affinity term. */
  readonly nodesWithRequiredAntiAffinity: NodeInfo[];
  readonly listers: ObjectListers;
}

/** A snapshot over a plain node list (tests, benchmarks): the affinity subsets found by scanning. */
export function snapshotOf(nodes: NodeInfo[], listers: ObjectListers = noObjectListers): ClusterSnapshot {
  return {
    nodes,
    nodesWithPodAffinity: nodes.filter((n) => n.podsWithAffinity.size > 0),
    nodesWithRequiredAntiAffinity: nodes.filter((n) => n.podsWithRequiredAntiAffinity.size > 0),
    listers,
  };
}

/** A pod waiting in the scheduling queue. */
export interface QueuedPodInfo {
  podInfo: PodInfo;
  /** When it was last added to the queue (queue sort's age). */
  timestamp: number;
  /** When it first entered the queue (end-to-end scheduling latency). */
  initialAttemptTimestamp: number;
  attempts: number;
  /** Plugins that rejected it in its last attempt (for relevant-event requeueing). */
  unschedulablePlugins: Set<string>;
}

export interface QueueSortPlugin extends Plugin {
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

export interface PreFilterPlugin extends Plugin {
  /** Computes per-pod state; a non-null status rejects the pod for every node (Skip: this plugin's filter is not run). */
  preFilter(state: CycleState, pod: PodInfo, snapshot: ClusterSnapshot): Status | null;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | null;
}

export interface PreScorePlugin extends Plugin {
  /** `nodes`: the feasible nodes about to be scored; `snapshot`: the whole cluster. */
  /** Returning Skip leaves this plugin's score out for this pod (as if every node scored 0). */
  preScore(state: CycleState, pod: PodInfo, nodes: NodeInfo[], snapshot: ClusterSnapshot): Status | null;
}

export interface NodeScore {
  node: NodeInfo;
  score: number;
}

export interface ScorePlugin extends Plugin {
  /** A raw score for one node; NormalizeScore (if any) then maps the raw scores to [0, MaxNodeScore]. */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  normalizeScores?(state: CycleState, pod: PodInfo, scores: NodeScore[]): void;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: PodInfo, nodeName: string): Status | null;
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export interface PreBindPlugin extends Plugin {
  /** Runs before binding (in the binding cycle): writes what the node choice means, e.g. volume bindings. */
  preBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status | null>;
}

/** Where preemption would make room for a pod no node fits: the node, and the pods to evict there. */
export interface PreemptionCandidate {
  nodeName: string;
  victims: PodInfo[];
  /** Victims whose eviction breaks a PodDisruptionBudget (taken only when no node spares them all). */
  pdbViolations: number;
}

export interface PostFilterPlugin extends Plugin {
  /**
   * Runs when no node fits the pod (`nodeStatuses`: why each node refused it). A candidate when
   * evicting lower-priority pods somewhere would make it fit; otherwise a status saying why not.
   */
  postFilter(state: CycleState, pod: PodInfo, snapshot: ClusterSnapshot, nodeStatuses: ReadonlyMap<string, Status>, fits: (node: NodeInfo) => boolean): PreemptionCandidate | Status;
}

export interface BindPlugin extends Plugin {
  bind(pod: Pod, nodeName: string): Promise<Status | null>;
}

/**
 * Which kind of cluster change could make a pod rejected by a plugin schedulable. PodDelete also
 * stands for a bound pod that finished (Succeeded/Failed): both free the node's resources and ports.
 * PodAdd is a pod newly bound to a node (by anyone): it can satisfy another pod's affinity or spread.
 */
export type ClusterEvent = 'NodeAdd' | 'NodeUpdate' | 'PodDelete' | 'PodAdd' | 'VolumeChange';

export interface EnqueueExtensions {
  /** The cluster events after which a pod this plugin rejected is worth retrying. */
  events(): ClusterEvent[];
}

export function hasEvents(p: Plugin): p is Plugin & EnqueueExtensions {
  return typeof (p as Partial<EnqueueExtensions>).events === 'function';
}
