// Resource quota usage as Kubernetes' quota evaluators count it (k8s.io/apiserver's quota/v1 and
// pkg/quota/v1/evaluator/core): what one object uses of a quota's resources, which objects a quota's
// scopes (spec.scopes, spec.scopeSelector) let it count, and a namespace's total. Shared by the
// apiserver's ResourceQuota admission (refuse over-quota creates) and the resource quota controller
// (keep status.used current), so both count the same way.
import type { Container, Pod, PodAffinityTerm, ResourceQuota, ScopedResourceSelectorRequirement } from 'kubernetes-types/core/v1';
import { podAmounts } from './pod-requests';
import { formatQuantity, parseQuantity, type QuantityFormat } from './quantity';
import { type ResourceType, Resources } from './resources';

/** Resource name → amount in base units (cores, bytes, objects). */
export type Usage = Record<string, number>;

/** The kinds a quota counts by object (`services`, `count/configmaps`), with their quota names. */
export const countedResources: ResourceType[] = [
  Resources.pods,
  Resources.services,
  Resources.configmaps,
  Resources.secrets,
  Resources.replicationcontrollers,
  Resources.resourcequotas,
];

const computeNames = ['cpu', 'memory', 'ephemeral-storage'];

function terminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

function sumContainers(containers: Container[] | undefined, kind: 'requests' | 'limits', name: string): number {
  let total = 0;
  for (const c of containers ?? []) {
    const q = c.resources?.[kind]?.[name];
    if (q !== undefined) total += parseQuantity(q).value;
  }
  return total;
}

/** A pod's requests or limits of one resource, as kube's quota charges them (sidecars counted: lib/api/pod-requests.ts). */
export function podAmount(pod: Pod, kind: 'requests' | 'limits', name: string): number {
  return podAmounts(pod, (c) => new Map([[name, sumContainers([c], kind, name)]])).get(name) ?? 0;
}

/**
 * Whether a pod is charged for `pods` and compute (kube's QuotaV1Pod): not once it has finished, nor
 * once it is stuck terminating past its deletion grace period (a lost node must not block new pods).
 */
export function chargedPod(pod: Pod, now = Date.now()): boolean {
  if (terminal(pod)) return false;
  const deletion = pod.metadata?.deletionTimestamp;
  const grace = pod.metadata?.deletionGracePeriodSeconds;
  if (deletion && grace !== undefined && grace !== null && now > Date.parse(deletion) + grace * 1000) return false;
  return true;
}

/**
 * What one object uses: `pods: 1, requests.cpu: 0.5, count/pods: 1`, `services.nodeports: 2`, …
 * `count/pods` counts every pod in storage; `pods` and compute only the pods still charged.
 */
export function usageOf(rt: ResourceType, obj: Record<string, unknown>, now = Date.now()): Usage {
  const countName = rt.group ? `count/${rt.resource}.${rt.group}` : `count/${rt.resource}`;
  const usage: Usage = { [countName]: 1 };
  if (rt === Resources.pods) {
    const pod = obj as Pod;
    if (!chargedPod(pod, now)) return usage;
    usage.pods = 1;
    for (const name of computeNames) {
      const req = podAmount(pod, 'requests', name);
      const lim = podAmount(pod, 'limits', name);
      usage[`requests.${name}`] = req;
      usage[`limits.${name}`] = lim;
      if (name !== 'ephemeral-storage') usage[name] = req;
    }
    return usage;
  }
  if (rt.group === '' && ['services', 'configmaps', 'secrets', 'replicationcontrollers', 'resourcequotas', 'persistentvolumeclaims'].includes(rt.resource)) usage[rt.resource] = 1;
  if (rt === Resources.services) {
    const spec = (obj.spec ?? {}) as { type?: string; ports?: Array<{ nodePort?: number }> };
    usage['services.loadbalancers'] = spec.type === 'LoadBalancer' ? 1 : 0;
    usage['services.nodeports'] = spec.type === 'NodePort' || spec.type === 'LoadBalancer' ? (spec.ports ?? []).length : 0;
  }
  return usage;
}

/** The quota resources a resource's objects can use (what a create of it must be checked against). */
export function matchesResource(rt: ResourceType, quotaResource: string): boolean {
  const countName = rt.group ? `count/${rt.resource}.${rt.group}` : `count/${rt.resource}`;
  if (quotaResource === countName) return true;
  if (rt === Resources.pods) return quotaResource === 'pods' || computeNames.some((n) => quotaResource === n || quotaResource === `requests.${n}` || quotaResource === `limits.${n}`);
  if (rt === Resources.services) return quotaResource === 'services' || quotaResource === 'services.loadbalancers' || quotaResource === 'services.nodeports';
  return rt.group === '' && quotaResource === rt.resource;
}

/** Adds b into a, only the resources of `only`. */
export function addUsage(a: Usage, b: Usage, only: Iterable<string>): Usage {
  for (const k of only) if (b[k] !== undefined) a[k] = (a[k] ?? 0) + b[k];
  return a;
}

// ---- scopes ----------------------------------------------------------------------------------------

/** A quota's scopes as selector requirements (kube's GetScopeSelectorsFromQuota): each of spec.scopes is `Exists`. */
export function quotaScopeSelectors(quota: ResourceQuota): ScopedResourceSelectorRequirement[] {
  return [
    ...(quota.spec?.scopes ?? []).map((scopeName) => ({ scopeName, operator: 'Exists' })),
    ...(quota.spec?.scopeSelector?.matchExpressions ?? []),
  ];
}

