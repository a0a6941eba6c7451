// The cluster at a glance, as the seeds draw it: services → tasks (pods) → nodes. Per node: capacity,
// allocatable, what its pods request and, when the API serves metrics.k8s.io, what they use; its pods
// with their IPs. Per Service: the pods its selector picks, grouped by node.
import type { Node, Pod, Service } from 'kubernetes-types/core/v1';
import { milliValue, value } from '../../../lib/api/quantity';
import { matchesLabels, selectorFromLabelSelector } from '../../../lib/api/selectors';
import type { KubeObject } from './api';
import { naturalCompare } from './format';

export interface Resources {
  cpuMilli: number;
  memoryBytes: number;
  pods: number;
}

export interface NodeSummary {
  name: string;
  node: Node;
  ready: boolean;
  unschedulable: boolean;
  internalIP: string;
  capacity: Resources;
  allocatable: Resources;
  requested: Resources;
  pods: Pod[];
}

/**
 * Parsed quantities by text, per reader: a cluster's pods request a handful of distinct quantities
 * ("5m", "8Mi"), so a thousand pods' first paint parses a few strings, not two thousand.
 */
const parsedQuantities = new Map<(q: string) => number, Map<string, number>>();
/** Distinct texts kept per reader (a bound: quantities come from the cluster). */
const PARSED_QUANTITIES_KEPT = 4096;

function quantity(read: (q: string) => number, q: string | undefined): number {
  if (!q) return 0;
  let known = parsedQuantities.get(read);
  if (!known) parsedQuantities.set(read, (known = new Map()));
  let n = known.get(q);
  if (n === undefined) {
    try {
      n = read(q);
    } catch {
      n = 0;
    }
    if (known.size >= PARSED_QUANTITIES_KEPT) known.clear();
    known.set(q, n);
  }
  return n;
}

function resources(list: Record<string, string> | undefined): Resources {
  return { cpuMilli: quantity(milliValue, list?.cpu), memoryBytes: quantity(value, list?.memory), pods: quantity(value, list?.pods) };
}

/** A pod that holds its node's resources: bound and not finished. */
export function isActivePod(p: Pod): boolean {
  return !!p.spec?.nodeName && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
}

/**
 * Parsed quantities by object: the store keeps an unchanged object's identity, so each pod's requests
 * and each node's capacity are parsed once, not again on every pod event (parsing quantities was a
 * visible share of the cluster view's first paint).
 */
const podRequestsCache = new WeakMap<Pod, { cpuMilli: number; memoryBytes: number }>();
const nodeResourcesCache = new WeakMap<Node, { capacity: Resources; allocatable: Resources }>();

/** What a pod requests: the sum of its containers, or the largest init container if more (Kubernetes' rule). */
export function podRequests(p: Pod): { cpuMilli: number; memoryBytes: number } {
  let r = podRequestsCache.get(p);
  if (!r) podRequestsCache.set(p, (r = sumRequests(p)));
  return r;
}

function nodeResources(node: Node): { capacity: Resources; allocatable: Resources } {
  let r = nodeResourcesCache.get(node);
  if (!r) nodeResourcesCache.set(node, (r = { capacity: resources(node.status?.capacity), allocatable: resources(node.status?.allocatable) }));
  return r;
}

function sumRequests(p: Pod): { cpuMilli: number; memoryBytes: number } {
  let cpu = 0;
  let mem = 0;
  for (const c of p.spec?.containers ?? []) {
    cpu += quantity(milliValue, c.resources?.requests?.cpu);
    mem += quantity(value, c.resources?.requests?.memory);
  }
  for (const c of p.spec?.initContainers ?? []) {
    cpu = Math.max(cpu, quantity(milliValue, c.resources?.requests?.cpu));
    mem = Math.max(mem, quantity(value, c.resources?.requests?.memory));
  }
  return { cpuMilli: cpu, memoryBytes: mem };
}

export function nodeSummaries(nodes: KubeObject[], pods: KubeObject[]): NodeSummary[] {
  const byNode = new Map<string, Pod[]>();
  for (const p of pods as Pod[]) {
    const n = p.spec?.nodeName;
    if (!n) continue;
    let list = byNode.get(n);
    if (!list) byNode.set(n, (list = []));
    list.push(p);
  }
  return (nodes as Node[])
    .map((node) => {
      const name = node.metadata?.name ?? '';
      const onNode = (byNode.get(name) ?? []).sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
      const requested: Resources = { cpuMilli: 0, memoryBytes: 0, pods: 0 };
      for (const p of onNode) {
        if (!isActivePod(p)) continue;
        const r = podRequests(p);
        requested.cpuMilli += r.cpuMilli;
        requested.memoryBytes += r.memoryBytes;
        requested.pods++;
      }
      return {
        name,
        node,
        ready: (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
        unschedulable: !!node.spec?.unschedulable,
        internalIP: (node.status?.addresses ?? []).find((a) => a.type === 'InternalIP')?.address ?? '',
        ...nodeResources(node),
        requested,
        pods: onNode,
      };
    })
    .sort((a, b) => naturalCompare(a.name, b.name));
}

export interface ServiceTopology {
  service: Service;
  /** The Service's pods by node name ('' for pods not bound yet). */
  podsByNode: Map<string, Pod[]>;
  podCount: number;
}

/** Pods a selector picks in a namespace (Services, workloads). */
export function podsSelected(pods: KubeObject[], namespace: string | undefined, selector: Parameters<typeof selectorFromLabelSelector>[0]): Pod[] {
  const reqs = selectorFromLabelSelector(selector);
  return (pods as Pod[]).filter((p) => p.metadata?.namespace === namespace && matchesLabels(reqs, p.metadata?.labels));
}

export function serviceTopology(services: KubeObject[], pods: KubeObject[]): ServiceTopology[] {
  return (services as Service[])
    .map((service) => {
      const sel = service.spec?.selector;
      const picked = sel && Object.keys(sel).length ? podsSelected(pods, service.metadata?.namespace, { matchLabels: sel }) : [];
      const podsByNode = new Map<string, Pod[]>();
      for (const p of picked) {
        const n = p.spec?.nodeName ?? '';
        let list = podsByNode.get(n);
        if (!list) podsByNode.set(n, (list = []));
        list.push(p);
      }
      return { service, podsByNode, podCount: picked.length };
    })
    .sort((a, b) => `${a.service.metadata?.namespace}/${a.service.metadata?.name}`.localeCompare(`${b.service.metadata?.namespace}/${b.service.metadata?.name}`));
}

/** kubectl's STATUS column, in short: the reason a container waits or ended, else the phase. */
export function podStatusText(p: Pod): string {
  if (p.metadata?.deletionTimestamp) return 'Terminating';
  for (const cs of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) {
    if (cs.state?.waiting?.reason && cs.state.waiting.reason !== 'PodInitializing') return cs.state.waiting.reason;
    if (cs.state?.terminated?.reason && p.status?.phase !== 'Succeeded') return cs.state.terminated.reason;
  }
  return p.status?.phase ?? 'Pending';
}

export function podRestarts(p: Pod): number {
  return (p.status?.containerStatuses ?? []).reduce((n, cs) => n + (cs.restartCount ?? 0), 0);
}

export function podReadyText(p: Pod): string {
  const all = p.spec?.containers?.length ?? 0;
  const ready = (p.status?.containerStatuses ?? []).filter((cs) => cs.ready).length;
  return `${ready}/${all}`;
}
