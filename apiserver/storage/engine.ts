// The in-memory core every backend shares: the current objects of every bucket, a bounded history of
// changes (for watches and for reading an older revision while paging), and in-order delivery of
// committed changes to watchers. A local backend (memory, LevelDB) decides writes here and adds
// durability through `persist`, which receives the changes of one or more writes as one batch; writes
// are acknowledged and delivered to watchers only after their batch is stored, in revision order
// (group commit: one batch per burst of writes). A replicated backend (etcd) decides writes elsewhere
// and feeds the changes it learns, in revision order, through `applyCommitted`: the engine is then its
// replica.
import {
  ConflictError,
  KeyExistsError,
  KObj,
  ListOptions,
  ListResult,
  NotFoundError,
  Storage,
  StorageEvent,
  StoredObject,
  copyStored,
  storedObject,
  TooOldRevisionError,
  WatchSubscription,
} from './types';

export interface EngineOptions {
  /** The most past changes kept for watches and paging (default 10,000). */
  historySize?: number;
  /**
   * Changes older than this are dropped once more than historyMinSize are kept (default 75 s, as
   * kube-apiserver's watch cache keeps its events fresh): under steady churn the history, and the
   * memory it holds, stays the size of the last minute and a bit instead of growing to historySize.
   */
  historyFreshMs?: number;
  /** Changes always kept, however old (default 1,000). */
  historyMinSize?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** Trim stale history in steps of at least this many entries (one splice per step). */
const HISTORY_TRIM_STEP = 64;
/** Only this many newest changes keep their watch encodings cached; older ones are re-encoded on replay. */
const ENCODED_KEPT = 256;

/** What a backend must store for one batch of committed writes. */
export interface PersistBatch {
  events: StorageEvent[];
  rev: number;
  /** Revisions of history entries dropped by this batch (the backend may forget them). */
  droppedRevs: number[];
}

interface Bucket {
  objects: Map<string, StoredObject>;
  /** The keys in order, built by the first list and then kept in order by creates and deletes. */
  sortedKeys: string[] | null;
  /**
   * How many objects are stored at each apiVersion (undefined: none given). A LIST of custom resources
   * reads it to know, without visiting every item, that none needs converting to the version asked for.
   */
  apiVersions: Map<string | undefined, number>;
}

/** Keeps a bucket's apiVersion counts as `stored` replaces `prev` (either may be absent). */
function countApiVersion(b: Bucket, prev: StoredObject | undefined, stored: StoredObject | undefined): void {
  const was = prev?.obj.apiVersion;
  const now = stored?.obj.apiVersion;
  if (prev && stored && was === now) return;
  if (prev) {
    const n = (b.apiVersions.get(was) ?? 0) - 1;
    if (n > 0) b.apiVersions.set(was, n);
    else b.apiVersions.delete(was);
  }
  if (stored) b.apiVersions.set(now, (b.apiVersions.get(now) ?? 0) + 1);
}

interface Watcher {
  bucket: string;
  prefix: string;
  lastRev: number;
  onEvent: (ev: StorageEvent) => void;
  onGone?: () => void;
}

interface PendingWrite {
  event: StorageEvent;
  droppedRevs: number[];
  resolve: () => void;
  reject: (err: Error) => void;
}

export function stamp(obj: KObj, rev: number): StoredObject {
  const md = obj.metadata;
  if ('resourceVersion' in md) md.resourceVersion = String(rev);
  else obj.metadata = withResourceVersion(md, String(rev));
  return storedObject(rev, obj);
}

/** ObjectMeta's fields that Go declares after resourceVersion. */
const AFTER_RESOURCE_VERSION = new Set(['generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields']);

/**
 * Metadata with resourceVersion where kube's encoder writes it (objects arrive in that order, see
 * apiserver/registry/field-order.ts): after uid in ObjectMeta's Go order, or in key order when the
 * metadata's keys are sorted (a custom resource's, which kube encodes as a map).
 */
function withResourceVersion(md: KObj['metadata'], rv: string): KObj['metadata'] {
  const keys = Object.keys(md);
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1] < keys[i];
  const at = keys.findIndex((k) => (sorted ? k > 'resourceVersion' : AFTER_RESOURCE_VERSION.has(k)));
  const out: Record<string, unknown> = {};
  keys.forEach((k, i) => {
    if (i === at) out.resourceVersion = rv;
    out[k] = (md as Record<string, unknown>)[k];
  });
  if (at < 0) out.resourceVersion = rv;
  return out as KObj['metadata'];
}

