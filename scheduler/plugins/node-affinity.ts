// NodeAffinity: filter by the pod's nodeSelector and required node affinity (terms ORed, expressions
// within a term ANDed; In, NotIn, Exists, DoesNotExist, Gt, Lt on labels, In/NotIn on metadata.name),
// and score by the summed weights of the preferred terms a node matches.
import type { ClusterEvent, CycleState, EnqueueExtensions, FilterPlugin, NodeScore, PreFilterPlugin, ScorePlugin, Status } from '../framework/types';
import { MaxNodeScore, unresolvable } from '../framework/types';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { CompiledTerm, compileTerm, matchesRequiredNodeAffinity, RequiredNodeAffinity, requiredNodeAffinity, termMatches } from '../../lib/api/node-affinity';

export const ErrReasonPod = "node(s) didn't match Pod's node affinity/selector";

type PreFilterState = RequiredNodeAffinity;

const filterStateKey = 'NodeAffinity/filter';
const scoreStateKey = 'NodeAffinity/score';

interface PreScoreState {
  preferred: Array<{ weight: number; term: CompiledTerm }>;
}

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, ScorePlugin, EnqueueExtensions {
  static readonly pluginName = 'NodeAffinity';
  readonly name = NodeAffinity.pluginName;

  preFilter(state: CycleState, pod: PodInfo): Status | null {
    state.write(filterStateKey, requiredNodeAffinity(pod.pod.spec));
    const preferred = pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    state.write(scoreStateKey, {
      preferred: preferred.map((p) => ({ weight: p.weight, term: compileTerm(p.preference) })),
    } satisfies PreScoreState);
    return null;
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | null {
    const s = state.read<PreFilterState>(filterStateKey) ?? requiredNodeAffinity(pod.pod.spec);
    return matchesRequiredNodeAffinity(s, node) ? null : unresolvable(ErrReasonPod);
  }

  score(state: CycleState, pod: PodInfo, node: NodeInfo): number {
    const preferred = state.read<PreScoreState>(scoreStateKey)?.preferred;
    if (!preferred || preferred.length === 0) return 0;
    let total = 0;
    for (const p of preferred) if (p.weight !== 0 && termMatches(p.term, node)) total += p.weight;
    return total;
  }

  normalizeScores(_state: CycleState, _pod: PodInfo, scores: NodeScore[]): void {
    let max = 0;
    for (const s of scores) if (s.score > max) max = s.score;
    if (max === 0) return;
    for (const s of scores) s.score = Math.floor((s.score * MaxNodeScore) / max);
  }

  events(): ClusterEvent[] {
    return ['NodeAdd', 'NodeUpdate'];
  }
}
