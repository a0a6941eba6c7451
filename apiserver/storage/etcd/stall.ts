// Telling a write Txn that etcd will never answer (a member that forwarded it to a leader that just
// died) from one whose answer this process has simply not read yet. The attempt counts as stalled only
// when neither it nor anything else from etcd (lastHeardAt: another Txn's answer, a watch message) has
// come for stallMs. A busy or descheduled process reaches its timers before the answers waiting in its
// sockets (timers run first in each turn of the event loop): the quiet it measures then is its own, not
// etcd's. So a stall is declared only after one more turn has read whatever I/O is pending — otherwise
// every write on a loaded apiserver would be sent twice, adding load exactly when there is too much.

export type StallOutcome<T> = { answered: true; value: T } | { answered: false };

export interface StallWatch {
  /** When etcd last answered anything on this connection (ms since the epoch). */
  lastHeardAt: () => number;
  /** A closed storage never declares a stall (its calls fail instead). */
  isClosed: () => boolean;
  /** The clock (Date.now by default). */
  now?: () => number;
}

/** The attempt's answer (or its error), or { answered: false } once it has stalled for stallMs. */
export function answerUnlessStalled<T>(attempt: Promise<T>, stallMs: number, w: StallWatch): Promise<StallOutcome<T>> {
  const now = w.now ?? Date.now;
  return new Promise<StallOutcome<T>>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    const since = now();
    const quiet = () => now() - Math.max(w.lastHeardAt(), since);
    const stop = () => {
      settled = true;
      if (timer) clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
    };
    const check = (ioRead: boolean) => {
      timer = undefined;
      immediate = undefined;
      if (settled) return;
      const q = quiet();
      if (q < stallMs || w.isClosed()) {
        timer = setTimeout(() => check(false), Math.max(1, stallMs - q));
      } else if (!ioRead) {
        // Let this turn's pending I/O (the answer itself, perhaps) be read before judging.
        immediate = setImmediate(() => check(true));
      } else {
        stop();
        resolve({ answered: false });
      }
    };
    timer = setTimeout(() => check(false), stallMs);
    attempt.then(
      (value) => {
        if (settled) return;
        stop();
        resolve({ answered: true, value });
      },
      (err: unknown) => {
        if (settled) return;
        stop();
        reject(err);
      },
    );
  });
}
