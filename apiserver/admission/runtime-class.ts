// kube-apiserver's RuntimeClass admission plugin (on by default there and here): a new pod with a
// runtimeClassName must name an existing RuntimeClass; it takes the class's overhead (a different
// overhead of its own is refused) and its scheduling constraints (node selector merged, a conflicting
// key refused; tolerations added); a pod with an overhead but no class that defines one is refused.
import type { Pod, Toleration } from 'kubernetes-types/core/v1';
import type { RuntimeClass } from 'kubernetes-types/node/v1';
import { goValueEqual } from '../../lib/api/json';
import type { AdmissionAttributes, AdmissionPlugin } from '../auth/types';
import { errors } from '../errors';

const isPodCreate = (a: AdmissionAttributes) => a.rt.group === '' && a.rt.resource === 'pods' && !a.subresource && a.operation === 'CREATE' && !!a.object;

export function runtimeClassAdmission(getRuntimeClass: (name: string) => Promise<RuntimeClass | undefined>): AdmissionPlugin {
  const classOf = async (a: AdmissionAttributes, pod: Pod): Promise<RuntimeClass | undefined> => {
    const name = pod.spec?.runtimeClassName;
    if (!name) return undefined;
    const rc = await getRuntimeClass(name);
    if (!rc) throw errors.forbidden(a.rt, a.name, `pod rejected: RuntimeClass ${JSON.stringify(name)} not found`);
    return rc;
  };
  const overheadMismatch = (a: AdmissionAttributes) => errors.forbidden(a.rt, a.name, "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
  return {
    name: 'RuntimeClass',
    async admit(a) {
      if (!isPodCreate(a)) return;
      const pod = a.object as unknown as Pod;
      const rc = await classOf(a, pod);
      if (!rc || !pod.spec) return;
      const fixed = rc.overhead?.podFixed;
      if (fixed) {
        if (pod.spec.overhead && Object.keys(pod.spec.overhead).length && !goValueEqual(pod.spec.overhead, fixed)) throw overheadMismatch(a);
        pod.spec.overhead = { ...fixed };
      }
      const scheduling = rc.scheduling;
      if (scheduling?.nodeSelector) {
        const selector = { ...(pod.spec.nodeSelector ?? {}) };
        for (const [k, v] of Object.entries(scheduling.nodeSelector)) {
          if (k in selector && selector[k] !== v) throw errors.forbidden(a.rt, a.name, `conflict: runtimeClass.scheduling.nodeSelector[${k}] = ${v}; pod.spec.nodeSelector[${k}] = ${selector[k]}`);
          selector[k] = v;
        }
        pod.spec.nodeSelector = selector;
      }
      if (scheduling?.tolerations?.length) {
        const merged: Toleration[] = [...(pod.spec.tolerations ?? [])];
        for (const t of scheduling.tolerations) if (!merged.some((m) => goValueEqual(m, t))) merged.push(t);
        pod.spec.tolerations = merged;
      }
    },
    async validate(a) {
      if (!isPodCreate(a)) return;
      const pod = a.object as unknown as Pod;
      const rc = await classOf(a, pod);
      const fixed = rc?.overhead?.podFixed;
      if (fixed) {
        if (!goValueEqual(fixed, pod.spec?.overhead)) throw overheadMismatch(a);
      } else if (pod.spec?.overhead) {
        throw errors.forbidden(a.rt, a.name, 'pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead');
      }
    },
  };
}
