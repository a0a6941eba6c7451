// Storage on LevelDB (classic-level). Layout:
//   o!<bucket>!<key>  → object JSON (stored and loaded as the bytes the engine keeps, not re-encoded)
//   e!<rev, 16 digits> → one history entry (type, bucket, key, object, prev) for watches after a restart
//   m!rev             → the cluster-wide revision
// Each group of writes is one atomic batch holding the objects, their history entries and the revision,
// so a crash never leaves an object without its revision. Batches are written without fsync: a write
// acknowledged to a client is in the OS's page cache and survives the process being killed (kill -9);
// pass `sync: true` to also survive power loss, at the cost of one fsync per batch.
// With a transformer (encryption at rest, storage/encryption.ts), the values of the buckets it covers
// are written encrypted — objects and the object JSON in their history entries, each authenticated
// with the object's key — and decrypted once at load; memory holds them in clear, as kube's watch cache.
// The objects of uncached buckets (Events) are read from the database on every GET and LIST instead.
import { ClassicLevel } from 'classic-level';
import { EngineOptions, PersistBatch, StorageEngine } from './engine';
import { KObj, ownBuffer, StorageEvent, StorageEventType, StoredObject } from './types';

export interface LevelStorageOptions extends EngineOptions {
  sync?: boolean;
}

/**
 * A history entry as first written (and still for encrypted buckets): one JSON document holding the
 * object's JSON as a string, or base64 of its transformed bytes when `e` is set.
 */
interface HistoryRecord {
  t: StorageEventType;
  b: string;
  k: string;
  o: string;
  p?: string;
  e?: 1;
}

/**
 * The header line of a history entry in the framed form: the object's bytes (`ol` of them) and its
 * previous state's (`pl`) follow it as they are stored. The JSON-in-a-string form decoded, escaped and
 * re-encoded both objects on every write (and escaping doubles every quote); this copies them once.
 */
interface HistoryHeader {
  t: StorageEventType;
  b: string;
  k: string;
  ol: number;
  pl?: number;
}

/** A history entry read back, either form: the object and previous state as bytes (transformed when `encrypted`). */
interface HistoryEntry {
  t: StorageEventType;
  b: string;
  k: string;
  o: Buffer;
  p?: Buffer;
  encrypted: boolean;
}

const NEWLINE = 10;

function framedHistory(ev: StorageEvent): Buffer {
  const header: HistoryHeader = { t: ev.type, b: ev.bucket, k: ev.key, ol: ev.object.bytes.length, pl: ev.prev?.bytes.length };
  const parts = [Buffer.from(`${JSON.stringify(header)}\n`), ev.object.bytes];
  if (ev.prev) parts.push(ev.prev.bytes);
  return Buffer.concat(parts);
}

function readHistory(v: Buffer): HistoryEntry {
  // JSON.stringify never writes a raw newline: a value without one is a record of the first form.
  const nl = v.indexOf(NEWLINE);
  if (nl < 0) {
    const r = JSON.parse(v.toString()) as HistoryRecord;
    const bytes = (text: string) => (r.e ? Buffer.from(text, 'base64') : Buffer.from(text));
    return { t: r.t, b: r.b, k: r.k, o: bytes(r.o), p: r.p ? bytes(r.p) : undefined, encrypted: !!r.e };
  }
  const h = JSON.parse(v.toString('utf8', 0, nl)) as HistoryHeader;
  const start = nl + 1;
  const o = v.subarray(start, start + h.ol);
  const p = h.pl !== undefined ? v.subarray(start + h.ol, start + h.ol + h.pl) : undefined;
  return { t: h.t, b: h.b, k: h.k, o, p, encrypted: false };
}

const SEP = '!';
const objectKey = (bucket: string, key: string) => `o${SEP}${bucket}${SEP}${key}`;
const historyKey = (rev: number) => `e${SEP}${String(rev).padStart(16, '0')}`;
const REV_KEY = `m${SEP}rev`;
const ENCRYPTED_PREFIX = 'k8s:enc:';

function parseStored(bytes: Buffer): StoredObject {
  const obj = JSON.parse(bytes.toString()) as KObj;
  return { rev: Number(obj.metadata?.resourceVersion ?? 0), obj, bytes };
}

/**
 * A history entry's object. The one an event leaves behind carries the event's revision: when that is
 * still the current object, the entry shares it instead of holding a second copy.
 */
function historyObject(json: Buffer, current: StoredObject | undefined, eventRev?: number): StoredObject {
  if (current && eventRev !== undefined && current.rev === eventRev) return current;
  const text = json.toString();
  const obj = JSON.parse(text) as KObj;
  return { rev: Number(obj.metadata?.resourceVersion ?? 0), obj, bytes: ownBuffer(text) };
}

export class LevelStorage extends StorageEngine {
  private constructor(
    private readonly db: ClassicLevel<string, Buffer>,
    private readonly opts: LevelStorageOptions,
  ) {
    super(opts, true);
  }

