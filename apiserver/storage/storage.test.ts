// One contract suite (test/helpers/storage-contract.ts) run against the in-process backends; the etcd
// backend runs the same suite in test/apiserver/etcd-storage.test.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { LevelStorage } from './leveldb';
import { MemoryStorage } from './memory';
import { StorageEvent, TooOldRevisionError } from './types';
import { describeStorageContract, obj, StorageBackend } from '../../test/helpers/storage-contract';

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

const backends: StorageBackend[] = [
  { name: 'memory', open: async (historySize) => new MemoryStorage({ historySize }) },
  {
    name: 'leveldb',
    open: async (historySize) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-store-'));
      tmpDirs.push(dir);
      return LevelStorage.open(dir, { historySize });
    },
  },
  {
    // Every bucket the contract writes kept out of memory, as Events are: read from disk on each GET and LIST.
    name: 'leveldb, uncached',
    open: async (historySize) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-store-'));
      tmpDirs.push(dir);
      return LevelStorage.open(dir, { historySize, uncachedBuckets: UNCACHED });
    },
  },
];

const UNCACHED = ['configmaps', 'pods', 'crontabs', 'other'];

for (const backend of backends) describeStorageContract(backend);

test('leveldb: objects, revision and history survive a reopen', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-store-'));
  tmpDirs.push(dir);
  let s = await LevelStorage.open(dir);
  const a = await s.create('configmaps', 'default/a', obj('default', 'a'));
  await s.update('configmaps', 'default/a', obj('default', 'a', { data: { v: '2' } }));
  const b = await s.create('pods', 'default/b', obj('default', 'b'));
  await s.delete('pods', 'default/b');
  const rev = s.currentRevision();
  await s.close();
  s = await LevelStorage.open(dir);
  expect(s.currentRevision()).toBe(rev);
  expect((await s.get('configmaps', 'default/a'))?.obj.data).toEqual({ v: '2' });
  expect(await s.get('pods', 'default/b')).toBeUndefined();
  // What a LIST needs to know of the stored versions is rebuilt from the objects read back.
  expect((await s.list('configmaps')).apiVersions).toEqual(['v1']);
  expect((await s.list('pods')).apiVersions).toEqual([]);
  const seen: string[] = [];
  s.watch('pods', a.rev, (e) => seen.push(`${e.type} ${e.key} ${e.rev}`)).stop();
  expect(seen).toEqual([`ADDED default/b ${b.rev}`, `DELETED default/b ${rev}`]);
  const next = await s.create('configmaps', 'default/c', obj('default', 'c'));
  expect(next.rev).toBe(rev + 1);
  await s.close();
});

test('leveldb: history written in the first form (object JSON in a JSON string) still replays after an upgrade, beside the framed form', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-store-'));
  tmpDirs.push(dir);
  let s = await LevelStorage.open(dir);
  const a = await s.create('configmaps', 'default/a', obj('default', 'a'));
  await s.update('configmaps', 'default/a', obj('default', 'a', { data: { v: 'x\n"quoted"' } }));
  await s.update('configmaps', 'default/a', obj('default', 'a', { data: { v: '3' } }));
  await s.delete('configmaps', 'default/a');
  const expected: string[] = [];
  s.watch('configmaps', a.rev - 1, (e) => expected.push(`${e.type} ${e.rev} ${JSON.stringify(e.object.obj.data)} ${JSON.stringify(e.prev?.obj.data)}`)).stop();
  await s.close();
  // Rewrite the first two entries the way earlier releases wrote every entry.
  const db = new ClassicLevel<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  let rewritten = 0;
  for await (const [k, v] of db.iterator({ gt: 'e!', lt: 'e!\xff' })) {
    if (rewritten === 2) break;
    const nl = v.indexOf(10);
    expect(nl).toBeGreaterThan(0);
    const h = JSON.parse(v.toString('utf8', 0, nl)) as { t: string; b: string; k: string; ol: number; pl?: number };
    const o = v.subarray(nl + 1, nl + 1 + h.ol).toString();
    const p = h.pl === undefined ? undefined : v.subarray(nl + 1 + h.ol, nl + 1 + h.ol + h.pl).toString();
    await db.put(k, Buffer.from(JSON.stringify({ t: h.t, b: h.b, k: h.k, o, p })));
    rewritten++;
  }
  await db.close();
  expect(rewritten).toBe(2);
  s = await LevelStorage.open(dir);
  const seen: string[] = [];
  s.watch('configmaps', a.rev - 1, (e) => seen.push(`${e.type} ${e.rev} ${JSON.stringify(e.object.obj.data)} ${JSON.stringify(e.prev?.obj.data)}`)).stop();
  expect(expected).toHaveLength(4);
  expect(seen).toEqual(expected);
  await s.close();
});

