// Node lifecycle controller, after Kubernetes' node lifecycle + taint eviction controllers, with their
// defaults. Node agents renew a Lease in kube-node-lease (every 10 s); a node whose Lease (or Ready
// heartbeat) has not moved for the grace period (40 s) is marked Ready=Unknown (all conditions Unknown) and tainted
// node.kubernetes.io/unreachable:NoExecute. Pods on it that do not tolerate the taint are deleted at
// once (after their tolerationSeconds if they tolerate it for a while) with gracePeriodSeconds 0, since
// the node cannot confirm a graceful stop; their ReplicaSets then replace them on healthy nodes. When the
// Lease renews again, the taint is removed and the conditions put back. A node's MemoryPressure,
// DiskPressure and PIDPressure conditions (the agent's eviction manager) become NoSchedule taints
// (kube's TaintNodesByCondition), which keep new pods off the node.
// When every node is silent at once (none heard from for half the grace period), the control plane is
// the likelier culprit (the apiserver was down or unreachable, so no heartbeat could land): as Kubernetes
// does in full disruption, nothing is marked or evicted, and once heartbeats are seen again every node
// gets a fresh grace period.
import type { Lease } from 'kubernetes-types/coordination/v1';
import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1';
import { isNotFound } from '../lib/client/client';
import type { Controller, ControllerContext } from '../lib/client/controller';
import type { Informer } from '../lib/client/informer';
import { Resources } from '../lib/api/resources';
import { rfc3339 } from '../lib/api/time';
import { toleratesTaint } from '../lib/api/tolerations';
import { disruptionTarget, podStatusPatch } from '../lib/api/pod';

export const UnreachableTaintKey = 'node.kubernetes.io/unreachable';
export const DEFAULT_NODE_MONITOR_GRACE_PERIOD_SECONDS = 40;
export const DEFAULT_NODE_MONITOR_PERIOD_MS = 5_000;
const UnknownReason = 'NodeStatusUnknown';

export interface NodeLifecycleOptions {
  /**
   * How long a node may go without renewing its Lease before it is unreachable (default 40 s, Kubernetes'
   * --node-monitor-grace-period; four of the agent's 10 s renewals). A lost node is marked and its pods
   * evicted 40 s after its last renewal at the earliest, 45 s (one monitor period more) at the latest.
   */
  nodeMonitorGracePeriodSeconds?: number;
  /** How often every node is checked (default 5 s, Kubernetes' --node-monitor-period). */
  nodeMonitorPeriodMs?: number;
  now?: () => number;
}

/**
 * When a pod on a node with this NoExecute taint must go: 'now', a time in ms, or 'never' (tolerated
 * without a time limit). With several matching tolerations the shortest tolerationSeconds wins.
 */
export function evictionTime(pod: Pod, taint: Taint, addedMs: number): number | 'now' | 'never' {
  const matching = (pod.spec?.tolerations || []).filter((t) => toleratesTaint(t, taint));
  if (matching.length === 0) return 'now';
  const limited = matching.filter((t) => t.tolerationSeconds !== undefined && t.tolerationSeconds !== null);
  if (limited.length === 0) return 'never';
  const secs = Math.min(...limited.map((t) => Math.max(0, t.tolerationSeconds as number)));
  return secs <= 0 ? 'now' : addedMs + secs * 1000;
}

/** The node's conditions, all Unknown, as Kubernetes writes them for a silent node. */
export function unknownConditions(node: Node, nowMs: number): NodeCondition[] {
  const conds = node.status?.conditions?.length ? node.status.conditions : [{ type: 'Ready', status: 'Unknown' } as NodeCondition];
  return conds.map((c) =>
    c.status === 'Unknown' && c.reason === UnknownReason
      ? c
      : {
          ...c,
          status: 'Unknown',
          reason: UnknownReason,
          message: 'Kubelet stopped posting node status.',
          lastTransitionTime: rfc3339(nowMs),
        },
  );
}

export function isMarkedUnknown(node: Node): boolean {
  const ready = (node.status?.conditions || []).find((c) => c.type === 'Ready');
  return ready?.status === 'Unknown' && ready.reason === UnknownReason;
}

/** kube's TaintNodesByCondition for the pressure conditions the node agent reports: NoSchedule taints. */
export const PressureTaintKeys: Record<string, string> = {
  MemoryPressure: 'node.kubernetes.io/memory-pressure',
  DiskPressure: 'node.kubernetes.io/disk-pressure',
  PIDPressure: 'node.kubernetes.io/pid-pressure',
};

/**
 * The node's taints with the pressure taints following its conditions (a True condition adds its
 * NoSchedule taint, anything else removes it), or undefined when they already do.
 */
