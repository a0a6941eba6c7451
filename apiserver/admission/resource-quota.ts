// The ResourceQuota admission plugin (kube's plugin/pkg/admission/resourcequota): a create of a kind a
// quota counts is refused with 403 `exceeded quota: <name>, requested: …, used: …, limited: …` when the
// namespace's usage plus the new object's would pass one of its ResourceQuotas' hard limits, and with
// `failed quota: <name>: must specify …` when a quota limits cpu or memory the pod's containers do not
// state. Only quotas whose scopes take the object in count (Terminating, BestEffort, PriorityClass, …:
// lib/api/quota.ts); a pod update that moves it in or out of Terminating is checked as kube does.
// Usage is counted from storage at admission time (lib/api/quota.ts, the same counting as the resource
// quota controller that keeps status.used), so two creates in a row see each other. An admitted create
// is charged at once, as kube's plugin does: each quota it counts in gets the new status.used (usage
// with the object's), written only if the quota is unchanged since it was read; a quota changed in
// between is read again and charged again, three retries, then the write is refused with the conflict.
// A dry run is checked but charges nothing.
import type { Pod, ResourceQuota } from 'kubernetes-types/core/v1';
import { countedResources, formatUsage, isTerminating, matchesResource, quotaMatches, totalUsage, usageOf, type Usage } from '../../lib/api/quota';
import { parseQuantity } from '../../lib/api/quantity';
import { Resources, type ResourceType } from '../../lib/api/resources';
import type { AdmissionAttributes, AdmissionPlugin } from '../auth/types';
import { errors } from '../errors';
import type { KObj } from '../storage/types';

export interface ResourceQuotaAdmissionOptions {
  listResourceQuotas: (namespace: string) => Promise<ResourceQuota[]>;
  /** A namespace's objects of one counted kind. */
  listObjects: (rt: ResourceType, namespace: string) => Promise<KObj[]>;
  /**
   * Writes a quota's status.used, if the quota is still at the resourceVersion it was read at: false
   * when it has changed since (a conflict). Without it, creates are checked but not charged.
   */
  updateQuotaUsed?: (quota: ResourceQuota, used: Record<string, string>) => Promise<boolean>;
}

/** kube's quota evaluator retries a status update that lost to another writer this many times. */
const QUOTA_UPDATE_RETRIES = 3;

/**
 * A quota's status.used once a create is charged to it (kube: status.used plus the object's usage of
 * the resources the quota limits), or undefined when nothing it records changes.
 */
export function chargedUsed(quota: ResourceQuota, rt: ResourceType, requested: Usage, used: Usage): Record<string, string> | undefined {
  const hard = quota.spec?.hard ?? {};
  const charged = Object.keys(hard).filter((n) => matchesResource(rt, n) && (requested[n] ?? 0) > 0);
  const current = quota.status?.used ?? {};
  const next: Record<string, string> = { ...current };
  for (const n of charged) next[n] = formatUsage((used[n] ?? 0) + requested[n], hard[n]);
  if (charged.every((n) => current[n] === next[n])) return undefined;
  return next;
}

/** quota's prettyPrint: sorted `name=value`, comma-joined. */
function prettyPrint(names: string[], amounts: Record<string, string>): string {
  return [...names].sort().map((n) => `${n}=${amounts[n]}`).join(',');
}

/**
 * Compute resources a pod must state for a quota that limits them (kube's pod evaluator Constraints):
 * only cpu and memory (kube's validationSet — "do not add more resources to this list"), for every
 * container and init container; container names sorted, as Go's string sets list them.
 */
export function missingComputeResources(pod: Pod, hard: Record<string, unknown>): string[] {
  const missing: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const m = /^(requests|limits)\.(cpu|memory)$/.exec(name) ?? (name === 'cpu' || name === 'memory' ? [name, 'requests', name] : null);
    if (!m) continue;
    const kind = m[1] as 'requests' | 'limits';
    const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
    const without = [...new Set(containers.filter((c) => c.resources?.[kind]?.[m[2]] === undefined).map((c) => c.name))].sort();
    if (without.length) missing.push(`${name} for: ${without.join(',')}`);
  }
  return missing;
}

