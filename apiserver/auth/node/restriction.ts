// The NodeRestriction admission plugin (plugin/pkg/admission/noderestriction): what a node's writes may
// change, with Kubernetes' messages. A node may register and update only its own Node (not its taints,
// and only labels a node may set on itself), write only its own Lease, update the status of and delete
// only pods bound to it, create only mirror pods bound to itself that reference no other objects, and
// request tokens only for pods bound to it. Writes of anyone else pass untouched.
import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { TokenRequest } from 'kubernetes-types/authentication/v1';
import type { Lease } from 'kubernetes-types/coordination/v1';
import { deepEqual } from '../../../lib/api/json';
import { ApiStatusError, qualifiedResource } from '../../errors';
import type { KObj } from '../../storage/types';
import type { AdmissionAttributes, AdmissionPlugin } from '../types';
import { nodeIdentity, NodeLeaseNamespace } from './authorizer';
import { podReferences } from './graph';

const MirrorPodAnnotation = 'kubernetes.io/config.mirror';

/** admission.NewForbidden: `pods "web" is forbidden: <why>`, or `nodes is forbidden: ...` without a name. */
function forbidden(a: AdmissionAttributes, why: string): ApiStatusError {
  const resource = qualifiedResource(a.rt);
  const name = a.name || String((a.object ?? a.oldObject)?.metadata.name ?? '');
  const message = name ? `${resource} ${JSON.stringify(name)} is forbidden: ${why}` : `${resource} is forbidden: ${why}`;
  return new ApiStatusError(403, 'Forbidden', message, { name, ...(a.rt.group ? { group: a.rt.group } : {}), kind: a.rt.resource });
}

// Labels a node may set on itself (kubeletapis.KubeletLabels and the node-restriction rules).
const kubeletLabels = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/instance-type',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.kubernetes.io/zone',
  'failure-domain.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'node.kubernetes.io/instance-type',
]);
const kubeletLabelNamespaces = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