export function pressureTaintsUpdate(node: Node, nowMs: number): Taint[] | undefined {
  const taints = node.spec?.taints ?? [];
  const conditions = node.status?.conditions ?? [];
  let changed = false;
  const next = taints.filter((t) => {
    const condition = Object.keys(PressureTaintKeys).find((c) => PressureTaintKeys[c] === t.key);
    if (!condition || t.effect !== 'NoSchedule') return true;
    const keep = conditions.some((c) => c.type === condition && c.status === 'True');
    if (!keep) changed = true;
    return keep;
  });
  for (const [condition, key] of Object.entries(PressureTaintKeys)) {
    if (!conditions.some((c) => c.type === condition && c.status === 'True')) continue;
    if (next.some((t) => t.key === key && t.effect === 'NoSchedule')) continue;
    next.push({ key, effect: 'NoSchedule', timeAdded: rfc3339(nowMs) });
    changed = true;
  }
  return changed ? next : undefined;
}

export function unreachableTaint(node: Node): Taint | undefined {
  return (node.spec?.taints || []).find((t) => t.key === UnreachableTaintKey && t.effect === 'NoExecute');
}

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle';
  private readonly nodes: Informer<Node>;
  private readonly leases: Informer<Lease>;
  private readonly pods: Informer<Pod>;
  private readonly graceMs: number;
  private readonly periodMs: number;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private isStopped = false;
  private busy = false;
  /** node → [last heartbeat seen (lease renewTime / Ready heartbeat), local time it changed]. */
  private readonly probes = new Map<string, [string, number]>();
  /** Conditions a node had before we marked it Unknown, to put back when it comes back. */
  private readonly savedConditions = new Map<string, NodeCondition[]>();
  private readonly evicting = new Set<string>();
  /** Every node was silent at the last pass (Kubernetes' full disruption of every zone). */
  private fullDisruption = false;

  constructor(
    private readonly ctx: ControllerContext,
    opts: NodeLifecycleOptions = {},
  ) {
    this.graceMs = (opts.nodeMonitorGracePeriodSeconds ?? DEFAULT_NODE_MONITOR_GRACE_PERIOD_SECONDS) * 1000;
    this.periodMs = opts.nodeMonitorPeriodMs ?? DEFAULT_NODE_MONITOR_PERIOD_MS;
    this.now = opts.now ?? Date.now;
    this.nodes = ctx.informers.informerFor<Node>(Resources.nodes);
    this.leases = ctx.informers.informerFor<Lease>(Resources.leases, { namespace: 'kube-node-lease' });
    this.pods = ctx.informers.informerFor<Pod>(Resources.pods);
  }

  async start(): Promise<void> {
    this.isStopped = false;
    this.ctx.informers.start();
    await Promise.all([this.nodes.start(), this.leases.start(), this.pods.start()]);
    const tick = async () => {
      if (this.isStopped) return;
      if (!this.busy) {
        this.busy = true;
        try {
          await this.monitor();
        } catch (err) {
          console.error(`node-lifecycle: ${(err as Error)?.message ?? err}`);
        } finally {
          this.busy = false;
        }
      }
      if (!this.isStopped) this.timer = setTimeout(tick, this.periodMs);
    };
    this.timer = setTimeout(tick, this.periodMs);
  }

  stop(): void {
    this.isStopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** The latest heartbeat signal for a node, as an opaque string that changes on every renewal. */
  private heartbeat(node: Node): string {
    const name = node.metadata?.name || '';
    const lease = this.leases.get('kube-node-lease', name);
    const ready = (node.status?.conditions || []).find((c) => c.type === 'Ready');
    return `${lease?.spec?.renewTime ?? ''}|${ready?.lastHeartbeatTime ?? ''}`;
  }

  /** One pass over every node. */
  async monitor(): Promise<void> {
    const now = this.now();
    const seen = new Set<string>();
    const nodes = this.nodes.list();
    for (const node of nodes) {
      const name = node.metadata?.name || '';
      seen.add(name);
      const hb = this.heartbeat(node);
      const probe = this.probes.get(name);
      // Measured on our own clock from when we saw the heartbeat change: immune to clock skew.
      if (!probe || probe[0] !== hb) this.probes.set(name, [hb, now]);
    }
    for (const name of [...this.probes.keys()]) if (!seen.has(name)) this.probes.delete(name);
    const silentFor = (name: string) => now - (this.probes.get(name)?.[1] ?? now);
    const silent = (name: string) => silentFor(name) > this.graceMs;
    // Full disruption: not one node heard from lately. Lately is half the grace period, not all of it:
    // nodes that fell silent together did so up to a renewal interval apart, and the first past the
    // grace period must not be taken for the only one.
    if (nodes.length > 0 && nodes.every((n) => silentFor(n.metadata?.name || '') > this.graceMs / 2)) {
      this.fullDisruption = true;
      return;
    }
    if (this.fullDisruption) {
      // Out of it: heartbeats were held up for everyone alike; the ones not seen again yet get a grace period.
      this.fullDisruption = false;
      for (const [name, [hb]] of this.probes) this.probes.set(name, [hb, now]);
    }
    for (const node of nodes) {
      const name = node.metadata?.name || '';
      if (silent(name)) await this.markUnreachable(node, now);
      else if (unreachableTaint(node) || isMarkedUnknown(node)) await this.markReachable(node);
      else {
        // Pressure taints follow the conditions (in a pass that changed nothing else: the node here
        // would be stale after another patch).
        const taints = pressureTaintsUpdate(node, now);
        if (taints) await this.ignoreNotFound(() => this.ctx.client.patch(Resources.nodes, undefined, name, { spec: { taints: taints.length ? taints : null } }, 'merge'));
      }
      const taint = unreachableTaint(node);
      if (taint) await this.evictPods(node, taint, now);
    }
  }

  private async markUnreachable(node: Node, now: number): Promise<void> {
    const name = node.metadata?.name || '';
    if (!isMarkedUnknown(node)) {
      if (node.status?.conditions?.length) this.savedConditions.set(name, node.status.conditions);
      await this.ignoreNotFound(() => this.ctx.client.patch(Resources.nodes, undefined, name, { status: { conditions: unknownConditions(node, now) } }, 'merge', 'status'));
      this.ctx.recorder.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
    }
    if (!unreachableTaint(node)) {
      const taints = [...(node.spec?.taints || []), { key: UnreachableTaintKey, effect: 'NoExecute', timeAdded: rfc3339(now) }];
      await this.ignoreNotFound(() => this.ctx.client.patch(Resources.nodes, undefined, name, { spec: { taints } }, 'merge'));
    }
  }

  private async markReachable(node: Node): Promise<void> {
    const name = node.metadata?.name || '';
    if (unreachableTaint(node)) {
      const taints = (node.spec?.taints || []).filter((t) => !(t.key === UnreachableTaintKey && t.effect === 'NoExecute'));
      await this.ignoreNotFound(() => this.ctx.client.patch(Resources.nodes, undefined, name, { spec: { taints: taints.length ? taints : null } }, 'merge'));
    }
    const saved = this.savedConditions.get(name);
    if (isMarkedUnknown(node) && saved) {
      // The agent reports fresh conditions soon; until then put back what it last said.
      await this.ignoreNotFound(() => this.ctx.client.patch(Resources.nodes, undefined, name, { status: { conditions: saved } }, 'merge', 'status'));
      this.ctx.recorder.event(node, 'Normal', 'NodeReady', `Node ${name} status is now: NodeReady`);
    }
    this.savedConditions.delete(name);
  }

  private async evictPods(node: Node, taint: Taint, now: number): Promise<void> {
    const added = taint.timeAdded ? Date.parse(taint.timeAdded) : now;
    for (const pod of this.pods.byIndex('nodeName', node.metadata?.name || '')) {
      const when = evictionTime(pod, taint, added);
      if (when === 'never' || (when !== 'now' && when > now)) continue;
      const key = `${pod.metadata?.namespace}/${pod.metadata?.name}/${pod.metadata?.uid}`;
      if (this.evicting.has(key)) continue;
      this.evicting.add(key);
      try {
        // kube's taint manager marks the pod first, so a Job's podFailurePolicy can tell a disruption
        // (DisruptionTarget) from the pod's own failure.
        const patch = podStatusPatch(pod, { condition: disruptionTarget('DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint', rfc3339(now)) });
        if (patch) await this.ctx.client.patch(Resources.pods, pod.metadata?.namespace, pod.metadata?.name || '', patch, 'strategic', 'status');
        await this.ctx.client.delete(Resources.pods, pod.metadata?.namespace, pod.metadata?.name || '', {
          gracePeriodSeconds: 0,
          preconditions: pod.metadata?.uid ? { uid: pod.metadata.uid } : undefined,
        });
        this.ctx.recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${pod.metadata?.namespace}/${pod.metadata?.name}`);
      } catch (err) {
        if (!isNotFound(err)) console.error(`node-lifecycle: evict ${key}: ${(err as Error).message}`);
      } finally {
        this.evicting.delete(key);
      }
    }
  }

  private async ignoreNotFound(fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
