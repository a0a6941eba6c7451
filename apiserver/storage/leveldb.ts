// Storage on LevelDB (classic-level). Layout:
//   o!<bucket>!<key>  → object JSON (stored and loaded as the bytes the engine keeps, not re-encoded)
//   e!<rev, 16 digits> → one history entry (type, bucket, key, object, prev) for watches after a restart
//   m!rev             → the cluster-wide revision
// Each group of writes is one atomic batch holding the objects, their history entries and the revision,
// so a crash never leaves an object without its revision. Batches are written without fsync: a write
// acknowledged to a client is in the OS's page cache and survives the process being killed (kill -9);
// pass `sync: true` to also survive power loss, at the cost of one fsync per batch.
import { ClassicLevel } from 'classic-level';
import { EngineOptions, PersistBatch, StorageEngine } from './engine';
import { KObj, StorageEvent, StorageEventType, StoredObject } from './types';

export interface LevelStorageOptions extends EngineOptions {
  sync?: boolean;
}

interface HistoryRecord {
  t: StorageEventType;
  b: string;
  k: string;
  o: string;
  p?: string;
}

const SEP = '!';
const objectKey = (bucket: string, key: string) => `o${SEP}${bucket}${SEP}${key}`;
const historyKey = (rev: number) => `e${SEP}${String(rev).padStart(16, '0')}`;
const REV_KEY = `m${SEP}rev`;

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
  return { rev: Number(obj.metadata?.resourceVersion ?? 0), obj, bytes: Buffer.from(json) };
}

export class LevelStorage extends StorageEngine {
  private constructor(
    private readonly db: ClassicLevel<string, Buffer>,
    private readonly opts: LevelStorageOptions,
  ) {
    super(opts, true);
  }

  static async open(dir: string, opts: LevelStorageOptions = {}): Promise<LevelStorage> {
    const db = new ClassicLevel<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    await db.open();
    const storage = new LevelStorage(db, opts);
    await storage.load();
    return storage;
  }

  private async load(): Promise<void> {
    const objects: Array<{ bucket: string; key: string; stored: StoredObject }> = [];
    const byKey = new Map<string, StoredObject>();
    for await (const [k, v] of this.db.iterator({ gt: `o${SEP}`, lt: `o${SEP}\xff` })) {
      const rest = k.slice(2);
      const cut = rest.indexOf(SEP);
      const stored = parseStored(v);
      objects.push({ bucket: rest.slice(0, cut), key: rest.slice(cut + 1), stored });
      byKey.set(k, stored);
    }
    const history: StorageEvent[] = [];
    for await (const [k, v] of this.db.iterator({ gt: `e${SEP}`, lt: `e${SEP}\xff` })) {
      const r = JSON.parse(v.toString()) as HistoryRecord;
      const rev = Number(k.slice(2));
      const current = byKey.get(objectKey(r.b, r.k));
      history.push({ type: r.t, rev, bucket: r.b, key: r.k, object: historyObject(r.o, current, rev), prev: r.p ? historyObject(r.p, current) : undefined });
    }
    const rev = Number((await this.db.get(REV_KEY))?.toString() ?? 0);
    this.restore(objects, rev, history);
  }

  protected override persistBatch(batch: PersistBatch): Promise<void> {
    const sync = this.opts.sync ?? false;
    type Op = { type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string };
    const ops: Op[] = [];
    for (const ev of batch.events) {
      const key = objectKey(ev.bucket, ev.key);
      if (ev.type === 'DELETED') ops.push({ type: 'del', key });
      else ops.push({ type: 'put', key, value: ev.object.bytes });
      const rec: HistoryRecord = { t: ev.type, b: ev.bucket, k: ev.key, o: ev.object.bytes.toString(), p: ev.prev?.bytes.toString() };
      ops.push({ type: 'put', key: historyKey(ev.rev), value: Buffer.from(JSON.stringify(rec)) });
    }
    for (const rev of batch.droppedRevs) ops.push({ type: 'del', key: historyKey(rev) });
    ops.push({ type: 'put', key: REV_KEY, value: Buffer.from(String(batch.rev)) });
    return this.db.batch(ops, { sync });
  }

  override async close(): Promise<void> {
    await super.close();
    await this.db.close();
  }
}
