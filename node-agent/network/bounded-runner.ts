// kube-proxy's BoundedFrequencyRunner, reduced to what steer's rule syncers need: a sync asked for
// while one runs is merged into one more run after it, and runs start at most once per minIntervalMs,
// so a burst of informer events costs one iptables-restore instead of one each.

export interface BoundedRunnerOptions {
  minIntervalMs: number;
  /** A failed run that was only asked for (not runNow's) is reported here, then run again. */
  onError: (err: Error) => void;
}

export class BoundedRunner {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private dirty = false;
  private lastRunAt = 0;
  private stopped = false;
  /** Requests are ignored until the first runNow: events before it are covered by that run. */
  private enabled = false;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly o: BoundedRunnerOptions,
  ) {}

  /** Whether a run is under way. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Asks for a run: at most once per minIntervalMs, never two at once. */
  request(): void {
    if (this.stopped || !this.enabled) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    if (this.timer) return;
    const wait = Math.max(0, this.lastRunAt + this.o.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run(false);
    }, wait);
  }

  /** Runs now (or joins the run under way) and enables requests; a failure of this run is thrown. */
  runNow(): Promise<void> {
    this.enabled = true;
    return this.run(true);
  }

  private async run(rethrow: boolean): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      this.dirty = true;
      return this.running.catch(() => undefined);
    }
    this.lastRunAt = Date.now();
    this.running = this.work();
    try {
      await this.running;
    } catch (err) {
      if (rethrow) throw err;
      this.o.onError(err as Error);
      this.dirty = true;
    } finally {
      this.running = undefined;
      if (this.dirty && !this.stopped) {
        this.dirty = false;
        this.request();
      }
    }
  }

  /** No more runs; resolves once the one under way (if any) is over. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}

/**
 * The rule syncers' two timers, as kube-proxy has them: a full resync every resyncMs (someone may have
 * changed our rules behind our back) and a cheap check every checkMs that the jumps into our chains are
 * still in place (0: no timer). Returns what stops them.
 */
export function startRuleTimers(o: { resyncMs: number; checkMs: number; resync: () => void; check: () => Promise<unknown>; log: (msg: string) => void }): () => void {
  const timers: NodeJS.Timeout[] = [];
  if (o.resyncMs > 0) timers.push(setInterval(o.resync, o.resyncMs));
  if (o.checkMs > 0) timers.push(setInterval(() => void o.check().catch((err: Error) => o.log(`checking the rules failed: ${err.message}`)), o.checkMs));
  for (const t of timers) t.unref();
  return () => timers.forEach(clearInterval);
}
