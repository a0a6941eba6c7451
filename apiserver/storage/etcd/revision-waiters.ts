// Promises that resolve once a replica has applied a revision: the writes of this process waiting for
// their own watch events, and reads waiting for the replica to catch up. Kept sorted by revision, so
// waking them after a batch of events is a cut from the front.
import { TooLargeRevisionError } from '../types';

interface Waiter {
  rev: number;
  resolve: () => void;
  reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
}

export class RevisionWaiters {
  private waiters: Waiter[] = [];

  constructor(private readonly current: () => number) {}

  /** Resolves once current() >= rev (see wake); rejects with TooLargeRevisionError after timeoutMs. */
  wait(rev: number, timeoutMs: number): Promise<void> {
    if (this.current() >= rev) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { rev, resolve, reject };
      let lo = 0;
      let hi = this.waiters.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.waiters[mid].rev <= rev) lo = mid + 1;
        else hi = mid;
      }
      this.waiters.splice(lo, 0, w);
      if (timeoutMs < Infinity) {
        w.timer = setTimeout(() => {
          const i = this.waiters.indexOf(w);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new TooLargeRevisionError(rev, this.current()));
        }, Math.max(0, timeoutMs));
      }
    });
  }

  /** Resolves every waiter current() has reached. */
  wake(): void {
    const now = this.current();
    let n = 0;
    while (n < this.waiters.length && this.waiters[n].rev <= now) n++;
    if (!n) return;
    for (const w of this.waiters.splice(0, n)) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve();
    }
  }

  rejectAll(err: Error): void {
    for (const w of this.waiters.splice(0)) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(err);
    }
  }
}
