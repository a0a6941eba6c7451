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
import type { ValueTransformer } from './encryption';
import { KObj, ownBuffer, StorageEvent, StorageEventType, StoredObject } from './types';

export interface LevelStorageOptions extends EngineOptions {
  sync?: boolean;
  /** Encrypts the values of some buckets (--encryption-provider-config). */
  transformer?: ValueTransformer;
}

interface HistoryRecord {
  t: StorageEventType;
  b: string;
  k: string;
  /** The object's JSON; base64 of its transformed bytes when `e` is set. */
  o: string;
  p?: string;
  e?: 1;
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
function historyObject(json: string, current: StoredObject | undefined, eventRev?: number): StoredObject {
  if (current && eventRev !== undefined && current.rev === eventRev) return current;
  const obj = JSON.parse(json) as KObj;
  return { rev: Number(obj.metadata?.resourceVersion ?? 0), obj, bytes: ownBuffer(json) };
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
      const r = JSON.parse(v.toString()) as HistoryRecord;
      const rev = Number(k.slice(2));
      const okey = objectKey(r.b, r.k);
      const current = byKey.get(okey);
      try {
        if (r.e) {
          if (!t) throw new Error(`${okey}: history is encrypted but no encryption configuration is given`);
          r.o = t.fromStorage(r.b, okey, Buffer.from(r.o, 'base64')).toString();
          if (r.p) r.p = t.fromStorage(r.b, okey, Buffer.from(r.p, 'base64')).toString();
        } else if (t) {
          // Plain history of a bucket whose data must now be encrypted is readable only with identity.
          t.fromStorage(r.b, okey, Buffer.from(r.o));
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
      const rec: HistoryRecord = encrypt
        ? { t: ev.type, b: ev.bucket, k: ev.key, e: 1, o: t.toStorage(ev.bucket, key, ev.object.bytes).toString('base64'), p: ev.prev ? t.toStorage(ev.bucket, key, ev.prev.bytes).toString('base64') : undefined }
        : { t: ev.type, b: ev.bucket, k: ev.key, o: ev.object.bytes.toString(), p: ev.prev?.bytes.toString() };
      ops.push({ type: 'put', key: historyKey(ev.rev), value: Buffer.from(JSON.stringify(rec)) });
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
