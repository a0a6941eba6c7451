// The strategies of the core/v1 kinds (kube's pkg/registry/core/*/strategy.go and the stores' hooks):
// Namespaces (default ServiceAccount, Terminating on DELETE), Nodes (keep the status they register
// with), Pods (graceful deletion), Services (ClusterIP and NodePort allocation), Endpoints and Events
// (a PUT may create them), ConfigMaps, Secrets and ServiceAccounts.
import type { ConfigMap, Endpoints, Event, Namespace, Node, Pod, Secret, Service } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { defaultEndpoints, defaultNamespace, defaultNode, defaultSecret, defaultService } from '../defaults/core';
import { defaultPod } from '../defaults/pod';
import { createDefaultServiceAccount, deleteNamespace, recreateDefaultServiceAccount } from '../registry/namespaces';
import { isPlainObject, Json } from '../registry/objects';
import type { KObj } from '../storage/types';
import {
  configMapPrinter,
  endpointsPrinter,
  eventPrinter,
  namespacePrinter,
  nodePrinter,
  secretPrinter,
  serviceAccountPrinter,
  servicePrinter,
} from '../tables/core';
import { podPrinter } from '../tables/pod';
import {
  validateConfigMap,
  validateEndpoints,
  validateEvent,
  validateNamespace,
  validateNode,
  validateSecret,
  validateService,
} from '../validation/core';
import { validatePod } from '../validation/pod';
import { defineKind, KindStrategy } from './strategy';

/** A pod on a node gets its grace period; one never scheduled, or already finished, goes at once. */
function podGracePeriod(pod: KObj, requested: number | undefined): number {
  const spec = (isPlainObject(pod.spec) ? pod.spec : {}) as Json;
  const status = (isPlainObject(pod.status) ? pod.status : {}) as Json;
  if (!spec.nodeName) return 0;
  if (status.phase === 'Succeeded' || status.phase === 'Failed') return 0;
  if (requested !== undefined) return requested;
  const t = spec.terminationGracePeriodSeconds;
  return typeof t === 'number' && t >= 0 ? t : 30;
}

export const coreKinds: KindStrategy[] = [
  defineKind<Namespace>(Resources.namespaces, {
    nameRule: 'label',
    deletedByController: true,
    prepareForCreate: (ns) => {
      ns.status = { phase: 'Active' };
    },
    afterCreate: (registry, stored) => createDefaultServiceAccount(registry, String(stored.obj.metadata.name)),
    delete: (registry, _namespace, name, opts, ctx) => deleteNamespace(registry, name, opts, ctx),
    defaults: defaultNamespace,
    validate: validateNamespace,
    printer: namespacePrinter,
  }),
  // No prepareForCreate: a node agent registers its node with a status.
  defineKind<Node>(Resources.nodes, { defaults: defaultNode, validate: validateNode, printer: nodePrinter }),
  defineKind<Pod>(Resources.pods, {
    returnDeletedObject: true,
    prepareForCreate: (pod) => {
      pod.status = { phase: 'Pending' };
    },
    deleteGracePeriod: podGracePeriod,
    defaults: defaultPod,
    validate: validatePod,
    printer: podPrinter,
  }),
  defineKind<Service>(Resources.services, {
    nameRule: 'dns1035',
    prepareForCreate: (svc) => {
      svc.status = { loadBalancer: {} };
    },
    beginWrite: (registry, old) => registry.services.begin(old),
    afterDelete: (registry, removed) => registry.services.release(removed.obj),
    defaults: defaultService,
    validate: validateService,
    printer: servicePrinter,
  }),
  defineKind<Endpoints>(Resources.endpoints, { allowCreateOnUpdate: true, defaults: defaultEndpoints, validate: validateEndpoints, printer: endpointsPrinter }),
  defineKind<Event>(Resources.events, { allowCreateOnUpdate: true, cacheObjects: false, validate: validateEvent, printer: eventPrinter }),
  defineKind<ConfigMap>(Resources.configmaps, { validate: validateConfigMap, printer: configMapPrinter }),
  defineKind<Secret>(Resources.secrets, { defaults: defaultSecret, validate: validateSecret, printer: secretPrinter }),
  // Metadata only: Kubernetes defines neither defaults nor rules of their own for ServiceAccounts.
  defineKind(Resources.serviceaccounts, { printer: serviceAccountPrinter, afterDelete: recreateDefaultServiceAccount }),
];
