// A Job's successPolicy (kube's pkg/controller/job/success_policy.go, Indexed Jobs): the Job succeeds as
// soon as one rule holds — every index of its succeededIndexes succeeded, or succeededCount of them (of
// those indexes, or of all) — even while other indexes have not run; its remaining pods are deleted.
// Pure.
import type { SuccessPolicy } from 'kubernetes-types/batch/v1';
import { parseIndexes } from '../lib/api/job-indexes';

/** kube's message for the first rule that holds ("Matched rules at index 0"), or undefined. */
export function matchSuccessPolicy(policy: SuccessPolicy | undefined, completions: number, succeeded: ReadonlySet<number>): string | undefined {
  if (!policy || succeeded.size === 0) return undefined;
  for (const [index, rule] of (policy.rules ?? []).entries()) {
    const count = rule.succeededCount ?? undefined;
    if (rule.succeededIndexes !== undefined && rule.succeededIndexes !== null) {
      // A malformed list (validation refuses one) matches nothing, as kube skips it; indexes past
      // completions are left out.
      const wanted = (parseIndexes(rule.succeededIndexes) ?? []).filter((i) => i < completions);
      if (wanted.length === 0) continue;
      const done = wanted.filter((i) => succeeded.has(i)).length;
      if (done === wanted.length || (count !== undefined && done >= count)) return `Matched rules at index ${index}`;
    } else if (count !== undefined && succeeded.size >= count) {
      return `Matched rules at index ${index}`;
    }
  }
  return undefined;
}
