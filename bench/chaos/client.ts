// The fault-injection seam: a view of a KubeClient (as lib/client's withWriteFence makes one) whose
// requests and watch streams pass through chaos. Production code is unchanged; each component of a
// chaos cluster is simply handed its own ChaosClient.
//
// Faults, each drawn from the component's own PRNG stream:
// - watch delivery: every event is held back a random delay; order within one stream is kept (as a
//   watch guarantees), so events of different streams (pods vs ReplicaSets) and of different
//   components arrive reordered relative to each other and to the writes that caused them;
// - dropped watches: a stream is cut at a random time, either as a broken connection (the informer
//   resumes from its last resourceVersion) or with 410 Gone (the informer re-lists);
// - 409 Conflict answered to a PUT or PATCH before it reaches the apiserver;
// - writes held back a random delay (concurrent workers' writes land reordered);
// - crash(): from that moment the component's requests fail and its watches go silent, as if its
//   process died mid-sync (writes already sent still land);
// - refuse(): while the apiserver restarts, new requests and watches fail as a refused connection
//   does, and drained() resolves once the requests already sent have their answers (kube-apiserver's
//   graceful shutdown: requests in flight complete, new connections are refused, watches are closed).
import type { Status } from 'kubernetes-types/meta/v1';
import { ApiError, KubeClient, RequestOptions, WatchEvent, WatchHandle } from '../../lib/client/client';
import type { Prng } from './prng';

export interface ClientFaults {
  /** Largest delay added to one watch event (ms); each event draws 0…this. */
  watchDelayMaxMs: number;
  /** Mean lifetime of a watch stream before chaos cuts it (ms; 0: never). */
  watchCutMeanMs: number;
  /** Of the cut streams, the share ended with 410 Gone (a re-list) rather than a broken connection. */
  watchGoneShare: number;
  /** Chance that a PUT or PATCH is answered 409 Conflict without reaching the apiserver. */
  conflictChance: number;
  /** Largest delay added before a write is sent (ms). */
  writeDelayMaxMs: number;
}

export const NO_FAULTS: ClientFaults = { watchDelayMaxMs: 0, watchCutMeanMs: 0, watchGoneShare: 0, conflictChance: 0, writeDelayMaxMs: 0 };

/** What chaos did through one client (summed into the run's report). */
export interface FaultCounts {
  delayedEvents: number;
  cutWatches: number;
  goneWatches: number;
  conflicts: number;
  delayedWrites: number;
}

export function emptyCounts(): FaultCounts {
  return { delayedEvents: 0, cutWatches: 0, goneWatches: 0, conflicts: 0, delayedWrites: 0 };
}

/** A write the component is about to send (the invariant checker may inspect it first). */
export interface OutgoingWrite {
  component: string;
  method: string;
  path: string;
  body: unknown;
}

export interface ChaosClient {
  client: KubeClient;
  counts: FaultCounts;
  /** Faults can be turned up or down while running (all off while the cluster starts). */
  faults: ClientFaults;
  /** The component's process dies: requests fail from now on, watches go silent. */
  crash(): void;
  /** While on, new requests and watches fail with ECONNREFUSED (the apiserver is going down or down). */
  refuse(on: boolean): void;
  /** Resolves when no request of this client is in flight. */
  drained(): Promise<void>;
}

const CUT_TICK_MS = 250;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function conflictError(path: string): ApiError {
  const status: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code: 409,
    reason: 'Conflict',
    message: `Operation cannot be fulfilled on ${path}: the object has been modified; please apply your changes to the latest version and try again (chaos)`,
  };
  return new ApiError(409, status);
}

function refusedError(component: string): Error {
  return Object.assign(new Error(`connect ECONNREFUSED (chaos: apiserver restarting, ${component})`), { code: 'ECONNREFUSED' });
}

