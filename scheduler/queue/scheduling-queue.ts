// The scheduling queue, after kube-scheduler's PriorityQueue: an active queue (ordered by the queue
// sort plugin: priority, then age), a back-off queue for pods that just failed (1 s doubling to 10 s),
// and a set of unschedulable pods that stay put until a cluster event that could help them (a node
// added or changed, a pod deleted) moves them back — plus a slow periodic flush as a safety net. Pods
// are keyed by uid.
import type { ClusterEvent, QueuedPodInfo } from '../framework/types';
import type { PodInfo } from '../framework/pod-info';
import { KeyedHeap } from './heap';

export interface SchedulingQueueOptions {
  /** The queue sort plugin's order. */
  less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A pod left unschedulable this long is retried even without an event. */
  maxUnschedulableMs?: number;
  /** How often the unschedulable set is checked for such pods. */
  unschedulableFlushIntervalMs?: number;
  /** Plugins interested in each cluster event; a pod is moved only if one of its rejecting plugins is. */
  eventPlugins?: Map<ClusterEvent, Set<string>>;
  now?: () => number;
}

interface InFlight {
  latest?: PodInfo; // an update seen while it was being scheduled
  deleted: boolean;
}

export type QueueName = 'active' | 'backoff' | 'unschedulable' | 'gated';

