// Matching nodes against a pod's nodeSelector and node affinity (component-helpers' nodeaffinity),
// shared by the scheduler's NodeAffinity plugin and the DaemonSet controller: terms are ORed,
// expressions within a term ANDed; In, NotIn, Exists, DoesNotExist, Gt, Lt on labels, In/NotIn on the
// metadata.name field. Compile once per pod, then match against many nodes.
import type { Node, NodeSelectorRequirement, NodeSelectorTerm, PodSpec } from 'kubernetes-types/core/v1';
import { LabelOperator, LabelRequirement, matchesRequirement, newRequirement, SelectorError } from './selectors';

/** What a node offers to match against: its labels and its name (the only selectable field). */
export interface NodeFacts {
  labels: Record<string, string>;
  name: string;
}

export function nodeFacts(node: Node): NodeFacts {
  return { labels: node.metadata?.labels ?? {}, name: node.metadata?.name ?? '' };
}

const operators: Record<string, LabelOperator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
  Gt: 'gt',
  Lt: 'lt',
};

/** One node selector term, compiled; `undefined` entries are invalid and never match. */
export interface CompiledTerm {
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
export function termMatches(t: CompiledTerm, node: NodeFacts): boolean {
  if (t.labels.length === 0 && t.fields.length === 0) return false;
  for (const r of t.labels) if (!r || !matchesRequirement(r, node.labels)) return false;
  if (t.fields.length > 0) {
    const fields = { 'metadata.name': node.name };
    for (const r of t.fields) if (!r || !matchesRequirement(r, fields)) return false;
  }
  return true;
}

/** A pod's nodeSelector and required node affinity, compiled. */
export interface RequiredNodeAffinity {
  nodeSelector: Array<[string, string]>;
  required?: CompiledTerm[]; // undefined: no required affinity
}

export function requiredNodeAffinity(spec: PodSpec | undefined): RequiredNodeAffinity {
  const required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return {
    nodeSelector: Object.entries(spec?.nodeSelector ?? {}),
    required: required ? (required.nodeSelectorTerms ?? []).map(compileTerm) : undefined,
  };
}

/** Whether the node satisfies both the nodeSelector and (one term of) the required node affinity. */
export function matchesRequiredNodeAffinity(s: RequiredNodeAffinity, node: NodeFacts): boolean {
  for (const [k, v] of s.nodeSelector) {
    if (node.labels[k] !== v) return false;
  }
  return !s.required || s.required.some((t) => termMatches(t, node));
}
