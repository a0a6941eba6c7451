// The strategies of networking.k8s.io/v1 (kube's pkg/registry/networking): Ingresses (generation
// tracked, a status subresource the ingress controller writes), IngressClasses (cluster-scoped,
// controller immutable) and NetworkPolicies (generation tracked, policyTypes defaulted). steer stores and
// serves them; it runs no ingress controller and its bridge network does not enforce NetworkPolicies,
// as a cluster whose CNI plugin does not.
import type { Ingress, IngressClass, NetworkPolicy } from 'kubernetes-types/networking/v1';
import { Resources } from '../../lib/api/resources';
import { defaultNetworkPolicy } from '../defaults/networking';
import { ingressClassPrinter, ingressPrinter, networkPolicyPrinter } from '../tables/networking';
import { validateIngress, validateIngressClass, validateNetworkPolicy } from '../validation/networking';
import { defineKind, KindStrategy, startWithEmptyStatus } from './strategy';

export const networkingKinds: KindStrategy[] = [
  defineKind<Ingress>(Resources.ingresses, {
    generationTracked: true,
    prepareForCreate: startWithEmptyStatus,
    validate: validateIngress,
    printer: ingressPrinter,
  }),
  defineKind<IngressClass>(Resources.ingressclasses, { generationTracked: true, validate: validateIngressClass, printer: ingressClassPrinter }),
  defineKind<NetworkPolicy>(Resources.networkpolicies, { generationTracked: true, defaults: defaultNetworkPolicy, validate: validateNetworkPolicy, printer: networkPolicyPrinter }),
];