  static async open(dir: string, opts: LevelStorageOptions = {}): Promise<LevelStorage> {
    // Every object but Events is also kept in memory, so LevelDB's own caches serve only Event reads:
    // a 2 MiB block cache (default 8) and a 1 MiB write buffer (default 4; up to two are held). Under
    // churn (bench/soak.ts under heaptrack) they peaked at 3.5 MiB (memtables) and 2.7 MiB (cached
    // blocks) within 7 minutes and the block cache only fills up to its cap as Events accumulate.
    const db = new ClassicLevel<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer', cacheSize: 2 * 2 ** 20, writeBufferSize: 2 ** 20 });
    await db.open();
    const storage = new LevelStorage(db, opts);
    try {
      await storage.load();
    } catch (err) {
      await db.close();
      throw err;
    }
    return storage;
  }

  private async load(): Promise<void> {
    const objects: Array<{ bucket: string; key: string; stored: StoredObject }> = [];
    const byKey = new Map<string, StoredObject>();
    const t = this.opts.transformer;
    for await (const [k, v] of this.db.iterator({ gt: `o${SEP}`, lt: `o${SEP}\xff` })) {
      const rest = k.slice(2);
      const cut = rest.indexOf(SEP);
      const bucket = rest.slice(0, cut);
      if (!t && v.subarray(0, ENCRYPTED_PREFIX.length).toString('latin1') === ENCRYPTED_PREFIX) throw new Error(`${k}: the value is encrypted but no encryption configuration covers ${bucket}`);
      const stored = parseStored(t ? t.fromStorage(bucket, k, v) : v);
      objects.push({ bucket, key: rest.slice(cut + 1), stored });
      byKey.set(k, stored);
    }
    let history: StorageEvent[] = [];
    // History written with keys the configuration no longer has (the last step of a key rotation) cannot
    // be read: it is dropped with everything older, as etcd's compaction would (watches from before get 410).
    let unreadableUpTo = 0;
    for await (const [k, v] of this.db.iterator({ gt: `e${SEP}`, lt: `e${SEP}\xff` })) {
      const r = readHistory(v);
      const rev = Number(k.slice(2));
      const okey = objectKey(r.b, r.k);
      const current = byKey.get(okey);
      try {
        if (r.encrypted) {
          if (!t) throw new Error(`${okey}: history is encrypted but no encryption configuration is given`);
          r.o = t.fromStorage(r.b, okey, r.o);
          if (r.p) r.p = t.fromStorage(r.b, okey, r.p);
        } else if (t) {
          // Plain history of a bucket whose data must now be encrypted is readable only with identity.
          t.fromStorage(r.b, okey, r.o);
        }
      } catch {
        unreadableUpTo = rev;
        continue;
      }
      history.push({ type: r.t, rev, bucket: r.b, key: r.k, object: historyObject(r.o, current, rev), prev: r.p ? historyObject(r.p, current) : undefined });
    }
    if (unreadableUpTo) history = history.filter((ev) => ev.rev > unreadableUpTo);
    const rev = Number((await this.db.get(REV_KEY))?.toString() ?? 0);
    this.restore(objects, rev, history);
  }

  protected override persistBatch(batch: PersistBatch): Promise<void> {
    const sync = this.opts.sync ?? false;
    type Op = { type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string };
    const ops: Op[] = [];
    const t = this.opts.transformer;
    for (const ev of batch.events) {
      const key = objectKey(ev.bucket, ev.key);
      const encrypt = !!t && t.covers(ev.bucket);
      if (ev.type === 'DELETED') ops.push({ type: 'del', key });
      else ops.push({ type: 'put', key, value: encrypt ? t.toStorage(ev.bucket, key, ev.object.bytes) : ev.object.bytes });
      let value: Buffer;
      if (encrypt) {
        const rec: HistoryRecord = { t: ev.type, b: ev.bucket, k: ev.key, e: 1, o: t.toStorage(ev.bucket, key, ev.object.bytes).toString('base64'), p: ev.prev ? t.toStorage(ev.bucket, key, ev.prev.bytes).toString('base64') : undefined };
        value = Buffer.from(JSON.stringify(rec));
      } else value = framedHistory(ev);
      ops.push({ type: 'put', key: historyKey(ev.rev), value });
    }
    for (const rev of batch.droppedRevs) ops.push({ type: 'del', key: historyKey(rev) });
    ops.push({ type: 'put', key: REV_KEY, value: Buffer.from(String(batch.rev)) });
    return this.db.batch(ops, { sync });
  }

  protected override readsFromBackend(): boolean {
    return true;
  }

  protected override async readStored(bucket: string, keys: string[]): Promise<Array<StoredObject | undefined>> {
    const t = this.opts.transformer;
    const dbKeys = keys.map((k) => objectKey(bucket, k));
    const values = await this.db.getMany(dbKeys);
    return values.map((v, i) => (v === undefined ? undefined : parseStored(t ? t.fromStorage(bucket, dbKeys[i], v) : v)));
  }

  override async close(): Promise<void> {
    await super.close();
    await this.db.close();
  }
}
