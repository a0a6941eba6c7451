// NodeResourcesBalancedAllocation (score): prefer nodes whose cpu and memory would be used in equal
// fractions after placing the pod, so neither resource is exhausted while the other idles.
// score = (1 − standard deviation of the used fractions) × 100.
import type { CycleState, ScorePlugin } from '../framework/types';
import { MaxNodeScore } from '../framework/types';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';

export function balancedScore(fractions: number[]): number {
  if (fractions.length === 0) return 0;
  const capped = fractions.map((f) => Math.min(f, 1));
  const mean = capped.reduce((a, b) => a + b, 0) / capped.length;
  const variance = capped.reduce((a, f) => a + (f - mean) * (f - mean), 0) / capped.length;
  return Math.floor((1 - Math.sqrt(variance)) * MaxNodeScore);
}

export class NodeResourcesBalancedAllocation implements ScorePlugin {
  static readonly pluginName = 'NodeResourcesBalancedAllocation';
  readonly name = NodeResourcesBalancedAllocation.pluginName;

  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const a = node.allocatable;
    // The two-resource case without allocations: std of {x, y} is |x − y| / 2.
    if (a.milliCpu > 0 && a.memory > 0) {
      const cpu = Math.min((node.requested.milliCpu + pod.requests.milliCpu) / a.milliCpu, 1);
      const mem = Math.min((node.requested.memory + pod.requests.memory) / a.memory, 1);
      return Math.floor((1 - Math.abs(cpu - mem) / 2) * MaxNodeScore);
    }
    const fractions: number[] = [];
    if (a.milliCpu > 0) fractions.push((node.requested.milliCpu + pod.requests.milliCpu) / a.milliCpu);
    if (a.memory > 0) fractions.push((node.requested.memory + pod.requests.memory) / a.memory);
    return balancedScore(fractions);
  }
}