test('history keeps only fresh changes beyond its minimum, as the watch cache does, and drops old encodings', async () => {
  let now = 1_000_000;
  const s = new MemoryStorage({ historySize: 10_000, historyMinSize: 100, historyFreshMs: 75_000, now: () => now });
  const first = await s.create('configmaps', 'default/a', obj('default', 'a'));
  for (let i = 0; i < 299; i++) await s.update('configmaps', 'default/a', obj('default', 'a', { data: { i: String(i) } }));
  // 300 changes, all fresh: every one kept, however many beyond the minimum.
  expect(s.compactedRevision()).toBeLessThan(first.rev);
  // Two minutes later, churn goes on: the stale ones go (in steps of 64), never below the minimum.
  now += 120_000;
  for (let i = 0; i < 200; i++) await s.update('configmaps', 'default/a', obj('default', 'a', { data: { j: String(i) } }));
  expect(s.compactedRevision()).toBeGreaterThanOrEqual(first.rev + 299 - 64);
  expect(() => s.watch('configmaps', first.rev, () => undefined)).toThrow(TooOldRevisionError);
  const replay: StorageEvent[] = [];
  s.watch('configmaps', s.compactedRevision(), (e) => replay.push(e)).stop();
  expect(replay.length).toBeGreaterThanOrEqual(200);
  expect(replay.length).toBeLessThan(500);
  // Watch encodings are cached only on the newest entries.
  for (const e of replay) e.encoded = new Map([['json', 'x']]);
  for (let i = 0; i < 300; i++) await s.update('configmaps', 'default/a', obj('default', 'a', { data: { k: String(i) } }));
  expect(replay.filter((e) => e.encoded).length).toBe(0);
  await s.close();
});

test('stored objects own their bytes: no small object pins a shared 8 KiB buffer slab', async () => {
  const s = new MemoryStorage();
  const a = await s.create('configmaps', 'default/a', obj('default', 'a', { data: { k: 'v' } }));
  const u = await s.update('configmaps', 'default/a', obj('default', 'a', { data: { k: 'w' } }));
  for (const stored of [a, u, (await s.get('configmaps', 'default/a'))!]) expect(stored.bytes.buffer.byteLength).toBe(stored.bytes.length);
  await s.close();
});

test('history past its newest 256 changes keeps superseded objects as bytes only, and replays and lists them as written', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-store-'));
  tmpDirs.push(dir);
  let s = await LevelStorage.open(dir);
  const first = await s.create('configmaps', 'default/a', obj('default', 'a', { data: { i: '0' } }));
  const written = [first];
  for (let i = 1; i < 400; i++) written.push(await s.update('configmaps', 'default/a', obj('default', 'a', { data: { i: String(i) } })));
  const stays = await s.create('configmaps', 'default/b', obj('default', 'b'));
  // Other keys' changes after a's last: a's newest entries fall behind the 256 newest too.
  await s.create('configmaps', 'default/c', obj('default', 'c'));
  for (let i = 0; i < 300; i++) await s.update('configmaps', 'default/c', obj('default', 'c', { data: { i: String(i) } }));
  const check = (st: LevelStorage) => {
    const replay: StorageEvent[] = [];
    st.watch('configmaps', first.rev - 1, (e) => replay.push(e), 'default/a').stop();
    expect(replay.map((e) => e.rev)).toEqual(written.map((w) => w.rev));
    replay.forEach((e, i) => {
      // The object, its bytes and the one it replaced, as written: parsed again from the bytes kept.
      expect(e.object.obj).toEqual(written[i].obj);
      expect(e.object.bytes.toString()).toBe(written[i].bytes.toString());
      expect(e.prev?.obj).toEqual(i ? written[i - 1].obj : undefined);
    });
    // The oldest entries no longer hold a parsed object: each read parses anew.
    expect(replay[0].object.obj).not.toBe(replay[0].object.obj);
    // The current object of a key is the cache's own, however old its entry.
    expect(replay[replay.length - 1].object).toBe(st.getSync('configmaps', 'default/a'));
    return replay;
  };
  check(s);
  expect((await s.list('configmaps', { rev: written[10].rev })).items.map((i) => i.obj)).toEqual([written[10].obj]);
  expect(s.getSync('configmaps', 'default/b')).toBe(stays);
  await s.close();
  // Read back from disk: the same.
  s = await LevelStorage.open(dir);
  check(s);
  await s.close();
});

