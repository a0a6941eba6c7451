// WorkQueue: client-go's rate-limited, delaying work queue. A key is queued at most once (dedupe), and
// never handed to two workers at once: a key added while it is being processed is queued again only
// after done(). addRateLimited re-adds with per-item exponential back-off; forget() resets it.
import type { Registry } from 'prom-client';
import { componentRegistry, counter, gauge, histogram } from '../component/metrics';

/** client-go's workqueue metrics in one registry. */
function queueMetrics(registry: Registry) {
  const buckets = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100];
  return {
    depth: gauge({ name: 'workqueue_depth', help: 'Current depth of the work queue.', labelNames: ['name'] }, registry),
    adds: counter({ name: 'workqueue_adds_total', help: 'Total number of adds handled by the work queue.', labelNames: ['name'] }, registry),
    queueDuration: histogram(
      { name: 'workqueue_queue_duration_seconds', help: 'How long an item stays in the work queue before being requested.', labelNames: ['name'], buckets },
      registry,
    ),
    workDuration: histogram(
      { name: 'workqueue_work_duration_seconds', help: 'How long processing an item from the work queue takes.', labelNames: ['name'], buckets },
      registry,
    ),
    retries: counter({ name: 'workqueue_retries_total', help: 'Total number of retries handled by the work queue.', labelNames: ['name'] }, registry),
  };
}

export interface WorkQueueOptions {
  /** First back-off of addRateLimited (default 5 ms, as client-go). */
  baseDelayMs?: number;
  /** Back-off cap (default 1000 s as client-go; controllers usually pass less). */
  maxDelayMs?: number;
  /** Where its metrics (and those of runWorkers over it) go: its component's registry (default the
   * controller manager's, whose series these are in Kubernetes). */
  registry?: Registry;
}

export class WorkQueue<K = string> {
  private readonly queue: K[] = [];
  private head = 0;
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly addedAt = new Map<K, number>();
  private readonly startedAt = new Map<K, number>();
  private readonly failures = new Map<K, number>();
  private readonly delayed = new Map<K, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: Array<(k: K | undefined) => void> = [];
  private shuttingDown = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  readonly registry: Registry;
  private readonly metrics: ReturnType<typeof queueMetrics>;

  constructor(
    readonly name: string,
    opts: WorkQueueOptions = {},
  ) {
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 1_000_000;
    this.registry = opts.registry ?? componentRegistry('controllers');
    this.metrics = queueMetrics(this.registry);
  }

  add(key: K): void {
    if (this.shuttingDown) return;
    if (this.dirty.has(key)) return;
    this.metrics.adds.inc({ name: this.name });
    this.dirty.add(key);
    this.addedAt.set(key, performance.now());
    // Being processed: done() will queue it again, so no worker ever holds a key twice.
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds the key after a delay; a later, earlier-due addAfter for the same key wins. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    timer.unref?.();
    this.delayed.set(key, { at, timer });
  }

  /** Re-adds the key after its per-item exponential back-off (base · 2^failures, capped). */
  addRateLimited(key: K): void {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.metrics.retries.inc({ name: this.name });
    this.addAfter(key, this.backoffFor(n));
  }

  backoffFor(failures: number): number {
    return Math.min(this.baseDelayMs * Math.pow(2, Math.min(failures, 40)), this.maxDelayMs);
  }

  /** Clears the key's back-off history (call after a successful reconcile). */
  forget(key: K): void {
    this.failures.delete(key);
  }

  numRequeues(key: K): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key to process; waits for one. undefined once the queue is shut down and drained. */
  get(): Promise<K | undefined> {
    if (this.len() > 0) return Promise.resolve(this.take());
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks the key processed; if it was re-added meanwhile, it is queued again now. */
  done(key: K): void {
    const started = this.startedAt.get(key);
    if (started !== undefined) {
      this.metrics.workDuration.observe({ name: this.name }, (performance.now() - started) / 1000);
      this.startedAt.delete(key);
    }
    this.processing.delete(key);
    if (this.dirty.has(key)) this.push(key);
  }

  len(): number {
    return this.queue.length - this.head;
  }

  /** Keys with per-key state of any kind (queued, processing, delayed, failure counts): a gone key must not stay. */
  tracked(): number {
    return new Set<K>([...this.dirty, ...this.processing, ...this.addedAt.keys(), ...this.startedAt.keys(), ...this.failures.keys(), ...this.delayed.keys()]).size;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Stops accepting keys; waiting get() calls resolve undefined. Queued keys can still be drained. */
  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private push(key: K): void {
    const w = this.waiters.shift();
    if (w) {
      // Hand it straight to a waiting worker.
      this.queue.push(key);
      this.metrics.depth.inc({ name: this.name });
      w(this.take());
      return;
    }
    this.queue.push(key);
    this.metrics.depth.inc({ name: this.name });
  }

  private take(): K {
    const key = this.queue[this.head++];
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.metrics.depth.dec({ name: this.name });
    this.processing.add(key);
    this.dirty.delete(key);
    const added = this.addedAt.get(key);
    if (added !== undefined) {
      this.metrics.queueDuration.observe({ name: this.name }, (performance.now() - added) / 1000);
      this.addedAt.delete(key);
    }
    this.startedAt.set(key, performance.now());
    return key;
  }
}
