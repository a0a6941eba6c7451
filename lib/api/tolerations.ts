// Taints and tolerations with k8s.io/api's Toleration.ToleratesTaint semantics, shared by the
// scheduler's TaintToleration plugin, the DaemonSet controller and node lifecycle's NoExecute evictions.
import type { Taint, Toleration } from 'kubernetes-types/core/v1';

/**
 * Same effect (or none given), same key (or none given, which only Exists can use), and for Equal
 * (the default operator) the same value; an unknown operator tolerates nothing.
 */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? '') {
    case '':
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function tolerated(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

/** The first taint with one of the effects that the tolerations don't tolerate. */
export function findUntoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly Toleration[] | undefined,
  effects: ReadonlySet<string>,
): Taint | undefined {
  return taints.find((taint) => effects.has(taint.effect) && !tolerated(tolerations, taint));
}
