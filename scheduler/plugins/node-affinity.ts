// NodeAffinity: filter by the pod's nodeSelector and required node affinity (terms ORed, expressions
// within a term ANDed; In, NotIn, Exists, DoesNotExist, Gt, Lt on labels, In/NotIn on metadata.name),
// and score by the summed weights of the preferred terms a node matches.
import type { NodeSelectorRequirement, NodeSelectorTerm } from 'kubernetes-types/core/v1';
import type { ClusterEvent, CycleState, EnqueueExtensions, FilterPlugin, NodeScore, PreFilterPlugin, ScorePlugin, Status } from '../framework/types';
import { MaxNodeScore, unresolvable } from '../framework/types';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { LabelOperator, LabelRequirement, matchesRequirement, newRequirement, SelectorError } from '../../lib/selectors';

export const ErrReasonPod = "node(s) didn't match Pod's node affinity/selector";

const operators: Record<string, LabelOperator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
  Gt: 'gt',
  Lt: 'lt',
};

/** One node selector term, compiled; `undefined` entries are invalid and never match. */
interface CompiledTerm {
  labels: Array<LabelRequirement | undefined>;
  fields: Array<LabelRequirement | undefined>; // against {metadata.name: node name}
}

function compileRequirement(r: NodeSelectorRequirement, fieldTerm: boolean): LabelRequirement | undefined {
  const op = operators[r.operator];
  if (!op || (fieldTerm && (r.key !== 'metadata.name' || (op !== 'in' && op !== 'notin')))) return undefined;
  try {
    if (fieldTerm) return { key: r.key, operator: op, values: [...(r.values ?? [])] };
    return newRequirement(r.key, op, r.values ?? []);
  } catch (e) {
    if (e instanceof SelectorError) return undefined;
    throw e;
  }
}

export function compileTerm(t: NodeSelectorTerm): CompiledTerm {
  return {
    labels: (t.matchExpressions ?? []).map((r) => compileRequirement(r, false)),
    fields: (t.matchFields ?? []).map((r) => compileRequirement(r, true)),
  };
}

/** An empty term matches no node; otherwise every requirement must hold. */
export function termMatches(t: CompiledTerm, node: NodeInfo): boolean {
  if (t.labels.length === 0 && t.fields.length === 0) return false;
  for (const r of t.labels) if (!r || !matchesRequirement(r, node.labels)) return false;
  if (t.fields.length > 0) {
    const fields = { 'metadata.name': node.name };
    for (const r of t.fields) if (!r || !matchesRequirement(r, fields)) return false;
  }
  return true;
}

/** A pod's nodeSelector and required node affinity, compiled (also PodTopologySpread's nodeAffinityPolicy). */
export interface RequiredNodeAffinity {
  nodeSelector: Array<[string, string]>;
  required?: CompiledTerm[]; // undefined: no required affinity
}
type PreFilterState = RequiredNodeAffinity;

export function requiredNodeAffinity(pod: PodInfo): RequiredNodeAffinity {
  const spec = pod.pod.spec;
  const required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return {
    nodeSelector: Object.entries(spec?.nodeSelector ?? {}),
    required: required ? required.nodeSelectorTerms.map(compileTerm) : undefined,
  };
}

/** Whether the node satisfies both the nodeSelector and (one term of) the required node affinity. */
export function matchesRequiredNodeAffinity(s: RequiredNodeAffinity, node: NodeInfo): boolean {
  for (const [k, v] of s.nodeSelector) {
    if (node.labels[k] !== v) return false;
  }
  return !s.required || s.required.some((t) => termMatches(t, node));
}

const filterStateKey = 'NodeAffinity/filter';
const scoreStateKey = 'NodeAffinity/score';

interface PreScoreState {
  preferred: Array<{ weight: number; term: CompiledTerm }>;
}

export class NodeAffinity implements PreFilterPlugin, FilterPlugin, ScorePlugin, EnqueueExtensions {
  static readonly pluginName = 'NodeAffinity';
  readonly name = NodeAffinity.pluginName;

  preFilter(state: CycleState, pod: PodInfo): Status | null {
    state.write(filterStateKey, requiredNodeAffinity(pod));
    const preferred = pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    state.write(scoreStateKey, {
      preferred: preferred.map((p) => ({ weight: p.weight, term: compileTerm(p.preference) })),
    } satisfies PreScoreState);
    return null;
  }

  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | null {
    const s = state.read<PreFilterState>(filterStateKey) ?? requiredNodeAffinity(pod);
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
