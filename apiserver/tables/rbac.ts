// kubectl's printers of rbac.authorization.k8s.io/v1 (pkg/printers/internalversion): roles by name and
// creation time (`NAME  CREATED AT`), bindings by role and age, with their users, groups and service
// accounts under -o wide.
import type { ClusterRoleBinding, RoleBinding, Subject } from 'kubernetes-types/rbac/v1';
import { age, ageCol, col, meta, nameCol, type Printer } from './common';

const createdAtCol = col('Created At', 'CreationTimestamp is a timestamp representing the server time when this object was created.', 0, 'date');

/** `2024-05-01T10:00:00Z`: creationTimestamp in RFC 3339, UTC. */
function createdAt(ts: string | undefined): string {
  if (!ts) return '';
  const t = Date.parse(ts);
  return Number.isNaN(t) ? ts : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const rolePrinter: Printer = {
  columns: [nameCol, createdAtCol],
  cells: (obj) => [meta(obj).name ?? '', createdAt(meta(obj).creationTimestamp)],
};

/** SubjectsStrings: users, groups and `namespace/name` service accounts. */
function subjectsStrings(subjects: Subject[] | undefined): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of subjects ?? []) {
    if (s.kind === 'User') users.push(s.name);
    else if (s.kind === 'Group') groups.push(s.name);
    else if (s.kind === 'ServiceAccount') sas.push(`${s.namespace ?? ''}/${s.name}`);
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

export const roleBindingPrinter: Printer = {
  columns: [
    nameCol,
    col('Role', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
    ageCol,
    col('Users', 'Users in the roleBinding', 1),
    col('Groups', 'Groups in the roleBinding', 1),
    col('ServiceAccounts', 'ServiceAccounts in the roleBinding', 1),
  ],
  cells: (obj, now) => {
    const b = obj as unknown as RoleBinding | ClusterRoleBinding;
    return [meta(obj).name ?? '', `${b.roleRef?.kind ?? ''}/${b.roleRef?.name ?? ''}`, age(obj, now), ...subjectsStrings(b.subjects)];
  },
};