function labelNamespace(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

/** getForbiddenLabels: kubernetes.io and k8s.io labels a node may not set, node-restriction ones above all. */
export function forbiddenNodeLabels(keys: Iterable<string>): string[] {
  const out: string[] = [];
  for (const key of keys) {
    const ns = labelNamespace(key);
    if (ns === 'node-restriction.kubernetes.io' || ns.endsWith('.node-restriction.kubernetes.io')) {
      out.push(key);
      continue;
    }
    const k8sNamespace = ns === 'kubernetes.io' || ns.endsWith('.kubernetes.io') || ns === 'k8s.io' || ns.endsWith('.k8s.io');
    if (!k8sNamespace) continue;
    if (kubeletLabels.has(key)) continue;
    if (kubeletLabelNamespaces.some((n) => ns === n || ns.endsWith(`.${n}`))) continue;
    out.push(key);
  }
  return out.sort();
}

/** The labels added, changed or removed. */
function modifiedLabels(next: Record<string, string> | undefined, old: Record<string, string> | undefined): string[] {
  const n = next ?? {};
  const o = old ?? {};
  const keys = new Set([...Object.keys(n), ...Object.keys(o)]);
  return [...keys].filter((k) => n[k] !== o[k]);
}

export interface NodeRestrictionOptions {
  /** The stored pod (token requests name one). */
  getPod(namespace: string, name: string): Promise<KObj | undefined>;
}

export function nodeRestrictionPlugin(o: NodeRestrictionOptions): AdmissionPlugin {
  const admitPod = async (node: string, a: AdmissionAttributes): Promise<void> => {
    const pod = (a.object ?? a.oldObject) as unknown as Pod | undefined;
    switch (a.subresource) {
      case '':
        if (a.operation === 'CREATE') {
          const p = a.object as unknown as Pod;
          if (!p.metadata?.annotations || !(MirrorPodAnnotation in p.metadata.annotations)) {
            throw forbidden(a, `pod does not have "${MirrorPodAnnotation}" annotation, node ${JSON.stringify(node)} can only create mirror pods`);
          }
          if (p.spec?.nodeName !== node) throw forbidden(a, `node ${JSON.stringify(node)} can only create pods with spec.nodeName set to itself`);
          if (p.spec?.serviceAccountName) throw forbidden(a, `node ${JSON.stringify(node)} can not create pods that reference a service account`);
          const refs = podReferences({ ...p, spec: { ...p.spec!, serviceAccountName: undefined, serviceAccount: undefined } });
          if (refs.some(([t]) => t === 'secret')) throw forbidden(a, `node ${JSON.stringify(node)} can not create pods that reference secrets`);
          if (refs.some(([t]) => t === 'configmap')) throw forbidden(a, `node ${JSON.stringify(node)} can not create pods that reference configmaps`);
          if (refs.some(([t]) => t === 'pvc')) throw forbidden(a, `node ${JSON.stringify(node)} can not create pods that reference persistentvolumeclaims`);
          return;
        }
        if (a.operation === 'DELETE') {
          if ((a.oldObject as unknown as Pod | undefined)?.spec?.nodeName !== node) throw forbidden(a, `node ${JSON.stringify(node)} can only delete pods with spec.nodeName set to itself`);
          return;
        }
        throw forbidden(a, `unexpected operation ${JSON.stringify(a.operation)}, node ${JSON.stringify(node)} can only create and delete mirror pods`);
      case 'status': {
        if (a.operation !== 'UPDATE') throw forbidden(a, `unexpected operation ${JSON.stringify(a.operation)}`);
        const old = a.oldObject as unknown as Pod;
        if (old?.spec?.nodeName !== node) throw forbidden(a, `node ${JSON.stringify(node)} can only update pod status for pods with spec.nodeName set to itself`);
        if (!deepEqual(old.metadata?.labels ?? {}, pod?.metadata?.labels ?? {})) throw forbidden(a, `node ${JSON.stringify(node)} cannot update labels through pod status`);
        return;
      }
      case 'eviction': {
        // The object is the Eviction: the pod is the one the request names.
        const podName = a.name || String(a.object?.metadata.name ?? '');
        if (!podName) throw forbidden(a, 'could not determine pod from request data');
        const existing = (await o.getPod(a.namespace, podName)) as unknown as Pod | undefined;
        if (!existing) throw new ApiStatusError(404, 'NotFound', `pods ${JSON.stringify(podName)} not found`, { name: podName, kind: 'pods' });
        if (existing.spec?.nodeName !== node) throw forbidden(a, `node ${node} can only evict pods with spec.nodeName set to itself`);
        return;
      }
      default:
        throw forbidden(a, `unexpected pod subresource ${JSON.stringify(a.subresource)}, only 'status' and 'eviction' are allowed`);
    }
  };

  const admitNode = (node: string, a: AdmissionAttributes): void => {
    const requested = a.name;
    if (requested !== node) throw forbidden(a, `node ${JSON.stringify(node)} is not allowed to modify node ${JSON.stringify(requested)}`);
    const next = a.object as unknown as Node | undefined;
    const old = a.oldObject as unknown as Node | undefined;
    if (a.operation === 'CREATE' && next) {
      if (next.spec?.configSource) throw forbidden(a, `node ${JSON.stringify(node)} is not allowed to create pods with a non-nil configSource`);
      const bad = forbiddenNodeLabels(modifiedLabels(next.metadata?.labels, undefined));
      if (bad.length) throw forbidden(a, `node ${JSON.stringify(node)} is not allowed to set the following labels: ${bad.join(', ')}`);
    }
    if (a.operation === 'UPDATE' && next && old) {
      if (!deepEqual(next.spec?.configSource ?? null, old.spec?.configSource ?? null)) throw forbidden(a, `node ${JSON.stringify(node)} is not allowed to update configSource to a new non-nil configSource`);
      if (!deepEqual(next.spec?.taints ?? [], old.spec?.taints ?? [])) throw forbidden(a, `node ${JSON.stringify(node)} is not allowed to modify taints`);
      const bad = forbiddenNodeLabels(modifiedLabels(next.metadata?.labels, old.metadata?.labels));
      if (bad.length) throw forbidden(a, `is not allowed to modify labels: ${bad.join(', ')}`);
    }
  };

  const admitLease = (node: string, a: AdmissionAttributes): void => {
    if (a.namespace !== NodeLeaseNamespace) throw forbidden(a, `can only access leases in the ${JSON.stringify(NodeLeaseNamespace)} system namespace`);
    const name = a.operation === 'CREATE' ? (a.object as unknown as Lease | undefined)?.metadata?.name : a.name;
    if (name !== node) throw forbidden(a, 'can only access node lease with the same name as the requesting node');
  };

  const admitServiceAccount = async (node: string, a: AdmissionAttributes): Promise<void> => {
    if (a.operation !== 'CREATE' || a.subresource !== 'token') return;
    const tr = a.object as unknown as TokenRequest | undefined;
    const ref = tr?.spec?.boundObjectRef;
    if (!ref || ref.apiVersion !== 'v1' || ref.kind !== 'Pod' || !ref.name) throw forbidden(a, 'node requested token not bound to a pod');
    if (!ref.uid) throw forbidden(a, 'node requested token with a pod binding without a uid');
    const pod = (await o.getPod(a.namespace, ref.name)) as unknown as Pod | undefined;
    if (!pod) throw new ApiStatusError(404, 'NotFound', `pods ${JSON.stringify(ref.name)} not found`, { name: ref.name, kind: 'pods' });
    if (pod.metadata?.uid !== ref.uid) {
      throw forbidden(a, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    if (pod.spec?.nodeName !== node) throw forbidden(a, 'node requested token bound to a pod scheduled on a different node');
  };

  const check = async (a: AdmissionAttributes): Promise<void> => {
    const node = nodeIdentity(a.user);
    if (node === undefined) return;
    if (node === '') throw forbidden(a, `could not determine node from user ${JSON.stringify(a.user.name)}`);
    const gr = a.rt.group ? `${a.rt.resource}.${a.rt.group}` : a.rt.resource;
    switch (gr) {
      case 'pods':
        return admitPod(node, a);
      case 'nodes':
        return admitNode(node, a);
      case 'persistentvolumeclaims':
        if (a.subresource !== 'status') throw forbidden(a, 'may only update PVC status');
        return;
      case 'serviceaccounts':
        return admitServiceAccount(node, a);
      case 'leases.coordination.k8s.io':
        return admitLease(node, a);
    }
  };

  // Validating: it runs on deletes too, and after the object is complete.
  return { name: 'NodeRestriction', validate: check };
}
