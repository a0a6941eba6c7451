// The kubelet's node-pressure eviction, its pure part (pkg/kubelet/eviction: helpers.go): eviction
// signals and thresholds as the kubelet's flags spell them, which thresholds an observation meets (soft
// ones only after their grace period), the node conditions they raise (held for the pressure transition
// period after the last pressure, so a node does not flap), the order in which pods are evicted, and the
// messages kube writes. Table-tested; manager.ts runs it.
import type { Pod } from 'kubernetes-types/core/v1';
import { qosClass } from '../../lib/api/pod';
import { formatQuantity, value } from '../../lib/api/quantity';
import { parseDuration } from '../../lib/api/duration';

export type Signal = 'memory.available' | 'nodefs.available' | 'nodefs.inodesFree' | 'pid.available';
export const Signals: readonly Signal[] = ['memory.available', 'nodefs.available', 'nodefs.inodesFree', 'pid.available'];

export type Pressure = 'MemoryPressure' | 'DiskPressure' | 'PIDPressure';

/** The node condition a signal's threshold raises. */
export const PressureOf: Record<Signal, Pressure> = {
  'memory.available': 'MemoryPressure',
  'nodefs.available': 'DiskPressure',
  'nodefs.inodesFree': 'DiskPressure',
  'pid.available': 'PIDPressure',
};

/** The resource a signal's evictions reclaim, as kube's messages name it. */
const ResourceOf: Record<Signal, string> = {
  'memory.available': 'memory',
  'nodefs.available': 'ephemeral-storage',
  'nodefs.inodesFree': 'inodes',
  'pid.available': 'pids',
};

export interface Threshold {
  signal: Signal;
  /** An absolute quantity (bytes, inodes, PIDs) or a share of the capacity. */
  quantity?: number;
  percentage?: number;
  /** Soft thresholds only: how long it must hold before pods are evicted. */
  gracePeriodMs?: number;
  hard: boolean;
}

/** One observation of a signal: what is available of what capacity. */
export interface Observation {
  available: number;
  capacity: number;
}

export type Observations = Partial<Record<Signal, Observation>>;

/** The kubelet's default --eviction-hard on Linux (imagefs is steer's nodefs: one filesystem). */
export const DefaultEvictionHard = 'memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%';

/**
 * Parses `--eviction-hard` / `--eviction-soft`: `signal<quantity` or `signal<N%`, comma-separated;
 * soft thresholds need a grace period (`--eviction-soft-grace-period signal=duration,…`).
 */
export function parseThresholds(text: string, hard: boolean, graceText = ''): Threshold[] {
  const grace = new Map<string, number>();
  for (const part of graceText.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [signal, duration] = part.split('=');
    if (!Signals.includes(signal as Signal)) throw new Error(`unknown eviction signal ${JSON.stringify(signal)} in grace periods (known: ${Signals.join(', ')})`);
    grace.set(signal, parseDuration(duration ?? '', 's'));
  }
  const out: Threshold[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-zA-Z.]+)<(.+)$/.exec(part);
    if (!m) throw new Error(`invalid eviction threshold ${JSON.stringify(part)}: want signal<quantity or signal<N%`);
    const signal = m[1] as Signal;
    if (!Signals.includes(signal)) throw new Error(`unknown eviction signal ${JSON.stringify(m[1])} (known: ${Signals.join(', ')})`);
    const t: Threshold = { signal, hard };
    if (m[2].endsWith('%')) {
      const pct = Number(m[2].slice(0, -1));
      if (!Number.isFinite(pct) || pct < 0 || pct > 100) throw new Error(`invalid eviction threshold ${JSON.stringify(part)}: a percentage between 0 and 100`);
      t.percentage = pct / 100;
    } else {
      try {
        t.quantity = value(m[2]);
      } catch {
        throw new Error(`invalid eviction threshold ${JSON.stringify(part)}: ${JSON.stringify(m[2])} is not a quantity`);
      }
    }
    if (!hard) {
      const g = grace.get(signal);
      if (g === undefined) throw new Error(`soft eviction threshold for ${signal} needs a grace period (--eviction-soft-grace-period ${signal}=1m30s)`);
      t.gracePeriodMs = g;
    }
    out.push(t);
  }
  return out;
}

/** The threshold's value against a capacity. */
export function thresholdValue(t: Threshold, capacity: number): number {
  return t.quantity ?? Math.round((t.percentage ?? 0) * capacity);
}

/** Thresholds the observations cross now (available below the threshold), grace periods aside. */
export function crossed(thresholds: Threshold[], obs: Observations): Threshold[] {
  return thresholds.filter((t) => {
    const o = obs[t.signal];
    return o !== undefined && o.available < thresholdValue(t, o.capacity);
  });
}

function key(t: Threshold): string {
  return `${t.hard ? 'hard' : 'soft'}/${t.signal}`;
}