/** The index of the first key > after (keys sorted). */
function firstAfter(keys: string[], after: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class StorageEngine implements Storage {
  protected rev = 0;
  private committedRev = 0;
  private compacted = 0;
  private readonly buckets = new Map<string, Bucket>();
  private readonly history: StorageEvent[] = [];
  /** When each history entry was recorded (ms; 0 for entries restored from disk). */
  private readonly historyAt: number[] = [];
  private readonly historySize: number;
  private readonly historyMinSize: number;
  private readonly historyFreshMs: number;
  private readonly now: () => number;
  private readonly watchers = new Map<string, Set<Watcher>>();
  private pending: PendingWrite[] = [];
  private flushing = false;
  private failed: Error | undefined;
  private closed = false;

  /** durable: writes go through persistBatch (which a backend overrides) before they are acknowledged. */
  constructor(
    opts: EngineOptions = {},
    private readonly durable = false,
  ) {
    this.historySize = Math.max(1, opts.historySize ?? 10_000);
    this.historyMinSize = Math.min(this.historySize, Math.max(1, opts.historyMinSize ?? 1_000));
    this.historyFreshMs = opts.historyFreshMs ?? 75_000;
    this.now = opts.now ?? Date.now;
  }

  protected persistBatch(_batch: PersistBatch): Promise<void> {
    return Promise.resolve();
  }

  /** Loads state at startup (backends): objects, the revision, and the history kept on disk. */
  protected restore(objects: Array<{ bucket: string; key: string; stored: StoredObject }>, rev: number, history: StorageEvent[]): void {
    for (const { bucket, key, stored } of objects) this.setObject(this.bucket(bucket), key, stored);
    this.rev = rev;
    this.committedRev = rev;
    history.sort((a, b) => a.rev - b.rev);
    this.history.push(...history.slice(-this.historySize));
    this.historyAt.push(...this.history.map(() => 0));
    // Changes older than the oldest kept one are gone: watches must start at or after it.
    this.compacted = this.history.length ? this.history[0].rev - 1 : rev;
  }

  currentRevision(): number {
    return this.rev;
  }

  committedRevision(): number {
    return this.committedRev;
  }

  async getCommitted(bucket: string, key: string): Promise<StoredObject | undefined> {
    await this.get(bucket, key); // a replica's wait for its own writes
    let found = this.getSync(bucket, key);
    // Undo the key's changes not stored yet, newest first: what is left is its stored state.
    for (let i = this.history.length - 1; i >= 0 && this.history[i].rev > this.committedRev; i--) {
      const ev = this.history[i];
      if (ev.bucket === bucket && ev.key === key) found = ev.type === 'ADDED' ? undefined : ev.prev;
    }
    return found;
  }

  compactedRevision(): number {
    return this.compacted;
  }

  private bucket(name: string): Bucket {
    let b = this.buckets.get(name);
    if (!b) {
      b = { objects: new Map(), sortedKeys: null, apiVersions: new Map() };
      this.buckets.set(name, b);
    }
    return b;
  }

  /** Stores (or replaces) an object of a bucket; returns the one it replaced. */
  private setObject(b: Bucket, key: string, stored: StoredObject): StoredObject | undefined {
    const prev = b.objects.get(key);
    b.objects.set(key, stored);
    countApiVersion(b, prev, stored);
    return prev;
  }

  /** Removes an object of a bucket; returns it. */
  private deleteObject(b: Bucket, key: string): StoredObject | undefined {
    const prev = b.objects.get(key);
    if (!prev) return undefined;
    b.objects.delete(key);
    countApiVersion(b, prev, undefined);
    return prev;
  }

  private sortedKeys(b: Bucket): string[] {
    if (!b.sortedKeys) b.sortedKeys = [...b.objects.keys()].sort();
    return b.sortedKeys;
  }

  /** Every write committed before the call is visible here already: only this process writes. */
  waitForLatest(): Promise<number> {
    return Promise.resolve(this.rev);
  }

  async get(bucket: string, key: string): Promise<StoredObject | undefined> {
    return this.buckets.get(bucket)?.objects.get(key);
  }

  getSync(bucket: string, key: string): StoredObject | undefined {
    return this.buckets.get(bucket)?.objects.get(key);
  }

  /** Every bucket that holds an object. */
  bucketNames(): string[] {
    return [...this.buckets.entries()].filter(([, b]) => b.objects.size > 0).map(([name]) => name).sort();
  }

  count(bucket: string): number {
    return this.buckets.get(bucket)?.objects.size ?? 0;
  }

  async list(bucket: string, opts: ListOptions = {}): Promise<ListResult> {
    return this.listSync(bucket, opts);
  }

  listSync(bucket: string, opts: ListOptions = {}): ListResult {
    const b = this.bucket(bucket);
    const newest = opts.committed ? this.committedRev : this.rev;
    const atRev = opts.rev && opts.rev < newest ? opts.rev : newest;
    const prefix = opts.prefix ?? '';
    let keys = this.sortedKeys(b);
    let lookup = (k: string): StoredObject | undefined => b.objects.get(k);
    let reconstructed = false;
    if (atRev < this.rev) {
      // Reconstruct the bucket at an older revision by undoing newer changes, newest first.
      if (atRev < this.compacted) throw new TooOldRevisionError(atRev, this.compacted);
      const older = new Map<string, StoredObject | null>();
      for (let i = this.history.length - 1; i >= 0 && this.history[i].rev > atRev; i--) {
        const ev = this.history[i];
        if (ev.bucket !== bucket) continue;
        older.set(ev.key, ev.type === 'ADDED' ? null : (ev.prev ?? null));
      }
      if (older.size) {
        reconstructed = true;
        const merged = new Set(keys);
        for (const k of older.keys()) merged.add(k);
        keys = [...merged].sort();
        lookup = (k) => {
          const o = older.get(k);
          return o === undefined ? b.objects.get(k) : (o ?? undefined);
        };
      }
    }
    // firstAfter finds the first key > its argument; no key equals a prefix (prefixes end in '/').
    let i = opts.startAfter !== undefined ? firstAfter(keys, opts.startAfter) : prefix ? firstAfter(keys, prefix) : 0;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const items: StoredObject[] = [];
    // The versions of the whole bucket now: for an older state of it they are not known without a visit.
    const apiVersions = !reconstructed ? [...b.apiVersions.keys()] : undefined;
    let lastKey: string | undefined;
    for (; i < keys.length; i++) {
      const k = keys[i];
      if (prefix && !k.startsWith(prefix)) break;
      const s = lookup(k);
      if (!s) continue;
      if (opts.filter && !opts.filter(s.obj)) continue;
      if (items.length >= limit) {
        // There is at least one more matching item: the caller gets a continue point.
        let remaining: number | undefined;
        if (!opts.filter) {
          remaining = 0;
          for (let j = i; j < keys.length && (!prefix || keys[j].startsWith(prefix)); j++) if (lookup(keys[j])) remaining++;
        }
        return { items, rev: atRev, continueAfter: lastKey, remaining, apiVersions };
      }
      items.push(s);
      lastKey = k;
    }
    return { items, rev: atRev, apiVersions };
  }

  create(bucket: string, key: string, obj: KObj): Promise<StoredObject> {
    this.checkOpen();
    const b = this.bucket(bucket);
    if (b.objects.has(key)) return Promise.reject(new KeyExistsError(key));
    const stored = stamp(obj, ++this.rev);
    this.setObject(b, key, stored);
    // Kept in order rather than re-sorted by the next list: a list between writes stays O(n).
    if (b.sortedKeys) b.sortedKeys.splice(firstAfter(b.sortedKeys, key), 0, key);
    return this.record({ type: 'ADDED', rev: stored.rev, bucket, key, object: stored }).then(() => stored);
  }

  update(bucket: string, key: string, obj: KObj, expectedRev?: number): Promise<StoredObject> {
    this.checkOpen();
    const b = this.bucket(bucket);
    const prev = b.objects.get(key);
    if (!prev) return Promise.reject(new NotFoundError(key));
    if (expectedRev !== undefined && prev.rev !== expectedRev) return Promise.reject(new ConflictError(key, prev.rev));
    const stored = stamp(obj, ++this.rev);
    this.setObject(b, key, stored);
    return this.record({ type: 'MODIFIED', rev: stored.rev, bucket, key, object: stored, prev }).then(() => stored);
  }

  delete(bucket: string, key: string, expectedRev?: number): Promise<StoredObject> {
    this.checkOpen();
    const b = this.bucket(bucket);
    const prev = b.objects.get(key);
    if (!prev) return Promise.reject(new NotFoundError(key));
    if (expectedRev !== undefined && prev.rev !== expectedRev) return Promise.reject(new ConflictError(key, prev.rev));
    this.deleteObject(b, key);
    if (b.sortedKeys) b.sortedKeys.splice(firstAfter(b.sortedKeys, key) - 1, 1);
    // A deleted object is reported with the revision of its deletion, as Kubernetes does.
    const last = stamp(copyStored(prev), ++this.rev);
    return this.record({ type: 'DELETED', rev: last.rev, bucket, key, object: last, prev }).then(() => last);
  }

  /**
   * Replicated backends: applies one change committed elsewhere, at its revision (newer than every
   * applied one), and delivers it to watchers. The object of a DELETED event is the last state stamped
   * with the delete's revision, as `delete` returns it.
   */
  protected applyCommitted(ev: StorageEvent): void {
    const b = this.bucket(ev.bucket);
    if (ev.type === 'DELETED') {
      if (this.deleteObject(b, ev.key) && b.sortedKeys) b.sortedKeys.splice(firstAfter(b.sortedKeys, ev.key) - 1, 1);
    } else {
      const had = this.setObject(b, ev.key, ev.object);
      if (!had && b.sortedKeys) b.sortedKeys.splice(firstAfter(b.sortedKeys, ev.key), 0, ev.key);
    }
    this.rev = ev.rev;
    void this.record(ev);
  }

  /** Replicated backends: nothing this replica keeps changed up to rev (writes outside its keys). */
  protected advanceRevision(rev: number): void {
    if (rev <= this.rev) return;
    this.rev = rev;
    this.committedRev = rev;
  }

  /** Replicated backends: the store forgot the changes before rev; watches and paged lists must start at or after rev - 1. */
  protected compactTo(rev: number): void {
    const floor = Math.min(rev - 1, this.rev);
    if (floor <= this.compacted) return;
    let drop = 0;
    while (drop < this.history.length && this.history[drop].rev <= floor) drop++;
    this.history.splice(0, drop);
    this.compacted = floor;
  }

  /**
   * Replicated backends: replaces the whole state with a fresh read at rev (the replica lost track of
   * the store). History is gone, so every watcher is ended (onGone): its client re-watches from its
   * last revision, gets 410 and relists, as after kube-apiserver's watch cache reinitialises.
   */
  protected resetState(objects: Array<{ bucket: string; key: string; stored: StoredObject }>, rev: number): void {
    this.buckets.clear();
    for (const { bucket, key, stored } of objects) this.setObject(this.bucket(bucket), key, stored);
    this.history.length = 0;
    this.rev = rev;
    this.committedRev = rev;
    this.compacted = rev;
    const ended = [...this.watchers.values()].flatMap((set) => [...set]);
    this.watchers.clear();
    for (const w of ended) {
      try {
        w.onGone?.();
      } catch {
        // One watcher's failure must not keep the others open.
      }
    }
  }

  protected checkOpen(): void {
    if (this.closed) throw new Error('storage is closed');
    if (this.failed) throw this.failed;
  }

  /** Appends to history at once (so reads at a revision see it), then commits and delivers in order. */
  private record(event: StorageEvent): Promise<void> {
    const now = this.now();
    this.history.push(event);
    this.historyAt.push(now);
    const stale = this.history[this.history.length - 1 - ENCODED_KEPT];
    if (stale) stale.encoded = undefined;
    const droppedRevs: number[] = [];
    let drop = 0;
    if (this.history.length > this.historySize * 1.25) drop = this.history.length - this.historySize;
    else if (this.history.length >= this.historyMinSize + HISTORY_TRIM_STEP && this.historyAt[HISTORY_TRIM_STEP - 1] < now - this.historyFreshMs) {
      const cutoff = now - this.historyFreshMs;
      const most = this.history.length - this.historyMinSize;
      while (drop < most && this.historyAt[drop] < cutoff) drop++;
    }
    if (drop) {
      this.historyAt.splice(0, drop);
      for (const ev of this.history.splice(0, drop)) droppedRevs.push(ev.rev);
      this.compacted = droppedRevs[droppedRevs.length - 1];
    }
    if (!this.durable) {
      this.deliver(event);
      this.committedRev = event.rev;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ event, droppedRevs, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length) {
        const batch = this.pending;
        this.pending = [];
        const events = batch.map((p) => p.event);
        try {
          await this.persistBatch({ events, rev: events[events.length - 1].rev, droppedRevs: batch.flatMap((p) => p.droppedRevs) });
        } catch (err) {
          // The in-memory state is now ahead of the disk: refuse further writes rather than diverge.
          this.failed = err instanceof Error ? err : new Error(String(err));
          for (const p of [...batch, ...this.pending]) p.reject(this.failed);
          this.pending = [];
          return;
        }
        for (const p of batch) {
          this.committedRev = p.event.rev;
          this.deliver(p.event);
          p.resolve();
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private deliver(ev: StorageEvent): void {
    const set = this.watchers.get(ev.bucket);
    if (!set) return;
    for (const w of set) {
      if (ev.rev <= w.lastRev || (w.prefix && !ev.key.startsWith(w.prefix))) continue;
      w.lastRev = ev.rev;
      try {
        w.onEvent(ev);
      } catch {
        // A failing watcher must not stop delivery to the others.
      }
    }
  }

  watch(bucket: string, fromRev: number, onEvent: (ev: StorageEvent) => void, prefix = '', onGone?: () => void): WatchSubscription {
    if (fromRev < this.compacted) throw new TooOldRevisionError(fromRev, this.compacted);
    const w: Watcher = { bucket, prefix, lastRev: fromRev, onEvent, onGone };
    // Replay committed history after fromRev, then register, in the same tick: no gap, no duplicate.
    if (fromRev < this.committedRev) {
      let i = this.history.length;
      while (i > 0 && this.history[i - 1].rev > fromRev) i--;
      for (; i < this.history.length; i++) {
        const ev = this.history[i];
        if (ev.rev > this.committedRev) break;
        if (ev.bucket !== bucket || (prefix && !ev.key.startsWith(prefix))) continue;
        w.lastRev = ev.rev;
        onEvent(ev);
      }
    }
    w.lastRev = Math.max(w.lastRev, Math.min(this.committedRev, fromRev));
    let set = this.watchers.get(bucket);
    if (!set) {
      set = new Set();
      this.watchers.set(bucket, set);
    }
    set.add(w);
    return { stop: () => set!.delete(w) };
  }

  /** Waits for pending writes to be stored. */
  protected async drain(): Promise<void> {
    while (this.flushing || this.pending.length) await new Promise((r) => setImmediate(r));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
    this.watchers.clear();
  }
}
