// steer's built-in admission plugins, by the names kube-apiserver's --enable-admission-plugins uses:
// ServiceAccount (mutating: the pod's service account and its token volume) and PodSecurity
// (validating: the Pod Security Standards of the namespace's labels). They read the objects they need
// straight from the apiserver's storage.
import { Resources } from '../../lib/api/resources';
import type { AdmissionPlugin } from '../auth/types';
import { bucketOf, keyOf, namespacePrefix } from '../registry/keys';
import type { Storage } from '../storage/types';
import { PodSecurityAdmission, type PodSecurityExemptions } from './pod-security/admission';
import { ServiceAccountAdmission } from './service-account';

export const builtinAdmissionPluginNames = ['ServiceAccount', 'PodSecurity'] as const;

export interface BuiltinAdmissionOptions {
  podSecurityExemptions?: PodSecurityExemptions;
}

/** The enabled built-in plugins: `first` run before any others (ServiceAccount), `last` after them (PodSecurity). */
export function builtinAdmissionPlugins(names: string[], storage: Storage, o: BuiltinAdmissionOptions = {}): { first: AdmissionPlugin[]; last: AdmissionPlugin[] } {
  const unknown = names.filter((n) => !(builtinAdmissionPluginNames as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`unknown admission plugins: ${unknown.join(', ')} (steer has ${builtinAdmissionPluginNames.join(', ')})`);
  const first: AdmissionPlugin[] = [];
  const last: AdmissionPlugin[] = [];
  if (names.includes('ServiceAccount')) {
    const sa = Resources.serviceaccounts;
    first.push(new ServiceAccountAdmission({ getServiceAccount: async (ns, name) => (await storage.get(bucketOf(sa), keyOf(sa, ns, name)))?.obj }));
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
  return { first, last };
}

export { ServiceAccountAdmission } from './service-account';
export { PodSecurityAdmission } from './pod-security/admission';
export type { PodSecurityExemptions } from './pod-security/admission';
