// One contract suite (test/helpers/storage-contract.ts) run against the in-process backends; the etcd
// backend runs the same suite in test/apiserver/etcd-storage.test.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
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
];

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
