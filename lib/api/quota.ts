// Resource quota usage as Kubernetes' quota evaluators count it (k8s.io/apiserver's quota/v1 and
// pkg/quota/v1/evaluator/core): what one object uses of a quota's resources, and a namespace's total.
// Shared by the apiserver's ResourceQuota admission (refuse over-quota creates) and the resource quota
// controller (keep status.used current), so both count the same way.
import type { Container, Pod } from 'kubernetes-types/core/v1';
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

/** A pod's requests or limits of one resource: its containers' sum, at least its largest init container's. */
export function podAmount(pod: Pod, kind: 'requests' | 'limits', name: string): number {
  const sum = sumContainers(pod.spec?.containers, kind, name);
  let init = 0;
  for (const c of pod.spec?.initContainers ?? []) init = Math.max(init, sumContainers([c], kind, name));
  return Math.max(sum, init);
}

/** What one object uses: `pods: 1, requests.cpu: 0.5, count/pods: 1`, `services.nodeports: 2`, … */
export function usageOf(rt: ResourceType, obj: Record<string, unknown>): Usage {
  const countName = rt.group ? `count/${rt.resource}.${rt.group}` : `count/${rt.resource}`;
  const usage: Usage = { [countName]: 1 };
  if (rt === Resources.pods) {
    const pod = obj as Pod;
    if (terminal(pod)) return {};
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

/** The usage of a namespace's objects, for the resources a quota limits (0 for each one it limits). */
export function totalUsage(hard: Record<string, string | number>, objects: Array<[ResourceType, Record<string, unknown>]>): Usage {
  const names = Object.keys(hard);
  const used: Usage = Object.fromEntries(names.map((n) => [n, 0]));
  for (const [rt, obj] of objects) addUsage(used, usageOf(rt, obj), names.filter((n) => matchesResource(rt, n)));
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
