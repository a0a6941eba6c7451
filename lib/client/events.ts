// EventRecorder: writes core/v1 Events about objects (what `kubectl describe` shows). Fire-and-forget:
// callers never wait; a repeat of the same event (same object, type, reason, message) bumps `count`
// and `lastTimestamp` on the existing Event instead of creating a new one, like client-go's correlator.
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

export class EventRecorder {
  private readonly seen = new Map<string, Recorded>();
  private pending: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private readonly cacheSize: number;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: EventRecorderOptions,
  ) {
    this.cacheSize = opts.cacheSize ?? 4096;
  }

  /** Records an event; never throws and never blocks the caller. */
  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    const ref = objectReference(obj);
    const key = [ref.kind, ref.namespace, ref.name, ref.uid, type, reason, message].join('\u0000');
    this.inFlight++;
    // Events are written one after another so that a repeat finds the Event its predecessor created.
    this.pending = this.pending
      .then(() => this.write(key, ref, type, reason, message))
      .catch((err: unknown) => {
        console.error(`events: could not record ${reason} for ${ref.kind}/${ref.name}: ${(err as Error)?.message ?? err}`);
      })
      .finally(() => {
        this.inFlight--;
      });
  }

  /** Resolves when every event recorded so far has been written (or has failed). */
  async flush(): Promise<void> {
    while (this.inFlight > 0) await this.pending;
  }

  private async write(key: string, ref: ObjectReference, type: EventType, reason: string, message: string): Promise<void> {
    const now = rfc3339(new Date());
    const prior = this.seen.get(key);
    if (prior) {
      try {
        await this.client.patch<Event>(Resources.events, prior.namespace, prior.name, { count: prior.count + 1, lastTimestamp: now }, 'merge');
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
