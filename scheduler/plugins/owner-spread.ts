// OwnerSpread (score): spread the pods of one controller (ReplicaSet, StatefulSet, … — the controlling
// ownerReference's uid) across nodes, and across zones when nodes carry the
// topology.kubernetes.io/zone label, like kube-scheduler's SelectorSpread: a node with fewer of the
// owner's pods (bound or assumed) scores higher, so 3 replicas land on 3 nodes when they can.
import type { CycleState, NodeScore, ScorePlugin } from '../framework/types';
import { MaxNodeScore } from '../framework/types';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';

export const ZoneLabel = 'topology.kubernetes.io/zone';
/** How much the zone spread counts against the node spread when zones exist (SelectorSpread's 2/3). */
const zoneWeighting = 2 / 3;

export class OwnerSpread implements ScorePlugin {
  static readonly pluginName = 'OwnerSpread';
  readonly name = OwnerSpread.pluginName;

  /** Raw score: how many of the pod's owner's pods are on the node already. */
  score(_state: CycleState, pod: PodInfo, node: NodeInfo): number {
    if (!pod.ownerUid) return 0;
    return node.ownerCounts.get(pod.ownerUid) ?? 0;
  }

  normalizeScores(_state: CycleState, pod: PodInfo, scores: NodeScore[]): void {
    if (!pod.ownerUid) {
      for (const s of scores) s.score = 0;
      return;
    }
    let maxNode = 0;
    const byZone = new Map<string, number>();
    for (const s of scores) {
      if (s.score > maxNode) maxNode = s.score;
      const zone = s.node.labels[ZoneLabel];
      if (zone !== undefined) byZone.set(zone, (byZone.get(zone) ?? 0) + s.score);
    }
    let maxZone = 0;
    for (const n of byZone.values()) if (n > maxZone) maxZone = n;
    for (const s of scores) {
      let score = maxNode > 0 ? (MaxNodeScore * (maxNode - s.score)) / maxNode : MaxNodeScore;
      const zone = s.node.labels[ZoneLabel];
      if (byZone.size > 0 && zone !== undefined) {
        const zoneScore = maxZone > 0 ? (MaxNodeScore * (maxZone - (byZone.get(zone) ?? 0))) / maxZone : MaxNodeScore;
        score = score * (1 - zoneWeighting) + zoneWeighting * zoneScore;
      }
      s.score = Math.floor(score);
    }
  }
}