export class SchedulingQueue {
  private readonly active: KeyedHeap<QueuedPodInfo>;
  private readonly backoff: KeyedHeap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  /** Pods with spec.schedulingGates: not scheduled until every gate is removed. */
  private readonly gated = new Map<string, PodInfo>();
  private readonly inFlight = new Map<string, InFlight>();
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly now: () => number;
  private readonly eventPlugins?: Map<ClusterEvent, Set<string>>;
  /** Counts pops; a pod remembers the cycle it was popped in. */
  schedulingCycle = 0;
  /** The cycle during which the last move request arrived. */
  private moveRequestCycle = -1;
  private waiters: Array<() => void> = [];
  private backoffTimer?: NodeJS.Timeout;
  private backoffTimerAt = Infinity;
  private readonly flushTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(opts: SchedulingQueueOptions) {
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 60_000;
    this.now = opts.now ?? Date.now;
    this.eventPlugins = opts.eventPlugins;
    const key = (q: QueuedPodInfo) => q.podInfo.uid;
    this.active = new KeyedHeap(key, opts.less);
    this.backoff = new KeyedHeap(key, (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
    const flushEvery = opts.unschedulableFlushIntervalMs ?? 30_000;
    if (flushEvery > 0) {
      this.flushTimer = setInterval(() => this.flushUnschedulableLeftover(), flushEvery);
      this.flushTimer.unref();
    }
  }

  lengths(): Record<QueueName, number> {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, gated: this.gated.size };
  }

  /** Where a pod is waiting, if it is. */
  whereIs(uid: string): QueueName | undefined {
    if (this.active.has(uid)) return 'active';
    if (this.backoff.has(uid)) return 'backoff';
    if (this.unschedulable.has(uid)) return 'unschedulable';
    if (this.gated.has(uid)) return 'gated';
    return undefined;
  }

  /** A new pending pod. */
  add(podInfo: PodInfo): void {
    if (this.closed) return;
    if (this.inFlight.has(podInfo.uid) || this.whereIs(podInfo.uid)) {
      this.update(podInfo);
      return;
    }
    if (isGated(podInfo)) {
      this.gated.set(podInfo.uid, podInfo);
      return;
    }
    const now = this.now();
    this.active.push({ podInfo, timestamp: now, initialAttemptTimestamp: now, attempts: 0, unschedulablePlugins: new Set() });
    this.wake();
  }

  /**
   * A pending pod changed. A pod waiting as unschedulable is retried at once if its spec or labels
   * changed (that may be what it needed); a status-only change (such as our own PodScheduled
   * condition) leaves it where it is.
   */
  update(podInfo: PodInfo): void {
    const uid = podInfo.uid;
    const flight = this.inFlight.get(uid);
    if (flight) {
      flight.latest = podInfo;
      return;
    }
    if (this.gated.has(uid)) {
      this.gated.delete(uid);
      this.add(podInfo); // gated again, or its last gate is gone: schedule it
      return;
    }
    const inActive = this.active.get(uid);
    if (inActive) {
      inActive.podInfo = podInfo;
      this.active.push(inActive);
      return;
    }
    const inBackoff = this.backoff.get(uid);
    if (inBackoff) {
      inBackoff.podInfo = podInfo;
      return;
    }
    const waiting = this.unschedulable.get(uid);
    if (waiting) {
      const changed = schedulingRelevantChange(waiting.podInfo, podInfo);
      waiting.podInfo = podInfo;
      if (changed) {
        this.unschedulable.delete(uid);
        this.requeue(waiting);
      }
      return;
    }
    this.add(podInfo);
  }

  delete(uid: string): void {
    const flight = this.inFlight.get(uid);
    if (flight) flight.deleted = true;
    this.active.delete(uid);
    this.backoff.delete(uid);
    this.unschedulable.delete(uid);
    this.gated.delete(uid);
  }

  /** Takes the next pod to schedule without waiting; undefined when the active queue is empty. */
  tryPop(): QueuedPodInfo | undefined {
    const q = this.active.pop();
    if (!q) return undefined;
    this.schedulingCycle++;
    q.attempts++;
    this.inFlight.set(q.podInfo.uid, { deleted: false });
    return q;
  }

  /** Resolves when the active queue has a pod (or the queue closed). */
  waitForPod(): Promise<void> {
    if (this.active.size > 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Waits for and takes the next pod; undefined once the queue is closed. */
  async pop(): Promise<QueuedPodInfo | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const q = this.tryPop();
      if (q) return q;
      await this.waitForPod();
    }
  }

  /** The scheduling attempt of a popped pod ended (bound, assumed, or requeued). */
  done(uid: string): void {
    this.inFlight.delete(uid);
  }

  /**
   * A popped pod did not fit. It waits in the unschedulable set — unless a move request arrived while
   * it was being scheduled (the cluster changed under it), then it only backs off.
   */
  addUnschedulable(q: QueuedPodInfo, podSchedulingCycle: number): void {
    if (!this.takeBack(q)) return;
    q.timestamp = this.now();
    if (this.moveRequestCycle >= podSchedulingCycle) this.pushBackoff(q);
    else this.unschedulable.set(q.podInfo.uid, q);
  }

  /** A popped pod failed for another reason (an error, a failed bind): retry after its back-off. */
  addBackoff(q: QueuedPodInfo): void {
    if (!this.takeBack(q)) return;
    q.timestamp = this.now();
    this.pushBackoff(q);
  }

  /** Moves unschedulable pods that the event may help to the active (or back-off) queue. */
  moveAllToActiveOrBackoff(event: ClusterEvent): void {
    const interested = this.eventPlugins?.get(event);
    for (const [uid, q] of this.unschedulable) {
      if (interested && q.unschedulablePlugins.size > 0 && ![...q.unschedulablePlugins].some((p) => interested.has(p))) {
        continue;
      }
      this.unschedulable.delete(uid);
      this.requeue(q);
    }
    this.moveRequestCycle = this.schedulingCycle;
  }

  /** Moves the back-off queue's pods whose back-off has ended to the active queue. */
  flushBackoffCompleted(): void {
    const now = this.now();
    let moved = false;
    for (;;) {
      const head = this.backoff.peek();
      if (!head || this.backoffExpiry(head) > now) break;
      this.backoff.pop();
      this.active.push(head);
      moved = true;
    }
    if (moved) this.wake();
    this.armBackoffTimer();
  }

  /** Retries pods that have waited as unschedulable longer than maxUnschedulableMs. */
  flushUnschedulableLeftover(): void {
    const now = this.now();
    for (const [uid, q] of this.unschedulable) {
      if (now - q.timestamp >= this.maxUnschedulableMs) {
        this.unschedulable.delete(uid);
        this.requeue(q);
      }
    }
  }

  backoffDuration(q: QueuedPodInfo): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < q.attempts && d < this.maxBackoffMs; i++) d *= 2;
    return Math.min(d, this.maxBackoffMs);
  }

  close(): void {
    this.closed = true;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.wake();
  }

  private backoffExpiry(q: QueuedPodInfo): number {
    return q.timestamp + this.backoffDuration(q);
  }

  /** Ends the pod's flight; false if it was deleted meanwhile or already re-added. */
  private takeBack(q: QueuedPodInfo): boolean {
    const flight = this.inFlight.get(q.podInfo.uid);
    this.inFlight.delete(q.podInfo.uid);
    if (this.closed || flight?.deleted || this.whereIs(q.podInfo.uid)) return false;
    if (flight?.latest) q.podInfo = flight.latest;
    return true;
  }

  private requeue(q: QueuedPodInfo): void {
    if (this.backoffExpiry(q) > this.now()) {
      this.pushBackoff(q);
    } else {
      this.active.push(q);
      this.wake();
    }
  }

  private pushBackoff(q: QueuedPodInfo): void {
    this.backoff.push(q);
    this.armBackoffTimer();
  }

  private armBackoffTimer(): void {
    const head = this.backoff.peek();
    if (!head || this.closed) return;
    const at = this.backoffExpiry(head);
    if (this.backoffTimer && this.backoffTimerAt <= at) return;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimerAt = at;
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      this.backoffTimerAt = Infinity;
      this.flushBackoffCompleted();
    }, Math.max(0, at - this.now()));
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Whether the pod still has scheduling gates (spec.schedulingGates). */
export function isGated(p: PodInfo): boolean {
  return (p.pod.spec?.schedulingGates?.length ?? 0) > 0;
}

/** Whether an update changed what scheduling looks at (spec, labels, annotations), not just status. */
export function schedulingRelevantChange(a: PodInfo, b: PodInfo): boolean {
  const pa = a.pod;
  const pb = b.pod;
  return (
    JSON.stringify(pa.spec) !== JSON.stringify(pb.spec) ||
    JSON.stringify(pa.metadata?.labels ?? {}) !== JSON.stringify(pb.metadata?.labels ?? {}) ||
    JSON.stringify(pa.metadata?.annotations ?? {}) !== JSON.stringify(pb.metadata?.annotations ?? {})
  );
}