/** The refusal of a create, or undefined: `requested` is the new object's usage. */
export function quotaRefusal(quota: ResourceQuota, rt: ResourceType, requested: Usage, used: Usage): string | undefined {
  const hard = quota.spec?.hard ?? {};
  const names = Object.keys(hard).filter((n) => matchesResource(rt, n));
  const exceeded = names.filter((n) => (used[n] ?? 0) + (requested[n] ?? 0) > parseQuantity(hard[n]).value + 1e-9 && (requested[n] ?? 0) > 0);
  if (!exceeded.length) return undefined;
  const fmt = (u: Usage) => Object.fromEntries(exceeded.map((n) => [n, formatUsage(u[n] ?? 0, hard[n])]));
  const limited = Object.fromEntries(exceeded.map((n) => [n, formatUsage(parseQuantity(hard[n]).value, hard[n])]));
  return `exceeded quota: ${quota.metadata?.name}, requested: ${prettyPrint(exceeded, fmt(requested))}, used: ${prettyPrint(exceeded, fmt(used))}, limited: ${prettyPrint(exceeded, limited)}`;
}

export class ResourceQuotaAdmission implements AdmissionPlugin {
  readonly name = 'ResourceQuota';
  constructor(private readonly o: ResourceQuotaAdmissionOptions) {}

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.subresource !== '' || !a.object || !a.namespace) return;
    if (!countedResources.includes(a.rt)) return;
    // kube's pod evaluator handles creates, and updates that change whether the pod is Terminating: those
    // meet the constraints of the quotas whose scopes now take the pod in; their usage does not change.
    const scopeChange = a.operation === 'UPDATE' && a.rt === Resources.pods && !!a.oldObject && isTerminating(a.oldObject as unknown as Pod) !== isTerminating(a.object as unknown as Pod);
    if (a.operation !== 'CREATE' && !scopeChange) return;
    for (let attempt = 0; ; attempt++) {
      const quotas = (await this.o.listResourceQuotas(a.namespace)).filter((q) => quotaMatches(q, a.rt, a.object!));
      if (!quotas.length) return;
      if (scopeChange) {
        for (const quota of quotas) {
          const missing = missingComputeResources(a.object as unknown as Pod, quota.spec?.hard ?? {});
          if (missing.length) throw errors.forbidden(a.rt, a.name, `failed quota: ${quota.metadata?.name}: must specify ${missing.join('; ')}`);
        }
        return;
      }
      const requested = usageOf(a.rt, a.object!);
      const objects: Array<[ResourceType, KObj]> = [];
      for (const rt of countedResources) for (const o of await this.o.listObjects(rt, a.namespace)) objects.push([rt, o]);
      const charges: Array<[ResourceQuota, Record<string, string>]> = [];
      for (const quota of quotas) {
        const hard = quota.spec?.hard ?? {};
        if (a.rt === Resources.pods) {
          const missing = missingComputeResources(a.object as unknown as Pod, hard);
          if (missing.length) throw errors.forbidden(a.rt, a.name, `failed quota: ${quota.metadata?.name}: must specify ${missing.join('; ')}`);
        }
        const used = totalUsage(quota, objects);
        const refusal = quotaRefusal(quota, a.rt, requested, used);
        if (refusal) throw errors.forbidden(a.rt, a.name, refusal);
        const next = chargedUsed(quota, a.rt, requested, used);
        if (next) charges.push([quota, next]);
      }
      if (a.dryRun || !this.o.updateQuotaUsed) return;
      const lost: ResourceQuota[] = [];
      for (const [quota, used] of charges) if (!(await this.o.updateQuotaUsed(quota, used))) lost.push(quota);
      if (!lost.length) return;
      // Another write changed a quota first: read the quotas again and charge what is left, or give up with the conflict.
      if (attempt >= QUOTA_UPDATE_RETRIES) throw errors.modified(Resources.resourcequotas, String(lost[0].metadata?.name));
    }
  }
}
