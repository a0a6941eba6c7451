// The storage interface the API server's registry is written against. It models etcd: one
// cluster-wide revision bumped by every write and stamped on the object as metadata.resourceVersion,
// reads at a consistent revision, compare-and-swap writes, and watches that replay every change after a
// revision from a bounded history. Backends: memory (tests), LevelDB (default), etcd (several
// apiservers on one replicated store: each keeps an in-memory replica, so reads may lag the store until
// waitForLatest).

/** A stored Kubernetes object as JSON; metadata is always present. */
export interface KObj {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/**
 * One stored object at one revision: the parsed object (selectors, tables, read-modify-write) next to
 * its JSON as UTF-8 bytes, which GET sends and LIST splices into its body without re-encoding. Both are
 * shared with the storage's cache and every reader: never mutate them (copy with parseStored first).
 */
export interface StoredObject {
  rev: number;
  obj: KObj;
  bytes: Buffer;
}

/** A stored object's revision, parsed object and bytes, from an object that now carries its resourceVersion. */
export function storedObject(rev: number, obj: KObj): StoredObject {
  return { rev, obj, bytes: ownBuffer(goJSONText(obj)) };
}

const GO_ESCAPED_CHAR = /[<>&\u2028\u2029]/;
const GO_ESCAPED_CHARS = /[<>&\u2028\u2029]/g;

/**
 * JSON as Go's encoding/json writes it (kube's serializer): compact, with <, >, & and U+2028/U+2029
 * escaped as \u003c, \u003e, \u0026, \u2028, \u2029. JSON.stringify leaves these characters only
 * inside strings, so replacing them anywhere is safe; the test first spares the usual text a replace.
 */
export function goJSONText(v: unknown): string {
  return goEscaped(JSON.stringify(v));
}

/** JSON.stringify's text with Go's escapes (see goJSONText). */
export function goEscaped(text: string): string {
  if (!GO_ESCAPED_CHAR.test(text)) return text;
  return text.replace(GO_ESCAPED_CHARS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A string's UTF-8 bytes in a buffer of their own. Buffer.from() hands out small buffers as views of
 * shared 8 KiB slabs, and one long-lived view (a stored object, a history entry) keeps its whole slab
 * alive: under churn the process' external memory then grows with every slab a survivor pins.
 */
export function ownBuffer(text: string): Buffer {
  const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  bytes.write(text);
  return bytes;
}

/** A private, mutable copy of a stored object. */
export function copyStored(stored: StoredObject): KObj {
  return JSON.parse(stored.bytes.toString()) as KObj;
}

export type StorageEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StorageEvent {
  type: StorageEventType;
  rev: number;
  bucket: string;
  key: string; // "namespace/name" or "name"
  /** The object after the change; for DELETED, the last state with resourceVersion = the delete's revision. */
  object: StoredObject;
  /** The object before the change (MODIFIED, DELETED). */
  prev?: StoredObject;
  /** Encodings of this event, made once and shared by every watcher (see watch/). */
  encoded?: Map<string, string | Buffer>;
}

export interface ListOptions {
  /** Only keys starting with this ("ns/" for one namespace). */
  prefix?: string;
  /**
   * Read at this revision (paging continues); 0/undefined = the current revision. A revision this
   * process has not reached yet (a shared store) is waited for; TooLargeRevisionError when that takes
   * too long.
   */
  rev?: number;
  /** Read only stored writes (see Storage.getCommitted), when rev is not older. */
  committed?: boolean;
  /** Start after this key (paging). */
  startAfter?: string;
  /** Return at most this many matching items (0/undefined = all). */
  limit?: number;
  /** Only items for which this returns true count toward the limit and are returned. */
  filter?: (obj: KObj) => boolean;
}

export interface ListResult {
  items: StoredObject[];
  /** The revision the list was read at. */
  rev: number;
  /** Set when the list stopped at the limit with keys left: the last key returned. */
  continueAfter?: string;
  /** Keys left after the last returned one (only when no filter was given). */
  remaining?: number;
  /**
   * Every apiVersion the bucket's objects are stored at (undefined: an object without one), over the
   * whole bucket, so a superset of the items'. Absent when the list was read at an older revision.
   */
  apiVersions?: ReadonlyArray<string | undefined>;
}

export interface WatchSubscription {
  stop(): void;
}

export interface Storage {
  /**
   * The newest revision this process has applied (handed out, for a store only it writes). On a shared
   * store a write may be answered before its revision is applied here (its watch event follows the
   * answer); get and list on this process reflect it all the same.
   */
  currentRevision(): number;
  /**
   * Waits until reads here reflect every write committed anywhere before the call (a consistent read:
   * other processes may write a shared store); resolves with the revision reached. At once for a store
   * only this process writes.
   */
  waitForLatest(): Promise<number>;
  /**
   * Whether an update that changes nothing must still be written, as kube's store writes one whose
   * value it read stale: the bucket is under an encryption configuration, where a rewrite (`kubectl
   * replace` of every Secret) moves each value to the configuration's first provider.
   */
  rewritesUnchanged(bucket: string): boolean;
  /**
   * The object as a client may read it: without writes not stored yet. A local store decides a write
   * (and serves it to the writes after it) before its batch is stored; what clients read stops at the
   * last stored revision, so no client ever sees — and no informer holds, or resumes from — a
   * revision that a crash before the store (kill -9) would lose and hand out again for other writes.
   */
  getCommitted(bucket: string, key: string): Promise<StoredObject | undefined>;
  /** Watches and list-at-revision work from any revision >= this. */
  compactedRevision(): number;
  get(bucket: string, key: string): Promise<StoredObject | undefined>;
  list(bucket: string, opts?: ListOptions): Promise<ListResult>;
  /** Stores a new object; throws KeyExistsError. Sets obj.metadata.resourceVersion; takes ownership of obj. */
  create(bucket: string, key: string, obj: KObj): Promise<StoredObject>;
  /** Replaces an object; throws NotFoundError, or ConflictError when expectedRev is given and stale. */
  update(bucket: string, key: string, obj: KObj, expectedRev?: number): Promise<StoredObject>;
  /** Removes an object; resolves with its last state stamped with the delete's revision. */
  delete(bucket: string, key: string, expectedRev?: number): Promise<StoredObject>;
  /**
   * Delivers, in revision order, every change to the bucket (under prefix) after fromRev, then live
   * changes until stopped. Throws TooOldRevisionError when fromRev has been compacted away. onGone is
   * called, and no event follows, when the storage can no longer continue the watch (a replica that
   * lost track of a shared store and reloaded it): the watcher must start again from its last revision.
   */
  watch(bucket: string, fromRev: number, onEvent: (ev: StorageEvent) => void, prefix?: string, onGone?: () => void): WatchSubscription;
  /** Number of objects in a bucket (metrics). */
  count(bucket: string): number;
  /** Every bucket that holds an object (migration). */
  bucketNames(): string[];
  /** Resolves while the store can serve (etcd: it answers a read); rejects with why not (the health checks). */
  healthCheck(): Promise<void>;
  close(): Promise<void>;
}

export class StorageError extends Error {}
export class KeyExistsError extends StorageError {
  constructor(readonly key: string) {
    super(`key exists: ${key}`);
  }
}
export class NotFoundError extends StorageError {
  constructor(readonly key: string) {
    super(`key not found: ${key}`);
  }
}
export class ConflictError extends StorageError {
  constructor(
    readonly key: string,
    readonly currentRev: number,
  ) {
    super(`revision conflict on ${key}`);
  }
}
export class TooOldRevisionError extends StorageError {
  constructor(
    readonly requested: number,
    readonly oldest: number,
  ) {
    super(`too old resource version: ${requested} (${oldest})`);
  }
}
export class TooLargeRevisionError extends StorageError {
  constructor(
    readonly requested: number,
    readonly current: number,
  ) {
    super(`too large resource version: ${requested}, current: ${current}`);
  }
}
