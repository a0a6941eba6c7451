// steer's built-in admission plugins, by the names kube-apiserver's --enable-admission-plugins uses:
// ServiceAccount (mutating: the pod's service account and its token volume), LimitRanger (container
// defaults; min/max/ratio), Priority (priorityClassName → priority), DefaultStorageClass (a claim without
// a class gets the default StorageClass), DefaultIngressClass (an Ingress without a class gets the
// default IngressClass), PersistentVolumeClaimResize (validating: a claim grows only
// when bound and its class allows expansion), PodSecurity (validating: the Pod Security Standards of the
// namespace's labels), MutatingAdmissionWebhook and ValidatingAdmissionWebhook (the webhooks of the
// admissionregistration.k8s.io configurations: webhook/), ValidatingAdmissionPolicy (CEL policies and
// their bindings: policy/) and ResourceQuota (refuses over-quota creates). They read the objects they need
// straight from the apiserver's storage.
import type { LimitRange, ResourceQuota } from 'kubernetes-types/core/v1';
import type { IngressClass } from 'kubernetes-types/networking/v1';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { Resources, type ResourceType } from '../../lib/api/resources';
import type { AdmissionPlugin } from '../auth/types';
import { bucketOf, keyOf, namespacePrefix } from '../registry/keys';
import { ConflictError, copyStored, NotFoundError, type KObj, type Storage } from '../storage/types';
import { orderObject, shapeOfKind } from '../registry/field-order';
import { isPlainObject } from '../registry/objects';
import { DefaultIngressClassAdmission } from './default-ingress-class';
import { DefaultStorageClassAdmission } from './default-storage-class';
import { LimitRangerAdmission } from './limit-ranger';
import { PersistentVolumeClaimResizeAdmission } from './persistentvolumeclaim-resize';
import { PriorityAdmission } from './priority';
import { ResourceQuotaAdmission } from './resource-quota';
import { PodSecurityAdmission, type PodSecurityExemptions } from './pod-security/admission';
import { ServiceAccountAdmission } from './service-account';
import { ValidatingAdmissionPolicyAdmission } from './policy';
import type { PolicyDispatcherDeps } from './policy/dispatcher';
import { WebhookAdmission, type WebhookConfigurations } from './webhook';

