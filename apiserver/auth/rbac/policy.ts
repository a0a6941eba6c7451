// The RBAC policy as the authorizer reads it: every Role, ClusterRole, RoleBinding and
// ClusterRoleBinding, kept in memory from the apiserver's own storage (a list, then a watch whose events
// arrive before the write that caused them is answered, so a new binding counts from the next request),
// with the bindings indexed by subject: a request looks at the bindings of its user and groups only,
// never at every binding. The rule resolver of kube-apiserver's RBAC (pkg/registry/rbac/validation
// rule.go: VisitRulesFor, RulesFor, GetRoleReferenceRules) works on this index.
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject } from 'kubernetes-types/rbac/v1';
import { Resources, type ResourceType } from '../../../lib/api/resources';
import { bucketOf } from '../../registry/keys';
import type { KObj, Storage, StorageEvent, WatchSubscription } from '../../storage/types';
import type { UserInfo } from '../types';

export const ServiceAccountUsernamePrefix = 'system:serviceaccount:';

/** A RoleBinding or ClusterRoleBinding as the index keeps it. */
export interface Binding {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  /** '' for a ClusterRoleBinding. */
  namespace: string;
  roleRef: RoleRef;
  subjects: Subject[];
}

/** Where a rule came from, as the RBAC authorizer names it in its reasons. */
export interface RuleSource {
  binding: Binding;
  subject: Subject;
}

export type RuleVisitor = (source: RuleSource | undefined, rule: PolicyRule | undefined, err: Error | undefined) => boolean;

/** The username a ServiceAccount subject stands for, or undefined when its namespace is unknown. */
export function subjectUsername(s: Subject, bindingNamespace: string): string | undefined {
  if (s.kind !== 'ServiceAccount') return s.kind === 'User' ? s.name : undefined;
  const ns = s.namespace || bindingNamespace;
  return ns ? `${ServiceAccountUsernamePrefix}${ns}:${s.name}` : undefined;
}

/** appliesToUser of kube's rule resolver. */
export function subjectAppliesTo(user: UserInfo, s: Subject, bindingNamespace: string): boolean {
  switch (s.kind) {
    case 'User':
      return user.name === s.name;
    case 'Group':
      return user.groups.includes(s.name);
    case 'ServiceAccount':
      return subjectUsername(s, bindingNamespace) === user.name;
    default:
      return false;
  }
}

function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') return `${s.kind} ${JSON.stringify(`${s.name}/${s.namespace || bindingNamespace}`)}`;
  return `${s.kind} ${JSON.stringify(s.name)}`;
}

/** `ClusterRoleBinding "x" of ClusterRole "y" to User "z"` / `RoleBinding "x/ns" of Role "y" to Group "g"`. */
export function describeSource(src: RuleSource): string {
  const b = src.binding;
  const name = b.kind === 'RoleBinding' ? `${b.name}/${b.namespace}` : b.name;
  return `${b.kind} ${JSON.stringify(name)} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${describeSubject(src.subject, b.namespace)}`;
}

/** The bindings of one scope (the cluster, or one namespace) by the users and groups they name. */
class SubjectIndex {
  readonly users = new Map<string, Set<Binding>>();
  readonly groups = new Map<string, Set<Binding>>();

  private keys(b: Binding): Array<[Map<string, Set<Binding>>, string]> {
    const out: Array<[Map<string, Set<Binding>>, string]> = [];
    for (const s of b.subjects) {
      if (s.kind === 'Group') out.push([this.groups, s.name]);
      else {
        const u = subjectUsername(s, b.namespace);
        if (u !== undefined) out.push([this.users, u]);
      }
    }
    return out;
  }

  add(b: Binding): void {
    for (const [map, key] of this.keys(b)) {
      let set = map.get(key);
      if (!set) map.set(key, (set = new Set()));
      set.add(b);
    }
  }

  remove(b: Binding): void {
    for (const [map, key] of this.keys(b)) {
      const set = map.get(key);
      if (!set) continue;
      set.delete(b);
      if (set.size === 0) map.delete(key);
    }
  }

  get empty(): boolean {
    return this.users.size === 0 && this.groups.size === 0;
  }

  /** The bindings naming the user or one of its groups, each once. */
  candidates(user: UserInfo): Binding[] {
    const out: Binding[] = [];
    const direct = this.users.get(user.name);
    if (direct) for (const b of direct) out.push(b);
    for (const g of user.groups) {
      const set = this.groups.get(g);
      if (!set) continue;
      for (const b of set) if (!out.includes(b)) out.push(b);
    }
    return out;
  }
}

function bindingOf(kind: Binding['kind'], obj: KObj): Binding {
  const b = obj as unknown as RoleBinding | ClusterRoleBinding;
  return {
    kind,
    name: b.metadata?.name ?? '',
    namespace: kind === 'RoleBinding' ? (b.metadata?.namespace ?? '') : '',
    roleRef: b.roleRef,
    subjects: Array.isArray(b.subjects) ? b.subjects : [],
  };
}

const notFound = (kind: 'role' | 'clusterrole', name: string) => new Error(`${kind}.rbac.authorization.k8s.io ${JSON.stringify(name)} not found`);

/** The four RBAC kinds in memory, current with storage. */
export class RbacPolicy {
  private readonly clusterRoles = new Map<string, ClusterRole>();
  private readonly roles = new Map<string, Role>();
  private readonly clusterRoleBindings = new Map<string, Binding>();
  private readonly roleBindings = new Map<string, Binding>();
  private readonly clusterIndex = new SubjectIndex();
  private readonly namespaceIndex = new Map<string, SubjectIndex>();
  private readonly subscriptions: WatchSubscription[] = [];
  /** Bumped on every change (callers may cache on it). */
  generation = 0;

