// A Job's podFailurePolicy (kube's pkg/controller/job/pod_failure_policy.go): the first rule that matches a
// failed pod decides what its failure means — FailJob ends the Job at once (reason PodFailurePolicy),
// Ignore does not count it against backoffLimit (a node drained or the pod evicted: the DisruptionTarget
// condition), Count counts it as any failure, FailIndex fails the pod's index (backoffLimitPerIndex). A
// pod no rule matches is counted. Pure.
import type { PodFailurePolicy } from 'kubernetes-types/batch/v1';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1';

export interface PodFailureVerdict {
  /** Counts toward backoffLimit (false only under Ignore). */
  counts: boolean;
  /** The Job's failure message when a FailJob rule matched. */
  failJob?: string;
  /** The action of the matching rule, if any. */
  action?: string;
}

/** The first terminated container (regular, then init) with a non-zero exit code the requirement takes. */
function matchingContainer(pod: Pod, req: NonNullable<PodFailurePolicy['rules'][number]['onExitCodes']>): ContainerStatus | undefined {
  for (const list of [pod.status?.containerStatuses ?? [], pod.status?.initContainerStatuses ?? []]) {
    for (const cs of list) {
      const code = cs.state?.terminated?.exitCode;
      // A container still terminating has no exit code; 0 is success, never a failure to match.
      if (code === undefined || code === 0) continue;
      if (req.containerName && req.containerName !== cs.name) continue;
      const listed = req.values.includes(code);
      if (req.operator === 'In' ? listed : req.operator === 'NotIn' ? !listed : false) return cs;
    }
  }
  return undefined;
}

export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: Pod): PodFailureVerdict {
  if (!policy) return { counts: true };
  const where = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  for (const [index, rule] of (policy.rules ?? []).entries()) {
    let failJob: string | undefined;
    if (rule.onExitCodes) {
      const cs = matchingContainer(pod, rule.onExitCodes);
      if (!cs) continue;
      failJob = `Container ${cs.name} for pod ${where} failed with exit code ${cs.state?.terminated?.exitCode} matching ${rule.action} rule at index ${index}`;
    } else if (rule.onPodConditions) {
      const condition = (pod.status?.conditions ?? []).find((c) => rule.onPodConditions!.some((p) => p.type === c.type && (p.status || 'True') === c.status));
      if (!condition) continue;
      failJob = `Pod ${where} has condition ${condition.type} matching ${rule.action} rule at index ${index}`;
    } else continue;
    switch (rule.action) {
      case 'Ignore':
        return { counts: false, action: rule.action };
      case 'FailJob':
        return { counts: true, failJob, action: rule.action };
      // FailIndex (backoffLimitPerIndex only): counted, and the caller fails the pod's index.
      case 'Count':
      case 'FailIndex':
        return { counts: true, action: rule.action };
      default:
        // An unknown action (validation refuses it) falls through to the next rule, as in kube.
        continue;
    }
  }
  return { counts: true };
}
