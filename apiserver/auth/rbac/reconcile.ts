// Puts the default policy in place at apiserver start (kube-apiserver's rbac/bootstrap-roles post-start
// hook, pkg/registry/rbac/reconciliation): a missing default role or binding is created; an existing one
// whose autoupdate annotation is not "false" gets what it lacks — labels and annotations, the rules or
// aggregation selectors it misses, the subjects it misses — and keeps what was added to it; a binding
// whose roleRef differs is recreated. Then aggregated ClusterRoles get their rules once (the
// aggregation controller keeps them current from there).
import type { AggregationRule, ClusterRole, ClusterRoleBinding, Subject } from 'kubernetes-types/rbac/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { deepEqual } from '../../../lib/api/json';
import { aggregatedRules, sameRules } from '../../../lib/api/rbac';
import { Resources } from '../../../lib/api/resources';
import { ApiStatusError } from '../../errors';
import type { Registry } from '../../registry/registry';
import { copyStored, type KObj } from '../../storage/types';
import { AutoUpdateAnnotation, bootstrapClusterRoleBindings, bootstrapClusterRoles } from './bootstrap';
import { covers } from './rules';

const isNotFound = (err: unknown): boolean => err instanceof ApiStatusError && err.code === 404;

async function getOrUndefined<T>(registry: Registry, rt: typeof Resources.clusterroles, name: string): Promise<T | undefined> {
  try {
    return copyStored(await registry.get(rt, undefined, name)) as unknown as T;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

const protectedFromUpdate = (o: { metadata?: { annotations?: Record<string, string> } }): boolean => o.metadata?.annotations?.[AutoUpdateAnnotation] === 'false';

/** Expected labels and annotations under the existing ones (the existing win). */
function mergeMeta(existing: KObj, expected: KObj): boolean {
  let changed = false;
  for (const f of ['labels', 'annotations'] as const) {
    const merged = { ...((expected.metadata[f] as Record<string, string>) ?? {}), ...((existing.metadata[f] as Record<string, string>) ?? {}) };
    if (!deepEqual(merged, existing.metadata[f] ?? {})) {
      existing.metadata[f] = merged;
      changed = true;
    }
  }
  return changed;
}

/** computeReconciledRole in the union mode: the existing role plus what the expected one has that it lacks. */
export function reconcileClusterRole(existing: ClusterRole, expected: ClusterRole): ClusterRole | undefined {
  const next = JSON.parse(JSON.stringify(existing)) as ClusterRole;
  let changed = mergeMeta(next as unknown as KObj, expected as unknown as KObj);
  const { missing } = covers(existing.rules ?? [], expected.rules ?? []);
  if (missing.length) {
    next.rules = [...(existing.rules ?? []), ...missing];
    changed = true;
  }
  if (!expected.aggregationRule && existing.aggregationRule) {
    delete next.aggregationRule;
    changed = true;
  } else if (expected.aggregationRule) {
    const have: LabelSelector[] = existing.aggregationRule?.clusterRoleSelectors ?? [];
    const lacking = (expected.aggregationRule.clusterRoleSelectors ?? []).filter((s) => !have.some((h) => deepEqual(h, s)));
    if (lacking.length) {
      next.aggregationRule = { clusterRoleSelectors: [...have, ...lacking] } satisfies AggregationRule;
      changed = true;
    }
  }
  return changed ? next : undefined;
}

const sameSubject = (a: Subject, b: Subject): boolean => a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '') && (a.apiGroup ?? '') === (b.apiGroup ?? '');

/** computeReconciledRoleBinding in the union mode; 'recreate' when the roleRef differs. */
export function reconcileClusterRoleBinding(existing: ClusterRoleBinding, expected: ClusterRoleBinding): ClusterRoleBinding | 'recreate' | undefined {
  if (!deepEqual(existing.roleRef, expected.roleRef)) return 'recreate';
  const next = JSON.parse(JSON.stringify(existing)) as ClusterRoleBinding;
  let changed = mergeMeta(next as unknown as KObj, expected as unknown as KObj);
  const have = existing.subjects ?? [];
  const lacking = (expected.subjects ?? []).filter((s) => !have.some((h) => sameSubject(h, s)));
  if (lacking.length) {
    next.subjects = [...have, ...lacking];
    changed = true;
  }
  return changed ? next : undefined;
}

export interface ReconcileLog {
  (message: string): void;
}

/** Creates and reconciles the default ClusterRoles and ClusterRoleBindings, then aggregates. */
export async function ensureBootstrapPolicy(registry: Registry, log: ReconcileLog = () => {}): Promise<void> {
  const roles = Resources.clusterroles;
  for (const expected of bootstrapClusterRoles()) {
    const name = expected.metadata!.name!;
    const existing = await getOrUndefined<ClusterRole>(registry, roles, name);
    if (!existing) {
      await createIgnoringConflict(registry, roles, expected as unknown as KObj);
      continue;
    }
    if (protectedFromUpdate(existing)) continue;
    const next = reconcileClusterRole(existing, expected);
    if (next) {
      log(`reconciled clusterrole ${name}`);
      await registry.update(roles, undefined, name, next);
    }
  }
  const bindings = Resources.clusterrolebindings;
  for (const expected of bootstrapClusterRoleBindings()) {
    const name = expected.metadata!.name!;
    const existing = await getOrUndefined<ClusterRoleBinding>(registry, bindings, name);
    if (!existing) {
      await createIgnoringConflict(registry, bindings, expected as unknown as KObj);
      continue;
    }
    if (protectedFromUpdate(existing)) continue;
    const next = reconcileClusterRoleBinding(existing, expected);
    if (next === 'recreate') {
      log(`recreating clusterrolebinding ${name}: its roleRef changed`);
      await registry.delete(bindings, undefined, name);
      await createIgnoringConflict(registry, bindings, expected as unknown as KObj);
    } else if (next) {
      log(`reconciled clusterrolebinding ${name}`);
      await registry.update(bindings, undefined, name, next);
    }
  }
  await aggregateClusterRoles(registry);
}

async function createIgnoringConflict(registry: Registry, rt: typeof Resources.clusterroles, obj: KObj): Promise<void> {
  try {
    await registry.create(rt, undefined, JSON.parse(JSON.stringify(obj)));
  } catch (err) {
    // Another apiserver on the same storage made it first.
    if (!(err instanceof ApiStatusError && err.code === 409)) throw err;
  }
}

/** One pass of the aggregation controller over every aggregated ClusterRole, repeated until nothing changes. */
export async function aggregateClusterRoles(registry: Registry): Promise<void> {
  const page = await registry.list(Resources.clusterroles, undefined, {});
  const all = page.items.map((s) => copyStored(s) as unknown as ClusterRole);
  const changed = new Set<ClusterRole>();
  // edit aggregates view and admin aggregates edit: a few rounds settle the chain.
  for (let round = 0; round < 5; round++) {
    let any = false;
    for (const role of all) {
      const rules = aggregatedRules(role, all);
      if (rules === undefined || sameRules(rules, role.rules)) continue;
      role.rules = rules;
      changed.add(role);
      any = true;
    }
    if (!any) break;
  }
  for (const role of changed) {
    try {
      await registry.update(Resources.clusterroles, undefined, role.metadata!.name!, role);
    } catch (err) {
      // Changed meanwhile: the aggregation controller brings it up to date.
      if (!(err instanceof ApiStatusError && err.code === 409)) throw err;
    }
  }
}
