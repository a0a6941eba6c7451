// Validation of rbac.authorization.k8s.io/v1 (pkg/apis/rbac/validation): policy rules (verbs; groups
// and resources, or non-resource URLs only in ClusterRoles), aggregation rules, role references (the
// group, Role or ClusterRole, and immutable once set) and subjects (User, Group, ServiceAccount).
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject } from 'kubernetes-types/rbac/v1';
import { at, type FieldCause, goStrings, idx, invalid, invalidPrinted, notSupported, pathSegmentName, required, validateLabelSelector, dns1123Subdomain } from './common';

export const RbacGroup = 'rbac.authorization.k8s.io';

/** ValidatePolicyRule. */
function validatePolicyRule(rule: PolicyRule, namespaced: boolean, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!rule.verbs?.length) causes.push(required(at(field, 'verbs'), 'verbs must contain at least one value'));
  if (rule.nonResourceURLs?.length) {
    const printed = goStrings('[]string', rule.nonResourceURLs);
    if (namespaced) causes.push(invalidPrinted(at(field, 'nonResourceURLs'), printed, 'namespaced rules cannot apply to non-resource URLs'));
    if (rule.apiGroups?.length || rule.resources?.length || rule.resourceNames?.length) {
      causes.push(invalidPrinted(at(field, 'nonResourceURLs'), printed, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return causes;
  }
  if (!rule.apiGroups?.length) causes.push(required(at(field, 'apiGroups'), 'resource rules must supply at least one api group'));
  if (!rule.resources?.length) causes.push(required(at(field, 'resources'), 'resource rules must supply at least one resource'));
  return causes;
}

function validateRules(rules: PolicyRule[] | undefined, namespaced: boolean): FieldCause[] {
  return (rules ?? []).flatMap((r, i) => validatePolicyRule(r, namespaced, idx('rules', i)));
}

export function validateRole(role: Role): FieldCause[] {
  return validateRules(role.rules, true);
}

export function validateClusterRole(role: ClusterRole): FieldCause[] {
  const causes = validateRules(role.rules, false);
  const agg = role.aggregationRule;
  if (agg) {
    const selectors = agg.clusterRoleSelectors ?? [];
    if (selectors.length === 0) causes.push(required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    selectors.forEach((s, i) => causes.push(...validateLabelSelector(idx('aggregationRule.clusterRoleSelectors', i), s)));
  }
  return causes;
}

/** ValidateServiceAccountName: a DNS subdomain. */
function serviceAccountName(name: string): string[] {
  return dns1123Subdomain(name);
}

/** ValidateRoleBindingSubject. */
export function validateSubject(s: Subject, namespaced: boolean, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!s.name) causes.push(required(at(field, 'name')));
  switch (s.kind) {
    case 'ServiceAccount':
      if (s.name) for (const msg of serviceAccountName(s.name)) causes.push(invalid(at(field, 'name'), s.name, msg));
      if (s.apiGroup) causes.push(notSupported(at(field, 'apiGroup'), s.apiGroup, ['']));
      if (!namespaced && !s.namespace) causes.push(required(at(field, 'namespace')));
      break;
    case 'User':
    case 'Group':
      if (s.apiGroup !== RbacGroup) causes.push(notSupported(at(field, 'apiGroup'), s.apiGroup ?? '', [RbacGroup]));
      break;
    default:
      causes.push(notSupported(at(field, 'kind'), s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return causes;
}

function roleRefString(r: RoleRef | undefined): string {
  return `rbac.RoleRef{APIGroup:${JSON.stringify(r?.apiGroup ?? '')}, Kind:${JSON.stringify(r?.kind ?? '')}, Name:${JSON.stringify(r?.name ?? '')}}`;
}

function validateBinding(b: RoleBinding | ClusterRoleBinding, old: RoleBinding | ClusterRoleBinding | undefined, namespaced: boolean): FieldCause[] {
  const causes: FieldCause[] = [];
  const ref = b.roleRef ?? ({} as RoleRef);
  if (ref.apiGroup !== RbacGroup) causes.push(notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RbacGroup]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) causes.push(notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) causes.push(required('roleRef.name'));
  else for (const msg of pathSegmentName(ref.name)) causes.push(invalid('roleRef.name', ref.name, msg));
  (b.subjects ?? []).forEach((s, i) => causes.push(...validateSubject(s, namespaced, idx('subjects', i))));
  if (old) {
    const o = old.roleRef ?? ({} as RoleRef);
    if (o.apiGroup !== ref.apiGroup || o.kind !== ref.kind || o.name !== ref.name) causes.push(invalidPrinted('roleRef', roleRefString(ref), 'cannot change roleRef'));
  }
  return causes;
}

export function validateRoleBinding(b: RoleBinding, old: RoleBinding | undefined): FieldCause[] {
  return validateBinding(b, old, true);
}

export function validateClusterRoleBinding(b: ClusterRoleBinding, old: ClusterRoleBinding | undefined): FieldCause[] {
  return validateBinding(b, old, false);
}
