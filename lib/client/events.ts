// EventRecorder: writes core/v1 Events about objects (what `kubectl describe` shows). Fire-and-forget:
// callers never wait; a repeat of the same event (same object, type, reason, message) bumps `count`
// and `lastTimestamp` on the existing Event instead of creating a new one, like client-go's correlator.
// As client-go's EventAggregator, similar events (same object, type and reason, other messages: a
// ReplicaSet's "Created pod: X" for every X) are combined once 10 distinct ones came within 10 minutes:
// later ones bump one "(combined from similar events): …" Event instead of storing an Event each.
// An Event is written a moment after it is recorded (writeDelayMs), stamped with when it was recorded:
// on an apiserver that serves every request on one thread (`steer server`), the writes that move the
// cluster on (the pod just created, its binding) then go before the Events telling of them.
import type { Event, ObjectReference } from 'kubernetes-types/core/v1';
import { isNotFound, KubeClient, KubeObject } from './client';
import { Resources } from '../api/resources';
import { rfc3339 } from '../api/time';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  component: string;
  host?: string;
  /** How many distinct events to remember for aggregation (oldest forgotten first). */
  cacheSize?: number;
  /** Events waiting to be written beyond which new ones are dropped (default 1000, client-go's queue). */
  maxQueued?: number;
  /** The least time between recording an Event and writing it (default DEFAULT_EVENT_WRITE_DELAY_MS). */
  writeDelayMs?: number;
}

/**
 * A Deployment's create → its pod bound takes ~20 ms on `steer server`, which the Events of those steps
 * (ScalingReplicaSet, SuccessfulCreate, Scheduled) slowed by competing for the apiserver's thread; 50 ms
 * later they land while the node creates the sandbox and the apiserver is idle. Nobody reads an Event
 * that much sooner.
 */
export const DEFAULT_EVENT_WRITE_DELAY_MS = 50;

/** client-go's defaults: 10 distinct messages of one object and reason within 10 minutes are combined. */
const AGGREGATE_MAX_EVENTS = 10;
const AGGREGATE_INTERVAL_MS = 10 * 60 * 1000;
const COMBINED_PREFIX = '(combined from similar events): ';

interface Similar {
  messages: Set<string>;
  lastAt: number;
}

interface Recorded {
  namespace: string;
  name: string;
  count: number;
  firstTimestamp: string;
}


/** The involvedObject reference for an object. */
export function objectReference(obj: KubeObject): ObjectReference {
  const md = obj.metadata || {};
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    namespace: md.namespace,
    name: md.name,
    uid: md.uid,
    resourceVersion: md.resourceVersion,
  };
}

/** Resolves at a performance.now() moment (at once when it is past). */
function untilTime(at: number): Promise<void> | void {
  const wait = at - performance.now();
  if (wait > 0) return new Promise((resolve) => setTimeout(resolve, wait));
}

