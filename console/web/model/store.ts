// The console's cache of the cluster: one map per kind, filled by the reflectors (lists and watch
// events) and read by the views. Every change is also handed to change listeners with the object before
// and after (the convergence timelines); view listeners are told at most once per frame, so a burst of
// events costs one render.
import { KubeObject, keyOf } from './api';
import type { KindName } from './kinds';
import type { ReflectorSink, ReflectorState } from './reflector';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  kind: KindName;
  type: ChangeType;
  prev?: KubeObject;
  next?: KubeObject;
  /** When the browser received it (ms since the epoch). */
  at: number;
}

export interface KindStatus {
  state: ReflectorState;
  error?: Error;
  synced: boolean;
}

export class Store implements ReflectorSink {
  private readonly maps = new Map<KindName, Map<string, KubeObject>>();
  private readonly arrays = new Map<KindName, KubeObject[]>();
  private readonly versions = new Map<KindName, number>();
  private readonly status = new Map<KindName, KindStatus>();
  private readonly listeners = new Set<() => void>();
  private readonly changeListeners = new Set<(c: Change) => void>();
  private pending = false;
  /** Bumped on every change of any kind. */
  revision = 0;

  constructor(
    private readonly schedule: (fn: () => void) => void = (fn) => setTimeout(fn, 0),
    private readonly now: () => number = Date.now,
    /**
     * Most objects kept per kind, the newest first (Events: the apiserver keeps every event, so a busy
     * cluster's would grow the page without bound; the views show the newest few hundred).
     */
    private readonly caps: Partial<Record<KindName, number>> = {},
  ) {}

  private map(kind: KindName): Map<string, KubeObject> {
    let m = this.maps.get(kind);
    if (!m) this.maps.set(kind, (m = new Map()));
    return m;
  }

  /** The objects of a kind (the same array until the kind changes, so views can memoize on it). */
  list(kind: KindName): KubeObject[] {
    let a = this.arrays.get(kind);
    if (!a) this.arrays.set(kind, (a = [...this.map(kind).values()]));
    return a;
  }

  /** list() typed as a kubernetes-types kind (Event, Pod, …). */
  listOf<T>(kind: KindName): T[] {
    return this.list(kind) as unknown as T[];
  }

  get(kind: KindName, key: string): KubeObject | undefined {
    return this.maps.get(kind)?.get(key);
  }

  version(kind: KindName): number {
    return this.versions.get(kind) ?? 0;
  }

  kindStatus(kind: KindName): KindStatus {
    return this.status.get(kind) ?? { state: 'idle', synced: false };
  }

  isSynced(kind: KindName): boolean {
    return this.kindStatus(kind).synced;
  }

  reset(kind: KindName, items: KubeObject[]): void {
    const old = this.map(kind);
    const next = new Map<string, KubeObject>();
    const at = this.now();
    const cap = this.caps[kind];
    // Oldest first, so that the Map's insertion order is age order and the cap drops the oldest.
    const kept = cap !== undefined && items.length > cap ? [...items].sort((a, b) => recency(a) - recency(b)).slice(items.length - cap) : items;
    for (const o of kept) next.set(keyOf(o), o);
    this.maps.set(kind, next);
    for (const [k, o] of next) {
      const prev = old.get(k);
      if (!prev) this.emit({ kind, type: 'ADDED', next: o, at });
      else if (prev.metadata?.resourceVersion !== o.metadata?.resourceVersion) this.emit({ kind, type: 'MODIFIED', prev, next: o, at });
    }
    for (const [k, prev] of old) if (!next.has(k)) this.emit({ kind, type: 'DELETED', prev, at });
    if (!this.kindStatus(kind).synced) performance.mark(`steer-console-listed-${kind}`); // bench/console.ts reads these
    this.status.set(kind, { ...this.kindStatus(kind), synced: true });
    this.touch(kind);
  }

  event(kind: KindName, type: ChangeType, obj: KubeObject): void {
    const m = this.map(kind);
    const k = keyOf(obj);
    const prev = m.get(k);
    const at = this.now();
    if (type === 'DELETED') {
      m.delete(k);
      this.emit({ kind, type, prev: prev ?? obj, at });
    } else {
      m.set(k, obj);
      this.emit({ kind, type: prev ? 'MODIFIED' : 'ADDED', prev, next: obj, at });
      const cap = this.caps[kind];
      if (cap !== undefined) for (const old of m.keys()) {
        if (m.size <= cap) break;
        m.delete(old); // forgotten by the page, not deleted in the cluster: no change to report
      }
    }
    this.touch(kind);
  }

  state(kind: KindName, state: ReflectorState, error?: Error): void {
    this.status.set(kind, { ...this.kindStatus(kind), state, error });
    this.revision++;
    this.notify();
  }

  /** View listener: called (batched) after changes. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Change listener: called at once for every object change. */
  onChange(fn: (c: Change) => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  private emit(c: Change): void {
    for (const fn of this.changeListeners) fn(c);
  }

  private touch(kind: KindName): void {
    this.arrays.delete(kind);
    this.versions.set(kind, this.version(kind) + 1);
    this.revision++;
    this.notify();
  }

  private notify(): void {
    if (this.pending) return;
    this.pending = true;
    this.schedule(() => {
      this.pending = false;
      for (const fn of [...this.listeners]) fn();
    });
  }
}

/** When an object last changed, as far as its fields say (Events' lastTimestamp; else its creation). */
function recency(o: KubeObject): number {
  const e = o as KubeObject & { lastTimestamp?: string; eventTime?: string };
  return Date.parse(e.lastTimestamp || e.eventTime || o.metadata?.creationTimestamp || '') || 0;
}
