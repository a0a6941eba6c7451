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
import type { ValueTransformer } from './encryption';

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
  /**
   * Buckets whose objects are not kept in memory (kube-apiserver's watch cache of size 0, as for
   * Events): only each key's revision is; GET and LIST read the objects from the backend, watches are
   * served from the history and live changes as for any bucket. Only backends that read objects back
   * (`readsFromBackend`) honour it; the others keep every bucket in memory.
   */
  uncachedBuckets?: Iterable<string>;
  /**
   * Encryption at rest (--encryption-provider-config), for backends that store values: those of the
   * buckets it covers are written encrypted, with the storage key as the authenticated context, as
   * kube-apiserver does (each backend applies it where it writes and reads).
   */
  transformer?: ValueTransformer;
}

/** Keys read from the backend at once by a LIST of an uncached bucket. */
const UNCACHED_READ_CHUNK = 256;
/** Reads of an uncached object raced by writes of it before the read gives up. */
const UNCACHED_READ_ATTEMPTS = 50;

/** Trim stale history in steps of at least this many entries (one splice per step). */
const HISTORY_TRIM_STEP = 64;
/** Only this many newest changes keep their watch encodings cached; older ones are re-encoded on replay. */
const ENCODED_KEPT = 256;

/**
 * A history entry's object that is no longer any key's current object: its bytes only, parsed again on
 * each read of `obj` (a watch resuming from an older revision, a LIST at one, a selector on a replayed
 * change). Under churn most of the history is superseded; the parsed objects it held were ~3.5 MiB of a
 * steer server's live heap, their bytes a fifth of that. Never mutated, as any StoredObject.
 */
class SupersededObject implements StoredObject {
  constructor(
    readonly rev: number,
    readonly bytes: Buffer,
  ) {}

  get obj(): KObj {
    return JSON.parse(this.bytes.toString()) as KObj;
  }
}

/** What a backend must store for one batch of committed writes. */
export interface PersistBatch {
  events: StorageEvent[];
  rev: number;
  /** Revisions of history entries dropped by this batch (the backend may forget them). */
  droppedRevs: number[];
}

