// TaintToleration: filter out nodes with a NoSchedule or NoExecute taint the pod does not tolerate;
// score nodes by how few PreferNoSchedule taints the pod does not tolerate.
import type { Toleration } from 'kubernetes-types/core/v1';
import type { ClusterEvent, CycleState, EnqueueExtensions, FilterPlugin, NodeScore, ScorePlugin, Status } from '../framework/types';
import { MaxNodeScore, unresolvable } from '../framework/types';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { findUntoleratedTaint, tolerated } from '../../lib/api/tolerations';

const filterEffects: ReadonlySet<string> = new Set(['NoSchedule', 'NoExecute']);

export function untoleratedTaintReason(key: string, value: string | undefined): string {
  return `node(s) had untolerated taint {${key}: ${value ?? ''}}`;
}

export class TaintToleration implements FilterPlugin, ScorePlugin, EnqueueExtensions {
  static readonly pluginName = 'TaintToleration';
  readonly name = TaintToleration.pluginName;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status | null {
    if (node.taints.length === 0) return null;
    const taint = findUntoleratedTaint(node.taints, pod.pod.spec?.tolerations, filterEffects);
    return taint ? unresolvable(untoleratedTaintReason(taint.key, taint.value)) : null;
  }

  /** Raw score: the number of PreferNoSchedule taints not tolerated (fewer is better, see normalize). */
  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    if (node.taints.length === 0) return 0;
    // Only tolerations with an empty or PreferNoSchedule effect count here.
    const tolerations: Toleration[] = (pod.pod.spec?.tolerations ?? []).filter(
      (t) => !t.effect || t.effect === 'PreferNoSchedule',
    );
    let count = 0;
    for (const taint of node.taints) {
      if (taint.effect === 'PreferNoSchedule' && !tolerated(tolerations, taint)) count++;
    }
    return count;
  }

  normalizeScores(_state: CycleState, _pod: PodInfo, scores: NodeScore[]): void {
    let max = 0;
    for (const s of scores) if (s.score > max) max = s.score;
    for (const s of scores) s.score = max === 0 ? MaxNodeScore : MaxNodeScore - Math.floor((s.score * MaxNodeScore) / max);
  }

  events(): ClusterEvent[] {
    return ['NodeAdd', 'NodeUpdate'];
  }
}