  /** Loads the policy from storage and follows its changes until stop(). */
  static async load(storage: Storage): Promise<RbacPolicy> {
    const policy = new RbacPolicy();
    for (const rt of [Resources.clusterroles, Resources.roles, Resources.clusterrolebindings, Resources.rolebindings] as ResourceType[]) {
      const bucket = bucketOf(rt);
      const r = await storage.list(bucket);
      for (const item of r.items) policy.apply(rt, 'ADDED', item.obj);
      policy.subscriptions.push(storage.watch(bucket, r.rev, (ev: StorageEvent) => policy.apply(rt, ev.type, ev.object.obj)));
    }
    return policy;
  }

  stop(): void {
    for (const s of this.subscriptions.splice(0)) s.stop();
  }

  /** Applies one stored change (also used by tests to build a policy without storage). */
  apply(rt: ResourceType, type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KObj): void {
    this.generation++;
    const name = obj.metadata.name ?? '';
    const ns = obj.metadata.namespace ?? '';
    const deleted = type === 'DELETED';
    switch (rt.resource) {
      case 'clusterroles':
        if (deleted) this.clusterRoles.delete(name);
        else this.clusterRoles.set(name, obj as unknown as ClusterRole);
        return;
      case 'roles':
        if (deleted) this.roles.delete(`${ns}/${name}`);
        else this.roles.set(`${ns}/${name}`, obj as unknown as Role);
        return;
      case 'clusterrolebindings': {
        const old = this.clusterRoleBindings.get(name);
        if (old) this.clusterIndex.remove(old);
        this.clusterRoleBindings.delete(name);
        if (deleted) return;
        const b = bindingOf('ClusterRoleBinding', obj);
        this.clusterRoleBindings.set(name, b);
        this.clusterIndex.add(b);
        return;
      }
      case 'rolebindings': {
        const key = `${ns}/${name}`;
        let index = this.namespaceIndex.get(ns);
        const old = this.roleBindings.get(key);
        if (old && index) index.remove(old);
        this.roleBindings.delete(key);
        if (!deleted) {
          const b = bindingOf('RoleBinding', obj);
          this.roleBindings.set(key, b);
          if (!index) this.namespaceIndex.set(ns, (index = new SubjectIndex()));
          index.add(b);
        } else if (index?.empty) this.namespaceIndex.delete(ns);
        return;
      }
    }
  }

  getClusterRole(name: string): ClusterRole | undefined {
    return this.clusterRoles.get(name);
  }

  getRole(namespace: string, name: string): Role | undefined {
    return this.roles.get(`${namespace}/${name}`);
  }

  /** GetRoleReferenceRules: the rules a binding's roleRef points at (namespace: the binding's, '' for a ClusterRoleBinding). */
  getRoleReferenceRules(roleRef: RoleRef, namespace: string): PolicyRule[] {
    switch (roleRef.kind) {
      case 'Role': {
        const role = this.roles.get(`${namespace}/${roleRef.name}`);
        if (!role) throw notFound('role', roleRef.name);
        return role.rules ?? [];
      }
      case 'ClusterRole': {
        const role = this.clusterRoles.get(roleRef.name);
        if (!role) throw notFound('clusterrole', roleRef.name);
        return role.rules ?? [];
      }
      default:
        throw new Error(`unsupported role reference kind: ${JSON.stringify(roleRef.kind)}`);
    }
  }

  /**
   * VisitRulesFor: each rule that applies to the user in the namespace (cluster-wide bindings first, then
   * the namespace's), and each error resolving a binding's role; stops when the visitor returns false.
   */
  visitRulesFor(user: UserInfo, namespace: string, visitor: RuleVisitor): void {
    if (!this.visitScope(this.clusterIndex, user, '', visitor)) return;
    if (!namespace) return;
    const index = this.namespaceIndex.get(namespace);
    if (index) this.visitScope(index, user, namespace, visitor);
  }

  private visitScope(index: SubjectIndex, user: UserInfo, namespace: string, visitor: RuleVisitor): boolean {
    for (const binding of index.candidates(user)) {
      let rules: PolicyRule[];
      try {
        rules = this.getRoleReferenceRules(binding.roleRef, namespace);
      } catch (err) {
        if (!visitor(undefined, undefined, err as Error)) return false;
        continue;
      }
      const subject = binding.subjects.find((s) => subjectAppliesTo(user, s, namespace));
      if (!subject) continue;
      const source: RuleSource = { binding, subject };
      for (const rule of rules) if (!visitor(source, rule, undefined)) return false;
    }
    return true;
  }

  /** RulesFor: every rule of the user in the namespace, and the errors met resolving them. */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: Error[] } {
    const rules: PolicyRule[] = [];
    const errors: Error[] = [];
    this.visitRulesFor(user, namespace, (_src, rule, err) => {
      if (rule) rules.push(rule);
      if (err) errors.push(err);
      return true;
    });
    return { rules, errors };
  }
}

/** utilerrors.NewAggregate(errs).Error(): one message, or `[a, b]` without repeats. */
export function aggregateMessage(errs: readonly Error[]): string {
  const msgs = [...new Set(errs.map((e) => e.message))];
  return msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
}