describe('leveldb: an uncached bucket (Events)', () => {
  const open = (dir?: string) => {
    const d = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'steer-store-'));
    if (!dir) tmpDirs.push(d);
    return LevelStorage.open(d, { uncachedBuckets: ['events'] });
  };

  test('its objects are read back from disk on every GET and LIST, not held; other buckets stay in memory', async () => {
    const s = await open();
    const ev = await s.create('events', 'default/e1', obj('default', 'e1', { reason: 'Pulled' }));
    const cm = await s.create('configmaps', 'default/a', obj('default', 'a'));
    const got1 = (await s.get('events', 'default/e1'))!;
    const got2 = (await s.get('events', 'default/e1'))!;
    expect(got1.obj).toEqual(ev.obj);
    expect(got1.rev).toBe(ev.rev);
    // A fresh parse each time: nothing of it stayed in memory once it was on disk.
    expect(got1).not.toBe(got2);
    expect(got1).not.toBe(ev);
    expect((await s.list('events')).items[0]).not.toBe(got1);
    // The cached bucket hands out the object it keeps.
    expect(await s.get('configmaps', 'default/a')).toBe(cm);
    expect(s.count('events')).toBe(1);
    await s.close();
  });

  test('a client read of the stored state leaves out writes whose batch is not on disk yet', async () => {
    const s = await open();
    const e1 = await s.create('events', 'default/e1', obj('default', 'e1', { count: 1 }));
    // Hold the next batches: the disk write in flight when an apiserver is killed.
    const held: Array<() => void> = [];
    let holding = true;
    const target = s as unknown as { persistBatch(b: unknown): Promise<void> };
    const persist = target.persistBatch.bind(s);
    target.persistBatch = (b) =>
      holding ? new Promise<void>((resolve) => held.push(resolve)).then(() => persist(b)) : persist(b);
    const pending = [
      s.update('events', 'default/e1', obj('default', 'e1', { count: 2 })),
      s.create('events', 'default/e2', obj('default', 'e2', { count: 1 })),
    ];
    expect((await s.getCommitted('events', 'default/e1'))?.rev).toBe(e1.rev);
    expect(await s.getCommitted('events', 'default/e2')).toBeUndefined();
    const page = await s.list('events', { committed: true });
    expect(page.rev).toBe(e1.rev);
    expect(page.items.map((i) => [i.obj.metadata.name, (i.obj as { count?: number }).count])).toEqual([['e1', 1]]);
    holding = false;
    for (const r of held.splice(0)) r();
    await Promise.all(pending);
    expect((await s.list('events', { committed: true })).items.map((i) => i.obj.metadata.name)).toEqual(['e1', 'e2']);
    await s.close();
  });

  test('reads racing writes see each object whole at one of its revisions; writes race reads safely', async () => {
    const s = await open();
    await s.create('events', 'default/e', obj('default', 'e', { count: 0 }));
    const reads: Array<Promise<unknown>> = [];
    const writes: Array<Promise<unknown>> = [];
    let last = (await s.get('events', 'default/e'))!;
    for (let i = 1; i <= 30; i++) {
      // Not awaited: the next read and write start while this one waits for the disk.
      writes.push(s.update('events', 'default/e', obj('default', 'e', { count: i })));
      reads.push(s.get('events', 'default/e').then((g) => expect(Number(g!.obj.metadata.resourceVersion)).toBe(g!.rev)));
    }
    const stored = (await Promise.all(writes)) as Array<typeof last>;
    await Promise.all(reads);
    last = (await s.get('events', 'default/e'))!;
    // Unconditional writes sent together may commit in another order than sent (each reads the object
    // it replaces first, and one that finds it replaced meanwhile decides again): the object left is the
    // write that got the highest revision, all 30 revisions distinct.
    expect(new Set(stored.map((w) => w.rev)).size).toBe(30);
    const newest = stored.reduce((a, w) => (w.rev > a.rev ? w : a));
    expect(last.rev).toBe(newest.rev);
    expect(last.obj.count).toBe(newest.obj.count);
    // Compare-and-swap still holds on a revision read from disk.
    await expect(s.update('events', 'default/e', obj('default', 'e'), stored.find((w) => w !== newest)!.rev)).rejects.toThrow(/revision conflict/);
    const gone = await s.delete('events', 'default/e', last.rev);
    expect(gone.obj.count).toBe(newest.obj.count);
    expect(await s.get('events', 'default/e')).toBeUndefined();
    expect(s.count('events')).toBe(0);
    await s.close();
  });

  test('a paged LIST at its first revision ignores writes made while it reads, and survives a reopen', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-store-'));
    tmpDirs.push(dir);
    let s = await open(dir);
    for (let i = 0; i < 600; i++) await s.create('events', `ns/e${String(i).padStart(3, '0')}`, obj('ns', `e${i}`, { n: i }));
    const page1 = await s.list('events', { limit: 250 });
    expect(page1.items).toHaveLength(250);
    expect(page1.remaining).toBe(350);
    // Between the pages: one of the next page deleted, one changed, one added before the end.
    const during = Promise.all([
      s.delete('events', 'ns/e300'),
      s.update('events', 'ns/e301', obj('ns', 'e301', { n: -1 })),
      s.create('events', 'ns/e5999', obj('ns', 'e5999')),
      s.list('events', { rev: page1.rev, startAfter: page1.continueAfter, limit: 1000 }),
    ]);
    const page2 = (await during)[3];
    expect(page2.items.map((i) => i.obj.n)).toEqual(Array.from({ length: 350 }, (_, i) => 250 + i));
    const now = await s.list('events', { filter: (o) => o.n === -1 || o.metadata.name === 'e5999' });
    expect(now.items.map((i) => i.obj.metadata.name)).toEqual(['e301', 'e5999']);
    const rev = s.currentRevision();
    await s.close();
    s = await open(dir);
    expect(s.currentRevision()).toBe(rev);
    expect(s.count('events')).toBe(600);
    expect((await s.get('events', 'ns/e301'))?.obj.n).toBe(-1);
    expect((await s.list('events', { prefix: 'ns/', limit: 2 })).items.map((i) => i.obj.n)).toEqual([0, 1]);
    await s.close();
  });
});
