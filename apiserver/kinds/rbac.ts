// The strategies of rbac.authorization.k8s.io/v1 (pkg/registry/rbac/*): names are path segments
// (`system:node`), bindings' roleRef defaults to the RBAC group and never changes. Escalation
// prevention (you cannot grant what you do not hold) is the RBAC admission plugin's
// (auth/rbac/escalation.ts), which sees who writes.
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-types/rbac/v1';
import { Resources } from '../../lib/api/resources';
import { defaultBinding } from '../defaults/rbac';
import { roleBindingPrinter, rolePrinter } from '../tables/rbac';
import { validateClusterRole, validateClusterRoleBinding, validateRole, validateRoleBinding } from '../validation/rbac';
import { defineKind, KindStrategy } from './strategy';

export const rbacKinds: KindStrategy[] = [
  defineKind<Role>(Resources.roles, { nameRule: 'path', validate: validateRole, printer: rolePrinter }),
  defineKind<ClusterRole>(Resources.clusterroles, { nameRule: 'path', validate: validateClusterRole, printer: rolePrinter }),
  defineKind<RoleBinding>(Resources.rolebindings, { nameRule: 'path', defaults: defaultBinding, validate: validateRoleBinding, printer: roleBindingPrinter }),
  defineKind<ClusterRoleBinding>(Resources.clusterrolebindings, { nameRule: 'path', defaults: defaultBinding, validate: validateClusterRoleBinding, printer: roleBindingPrinter }),
];