function goneError(): ApiError {
  return new ApiError(410, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version (chaos)' });
}

export function chaosClient(
  base: KubeClient,
  component: string,
  rng: Prng,
  faults: ClientFaults,
  beforeWrite?: (w: OutgoingWrite) => Promise<void>,
): ChaosClient {
  const counts = emptyCounts();
  let crashed = false;
  let refusing = false;
  let inFlight = 0;
  let drainWaiters: Array<() => void> = [];
  const openWatches = new Set<() => void>();
  const view = Object.create(base) as KubeClient;
  const state: ChaosClient = {
    client: view,
    counts,
    faults,
    crash() {
      crashed = true;
      for (const silence of [...openWatches]) silence();
    },
    refuse(on) {
      refusing = on;
    },
    drained() {
      return inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => drainWaiters.push(resolve));
    },
  };
  const crashError = () => new Error(`chaos: ${component} crashed`);

  view.request = async function <T>(method: string, path: string, o?: RequestOptions): Promise<T> {
    if (crashed) throw crashError();
    if (refusing) throw refusedError(component);
    const f = state.faults;
    const write = method !== 'GET' && method !== 'HEAD';
    if (write) {
      if (f.writeDelayMaxMs > 0) {
        counts.delayedWrites++;
        await sleep(rng.next() * f.writeDelayMaxMs);
        if (crashed) throw crashError();
        if (refusing) throw refusedError(component);
      }
      if ((method === 'PUT' || method === 'PATCH') && rng.chance(f.conflictChance)) {
        counts.conflicts++;
        throw conflictError(path);
      }
      if (beforeWrite) await beforeWrite({ component, method, path, body: o?.body });
      if (refusing) throw refusedError(component);
    }
    inFlight++;
    try {
      return await base.request<T>(method, path, o);
    } finally {
      if (--inFlight === 0) {
        const waiters = drainWaiters;
        drainWaiters = [];
        for (const w of waiters) w();
      }
    }
  };

  view.watchPath = async function <T>(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (e: WatchEvent<T>) => void,
    onClose: (err?: Error) => void,
  ): Promise<WatchHandle> {
    if (crashed) throw crashError();
    if (refusing) throw refusedError(component);
    // Events are delivered in order, each no earlier than its own random delay after arrival: one FIFO
    // per stream drained by one timer (separate timers for equal instants may fire in either order).
    let ended = false;
    let cutTimer: NodeJS.Timeout | undefined;
    const queue: Array<{ at: number; fn: () => void }> = [];
    let drainTimer: NodeJS.Timeout | undefined;
    const drain = () => {
      drainTimer = undefined;
      while (queue.length && queue[0].at <= Date.now()) {
        const item = queue.shift()!;
        if (!ended) item.fn();
      }
      if (queue.length && !ended) drainTimer = setTimeout(drain, Math.max(0, queue[0].at - Date.now()));
    };
    const deliver = (fn: () => void) => {
      const max = state.faults.watchDelayMaxMs;
      if (max <= 0 && queue.length === 0) return fn();
      const last = queue.length ? queue[queue.length - 1].at : 0;
      queue.push({ at: Math.max(last, Date.now() + rng.next() * max), fn });
      counts.delayedEvents++;
      if (!drainTimer) drainTimer = setTimeout(drain, Math.max(0, queue[0].at - Date.now()));
    };
    const silence = () => {
      ended = true;
      clearInterval(cutTimer);
      clearTimeout(drainTimer);
      queue.length = 0;
      openWatches.delete(silence);
      inner.stop();
    };
    const inner = await base.watchPath<T>(
      path,
      query,
      (e) => deliver(() => onEvent(e)),
      (err) =>
        deliver(() => {
          if (ended) return;
          ended = true;
          clearInterval(cutTimer);
          openWatches.delete(silence);
          onClose(err);
        }),
    );
    openWatches.add(silence);
    // Each stream is cut at a random moment: checked every tick against the faults in force then.
    const cut = () => {
      if (ended) return;
      const mean = state.faults.watchCutMeanMs;
      if (!(mean > 0) || !rng.chance(CUT_TICK_MS / mean)) return;
      clearInterval(cutTimer);
      const gone = rng.chance(state.faults.watchGoneShare);
      inner.stop();
      if (gone) counts.goneWatches++;
      else counts.cutWatches++;
      // Events already received are still delivered first; then the stream ends.
      deliver(() => {
        if (ended) return;
        ended = true;
        openWatches.delete(silence);
        onClose(gone ? goneError() : Object.assign(new Error('chaos: watch connection reset'), { code: 'ECONNRESET' }));
      });
    };
    cutTimer = setInterval(cut, CUT_TICK_MS);
    return {
      stop: () => {
        if (!ended) silence();
        else inner.stop();
      },
    };
  };
  return state;
}
