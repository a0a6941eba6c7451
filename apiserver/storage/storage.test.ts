// One contract suite (test/helpers/storage-contract.ts) run against the in-process backends; the etcd
// backend runs the same suite in test/apiserver/etcd-storage.test.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LevelStorage } from './leveldb';
import { MemoryStorage } from './memory';
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
  const seen: string[] = [];
  s.watch('pods', a.rev, (e) => seen.push(`${e.type} ${e.key} ${e.rev}`)).stop();
  expect(seen).toEqual([`ADDED default/b ${b.rev}`, `DELETED default/b ${rev}`]);
  const next = await s.create('configmaps', 'default/c', obj('default', 'c'));
  expect(next.rev).toBe(rev + 1);
  await s.close();
});
