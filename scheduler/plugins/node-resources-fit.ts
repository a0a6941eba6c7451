// NodeResourcesFit: filter out nodes where the pod's requests (cpu, memory, ephemeral-storage, extended
// resources such as nvidia.com/gpu), added to those of the pods already there (bound or assumed),
// exceed allocatable, or that are at their pod count limit; score
// the rest by the LeastAllocated strategy (the more free cpu and memory after placing the pod, the
// better), the default of kube-scheduler.
import type { ClusterEvent, CycleState, EnqueueExtensions, FilterPlugin, ScorePlugin, Status } from '../framework/types';
import { MaxNodeScore, unschedulable } from '../framework/types';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';

export const ReasonTooManyPods = 'Too many pods';
export const ReasonInsufficientCpu = 'Insufficient cpu';
export const ReasonInsufficientMemory = 'Insufficient memory';

export interface ResourceWeights {
  cpu: number;
  memory: number;
}

/** (allocatable − requested) scaled to [0, 100]; 0 when over-requested or nothing allocatable. */
export function leastRequestedScore(requested: number, allocatable: number): number {
  if (allocatable === 0 || requested > allocatable) return 0;
  return Math.floor(((allocatable - requested) * MaxNodeScore) / allocatable);
}

export class NodeResourcesFit implements FilterPlugin, ScorePlugin, EnqueueExtensions {
  static readonly pluginName = 'NodeResourcesFit';
  readonly name = NodeResourcesFit.pluginName;

  constructor(private readonly weights: ResourceWeights = { cpu: 1, memory: 1 }) {}

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status | null {
    let reasons: string[] | undefined;
    if (node.pods.size + 1 > node.allocatable.pods) (reasons ??= []).push(ReasonTooManyPods);
    const req = pod.requests;
    if (req.milliCpu > 0 && req.milliCpu > node.allocatable.milliCpu - node.requested.milliCpu) {
      (reasons ??= []).push(ReasonInsufficientCpu);
    }
    if (req.memory > 0 && req.memory > node.allocatable.memory - node.requested.memory) {
      (reasons ??= []).push(ReasonInsufficientMemory);
    }
    for (const [name, want] of pod.scalarRequests) {
      if (want > 0 && want > (node.allocatableScalar.get(name) ?? 0) - (node.requestedScalar.get(name) ?? 0)) {
        (reasons ??= []).push(`Insufficient ${name}`);
      }
    }
    return reasons ? unschedulable(...reasons) : null;
  }

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const cpu = leastRequestedScore(node.nonZeroRequested.milliCpu + pod.nonZeroRequests.milliCpu, node.allocatable.milliCpu);
    const mem = leastRequestedScore(node.nonZeroRequested.memory + pod.nonZeroRequests.memory, node.allocatable.memory);
    const w = this.weights;
    const total = w.cpu + w.memory;
    return total === 0 ? 0 : Math.floor((cpu * w.cpu + mem * w.memory) / total);
  }

  events(): ClusterEvent[] {
    return ['NodeAdd', 'NodeUpdate', 'PodDelete'];
  }
}
