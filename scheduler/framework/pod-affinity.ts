// Pod affinity and anti-affinity terms, compiled once per pod (kube-scheduler's framework.AffinityTerm):
// a label selector over pods, the namespaces it applies to (a list, a selector over namespace labels,
// or the pod's own namespace when neither is given) and the node label that defines a topology domain.
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { LabelRequirement, matchesLabels, newRequirement, selectorFromLabelSelector, SelectorError } from '../../lib/api/selectors';

export interface AffinityTerm {
  /** Over the other pod's labels; a null labelSelector selects nothing. */
  selector: LabelRequirement[];
  topologyKey: string;
  namespaces: ReadonlySet<string>;
  /** Over the other pod's namespace's labels; undefined when the term has none. */
  namespaceSelector?: LabelRequirement[];
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

export interface PodAffinityInfo {
  requiredAffinity: AffinityTerm[];
  requiredAntiAffinity: AffinityTerm[];
  preferredAffinity: WeightedAffinityTerm[];
  preferredAntiAffinity: WeightedAffinityTerm[];
  /** Why a term could not be compiled (the apiserver should have refused it); such a term is left out. */
  error?: string;
}

/** Whether `pod` (in a namespace with labels `nsLabels`) is one of the pods the term selects. */
export function termMatchesPod(term: AffinityTerm, pod: Pod, nsLabels: Record<string, string> | undefined): boolean {
  const ns = pod.metadata?.namespace ?? '';
  if (!term.namespaces.has(ns) && !(term.namespaceSelector && nsLabels && matchesLabels(term.namespaceSelector, nsLabels))) {
    return false;
  }
  return matchesLabels(term.selector, pod.metadata?.labels ?? {});
}

/** Whether every term selects `pod` (required affinity terms are ANDed); false for no terms. */
export function allTermsMatchPod(terms: readonly AffinityTerm[], pod: Pod, nsLabels: Record<string, string> | undefined): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!termMatchesPod(t, pod, nsLabels)) return false;
  return true;
}

/**
 * The term's pod selector: labelSelector plus, for matchLabelKeys / mismatchLabelKeys, `key in (v)` /
 * `key notin (v)` with v the owning pod's value of that label (keys it lacks are ignored).
 */
function compileSelector(sel: LabelSelector | undefined, term: PodAffinityTerm, ownLabels: Record<string, string>): LabelRequirement[] {
  const reqs = selectorFromLabelSelector(sel);
  if (sel === undefined || sel === null) return reqs; // selects nothing: extra keys cannot widen it
  for (const key of term.matchLabelKeys ?? []) {
    if (ownLabels[key] !== undefined) reqs.push(newRequirement(key, 'in', [ownLabels[key]]));
  }
  for (const key of term.mismatchLabelKeys ?? []) {
    if (ownLabels[key] !== undefined) reqs.push(newRequirement(key, 'notin', [ownLabels[key]]));
  }
  return reqs;
}

function compileTerm(term: PodAffinityTerm, pod: Pod): AffinityTerm {
  const namespaces = new Set(term.namespaces ?? []);
  if (namespaces.size === 0 && !term.namespaceSelector) namespaces.add(pod.metadata?.namespace ?? '');
  return {
    selector: compileSelector(term.labelSelector, term, pod.metadata?.labels ?? {}),
    topologyKey: term.topologyKey,
    namespaces,
    namespaceSelector: term.namespaceSelector ? selectorFromLabelSelector(term.namespaceSelector) : undefined,
  };
}

/** The pod's compiled terms, or undefined when it has no pod (anti-)affinity at all (the common case). */
export function podAffinityInfo(pod: Pod): PodAffinityInfo | undefined {
  const affinity = pod.spec?.affinity;
  const pa = affinity?.podAffinity;
  const anti = affinity?.podAntiAffinity;
  if (!pa && !anti) return undefined;
  const info: PodAffinityInfo = { requiredAffinity: [], requiredAntiAffinity: [], preferredAffinity: [], preferredAntiAffinity: [] };
  const add = <T>(out: T[], build: () => T) => {
    try {
      out.push(build());
    } catch (e) {
      if (!(e instanceof SelectorError)) throw e;
      info.error ??= `invalid pod affinity term: ${e.message}`;
    }
  };
  const weighted = (w: WeightedPodAffinityTerm): WeightedAffinityTerm => ({ ...compileTerm(w.podAffinityTerm, pod), weight: w.weight });
  for (const t of pa?.requiredDuringSchedulingIgnoredDuringExecution ?? []) add(info.requiredAffinity, () => compileTerm(t, pod));
  for (const t of anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []) add(info.requiredAntiAffinity, () => compileTerm(t, pod));
  for (const w of pa?.preferredDuringSchedulingIgnoredDuringExecution ?? []) add(info.preferredAffinity, () => weighted(w));
  for (const w of anti?.preferredDuringSchedulingIgnoredDuringExecution ?? []) add(info.preferredAntiAffinity, () => weighted(w));
  return info;
}

/** Whether a pod has any term (kube-scheduler's PodsWithAffinity membership). */
export function hasAnyAffinityTerm(info: PodAffinityInfo | undefined): boolean {
  return !!info && (info.requiredAffinity.length + info.requiredAntiAffinity.length + info.preferredAffinity.length + info.preferredAntiAffinity.length) > 0;
}