/** activeDeadlineSeconds ≥ 0: the pod will be ended by the system (the Terminating scope). */
export function isTerminating(pod: Pod): boolean {
  const d = pod.spec?.activeDeadlineSeconds;
  return d !== undefined && d !== null && d >= 0;
}

const qosResources = ['cpu', 'memory'];

/** QoS class BestEffort (kube's qos.GetPodQOS): no container or init container requests or limits a positive cpu or memory. */
export function isBestEffort(pod: Pod): boolean {
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const kind of ['requests', 'limits'] as const) {
      for (const name of qosResources) {
        const q = c.resources?.[kind]?.[name];
        if (q !== undefined && parseQuantity(q).value > 0) return false;
      }
    }
  }
  return true;
}

const crossNamespaceTerm = (t: PodAffinityTerm | undefined): boolean => !!t && ((t.namespaces?.length ?? 0) > 0 || (t.namespaceSelector !== undefined && t.namespaceSelector !== null));

/** A pod (anti-)affinity term, required or preferred, that names namespaces or has a namespace selector. */
export function usesCrossNamespacePodAffinity(pod: Pod): boolean {
  for (const a of [pod.spec?.affinity?.podAffinity, pod.spec?.affinity?.podAntiAffinity]) {
    if (!a) continue;
    if ((a.requiredDuringSchedulingIgnoredDuringExecution ?? []).some(crossNamespaceTerm)) return true;
    if ((a.preferredDuringSchedulingIgnoredDuringExecution ?? []).some((w) => crossNamespaceTerm(w.podAffinityTerm))) return true;
  }
  return false;
}

/**
 * Whether a pod falls in one scope requirement (kube's podMatchesScopeFunc). PriorityClass compares the
 * pod's priorityClassName as a label selector on the set `{PriorityClass: name}` — empty when the pod
 * names no class, so `DoesNotExist` and `NotIn` match such pods and `In` never does.
 */
export function podMatchesScope(req: ScopedResourceSelectorRequirement, pod: Pod): boolean {
  switch (req.scopeName) {
    case 'Terminating':
      return isTerminating(pod);
    case 'NotTerminating':
      return !isTerminating(pod);
    case 'BestEffort':
      return isBestEffort(pod);
    case 'NotBestEffort':
      return !isBestEffort(pod);
    case 'CrossNamespacePodAffinity':
      return usesCrossNamespacePodAffinity(pod);
    case 'PriorityClass': {
      const name = pod.spec?.priorityClassName ?? '';
      const values = req.values ?? [];
      switch (req.operator) {
        case 'Exists':
          return name !== '';
        case 'DoesNotExist':
          return name === '';
        case 'In':
          return name !== '' && values.includes(name);
        case 'NotIn':
          return name === '' || !values.includes(name);
        default:
          return false;
      }
    }
    default:
      return false;
  }
}

/**
 * Whether a quota's scopes let it count an object (kube's generic Matches, scope half): a quota without
 * scopes counts everything; a scoped one only pods in every scope — other kinds' evaluators match no scope.
 */
export function quotaScopesMatch(quota: ResourceQuota, rt: ResourceType, obj: Record<string, unknown>): boolean {
  const selectors = quotaScopeSelectors(quota);
  if (!selectors.length) return true;
  if (rt !== Resources.pods) return false;
  return selectors.every((s) => podMatchesScope(s, obj as Pod));
}

/** Whether a quota limits anything an object of rt uses and its scopes take the object in (kube's Matches). */
export function quotaMatches(quota: ResourceQuota, rt: ResourceType, obj: Record<string, unknown>): boolean {
  return Object.keys(quota.spec?.hard ?? {}).some((n) => matchesResource(rt, n)) && quotaScopesMatch(quota, rt, obj);
}

/** The usage of a namespace's objects in a quota's scopes, for the resources it limits (0 for each one it limits). */
export function totalUsage(quota: ResourceQuota, objects: Array<[ResourceType, Record<string, unknown>]>, now = Date.now()): Usage {
  const names = Object.keys(quota.spec?.hard ?? {});
  const used: Usage = Object.fromEntries(names.map((n) => [n, 0]));
  for (const [rt, obj] of objects) {
    const counted = names.filter((n) => matchesResource(rt, n));
    if (counted.length && quotaScopesMatch(quota, rt, obj)) addUsage(used, usageOf(rt, obj, now), counted);
  }
  return used;
}

/** A usage amount as a quantity string, in the format of the quota's hard limit (`500m`, `1Gi`, `3`). */
export function formatUsage(amount: number, hardValue: string | number | undefined): string {
  let format: QuantityFormat = 'DecimalSI';
  try {
    if (hardValue !== undefined) format = parseQuantity(hardValue).format;
  } catch {
    /* the hard value is validated on write; keep DecimalSI */
  }
  return formatQuantity({ value: amount, format });
}

/** A usage as status.used writes it: every limited resource, formatted. */
export function usedStatus(hard: Record<string, string | number>, used: Usage): Record<string, string> {
  return Object.fromEntries(Object.keys(hard).sort().map((k) => [k, formatUsage(used[k] ?? 0, hard[k])]));
}
