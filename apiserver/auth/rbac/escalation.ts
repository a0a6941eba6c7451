// Escalation prevention (pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/policybased
// and pkg/registry/rbac/escalation_check.go), as a validating admission plugin that sees who writes:
// - a Role or ClusterRole may be written only by someone who holds every rule in it (in that namespace,
//   or cluster-wide), or who may `escalate` roles/clusterroles; an aggregationRule needs cluster-admin;
// - a binding may be written only by someone who holds every rule of the role it references, or who may
//   `bind` that role;
// - members of system:masters (and the apiserver itself) may always; changes of only ownerReferences and
//   finalizers (the garbage collector's) are never checked.
// Refusals are 403s with Kubernetes' message: `user "alice" (groups=[...]) is attempting to grant RBAC
// permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}`.
import type { ClusterRole, PolicyRule, Role, RoleBinding, RoleRef } from 'kubernetes-types/rbac/v1';
import { deepEqual } from '../../../lib/api/json';
import { errors } from '../../errors';
import type { KObj } from '../../storage/types';
import { type AdmissionAttributes, type AdmissionPlugin, type Attributes, type Authorizer, SystemPrivilegedGroup, type UserInfo } from '../types';
import { aggregateMessage, type RbacPolicy } from './policy';
import { covers, describeMissing, goQuotedList } from './rules';

const RbacGroup = 'rbac.authorization.k8s.io';

/** cluster-admin's rules: what the aggregationRule needs. */
const fullAuthority: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

/** IsOnlyMutatingGCFields: the update changes nothing but ownerReferences and finalizers. */
export function onlyGCFieldsChanged(obj: KObj, old: KObj): boolean {
  const strip = (o: KObj): KObj => {
    const { ownerReferences: _o, finalizers: _f, resourceVersion: _rv, managedFields: _m, selfLink: _s, ...metadata } = o.metadata as Record<string, unknown>;
    return { ...o, metadata };
  };
  return deepEqual(strip(obj), strip(old));
}

/** ConfirmNoEscalation: the user holds every rule, or the error Kubernetes gives. */
export function confirmNoEscalation(policy: RbacPolicy, user: UserInfo, namespace: string, rules: readonly PolicyRule[]): string | undefined {
  const owner = policy.rulesFor(user, namespace);
  const { covered, missing } = covers(owner.rules, rules);
  if (covered) return undefined;
  let msg = `user ${JSON.stringify(user.name)} (groups=${goQuotedList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${describeMissing(missing)}`;
  if (owner.errors.length) msg += `; resolution errors: [${owner.errors.map((e) => e.message).join(' ')}]`;
  return msg;
}

function resourceAttributes(user: UserInfo, verb: string, resource: string, namespace: string, name: string): Attributes {
  return { user, verb, resourceRequest: true, path: '', namespace, apiGroup: RbacGroup, apiVersion: '*', resource, subresource: '', name };
}

export interface EscalationOptions {
  /** The apiserver's whole authorizer chain (the escalate and bind verbs are asked of it). */
  authorizer: () => Authorizer;
  /** The RBAC rules a user holds (only RBAC's, as Kubernetes' rule resolver). */
  policy: RbacPolicy;
}

export function rbacEscalationPlugin(o: EscalationOptions): AdmissionPlugin {
  const allowed = async (a: Attributes): Promise<boolean> => (await o.authorizer().authorize(a)).decision === 'allow';

  return {
    name: 'RBACEscalation',
    async validate(a: AdmissionAttributes) {
      if (a.rt.group !== RbacGroup || (a.operation !== 'CREATE' && a.operation !== 'UPDATE') || !a.object) return;
      if (a.user.groups.includes(SystemPrivilegedGroup)) return;
      if (a.operation === 'UPDATE' && a.oldObject && onlyGCFieldsChanged(a.object, a.oldObject)) return;
      const name = a.name;
      // The request's name: none on a create (POST to the collection).
      const requestName = a.operation === 'CREATE' ? '' : name;
      switch (a.rt.resource) {
        case 'roles':
        case 'clusterroles': {
          const namespace = a.rt.resource === 'roles' ? a.namespace : '';
          if (await allowed(resourceAttributes(a.user, 'escalate', a.rt.resource, namespace, requestName))) return;
          const role = a.object as unknown as Role | ClusterRole;
          const why = confirmNoEscalation(o.policy, a.user, namespace, role.rules ?? []);
          if (why) throw errors.forbidden(a.rt, name, why);
          const aggregates = (r: KObj | undefined) => !!(r as unknown as ClusterRole | undefined)?.aggregationRule;
          if (a.rt.resource === 'clusterroles' && (aggregates(a.object) || aggregates(a.oldObject))) {
            if (confirmNoEscalation(o.policy, a.user, '', fullAuthority)) throw errors.forbidden(a.rt, name, 'must have cluster-admin privileges to use the aggregationRule');
          }
          return;
        }
        case 'rolebindings':
        case 'clusterrolebindings': {
          const namespace = a.rt.resource === 'rolebindings' ? a.namespace : '';
          const ref = (a.object as unknown as RoleBinding).roleRef as RoleRef | undefined;
          if (!ref) return;
          const refResource = ref.kind === 'ClusterRole' ? 'clusterroles' : ref.kind === 'Role' ? 'roles' : '';
          if (refResource && ref.apiGroup === RbacGroup && (await allowed(resourceAttributes(a.user, 'bind', refResource, namespace, ref.name)))) return;
          let rules: PolicyRule[];
          try {
            rules = o.policy.getRoleReferenceRules(ref, namespace);
          } catch (err) {
            throw errors.forbidden(a.rt, name, aggregateMessage([err as Error]));
          }
          const why = confirmNoEscalation(o.policy, a.user, namespace, rules);
          if (why) throw errors.forbidden(a.rt, name, why);
          return;
        }
      }
    },
  };
}
