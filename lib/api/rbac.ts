// ClusterRole aggregation (pkg/controller/clusterroleaggregation): a ClusterRole with an aggregationRule
// holds the rules of every other ClusterRole its selectors match, in name order, each rule once. The
// controller keeps aggregated roles current; the apiserver applies it once when it creates the default
// roles, so admin/edit/view are usable before any controller runs.
import type { ClusterRole, PolicyRule } from 'kubernetes-types/rbac/v1';
import { deepEqual } from './json';
import { matchesLabels, SelectorError, selectorFromLabelSelector } from './selectors';

export const AggregateToAdmin = 'rbac.authorization.k8s.io/aggregate-to-admin';
export const AggregateToEdit = 'rbac.authorization.k8s.io/aggregate-to-edit';
export const AggregateToView = 'rbac.authorization.k8s.io/aggregate-to-view';

/**
 * The rules an aggregated ClusterRole should hold given all ClusterRoles; undefined when it has no
 * aggregationRule (its rules are its own). A selector that cannot be parsed selects nothing.
 */
export function aggregatedRules(role: ClusterRole, all: readonly ClusterRole[]): PolicyRule[] | undefined {
  const selectors = role.aggregationRule?.clusterRoleSelectors;
  if (!role.aggregationRule) return undefined;
  const rules: PolicyRule[] = [];
  const sorted = [...all].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : (a.metadata?.name ?? '') > (b.metadata?.name ?? '') ? 1 : 0));
  for (const sel of selectors ?? []) {
    let reqs;
    try {
      reqs = selectorFromLabelSelector(sel);
    } catch (err) {
      if (err instanceof SelectorError) continue;
      throw err;
    }
    for (const other of sorted) {
      if (other.metadata?.name === role.metadata?.name) continue;
      if (!matchesLabels(reqs, other.metadata?.labels ?? {})) continue;
      for (const rule of other.rules ?? []) if (!rules.some((r) => deepEqual(r, rule))) rules.push(rule);
    }
  }
  return rules;
}

/** Whether two rule lists are the same (nil and empty alike, as equality.Semantic). */
export function sameRules(a: readonly PolicyRule[] | undefined, b: readonly PolicyRule[] | undefined): boolean {
  return deepEqual(a ?? [], b ?? []);
}
