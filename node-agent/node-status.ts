// The Node object the agent registers and keeps current (kubelet_node_status.go), and its Lease
// heartbeat in kube-node-lease. Host facts come from the os module and /proc; the runtime's name and
// version from CRI Version, its readiness from CRI Status.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Node, NodeCondition, NodeStatus } from 'kubernetes-types/core/v1';
import type { Lease } from 'kubernetes-types/coordination/v1';
import { isAlreadyExists, isConflict, isNotFound, KubeClient } from '../lib/client/client';
import { Resources } from '../lib/api/resources';
import type { ContainerRuntime, RuntimeStatus, RuntimeVersion } from './runtime/runtime';
import { rfc3339, microTime } from '../lib/api/time';

export const KUBELET_VERSION = 'v1.30.0-steer';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeFacts {
  nodeName: string;
  address: string;
  port: number;
  cpu: number;
  memoryBytes: number;
  maxPods: number;
  ephemeralStorageBytes: number;
  labels: Record<string, string>;
  machineID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  architecture: string;
  /** The node's pod CIDR (spec.podCIDR/podCIDRs), when the agent was given one (--pod-cidr). */
  podCIDR?: string;
  /** Annotations the agent keeps on its Node (the local-path root, steer.io/local-path-root). */
  annotations?: Record<string, string>;
}

function readFirst(paths: string[]): string {
  for (const p of paths) {
    try {
      const v = fs.readFileSync(p, 'utf8').trim();
      if (v) return v;
    } catch {
      /* next */
    }
  }
  return '';
}

function osImage(): string {
  const text = readFirst(['/etc/os-release']);
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text);
  return m ? m[1] : `${os.type()} ${os.release()}`;
}

/** The first non-internal IPv4 address of the host, else 127.0.0.1. */
export function defaultNodeAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list || []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export function hostFacts(nodeName: string, o: { address?: string; port: number; maxPods?: number; stateDir?: string }): NodeFacts {
  let storage = 0;
  try {
    const st = fs.statfsSync(o.stateDir || '/');
    storage = st.blocks * st.bsize;
  } catch {
    /* unknown */
  }
  const arch = os.arch() === 'x64' ? 'amd64' : os.arch();
  return {
    nodeName,
    address: o.address || defaultNodeAddress(),
    port: o.port,
    cpu: os.cpus().length,
    memoryBytes: os.totalmem(),
    maxPods: o.maxPods ?? 110,
    ephemeralStorageBytes: storage,
    labels: {},
    machineID: readFirst(['/etc/machine-id', '/var/lib/dbus/machine-id']),
    bootID: readFirst(['/proc/sys/kernel/random/boot_id']),
    kernelVersion: os.release(),
    osImage: osImage(),
    architecture: arch,
  };
}

function cond(type: string, ok: boolean, reason: string, message: string, now: number, old?: NodeCondition[]): NodeCondition {
  const status = ok ? 'True' : 'False';
  const prev = old?.find((c) => c.type === type);
  return {
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: rfc3339(now),
    lastTransitionTime: prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(now),
  };
}

/** The node conditions the eviction manager raises, with the kubelet's reasons and messages. */
const PressureConditions = [
  { type: 'MemoryPressure', no: ['KubeletHasSufficientMemory', 'kubelet has sufficient memory available'], yes: ['KubeletHasInsufficientMemory', 'kubelet has insufficient memory available'] },
  { type: 'DiskPressure', no: ['KubeletHasNoDiskPressure', 'kubelet has no disk pressure'], yes: ['KubeletHasDiskPressure', 'kubelet has disk pressure'] },
  { type: 'PIDPressure', no: ['KubeletHasSufficientPID', 'kubelet has sufficient PID available'], yes: ['KubeletHasInsufficientPID', 'kubelet has insufficient PID available'] },
] as const;

