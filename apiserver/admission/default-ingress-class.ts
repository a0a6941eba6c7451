// The DefaultIngressClass admission plugin (kube's plugin/pkg/admission/network/defaultingressclass): an
// Ingress created without a class — no spec.ingressClassName and no deprecated `kubernetes.io/ingress.class`
// annotation — gets the default IngressClass (annotated `ingressclass.kubernetes.io/is-default-class:
// "true"`; of several, the newest). Without one it stays classless. Only creates, never subresources.
import type { Ingress, IngressClass } from 'kubernetes-types/networking/v1';
import { newestDefault } from '../../lib/api/default-class';
import { Resources } from '../../lib/api/resources';
import type { AdmissionAttributes, AdmissionPlugin } from '../auth/types';
import { IngressClassAnnotation } from '../validation/networking';

export const IsDefaultIngressClassAnnotation = 'ingressclass.kubernetes.io/is-default-class';

export interface DefaultIngressClassAdmissionOptions {
  listIngressClasses: () => Promise<IngressClass[]>;
}

export class DefaultIngressClassAdmission implements AdmissionPlugin {
  readonly name = 'DefaultIngressClass';
  constructor(private readonly o: DefaultIngressClassAdmissionOptions) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.rt !== Resources.ingresses || a.subresource !== '' || a.operation !== 'CREATE' || !a.object) return;
    const ing = a.object as unknown as Ingress;
    if (ing.spec?.ingressClassName != null || ing.metadata?.annotations?.[IngressClassAnnotation] !== undefined) return;
    const def = newestDefault(await this.o.listIngressClasses(), (c) => c.metadata?.annotations?.[IsDefaultIngressClassAnnotation] === 'true');
    if (!def?.metadata?.name) return;
    ing.spec = { ...ing.spec, ingressClassName: def.metadata.name };
  }
}
