// NodeInfo: a node plus the running totals of the pods placed on it (bound, or assumed by this
// scheduler and not yet seen bound through the watch): requested resources, used host ports and pods
// per owner. Filters and scores read these totals instead of summing pods each time.
import type { Node, Taint } from 'kubernetes-types/core/v1';
import { isNodeReady } from '../../lib/api/node';
import { milliValue, value } from '../../lib/api/quantity';
import { isScalarResource } from './pod-info';
import { hasAnyAffinityTerm } from './pod-affinity';
import type { HostPort, PodInfo, Resources } from './pod-info';

export interface Allocatable extends Resources {
  pods: number;
}

export function portKey(protocol: string, hostIP: string, port: number): string {
  return `${protocol}/${hostIP}/${port}`;
}

export class NodeInfo {
  node: Node;
  allocatable: Allocatable = { milliCpu: 0, memory: 0, pods: 0 };
  readonly requested: Resources = { milliCpu: 0, memory: 0 };
  readonly nonZeroRequested: Resources = { milliCpu: 0, memory: 0 };
  /** Allocatable and requested amounts of scalar resources (ephemeral-storage, extended resources). */
  allocatableScalar = new Map<string, number>();
  readonly requestedScalar = new Map<string, number>();
  readonly pods = new Map<string, PodInfo>(); // by pod uid
  /** protocol/hostIP/port → number of pods using it. */
  readonly usedPorts = new Map<string, number>();
  /** owner uid → number of this owner's pods on the node. */
  readonly ownerCounts = new Map<string, number>();
  /** This node's pods with any pod affinity / anti-affinity term, and those with required anti-affinity (by uid). */
  readonly podsWithAffinity = new Map<string, PodInfo>();
  readonly podsWithRequiredAntiAffinity = new Map<string, PodInfo>();
  labels: Record<string, string> = {};
  taints: Taint[] = [];
  ready = false;

  constructor(node: Node) {
    this.node = node;
    this.setNode(node);
  }

  get name(): string {
    return this.node.metadata?.name ?? '';
  }

  setNode(node: Node): void {
    this.node = node;
    const alloc = node.status?.allocatable ?? node.status?.capacity ?? {};
    this.allocatable = {
      milliCpu: alloc.cpu !== undefined ? milliValue(alloc.cpu) : 0,
      memory: alloc.memory !== undefined ? value(alloc.memory) : 0,
      pods: alloc.pods !== undefined ? value(alloc.pods) : 0,
    };
    this.allocatableScalar = new Map();
    for (const [name, q] of Object.entries(alloc)) if (isScalarResource(name)) this.allocatableScalar.set(name, value(q));
    this.labels = node.metadata?.labels ?? {};
    this.taints = node.spec?.taints ?? [];
    this.ready = isNodeReady(node);
  }

  addPod(p: PodInfo): void {
    if (this.pods.has(p.uid)) this.removePod(p.uid);
    this.pods.set(p.uid, p);
    this.requested.milliCpu += p.requests.milliCpu;
    this.requested.memory += p.requests.memory;
    this.nonZeroRequested.milliCpu += p.nonZeroRequests.milliCpu;
    this.nonZeroRequested.memory += p.nonZeroRequests.memory;
    for (const [k, v] of p.scalarRequests) bump(this.requestedScalar, k, v);
    for (const hp of p.hostPorts) bump(this.usedPorts, portKey(hp.protocol, hp.hostIP, hp.port), 1);
    if (p.ownerUid) bump(this.ownerCounts, p.ownerUid, 1);
    if (hasAnyAffinityTerm(p.affinity)) this.podsWithAffinity.set(p.uid, p);
    if (p.affinity && p.affinity.requiredAntiAffinity.length > 0) this.podsWithRequiredAntiAffinity.set(p.uid, p);
  }

  /** A copy to change freely (preemption removes pods from it to see whether a pod would then fit). */
  clone(): NodeInfo {
    const copy = new NodeInfo(this.node);
    for (const p of this.pods.values()) copy.addPod(p);
    return copy;
  }

  /** Removes a pod by uid; returns whether it was there. */
  removePod(uid: string): boolean {
    const p = this.pods.get(uid);
    if (!p) return false;
    this.pods.delete(uid);
    this.requested.milliCpu -= p.requests.milliCpu;
    this.requested.memory -= p.requests.memory;
    this.nonZeroRequested.milliCpu -= p.nonZeroRequests.milliCpu;
    this.nonZeroRequested.memory -= p.nonZeroRequests.memory;
    for (const [k, v] of p.scalarRequests) bump(this.requestedScalar, k, -v);
    for (const hp of p.hostPorts) bump(this.usedPorts, portKey(hp.protocol, hp.hostIP, hp.port), -1);
    if (p.ownerUid) bump(this.ownerCounts, p.ownerUid, -1);
    this.podsWithAffinity.delete(uid);
    this.podsWithRequiredAntiAffinity.delete(uid);
    return true;
  }

  /** Whether a wanted host port clashes with one in use: same protocol and port, and either IP is a wildcard or they are equal. */
  portInUse(want: HostPort): boolean {
    if (this.usedPorts.size === 0) return false;
    if (want.hostIP === '0.0.0.0') {
      const suffix = `/${want.port}`;
      const prefix = `${want.protocol}/`;
      for (const k of this.usedPorts.keys()) if (k.startsWith(prefix) && k.endsWith(suffix)) return true;
      return false;
    }
    return (
      this.usedPorts.has(portKey(want.protocol, want.hostIP, want.port)) ||
      this.usedPorts.has(portKey(want.protocol, '0.0.0.0', want.port))
    );
  }
}

function bump(m: Map<string, number>, key: string, by: number): void {
  const n = (m.get(key) ?? 0) + by;
  if (n <= 0) m.delete(key);
  else m.set(key, n);
}
