// Per-key exponential back-off with kubelet's semantics (its flowcontrol.Backoff): the first restart
// after a crash is immediate; while a key keeps failing its delay doubles from `initialMs` up to
// `maxMs`; an entry whose last failure is older than `resetAfterMs` (default 2 × max = 10 min) starts
// over. Time is always passed in, so the logic is testable without timers.

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  resetAfterMs?: number;
}

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly resetAfterMs: number;
  private readonly entries = new Map<string, Entry>();

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 10_000;
    this.maxMs = opts.maxMs ?? 300_000;
    this.resetAfterMs = opts.resetAfterMs ?? 2 * this.maxMs;
  }

  /** Records a failure at eventTime (the container's finishedAt) and returns the new delay. */
  next(key: string, eventTime: number): number {
    const e = this.entries.get(key);
    if (!e || this.expired(e, eventTime)) {
      this.entries.set(key, { delayMs: this.initialMs, lastUpdate: eventTime });
      return this.initialMs;
    }
    e.delayMs = Math.min(e.delayMs * 2, this.maxMs);
    e.lastUpdate = eventTime;
    return e.delayMs;
  }

  /** Milliseconds still to wait after a failure at eventTime, or 0 when a restart may go ahead. */
  remaining(key: string, eventTime: number, now: number): number {
    const e = this.entries.get(key);
    if (!e || this.expired(e, eventTime)) return 0;
    return Math.max(0, e.delayMs - (now - eventTime));
  }

  /** The current delay for key (0 if none): shown in CrashLoopBackOff messages. */
  delay(key: string): number {
    return this.entries.get(key)?.delayMs ?? 0;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Drops entries whose keys start with prefix (a deleted pod's `uid/`). */
  deletePrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  /** Drops expired entries. */
  gc(now: number): void {
    for (const [k, e] of this.entries) if (this.expired(e, now)) this.entries.delete(k);
  }

  size(): number {
    return this.entries.size;
  }

  private expired(e: Entry, eventTime: number): boolean {
    return eventTime - e.lastUpdate > this.resetAfterMs;
  }
}
