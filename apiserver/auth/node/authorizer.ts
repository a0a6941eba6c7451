// The Node authorizer (plugin/pkg/auth/authorizer/node): requests of a node — user system:node:<name>
// in group system:nodes — are decided here. Secrets, ConfigMaps, PersistentVolumeClaims and
// ServiceAccount tokens only when a pod bound to that node references them (graph.ts); Leases only its
// own in kube-node-lease; everything else by the static node rules (bootstrap.ts nodeRules), whose
// writes to Nodes and pods the NodeRestriction admission plugin narrows to its own. Requests of anyone
// else get no opinion, so RBAC decides them.
import type { PolicyRule } from 'kubernetes-types/rbac/v1';
import type { RuleResolver, RulesForResult } from '../rule-resolver';
import type { Attributes, AuthorizationResult, Authorizer, UserInfo } from '../types';
import { nodeRules } from '../rbac/bootstrap';
import { rulesAllow } from '../rbac/rules';
import type { NodeGraph, VertexType } from './graph';

export const NodesGroup = 'system:nodes';
export const NodeUserNamePrefix = 'system:node:';
export const NodeLeaseNamespace = 'kube-node-lease';

/** NodeIdentity: undefined for a non-node; '' for a node whose name cannot be told. */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.name.startsWith(NodeUserNamePrefix) || !user.groups.includes(NodesGroup)) return undefined;
  return user.name.slice(NodeUserNamePrefix.length);
}

const noOpinion = (reason?: string): AuthorizationResult => ({ decision: 'noOpinion', reason });
const allow: AuthorizationResult = { decision: 'allow' };

export class NodeAuthorizer implements Authorizer, RuleResolver {
  private readonly rules: PolicyRule[] = nodeRules();

  constructor(private readonly graph: NodeGraph) {}

  authorize(a: Attributes): AuthorizationResult {
    const node = nodeIdentity(a.user);
    if (node === undefined) return noOpinion();
    if (node === '') return noOpinion(`unknown node for user ${JSON.stringify(a.user.name)}`);
    if (a.resourceRequest) {
      const gr = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
      switch (gr) {
        case 'secrets':
          return this.readNamespacedObject(node, 'secret', a);
        case 'configmaps':
          return this.readNamespacedObject(node, 'configmap', a);
        case 'persistentvolumeclaims':
          return this.get(node, 'pvc', a);
        case 'serviceaccounts':
          return this.createToken(node, a);
        case 'leases.coordination.k8s.io':
          return this.lease(node, a);
      }
    }
    return rulesAllow(a, this.rules) ? allow : noOpinion();
  }

  private readNamespacedObject(node: string, type: VertexType, a: Attributes): AuthorizationResult {
    if (a.verb !== 'get' && a.verb !== 'list' && a.verb !== 'watch') return noOpinion('can only read resources of this type');
    if (a.subresource) return noOpinion('cannot read subresource');
    if (!a.namespace) return noOpinion('can only read namespaced object of this type');
    return this.related(node, type, a);
  }

  private get(node: string, type: VertexType, a: Attributes): AuthorizationResult {
    if (a.verb !== 'get') return noOpinion('can only get individual resources of this type');
    if (a.subresource) return noOpinion('cannot get subresource');
    return this.related(node, type, a);
  }

  private createToken(node: string, a: Attributes): AuthorizationResult {
    if (a.verb !== 'create' || !a.name) return noOpinion('can only create tokens for individual service accounts');
    if (a.subresource !== 'token') return noOpinion('can only create token subresource of serviceaccount');
    return this.related(node, 'serviceaccount', a);
  }

  private related(node: string, type: VertexType, a: Attributes): AuthorizationResult {
    if (!a.name) return noOpinion('No Object name found');
    if (!this.graph.hasPath(node, type, a.namespace, a.name)) return noOpinion(`no relationship found between node '${node}' and this object`);
    return allow;
  }

  private lease(node: string, a: Attributes): AuthorizationResult {
    if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return noOpinion('can only get, create, update, patch, or delete a node lease');
    if (a.namespace !== NodeLeaseNamespace) return noOpinion(`can only access leases in the ${JSON.stringify(NodeLeaseNamespace)} system namespace`);
    // A create names no object in the URL: NodeRestriction checks the Lease's name.
    if (a.verb !== 'create' && a.name !== node) return noOpinion('can only access node lease with the same name as the requesting node');
    return allow;
  }

  /** Nodes' rules are not enumerable (they depend on their pods): incomplete, as Kubernetes says. */
  rulesFor(user: UserInfo): RulesForResult {
    if (nodeIdentity(user) === undefined) return { resourceRules: [], nonResourceRules: [], incomplete: false };
    return { resourceRules: [], nonResourceRules: [], incomplete: true, error: 'node authorizer does not support user rule resolution' };
  }
}