/**
 * The eviction manager's memory between observations: since when each threshold has been crossed
 * (soft ones act after their grace period), and when each pressure was last seen (conditions stay
 * for the transition period).
 */
export class ThresholdState {
  private readonly firstCrossed = new Map<string, number>();
  private readonly lastPressure = new Map<Pressure, number>();

  constructor(private readonly transitionPeriodMs: number) {}

  /** Records an observation; returns the thresholds that are met (crossed, and past any grace). */
  observe(thresholds: Threshold[], obs: Observations, now: number): Threshold[] {
    const now_ = crossed(thresholds, obs);
    const keys = new Set(now_.map(key));
    for (const k of [...this.firstCrossed.keys()]) if (!keys.has(k)) this.firstCrossed.delete(k);
    for (const t of now_) {
      if (!this.firstCrossed.has(key(t))) this.firstCrossed.set(key(t), now);
      this.lastPressure.set(PressureOf[t.signal], now);
    }
    return now_.filter((t) => t.hard || now - this.firstCrossed.get(key(t))! >= (t.gracePeriodMs ?? 0));
  }

  /** The node's pressure conditions now: raised by a crossed threshold, held for the transition period. */
  pressures(now: number): Set<Pressure> {
    const out = new Set<Pressure>();
    for (const [p, at] of this.lastPressure) if (now - at < this.transitionPeriodMs || now === at) out.add(p);
    return out;
  }
}

/** What the eviction ranking knows of a pod. */
export interface PodCandidate {
  pod: Pod;
  /** Memory working set of its containers, by name (absent: not known). */
  memoryByContainer: Map<string, number>;
}

const SystemCriticalPriority = 2_000_000_000;

/** kube's IsCriticalPod: static and mirror pods, and pods of system-critical priority, are never evicted. */
export function isCriticalPod(pod: Pod): boolean {
  if (pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) return true;
  return (pod.spec?.priority ?? 0) >= SystemCriticalPriority;
}

function memoryRequest(pod: Pod): number {
  let sum = 0;
  for (const c of pod.spec?.containers ?? []) {
    const r = c.resources?.requests?.memory;
    if (r !== undefined) sum += value(r);
  }
  return sum;
}

function memoryUsage(c: PodCandidate): number {
  let sum = 0;
  for (const v of c.memoryByContainer.values()) sum += v;
  return sum;
}

const qosOrder = { BestEffort: 0, Burstable: 1, Guaranteed: 2 } as const;

/**
 * The pods in the order they are evicted for a signal (kube's rankMemoryPressure: usage above requests
 * first, then lower priority, then the larger excess; for disk and PIDs, whose per-pod usage steer does
 * not measure: lower priority, then lower QoS, then the newest). Critical pods are left out.
 */
export function rankForEviction(signal: Signal, pods: PodCandidate[]): PodCandidate[] {
  const priority = (c: PodCandidate) => c.pod.spec?.priority ?? 0;
  const eligible = pods.filter((c) => !isCriticalPod(c.pod));
  if (signal === 'memory.available') {
    const excess = (c: PodCandidate) => memoryUsage(c) - memoryRequest(c.pod);
    return eligible.sort((a, b) => Number(excess(b) > 0) - Number(excess(a) > 0) || priority(a) - priority(b) || excess(b) - excess(a));
  }
  const created = (c: PodCandidate) => Date.parse(c.pod.status?.startTime ?? c.pod.metadata?.creationTimestamp ?? '') || 0;
  return eligible.sort((a, b) => priority(a) - priority(b) || qosOrder[qosClass(a.pod.spec)] - qosOrder[qosClass(b.pod.spec)] || created(b) - created(a));
}

function quantityText(bytesOrCount: number, signal: Signal): string {
  return signal === 'memory.available' || signal === 'nodefs.available' ? formatQuantity(`${Math.max(0, Math.round(bytesOrCount / 1024))}Ki`) : String(Math.max(0, Math.round(bytesOrCount)));
}

/**
 * kube's evictionMessage: "The node was low on resource: memory. Threshold quantity: 100Mi, available:
 * 51200Ki. Container app was using 210Mi, request is 0, has larger consumption of memory. "
 */
export function evictionMessage(t: Threshold, obs: Observation, c: PodCandidate): string {
  const resource = ResourceOf[t.signal];
  let msg = `The node was low on resource: ${resource}. Threshold quantity: ${quantityText(thresholdValue(t, obs.capacity), t.signal)}, available: ${quantityText(obs.available, t.signal)}. `;
  if (t.signal === 'memory.available') {
    for (const container of c.pod.spec?.containers ?? []) {
      const used = c.memoryByContainer.get(container.name);
      if (used === undefined) continue;
      const request = container.resources?.requests?.memory;
      if (used > (request === undefined ? 0 : value(request))) {
        msg += `Container ${container.name} was using ${quantityText(used, t.signal)}, request is ${request ?? '0'}, has larger consumption of ${resource}. `;
      }
    }
  }
  return msg;
}
