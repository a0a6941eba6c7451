// PodInfo: a pod plus what the scheduler derives from it once (resource requests, host ports, owner),
// so filters run over thousands of nodes without re-reading the spec.
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { podAmounts } from '../../lib/api/pod-requests';
import { milliValue, value } from '../../lib/api/quantity';
import { PodAffinityInfo, podAffinityInfo } from './pod-affinity';

export interface Resources {
  milliCpu: number;
  memory: number; // bytes
}

export interface HostPort {
  protocol: string;
  hostIP: string; // '0.0.0.0' when unset: every address
  port: number;
}

export interface PodInfo {
  pod: Pod;
  key: string; // namespace/name
  uid: string;
  requests: Resources;
  /**
   * Requests with kube-scheduler's defaults for unset ones (100m cpu, 200Mi memory), so that scoring
   * still spreads pods that request nothing.
   */
  nonZeroRequests: Resources;
  /** Requests of other resources (ephemeral-storage, hugepages-*, extended resources like nvidia.com/gpu), by name. */
  scalarRequests: Map<string, number>;
  hostPorts: HostPort[];
  priority: number;
  /** uid of the controlling owner (ReplicaSet, DaemonSet, …), if any. */
  ownerUid?: string;
  /** Compiled pod affinity / anti-affinity terms; undefined when the pod has none. */
  affinity?: PodAffinityInfo;
}

export const DefaultMilliCpuRequest = 100;
export const DefaultMemoryRequest = 200 * 1024 * 1024;

export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

/** A pod with a deletion timestamp: never to be scheduled. */
export function isBeingDeleted(pod: Pod): boolean {
  return !!pod.metadata?.deletionTimestamp;
}

function containerRequests(c: Container): Resources {
  const req = c.resources?.requests ?? {};
  // A limit with no request means request = limit (the apiserver's defaulting does the same).
  const lim = c.resources?.limits ?? {};
  const cpu = req.cpu ?? lim.cpu;
  const mem = req.memory ?? lim.memory;
  return { milliCpu: cpu !== undefined ? milliValue(cpu) : 0, memory: mem !== undefined ? value(mem) : 0 };
}

/**
 * The pod's effective cpu and memory requests (podAmounts) plus its overhead; with nonZero, a
 * container that requests none counts kube's defaults (100m, 200 MiB), as scoring does.
 */
export function computePodRequests(pod: Pod, nonZero: boolean): Resources {
  const total = podAmounts(pod, (c) => {
    const r = containerRequests(c);
    return new Map([
      ['cpu', nonZero && r.milliCpu === 0 ? DefaultMilliCpuRequest : r.milliCpu],
      ['memory', nonZero && r.memory === 0 ? DefaultMemoryRequest : r.memory],
    ]);
  });
  const out: Resources = { milliCpu: total.get('cpu') ?? 0, memory: total.get('memory') ?? 0 };
  const overhead = pod.spec?.overhead;
  if (overhead?.cpu !== undefined) out.milliCpu += milliValue(overhead.cpu);
  if (overhead?.memory !== undefined) out.memory += value(overhead.memory);
  return out;
}

/** Whether the scheduler counts a resource besides cpu and memory. */
export function isScalarResource(name: string): boolean {
  return name === 'ephemeral-storage' || name.startsWith('hugepages-') || name.includes('/');
}

function containerScalars(c: Container): Map<string, number> {
  const out = new Map<string, number>();
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  for (const name of new Set([...Object.keys(req), ...Object.keys(lim)])) {
    if (!isScalarResource(name)) continue;
    const q = req[name] ?? lim[name];
    if (q !== undefined) out.set(name, value(q));
  }
  return out;
}

/** Effective requests of scalar resources, combined across containers like cpu and memory. */
export function computeScalarRequests(pod: Pod): Map<string, number> {
  const total = podAmounts(pod, containerScalars);
  for (const [k, v] of Object.entries(pod.spec?.overhead ?? {})) if (isScalarResource(k)) total.set(k, (total.get(k) ?? 0) + value(v));
  return total;
}

export function podHostPorts(pod: Pod): HostPort[] {
  const ports: HostPort[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      ports.push({ protocol: p.protocol || 'TCP', hostIP: p.hostIP || '0.0.0.0', port: p.hostPort });
    }
  }
  return ports;
}

export function newPodInfo(pod: Pod): PodInfo {
  const md = pod.metadata ?? {};
  return {
    pod,
    key: podKey(pod),
    uid: md.uid ?? podKey(pod),
    requests: computePodRequests(pod, false),
    nonZeroRequests: computePodRequests(pod, true),
    scalarRequests: computeScalarRequests(pod),
    hostPorts: podHostPorts(pod),
    priority: pod.spec?.priority ?? 0,
    ownerUid: md.ownerReferences?.find((r) => r.controller)?.uid,
    affinity: podAffinityInfo(pod),
  };
}
