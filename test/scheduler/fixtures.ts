// Builders for the Node and Pod objects the scheduler tests use.
import type { Affinity, Node, Pod, Taint, Toleration, TopologySpreadConstraint } from 'kubernetes-types/core/v1';
import { NodeInfo } from '../../scheduler/framework/node-info';
import { newPodInfo, PodInfo } from '../../scheduler/framework/pod-info';

export interface NodeSpec {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  ready?: boolean;
}

export function makeNode(name: string, s: NodeSpec = {}): Node {
  const allocatable = { cpu: s.cpu ?? '4', memory: s.memory ?? '8Gi', pods: s.pods ?? '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...s.labels } },
    spec: { taints: s.taints, unschedulable: s.unschedulable },
    status: {
      capacity: allocatable,
      allocatable,
      conditions: [{ type: 'Ready', status: s.ready === false ? 'False' : 'True', reason: 'KubeletReady' }],
    },
  };
}

export interface PodSpecOptions {
  namespace?: string;
  cpu?: string;
  memory?: string;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: Affinity;
  hostPorts?: number[];
  ownerUid?: string;
  /** The controlling ReplicaSet's name (default "rs"). */
  ownerName?: string;
  priority?: number;
  topologySpreadConstraints?: TopologySpreadConstraint[];
  deleting?: boolean;
  schedulerName?: string;
  labels?: Record<string, string>;
}

let uidCounter = 0;

export function makePod(name: string, s: PodSpecOptions = {}): Pod {
  const requests: Record<string, string> = {};
  if (s.cpu) requests.cpu = s.cpu;
  if (s.memory) requests.memory = s.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: s.namespace ?? 'default',
      uid: `uid-${name}-${++uidCounter}`,
      labels: s.labels,
      ownerReferences: s.ownerUid
        ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: s.ownerName ?? 'rs', uid: s.ownerUid, controller: true }]
        : undefined,
      deletionTimestamp: s.deleting ? '2026-01-01T00:00:00Z' : undefined,
    },
    spec: {
      nodeName: s.nodeName,
      nodeSelector: s.nodeSelector,
      tolerations: s.tolerations,
      affinity: s.affinity,
      topologySpreadConstraints: s.topologySpreadConstraints,
      priority: s.priority,
      schedulerName: s.schedulerName,
      containers: [
        {
          name: 'c',
          image: 'busybox',
          resources: Object.keys(requests).length ? { requests } : undefined,
          ports: s.hostPorts?.map((p) => ({ containerPort: p, hostPort: p })),
        },
      ],
    },
  };
}

export function nodeInfo(name: string, s: NodeSpec = {}, pods: Pod[] = []): NodeInfo {
  const n = new NodeInfo(makeNode(name, s));
  for (const p of pods) n.addPod(newPodInfo(p));
  return n;
}

export function podInfo(name: string, s: PodSpecOptions = {}): PodInfo {
  return newPodInfo(makePod(name, s));
}
