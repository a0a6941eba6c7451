// node.k8s.io/v1 validation: RuntimeClass (k8s.io/kubernetes/pkg/apis/node/validation), with
// kube-apiserver's messages: the handler a DNS label, fixed once created; the overhead as a container's
// limits; the scheduling constraints as a pod's node selector and tolerations.
import type { RuntimeClass } from 'kubernetes-types/node/v1';
import { dns1123Label, invalid, validateLabels, type FieldCause } from './common';
import { validateResources, validateToleration } from './pod';

export function validateRuntimeClass(rc: RuntimeClass, old?: RuntimeClass): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const msg of dns1123Label(rc.handler ?? '')) causes.push(invalid('handler', rc.handler ?? '', msg));
  if (old && rc.handler !== old.handler) causes.push(invalid('handler', rc.handler ?? '', 'field is immutable'));
  if (rc.overhead?.podFixed) causes.push(...validateResources({ limits: rc.overhead.podFixed }, 'overhead'));
  if (rc.scheduling) {
    causes.push(...validateLabels('scheduling.nodeSelector', rc.scheduling.nodeSelector));
    (rc.scheduling.tolerations ?? []).forEach((t, i) => causes.push(...validateToleration(t, `scheduling.tolerations[${i}]`)));
  }
  return causes;
}