export function nodeStatus(f: NodeFacts, rv: RuntimeVersion, rs: RuntimeStatus, now: number, old?: NodeStatus, pressures: ReadonlySet<string> = new Set()): NodeStatus {
  const ready = rs.runtimeReady && rs.networkReady;
  const resources = {
    cpu: String(f.cpu),
    memory: `${Math.floor(f.memoryBytes / 1024)}Ki`,
    pods: String(f.maxPods),
    'ephemeral-storage': `${Math.floor(f.ephemeralStorageBytes / 1024)}Ki`,
  };
  const readyMessage = ready
    ? 'kubelet is posting ready status'
    : `container runtime not ready: RuntimeReady=${rs.runtimeReady} NetworkReady=${rs.networkReady}${rs.message ? `: ${rs.message}` : ''}`;
  return {
    capacity: resources,
    allocatable: { ...resources },
    conditions: [
      ...PressureConditions.map((p) => {
        const on = pressures.has(p.type);
        const [reason, message] = on ? p.yes : p.no;
        return cond(p.type, on, reason, message, now, old?.conditions);
      }),
      cond('Ready', ready, ready ? 'KubeletReady' : 'KubeletNotReady', readyMessage, now, old?.conditions),
    ],
    addresses: [
      { type: 'InternalIP', address: f.address },
      { type: 'Hostname', address: f.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: f.port } },
    nodeInfo: {
      machineID: f.machineID,
      systemUUID: f.machineID,
      bootID: f.bootID,
      kernelVersion: f.kernelVersion,
      osImage: f.osImage,
      containerRuntimeVersion: `${rv.runtimeName}://${rv.runtimeVersion}`,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: f.architecture,
    },
  };
}

export function nodeObject(f: NodeFacts, status: NodeStatus): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: f.nodeName,
      labels: {
        'kubernetes.io/hostname': f.nodeName,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': f.architecture,
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': f.architecture,
        ...f.labels,
      },
      ...(f.annotations ? { annotations: { ...f.annotations } } : {}),
    },
    spec: f.podCIDR ? { podCIDR: f.podCIDR, podCIDRs: [f.podCIDR] } : {},
    status,
  };
}

/** The status fields that matter for "did it change" (heartbeat times excluded). */
export function statusFingerprint(s: NodeStatus): string {
  return JSON.stringify({
    ...s,
    conditions: (s.conditions || []).map((c) => ({ type: c.type, status: c.status, reason: c.reason, message: c.message })),
  });
}

/** Creates the Node or, when it exists, takes it over; returns the Node as stored. */
export async function registerNode(client: KubeClient, node: Node): Promise<Node> {
  try {
    const created = await client.create<Node>(Resources.nodes, undefined, node);
    // Some servers drop status on create: write it through the status subresource.
    return await client.update<Node>(Resources.nodes, { ...created, status: node.status }, 'status');
  } catch (err) {
    if (!isAlreadyExists(err) && !isConflict(err)) throw err;
  }
  const existing = await client.get<Node>(Resources.nodes, undefined, node.metadata!.name!);
  const labels = { ...(existing.metadata?.labels || {}), ...(node.metadata?.labels || {}) };
  // A pod CIDR given to the agent wins over a stale one (the routes of every node follow it).
  const podCIDR = node.spec?.podCIDR;
  const spec = podCIDR && existing.spec?.podCIDR !== podCIDR ? { spec: { podCIDR, podCIDRs: [podCIDR] } } : {};
  const annotations = node.metadata?.annotations ? { annotations: node.metadata.annotations } : {};
  const merged = await client.patch<Node>(Resources.nodes, undefined, node.metadata!.name!, { metadata: { labels, ...annotations }, ...spec }, 'merge');
  return client.update<Node>(Resources.nodes, { ...merged, status: node.status }, 'status');
}

/** Writes the node's status (retrying once on a conflict with the latest resourceVersion). */
export async function updateNodeStatus(client: KubeClient, name: string, status: NodeStatus): Promise<Node> {
  for (let i = 0; ; i++) {
    const cur = await client.get<Node>(Resources.nodes, undefined, name);
    try {
      return await client.update<Node>(Resources.nodes, { ...cur, status: { ...cur.status, ...status } }, 'status');
    } catch (err) {
      if (!isConflict(err) || i >= 3) throw err;
    }
  }
}

/**
 * Registers the Node and keeps its status current: sent when it changed (heartbeat times aside), and
 * at least every reportIntervalMs, so the node lifecycle controller sees a fresh heartbeat.
 */
export class NodeStatusManager {
  private runtimeVersion: RuntimeVersion = { runtimeName: 'unknown', runtimeVersion: '', runtimeApiVersion: '' };
  private lastStatus?: NodeStatus;
  private lastFingerprint = '';
  private lastReport = 0;
  private paused = false;
  /** The pressure conditions now (the eviction manager's; none without it). */
  pressures: () => ReadonlySet<string> = () => new Set();