export class EventRecorder {
  private readonly seen = new Map<string, Recorded>();
  /** Per object, type and reason: the distinct messages seen lately (client-go's aggregator cache). */
  private readonly similar = new Map<string, Similar>();
  private pending: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private dropped = 0;
  private readonly cacheSize: number;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: EventRecorderOptions,
  ) {
    this.cacheSize = opts.cacheSize ?? 4096;
  }

  /** Records an event; never throws and never blocks the caller. */
  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    // As client-go's broadcaster (DropIfChannelFull): an apiserver slower than the events must not
    // make the queue, and the process, grow without bound.
    if (this.inFlight >= (this.opts.maxQueued ?? 1000)) {
      this.dropped++;
      if (this.dropped === 1 || this.dropped % 1000 === 0) console.error(`events: ${this.dropped} dropped, the queue of events to write is full`);
      return;
    }
    const ref = objectReference(obj);
    const aggregateKey = [ref.kind, ref.namespace, ref.name, ref.uid, type, reason].join('\u0000');
    let key = `${aggregateKey}\u0000${message}`;
    if (this.isSimilarToMany(aggregateKey, message, Date.now())) {
      key = `${aggregateKey}\u0000${COMBINED_PREFIX}`;
      message = COMBINED_PREFIX + message;
    }
    this.inFlight++;
    const recordedAt = Date.now();
    const writeAt = performance.now() + (this.opts.writeDelayMs ?? DEFAULT_EVENT_WRITE_DELAY_MS);
    // Events are written one after another so that a repeat finds the Event its predecessor created.
    this.pending = this.pending
      .then(() => untilTime(writeAt))
      .then(() => this.write(key, ref, type, reason, message, recordedAt))
      .catch((err: unknown) => {
        console.error(`events: could not record ${reason} for ${ref.kind}/${ref.name}: ${(err as Error)?.message ?? err}`);
      })
      .finally(() => {
        this.inFlight--;
      });
  }

  /** Forgets what was recorded about one object (by uid), e.g. a pod that is gone for good. */
  forgetObject(uid: string): void {
    const part = `\u0000${uid}\u0000`;
    const forget = () => {
      for (const k of this.seen.keys()) if (k.includes(part)) this.seen.delete(k);
      for (const k of this.similar.keys()) if (k.includes(part)) this.similar.delete(k);
      this.inFlight--;
    };
    this.inFlight++;
    // After the writes queued so far, which would remember their Events again.
    this.pending = this.pending.then(forget, forget);
  }

  /** How many entries the recorder remembers, of objects of one kind or of all (bookkeeping: tests, soak). */
  cached(kind?: string): { seen: number; similar: number } {
    if (kind === undefined) return { seen: this.seen.size, similar: this.similar.size };
    const count = (keys: Iterable<string>) => {
      let n = 0;
      for (const k of keys) if (k.startsWith(`${kind}\u0000`)) n++;
      return n;
    };
    return { seen: count(this.seen.keys()), similar: count(this.similar.keys()) };
  }

  /** Adds the message to its object's and reason's recent ones; true once there are too many to list. */
  private isSimilarToMany(aggregateKey: string, message: string, now: number): boolean {
    let rec = this.similar.get(aggregateKey);
    if (!rec || now - rec.lastAt > AGGREGATE_INTERVAL_MS) rec = { messages: new Set(), lastAt: now };
    this.similar.delete(aggregateKey); // most recently used last
    this.similar.set(aggregateKey, rec);
    rec.lastAt = now;
    let many = false;
    if (!rec.messages.has(message)) {
      rec.messages.add(message);
      // The 10th distinct message is combined already, and the set stays at the 9 before it.
      if (rec.messages.size >= AGGREGATE_MAX_EVENTS) {
        rec.messages.delete(message);
        many = true;
      }
    }
    while (this.similar.size > this.cacheSize) this.similar.delete(this.similar.keys().next().value as string);
    return many;
  }

  /** Resolves when every event recorded so far has been written (or has failed). */
  async flush(): Promise<void> {
    while (this.inFlight > 0) await this.pending;
  }

  private async write(key: string, ref: ObjectReference, type: EventType, reason: string, message: string, recordedAt: number): Promise<void> {
    const now = rfc3339(new Date(recordedAt));
    const prior = this.seen.get(key);
    if (prior) {
      try {
        const combined = message.startsWith(COMBINED_PREFIX);
        await this.client.patch<Event>(Resources.events, prior.namespace, prior.name, { count: prior.count + 1, lastTimestamp: now, ...(combined ? { message } : {}) }, 'merge');
        prior.count++;
        // Keep recently used entries at the end of the insertion order.
        this.seen.delete(key);
        this.seen.set(key, prior);
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        this.seen.delete(key); // expired or deleted: start a new Event
      }
    }
    const namespace = ref.namespace || 'default';
    const name = `${ref.name || 'unknown'}.${Date.now().toString(16)}${Math.floor(Math.random() * 0xfffff).toString(16).padStart(5, '0')}`;
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref,
      reason,
      message,
      type,
      source: { component: this.opts.component, host: this.opts.host },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: this.opts.component,
      reportingInstance: this.opts.host ?? '',
    };
    await this.client.create<Event>(Resources.events, namespace, ev);
    this.seen.set(key, { namespace, name, count: 1, firstTimestamp: now });
    while (this.seen.size > this.cacheSize) {
      const oldest = this.seen.keys().next().value as string;
      this.seen.delete(oldest);
    }
  }
}