interface Bucket {
  /**
   * The objects, by key. In an uncached bucket only those written and not yet persisted: a read of the
   * backend finds every other one at the revision `revs` holds.
   */
  objects: Map<string, StoredObject>;
  /** An uncached bucket's keys and each one's revision (null: a cached bucket, `objects` holds them all). */
  revs: Map<string, number> | null;
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
  /** The history entry whose `object` each object is, while it is the newest: slimSuperseded finds it from a later entry's prev. */
  private readonly entryOf = new WeakMap<StoredObject, StorageEvent>();
  private readonly now: () => number;
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly uncached: ReadonlySet<string>;
  private pending: PendingWrite[] = [];
  private flushing = false;
  private readonly transformer: ValueTransformer | undefined;
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
    this.uncached = new Set(opts.uncachedBuckets ?? []);
    this.transformer = opts.transformer;
  }

  /** Backends that read objects back (readStored) override this with true: uncachedBuckets then apply. */
  protected readsFromBackend(): boolean {
    return false;
  }

  /** An uncached bucket's persisted objects, by key (undefined: none), as the backend holds them now. */
  protected readStored(_bucket: string, _keys: string[]): Promise<Array<StoredObject | undefined>> {
    return Promise.reject(new Error('this storage keeps every object in memory'));
  }

  protected persistBatch(_batch: PersistBatch): Promise<void> {
    return Promise.resolve();
  }

  /** Loads state at startup (backends): objects, the revision, and the history kept on disk. */
  protected restore(objects: Array<{ bucket: string; key: string; stored: StoredObject }>, rev: number, history: StorageEvent[]): void {
    for (const { bucket, key, stored } of objects) {
      const b = this.bucket(bucket);
      if (b.revs) {
        // Persisted already: only its revision and version are kept.
        b.revs.set(key, stored.rev);
        countApiVersion(b, undefined, stored);
      } else this.setObject(b, key, stored);
    }
    this.rev = rev;
    this.committedRev = rev;
    history.sort((a, b) => a.rev - b.rev);
    this.history.push(...history.slice(-this.historySize));
    this.historyAt.push(...this.history.map(() => 0));
    for (const ev of this.history) {
      this.entryOf.set(ev.object, ev);
      this.slimSuperseded(ev);
    }
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
    // A replica's wait for its own writes; an uncached bucket's object read from the backend.
    let found = await this.get(bucket, key);
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
      const uncached = this.uncached.has(name) && this.readsFromBackend();
      b = { objects: new Map(), revs: uncached ? new Map() : null, sortedKeys: null, apiVersions: new Map() };
      this.buckets.set(name, b);
    }
    return b;
  }

  /**
   * Stores (or replaces) an object of a bucket; returns the one it replaced. An uncached bucket keeps
   * the object until it is persisted, and is told the one it replaces (`uncachedPrev`).
   */
  private setObject(b: Bucket, key: string, stored: StoredObject, uncachedPrev?: StoredObject): StoredObject | undefined {
    if (b.revs) {
      b.revs.set(key, stored.rev);
      b.objects.set(key, stored);
      countApiVersion(b, uncachedPrev, stored);
      return uncachedPrev;
    }
    const prev = b.objects.get(key);
    b.objects.set(key, stored);
    countApiVersion(b, prev, stored);
    return prev;
  }

  /** Removes an object of a bucket; returns it (an uncached bucket is told it: `uncachedPrev`). */
  private deleteObject(b: Bucket, key: string, uncachedPrev?: StoredObject): StoredObject | undefined {
    if (b.revs) {
      if (!b.revs.delete(key)) return undefined;
      b.objects.delete(key);
      countApiVersion(b, uncachedPrev, undefined);
      return uncachedPrev;
    }
    const prev = b.objects.get(key);
    if (!prev) return undefined;
    b.objects.delete(key);
    countApiVersion(b, prev, undefined);
    return prev;
  }

  private sortedKeys(b: Bucket): string[] {
    if (!b.sortedKeys) b.sortedKeys = [...(b.revs ?? b.objects).keys()].sort();
    return b.sortedKeys;
  }

  /** Under an encryption configuration a rewrite moves a value to its first provider; else unchanged objects need no write. */
  rewritesUnchanged(bucket: string): boolean {
    return !!this.transformer?.configures(bucket);
  }

  /** Every write committed before the call is visible here already: only this process writes. */
  waitForLatest(): Promise<number> {
    return Promise.resolve(this.rev);
  }

  async get(bucket: string, key: string): Promise<StoredObject | undefined> {
    const b = this.buckets.get(bucket);
    if (b?.revs) return (await this.readCurrent(bucket, b, [key]))[0];
    return b?.objects.get(key);
  }

  /** A cached bucket's object (replicated backends, which cache every bucket). */
  getSync(bucket: string, key: string): StoredObject | undefined {
    const b = this.buckets.get(bucket);
    if (b?.revs) throw new Error(`getSync of the uncached bucket ${bucket}`);
    return b?.objects.get(key);
  }

  /**
   * An uncached bucket's objects at the revisions it holds now: those not yet persisted from memory,
   * the others from the backend; one a write replaced while it was read is read again.
   */
  private async readCurrent(bucket: string, b: Bucket, keys: string[]): Promise<Array<StoredObject | undefined>> {
    const revs = b.revs!;
    const out: Array<StoredObject | undefined> = new Array(keys.length);
    let todo = keys.map((_, i) => i);
    for (let attempt = 0; todo.length; attempt++) {
      if (attempt === UNCACHED_READ_ATTEMPTS) throw new Error(`storage: ${bucket}: objects keep changing while read (${keys[todo[0]]})`);
      const fetch: number[] = [];
      for (const i of todo) {
        const rev = revs.get(keys[i]);
        const pending = b.objects.get(keys[i]);
        if (rev === undefined) out[i] = undefined;
        else if (pending && pending.rev === rev) out[i] = pending;
        else fetch.push(i);
      }
      if (!fetch.length) break;
      const read = await this.readStored(bucket, fetch.map((i) => keys[i]));
      todo = [];
      fetch.forEach((i, j) => {
        const stored = read[j];
        const rev = revs.get(keys[i]);
        if (rev === undefined) out[i] = undefined;
        else if (stored && stored.rev === rev) out[i] = stored;
        else todo.push(i); // written meanwhile: its newest state is in memory or persisted by now
      });
    }
    return out;
  }

  /** Every bucket that holds an object. */
  bucketNames(): string[] {
    return [...this.buckets.entries()].filter(([, b]) => (b.revs ?? b.objects).size > 0).map(([name]) => name).sort();
  }

  count(bucket: string): number {
    const b = this.buckets.get(bucket);
    return (b?.revs ?? b?.objects)?.size ?? 0;
  }

  async list(bucket: string, opts: ListOptions = {}): Promise<ListResult> {
    const b = this.bucket(bucket);
    if (b.revs) return this.listUncached(bucket, b, opts);
    return this.listSync(bucket, opts);
  }

  /**
   * A LIST of an uncached bucket: the keys at the revision read are today's and those changed since
   * (history), taken at the start; the objects are read from the backend a chunk at a time, and one
   * changed after that revision is taken from the history as it was then.
   */
  private async listUncached(bucket: string, b: Bucket, opts: ListOptions): Promise<ListResult> {
    const newest = opts.committed ? this.committedRev : this.rev;
    const atRev = opts.rev && opts.rev < newest ? opts.rev : newest;
    if (atRev < this.compacted) throw new TooOldRevisionError(atRev, this.compacted);
    const prefix = opts.prefix ?? '';
    const inRange = (k: string) => (!prefix || k.startsWith(prefix)) && (opts.startAfter === undefined || k > opts.startAfter);
    const all = this.sortedKeys(b);
    const from = opts.startAfter !== undefined ? firstAfter(all, opts.startAfter) : prefix ? firstAfter(all, prefix) : 0;
    const to = prefix ? firstAfter(all, `${prefix}\uffff`) : all.length;
    // A copy: writes during the reads below change the sorted keys in place.
    let keys = all.slice(from, Math.max(from, to));
    const since = this.changesSince(bucket, atRev);
    const gone = [...since.keys()].filter((k) => !b.revs!.has(k) && inRange(k));
    if (gone.length) keys = [...new Set([...keys, ...gone])].sort();
    /** Whether a key of `keys` held an object at atRev, known without reading it. */
    const existedAt = (k: string) => {
      const ev = since.get(k);
      return ev ? ev.type !== 'ADDED' : true; // unchanged since atRev: in the index when the LIST began
    };
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const apiVersions = atRev === this.rev ? [...b.apiVersions.keys()] : undefined;
    const items: StoredObject[] = [];
    let lastKey: string | undefined;
    for (let start = 0; start < keys.length; start += UNCACHED_READ_CHUNK) {
      const chunk = keys.slice(start, start + UNCACHED_READ_CHUNK).filter(existedAt);
      const current = await this.readCurrent(bucket, b, chunk);
      if (atRev < this.compacted) throw new TooOldRevisionError(atRev, this.compacted);
      // Changes since atRev, the reads' included: their first event's prev is the object at atRev.
      const changed = this.changesSince(bucket, atRev);
      for (let j = 0; j < chunk.length; j++) {
        const ev = changed.get(chunk[j]);
        const s = ev ? (ev.type === 'ADDED' ? undefined : ev.prev) : current[j];
        if (!s) continue;
        if (opts.filter && !opts.filter(s.obj)) continue;
        if (items.length >= limit) {
          let remaining: number | undefined;
          if (!opts.filter) {
            remaining = 0;
            const at = keys.indexOf(chunk[j], start);
            for (let r = at; r < keys.length; r++) if (existedAt(keys[r])) remaining++;
          }
          return { items, rev: atRev, continueAfter: lastKey, remaining, apiVersions };
        }
        items.push(s);
        lastKey = chunk[j];
      }
    }
    return { items, rev: atRev, apiVersions };
  }

  /** The first change after rev of each key of a bucket that changed since (history). */
  private changesSince(bucket: string, rev: number): Map<string, StorageEvent> {
    const first = new Map<string, StorageEvent>();
    for (let i = this.history.length - 1; i >= 0 && this.history[i].rev > rev; i--) {
      const ev = this.history[i];
      if (ev.bucket === bucket) first.set(ev.key, ev);
    }
    return first;
  }

  /** A LIST of a cached bucket. */
  listSync(bucket: string, opts: ListOptions = {}): ListResult {
    const b = this.bucket(bucket);
    if (b.revs) throw new Error(`listSync of the uncached bucket ${bucket}`);
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
    if ((b.revs ?? b.objects).has(key)) return Promise.reject(new KeyExistsError(key));
    const stored = stamp(obj, ++this.rev);
    this.setObject(b, key, stored);
    // Kept in order rather than re-sorted by the next list: a list between writes stays O(n).
    if (b.sortedKeys) b.sortedKeys.splice(firstAfter(b.sortedKeys, key), 0, key);
    return this.record({ type: 'ADDED', rev: stored.rev, bucket, key, object: stored }).then(() => stored);
  }

  update(bucket: string, key: string, obj: KObj, expectedRev?: number): Promise<StoredObject> {
    this.checkOpen();
    const b = this.bucket(bucket);
    if (b.revs) return this.writeUncached(bucket, b, key, obj, expectedRev);
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
    if (b.revs) return this.writeUncached(bucket, b, key, undefined, expectedRev);
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
   * An update (obj) or delete (no obj) in an uncached bucket: the object it replaces is read first, then
   * checked and replaced in one step, read again when a write replaced it meanwhile.
   */
  private async writeUncached(bucket: string, b: Bucket, key: string, obj: KObj | undefined, expectedRev: number | undefined): Promise<StoredObject> {
    const revs = b.revs!;
    for (let attempt = 0; attempt < UNCACHED_READ_ATTEMPTS; attempt++) {
      const rev = revs.get(key);
      if (rev === undefined) throw new NotFoundError(key);
      if (expectedRev !== undefined && rev !== expectedRev) throw new ConflictError(key, rev);
      const [prev] = await this.readCurrent(bucket, b, [key]);
      this.checkOpen();
      if (!prev || revs.get(key) !== prev.rev) continue; // replaced or deleted while read: decide again
      if (obj) {
        const stored = stamp(obj, ++this.rev);
        this.setObject(b, key, stored, prev);
        await this.record({ type: 'MODIFIED', rev: stored.rev, bucket, key, object: stored, prev });
        return stored;
      }
      this.deleteObject(b, key, prev);
      if (b.sortedKeys) b.sortedKeys.splice(firstAfter(b.sortedKeys, key) - 1, 1);
      const last = stamp(copyStored(prev), ++this.rev);
      await this.record({ type: 'DELETED', rev: last.rev, bucket, key, object: last, prev });
      return last;
    }
    throw new Error(`storage: ${bucket}: ${key} keeps changing while written`);
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
    this.historyAt.splice(0, drop);
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
    this.historyAt.length = 0;
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

  async healthCheck(): Promise<void> {
    this.checkOpen();
  }

  protected checkOpen(): void {
    if (this.closed) throw new Error('storage is closed');
    if (this.failed) throw this.failed;
  }

  /**
   * Keeps only the bytes of an entry's objects that no key holds any more (SupersededObject): its prev,
   * the entry whose object that prev was (found through entryOf), and its own object once replaced or
   * deleted. Done for entries past the newest ENCODED_KEPT, whose live delivery is over: a watcher's
   * selector reads both objects of a change it is delivered. An object a key still holds, or that an
   * uncached bucket has not persisted yet, stays as it is (the cache and flush share it).
   */
  private slimSuperseded(ev: StorageEvent): void {
    if (ev.prev && !(ev.prev instanceof SupersededObject)) {
      const older = this.entryOf.get(ev.prev);
      const slim = new SupersededObject(ev.prev.rev, ev.prev.bytes);
      if (older && older.object === ev.prev) older.object = slim;
      ev.prev = slim;
    }
    if (ev.object instanceof SupersededObject) return;
    const b = this.buckets.get(ev.bucket);
    if (b?.objects.get(ev.key) === ev.object) return;
    ev.object = new SupersededObject(ev.object.rev, ev.object.bytes);
  }

  /** Appends to history at once (so reads at a revision see it), then commits and delivers in order. */
  private record(event: StorageEvent): Promise<void> {
    const now = this.now();
    this.history.push(event);
    this.historyAt.push(now);
    this.entryOf.set(event.object, event);
    const stale = this.history[this.history.length - 1 - ENCODED_KEPT];
    if (stale) {
      stale.encoded = undefined;
      this.slimSuperseded(stale);
    }
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
          // An uncached bucket's object is in the backend now: memory lets it go unless rewritten since.
          const b = this.buckets.get(p.event.bucket);
          if (b?.revs && b.objects.get(p.event.key) === p.event.object) b.objects.delete(p.event.key);
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