  constructor(
    private readonly client: KubeClient,
    private readonly runtime: ContainerRuntime,
    private readonly facts: NodeFacts,
    private readonly reportIntervalMs: number,
  ) {}

  /** The runtime's name as CRI Version gave it at registration ('containerd', 'fake'). */
  get runtimeName(): string {
    return this.runtimeVersion.runtimeName;
  }

  /** Creates (or takes over) the Node with its first status; returns the Node as stored. */
  async register(): Promise<Node> {
    this.runtimeVersion = await this.runtime.version();
    const node = await registerNode(this.client, nodeObject(this.facts, await this.compute()));
    this.lastFingerprint = statusFingerprint(node.status || {});
    this.lastReport = Date.now();
    return node;
  }

  /** Stops (or resumes) status updates, e.g. to simulate a silent node. */
  pause(paused: boolean): void {
    this.paused = paused;
  }

  /** Sends the status when it changed, or when the report interval is up, or when forced. */
  async sync(force = false): Promise<void> {
    if (this.paused) return;
    const s = await this.compute();
    const fp = statusFingerprint(s);
    const due = Date.now() - this.lastReport >= this.reportIntervalMs;
    if (!force && !due && fp === this.lastFingerprint) return;
    await updateNodeStatus(this.client, this.facts.nodeName, s);
    this.lastFingerprint = fp;
    this.lastReport = Date.now();
  }

  private async compute(): Promise<NodeStatus> {
    let rs: RuntimeStatus;
    try {
      rs = await this.runtime.status();
    } catch (err) {
      rs = { runtimeReady: false, networkReady: false, message: (err as Error).message };
    }
    const s = nodeStatus(this.facts, this.runtimeVersion, rs, Date.now(), this.lastStatus, this.pressures());
    this.lastStatus = s;
    return s;
  }
}

/** Keeps kube-node-lease/<node> renewed: the node controller's liveness signal for the node. */
export class LeaseHeartbeat {
  private timer?: NodeJS.Timeout;
  private lease?: Lease;
  private stopped = true;
  renewals = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly nodeName: string,
    private readonly o: { durationSeconds: number; renewIntervalMs: number; nodeUid?: string; onError?: (err: unknown) => void },
  ) {}

  start(): Promise<void> {
    this.stopped = false;
    return this.renew().then(() => this.schedule());
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The Node's uid, for the Lease's ownerReference (so the Lease goes when the Node does). */
  setOwner(nodeUid: string): void {
    this.o.nodeUid = nodeUid;
  }

  isRunning(): boolean {
    return !this.stopped;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.renew()
        .catch((err) => this.o.onError?.(err))
        .finally(() => this.schedule());
    }, this.o.renewIntervalMs);
    this.timer.unref?.();
  }

  async renew(): Promise<void> {
    const now = Date.now();
    const spec = { holderIdentity: this.nodeName, leaseDurationSeconds: this.o.durationSeconds, renewTime: microTime(now) };
    if (this.lease) {
      try {
        this.lease = await this.client.update<Lease>(Resources.leases, { ...this.lease, spec: { ...this.lease.spec, ...spec } });
        this.renewals++;
        return;
      } catch (err) {
        if (!isConflict(err) && !isNotFound(err)) throw err;
        this.lease = undefined; // re-read below
      }
    }
    try {
      const cur = await this.client.get<Lease>(Resources.leases, NODE_LEASE_NAMESPACE, this.nodeName);
      this.lease = await this.client.update<Lease>(Resources.leases, { ...cur, spec: { ...cur.spec, ...spec } });
      this.renewals++;
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.nodeName,
        namespace: NODE_LEASE_NAMESPACE,
        ...(this.o.nodeUid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: this.o.nodeUid }] } : {}),
      },
      spec: { ...spec, acquireTime: microTime(now) },
    };
    try {
      this.lease = await this.client.create<Lease>(Resources.leases, NODE_LEASE_NAMESPACE, lease);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      // The namespace does not exist yet (a fresh apiserver may not create it): create it, then retry.
      await this.client
        .create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NODE_LEASE_NAMESPACE } })
        .catch((e) => {
          if (!isAlreadyExists(e) && !isConflict(e)) throw e;
        });
      this.lease = await this.client.create<Lease>(Resources.leases, NODE_LEASE_NAMESPACE, lease);
    }
    this.renewals++;
  }
}
