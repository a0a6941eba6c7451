// policy/v1 validation: PodDisruptionBudget (k8s.io/kubernetes/pkg/apis/policy/validation), with
// kube-apiserver's messages.
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { intOrPercent } from './apps';
import { type FieldCause, invalid, notSupported, validateLabelSelector } from './common';

const evictionPolicies = ['IfHealthyBudget', 'AlwaysAllow'];

export function validatePodDisruptionBudget(pdb: PodDisruptionBudget): FieldCause[] {
  const spec = pdb.spec ?? {};
  const causes: FieldCause[] = [];
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    causes.push(invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  causes.push(...intOrPercent('spec.minAvailable', spec.minAvailable));
  causes.push(...intOrPercent('spec.maxUnavailable', spec.maxUnavailable));
  causes.push(...validateLabelSelector('spec.selector', spec.selector));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy !== undefined && !evictionPolicies.includes(policy)) causes.push(notSupported('spec.unhealthyPodEvictionPolicy', policy, evictionPolicies));
  const st = pdb.status;
  if (st) {
    for (const f of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'] as const) {
      const v = st[f];
      if (v !== undefined && v < 0) causes.push(invalid(`status.${f}`, v, 'must be greater than or equal to 0'));
    }
  }
  return causes;
}
