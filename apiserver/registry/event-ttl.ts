// Event expiry (kube-apiserver's --event-ttl, default 1 h): kube-apiserver stores every Event under an
// etcd lease of that TTL, renewed by each write, so Events of pods long gone disappear on their own.
// steer's storage has no leases: a sweep deletes every Event whose last write (the newest of
// lastTimestamp, eventTime, series.lastObservedTime and creationTimestamp) is older than the TTL, with
// the revision as precondition so an Event updated meanwhile stays. Watchers see DELETED, as with a lease.
import { Resources } from '../../lib/api/resources';
import type { KObj, Storage } from '../storage/types';
import { bucketOf, keyOf } from './keys';

/** When an Event was last written, as far as its fields tell (ms since epoch; NaN when none parses). */
export function eventLastWrite(ev: KObj): number {
  const series = ev.series as { lastObservedTime?: string } | undefined;
  const times = [ev.lastTimestamp, ev.eventTime, series?.lastObservedTime, ev.metadata.creationTimestamp]
    .filter((t): t is string => typeof t === 'string' && t !== '')
    .map((t) => Date.parse(t))
    .filter((t) => !Number.isNaN(t));
  return times.length ? Math.max(...times) : NaN;
}

/** Events read per storage LIST by a sweep. */
const SWEEP_PAGE = 500;

export class EventExpiry {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly storage: Storage,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sweeps every intervalMs (default: a tenth of the TTL, between 1 s and 1 min). */
  start(intervalMs = Math.min(60_000, Math.max(1_000, this.ttlMs / 10))): void {
    if (this.ttlMs <= 0) return;
    this.timer = setInterval(() => void this.sweep(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Deletes the Events older than the TTL; resolves with how many went. */
  async sweep(): Promise<number> {
    if (this.running || this.ttlMs <= 0) return 0;
    this.running = true;
    let removed = 0;
    try {
      const bucket = bucketOf(Resources.events);
      const cutoff = this.now() - this.ttlMs;
      // A page at a time: Events stay on disk (no cache), and a sweep need not hold them all at once.
      let startAfter: string | undefined;
      do {
        const page = await this.storage.list(bucket, { startAfter, limit: SWEEP_PAGE });
        startAfter = page.continueAfter;
        for (const item of page.items) {
          if (!(eventLastWrite(item.obj) < cutoff)) continue;
          const key = keyOf(Resources.events, String(item.obj.metadata.namespace), String(item.obj.metadata.name));
          try {
            await this.storage.delete(bucket, key, item.rev);
            removed++;
          } catch {
            // updated (a newer write renews it) or deleted meanwhile
          }
        }
      } while (startAfter !== undefined);
    } catch (err) {
      process.stderr.write(`apiserver: event expiry: ${(err as Error).message}\n`);
    } finally {
      this.running = false;
    }
    return removed;
  }
}
