// Taint/toleration matching shared by the plugins that look at taints (core/v1 helper semantics).
import type { Taint, Toleration } from 'kubernetes-types/core/v1';

/** Whether a toleration tolerates a taint: same key (or an empty key with Exists), effect and value. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
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