export const builtinAdmissionPluginNames = ['ServiceAccount', 'LimitRanger', 'Priority', 'DefaultStorageClass', 'DefaultIngressClass', 'PersistentVolumeClaimResize', 'PodSecurity', 'MutatingAdmissionWebhook', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionWebhook', 'ResourceQuota'] as const;

export interface BuiltinAdmissionOptions {
  podSecurityExemptions?: PodSecurityExemptions;
  /** The webhook configurations MutatingAdmissionWebhook and ValidatingAdmissionWebhook call (none: they do not run). */
  webhookConfigurations?: WebhookConfigurations;
  /** The policies and bindings ValidatingAdmissionPolicy evaluates, and how it finds a paramKind's resource (none: it does not run). */
  admissionPolicies?: Omit<PolicyDispatcherDeps, 'storage'>;
}

/** The enabled built-in plugins: `first` run before any others (ServiceAccount, LimitRanger, Priority, DefaultStorageClass, DefaultIngressClass), `last` after them (PersistentVolumeClaimResize, PodSecurity, ValidatingAdmissionPolicy, the admission webhooks, ResourceQuota). */
export function builtinAdmissionPlugins(names: string[], storage: Storage, o: BuiltinAdmissionOptions = {}): { first: AdmissionPlugin[]; last: AdmissionPlugin[] } {
  const unknown = names.filter((n) => !(builtinAdmissionPluginNames as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`unknown admission plugins: ${unknown.join(', ')} (steer has ${builtinAdmissionPluginNames.join(', ')})`);
  const first: AdmissionPlugin[] = [];
  const last: AdmissionPlugin[] = [];
  if (names.includes('ServiceAccount')) {
    const sa = Resources.serviceaccounts;
    first.push(new ServiceAccountAdmission({ getServiceAccount: async (ns, name) => (await storage.get(bucketOf(sa), keyOf(sa, ns, name)))?.obj }));
  }
  const listIn = async <T>(rt: ResourceType, ns: string): Promise<T[]> => (await storage.list(bucketOf(rt), { prefix: namespacePrefix(rt, ns) })).items.map((i) => i.obj as unknown as T);
  if (names.includes('LimitRanger')) first.push(new LimitRangerAdmission({ listLimitRanges: (ns) => listIn<LimitRange>(Resources.limitranges, ns) }));
  if (names.includes('Priority')) {
    const pc = Resources.priorityclasses;
    first.push(new PriorityAdmission({ listPriorityClasses: async () => (await storage.list(bucketOf(pc))).items.map((i) => i.obj as unknown as PriorityClass) }));
  }
  if (names.includes('DefaultStorageClass')) {
    const sc = Resources.storageclasses;
    first.push(new DefaultStorageClassAdmission({ listStorageClasses: async () => (await storage.list(bucketOf(sc))).items.map((i) => i.obj as unknown as StorageClass) }));
  }
  if (names.includes('DefaultIngressClass')) {
    const ic = Resources.ingressclasses;
    first.push(new DefaultIngressClassAdmission({ listIngressClasses: async () => (await storage.list(bucketOf(ic))).items.map((i) => i.obj as unknown as IngressClass) }));
  }
  if (names.includes('PersistentVolumeClaimResize')) {
    const sc = Resources.storageclasses;
    last.push(new PersistentVolumeClaimResizeAdmission({ getStorageClass: async (name) => (await storage.get(bucketOf(sc), keyOf(sc, undefined, name)))?.obj as unknown as StorageClass | undefined }));
  }
  if (names.includes('PodSecurity')) {
    last.push(
      new PodSecurityAdmission({
        getNamespace: async (name) => (await storage.get(bucketOf(Resources.namespaces), name))?.obj,
        listPods: async (ns) => (await storage.list(bucketOf(Resources.pods), { prefix: namespacePrefix(Resources.pods, ns) })).items.map((i) => i.obj),
        exemptions: o.podSecurityExemptions,
      }),
    );
  }
  // Where kube-apiserver runs them: after the other plugins, before ResourceQuota charges the object.
  const mutating = names.includes('MutatingAdmissionWebhook');
  const validating = names.includes('ValidatingAdmissionWebhook');
  // ValidatingAdmissionPolicy validates before the validating webhooks are called, as in kube-apiserver.
  if (o.admissionPolicies && names.includes('ValidatingAdmissionPolicy')) last.push(new ValidatingAdmissionPolicyAdmission({ ...o.admissionPolicies, storage }));
  if (o.webhookConfigurations && (mutating || validating)) last.push(new WebhookAdmission({ configurations: o.webhookConfigurations, storage, mutating, validating }));
  if (names.includes('ResourceQuota')) {
    last.push(
      new ResourceQuotaAdmission({
        listResourceQuotas: (ns) => listIn<ResourceQuota>(Resources.resourcequotas, ns),
        listObjects: (rt, ns) => listIn<KObj>(rt, ns),
        updateQuotaUsed: (quota, used) => updateQuotaUsed(storage, quota, used),
      }),
    );
  }
  return { first, last };
}

/**
 * The quota admission's status write (kube's plugin does an UpdateStatus through its loopback client):
 * status.used replaced, compare-and-swap on the resourceVersion the quota was read at. false: the
 * quota changed since (or is being written). A quota deleted meanwhile has nothing left to charge.
 */
async function updateQuotaUsed(storage: Storage, quota: ResourceQuota, used: Record<string, string>): Promise<boolean> {
  const rt = Resources.resourcequotas;
  const key = keyOf(rt, quota.metadata?.namespace, String(quota.metadata?.name));
  const current = await storage.get(bucketOf(rt), key);
  if (!current) return true;
  if (current.obj.metadata.resourceVersion !== quota.metadata?.resourceVersion) return false;
  const obj = copyStored(current);
  const status = (isPlainObject(obj.status) ? obj.status : (obj.status = {})) as Record<string, unknown>;
  if (!isPlainObject(status.hard)) status.hard = { ...((obj.spec as ResourceQuota['spec'])?.hard ?? {}) };
  status.used = used;
  orderObject(obj, shapeOfKind(rt));
  try {
    await storage.update(bucketOf(rt), key, obj, current.rev);
    return true;
  } catch (err) {
    if (err instanceof ConflictError) return false;
    if (err instanceof NotFoundError) return true;
    throw err;
  }
}

export { ServiceAccountAdmission } from './service-account';
export { DefaultStorageClassAdmission } from './default-storage-class';
export { DefaultIngressClassAdmission } from './default-ingress-class';
export { PersistentVolumeClaimResizeAdmission } from './persistentvolumeclaim-resize';
export { PodSecurityAdmission } from './pod-security/admission';
export type { PodSecurityExemptions } from './pod-security/admission';
