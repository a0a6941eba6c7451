// Defaulting of rbac.authorization.k8s.io/v1 (pkg/apis/rbac/v1/defaults.go): a binding's roleRef and
// its User and Group subjects are in the RBAC group unless they say otherwise.
import { isMap, type JsonMap } from './common';

const RbacGroup = 'rbac.authorization.k8s.io';

/** SetDefaults_RoleBinding / SetDefaults_ClusterRoleBinding and SetDefaults_Subject of each subject. */
export function defaultBinding(obj: JsonMap): void {
  if (isMap(obj.roleRef) && !obj.roleRef.apiGroup) obj.roleRef.apiGroup = RbacGroup;
  if (!Array.isArray(obj.subjects)) return;
  for (const s of obj.subjects) {
    if (!isMap(s) || s.apiGroup) continue;
    if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = RbacGroup;
    else if (s.kind === 'ServiceAccount') s.apiGroup = '';
  }
}
