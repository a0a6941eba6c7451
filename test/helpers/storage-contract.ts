// The storage contract: one suite every backend must pass (memory and LevelDB beside the storage code,
// etcd under test/apiserver/ because it starts etcd). `open` gives a fresh, empty storage each time;
// historySize bounds the changes it keeps for watches and paging.
import { ConflictError, KeyExistsError, KObj, NotFoundError, Storage, StorageEvent, TooOldRevisionError } from '../../apiserver/storage/types';

export interface StorageBackend {
  name: string;
  open(historySize?: number): Promise<Storage>;
}

export const obj = (ns: string, name: string, extra: Record<string, unknown> = {}): KObj => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  ...extra,
});

export function describeStorageContract(backend: StorageBackend): void {
  describe(`storage contract: ${backend.name}`, () => {
    let s: Storage;
    beforeEach(async () => {
      s = await backend.open();
    });
    afterEach(async () => {
      await s.close();
    });

    test('create stamps one increasing revision and rejects duplicates', async () => {
      const a = await s.create('configmaps', 'default/a', obj('default', 'a'));
      const b = await s.create('pods', 'default/b', obj('default', 'b'));
      expect(b.rev).toBe(a.rev + 1);
      expect(a.obj.metadata.resourceVersion).toBe(String(a.rev));
      expect(JSON.parse(a.bytes.toString()).metadata.resourceVersion).toBe(String(a.rev));
      // A shared store may answer before this process has applied the write; a wait for the latest says.
      expect(await s.waitForLatest()).toBe(b.rev);
      await expect(s.create('configmaps', 'default/a', obj('default', 'a'))).rejects.toBeInstanceOf(KeyExistsError);
    });

    test('update and delete are compare-and-swap on the revision', async () => {
      const a = await s.create('configmaps', 'default/a', obj('default', 'a'));
      const a2 = await s.update('configmaps', 'default/a', obj('default', 'a', { data: { x: '1' } }), a.rev);
      await expect(s.update('configmaps', 'default/a', obj('default', 'a'), a.rev)).rejects.toBeInstanceOf(ConflictError);
      await expect(s.update('configmaps', 'default/zz', obj('default', 'zz'))).rejects.toBeInstanceOf(NotFoundError);
      await expect(s.delete('configmaps', 'default/a', a.rev)).rejects.toBeInstanceOf(ConflictError);
      const gone = await s.delete('configmaps', 'default/a', a2.rev);
      expect(gone.rev).toBe(a2.rev + 1);
      expect(gone.obj.data).toEqual({ x: '1' });
      expect(await s.get('configmaps', 'default/a')).toBeUndefined();
      await expect(s.delete('configmaps', 'default/a')).rejects.toBeInstanceOf(NotFoundError);
    });

    test('list pages over one consistent snapshot, by namespace prefix, with a filter', async () => {
      for (let i = 0; i < 10; i++) await s.create('configmaps', `ns${i % 2}/cm${i}`, obj(`ns${i % 2}`, `cm${i}`, { data: { i: String(i) } }));
      const p1 = await s.list('configmaps', { limit: 4 });
      expect(p1.items).toHaveLength(4);
      expect(p1.remaining).toBe(6);
      // Changes after the first page must not show in later pages read at the same revision.
      await s.delete('configmaps', p1.items[0].obj.metadata.namespace + '/' + p1.items[0].obj.metadata.name);
      const last = (await s.list('configmaps')).items.at(-1)!;
      await s.update('configmaps', `${last.obj.metadata.namespace}/${last.obj.metadata.name}`, obj('x', 'changed'));
      await s.create('configmaps', 'zz/new', obj('zz', 'new'));
      const p2 = await s.list('configmaps', { rev: p1.rev, startAfter: p1.continueAfter, limit: 100 });
      expect(p2.rev).toBe(p1.rev);
      const names = [...p1.items, ...p2.items].map((x) => x.obj.metadata.name);
      expect(names).toHaveLength(10);
      expect(names).not.toContain('new');
      expect(names).not.toContain('changed');
      const ns0 = await s.list('configmaps', { prefix: 'ns0/' });
      expect(ns0.items.map((x) => x.obj.metadata.name).sort()).toEqual(['cm2', 'cm4', 'cm6', 'cm8']);
      const even = await s.list('configmaps', { filter: (o) => Number((o.data as Record<string, string>).i) % 4 === 0, limit: 1 });
      expect(even.items).toHaveLength(1);
      expect(even.continueAfter).toBeDefined();
    });

    test('lists stay in key order through creates and deletes made between them', async () => {
      const live = new Set<string>();
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 30; i++) {
          const key = `ns${(i * 7 + round) % 3}/cm-${(i * 37 + round * 11) % 50}`;
          if (live.has(key)) {
            await s.delete('configmaps', key);
            live.delete(key);
          } else {
            await s.create('configmaps', key, obj(key.split('/')[0], key.split('/')[1]));
            live.add(key);
          }
        }
        const keys = (await s.list('configmaps')).items.map((x) => `${x.obj.metadata.namespace}/${x.obj.metadata.name}`);
        expect(keys).toEqual([...live].sort());
        const ns1 = (await s.list('configmaps', { prefix: 'ns1/' })).items.map((x) => `ns1/${x.obj.metadata.name}`);
        expect(ns1).toEqual([...live].filter((k) => k.startsWith('ns1/')).sort());
      }
    });

    test("a list names every apiVersion its bucket's objects are stored at now, and none at an older revision", async () => {
      const versions = async (opts = {}) => [...((await s.list('crontabs', opts)).apiVersions ?? ['(not given)'])].sort();
      expect(await versions()).toEqual([]);
      await s.create('crontabs', 'default/a', obj('default', 'a', { apiVersion: 'stable.example.com/v1' }));
      const b = await s.create('crontabs', 'default/b', obj('default', 'b', { apiVersion: 'stable.example.com/v1beta1' }));
      await s.create('other', 'default/c', obj('default', 'c', { apiVersion: 'other/v2' }));
      // The whole bucket's, whatever part of it the list returns. A shared store's replica answers a
      // list once it has this apiserver's writes under the list's prefix, not every write to the bucket:
      // wait until it has them all, so the bucket is the one just written.
      await s.waitForLatest();
      expect(await versions({ prefix: 'none/' })).toEqual(['stable.example.com/v1', 'stable.example.com/v1beta1']);
      // Rewritten at the other version: v1beta1 has no object left.
      await s.update('crontabs', 'default/b', obj('default', 'b', { apiVersion: 'stable.example.com/v1' }));
      expect(await versions()).toEqual(['stable.example.com/v1']);
      await s.update('crontabs', 'default/a', obj('default', 'a', { apiVersion: 'stable.example.com/v1beta1' }));
      expect(await versions()).toEqual(['stable.example.com/v1', 'stable.example.com/v1beta1']);
      await s.delete('crontabs', 'default/a');
      expect(await versions()).toEqual(['stable.example.com/v1']);
      // At an older revision the bucket was different: the caller must look at the items.
      expect(await versions({ rev: b.rev })).toEqual(['(not given)']);
      await s.delete('crontabs', 'default/b');
      expect(await versions()).toEqual([]);
    });

    test('watch replays every change after a revision, in order, then live ones', async () => {
      const a = await s.create('configmaps', 'default/a', obj('default', 'a'));
      await s.update('configmaps', 'default/a', obj('default', 'a', { data: { v: '2' } }));
      await s.create('configmaps', 'other/b', obj('other', 'b'));
      const seen: StorageEvent[] = [];
      const sub = s.watch('configmaps', a.rev, (ev) => seen.push(ev));
      const nsOnly: StorageEvent[] = [];
      const sub2 = s.watch('configmaps', a.rev - 1, (ev) => nsOnly.push(ev), 'default/');
      await s.delete('configmaps', 'default/a');
      await s.create('pods', 'default/p', obj('default', 'p'));
      // A write's watch event may follow its answer (a shared store): every answered one is delivered by now.
      await s.waitForLatest();
      sub.stop();
      sub2.stop();
      await s.create('configmaps', 'default/c', obj('default', 'c'));
      expect(seen.map((e) => `${e.type} ${e.key}`)).toEqual(['MODIFIED default/a', 'ADDED other/b', 'DELETED default/a']);
      expect(seen.map((e) => e.rev)).toEqual([...seen.map((e) => e.rev)].sort((x, y) => x - y));
      expect(seen[2].prev?.obj.data).toEqual({ v: '2' });
      expect(nsOnly.map((e) => `${e.type} ${e.key}`)).toEqual(['ADDED default/a', 'MODIFIED default/a', 'DELETED default/a']);
    });

    test('watch from a compacted revision is refused', async () => {
      await s.close();
      s = await backend.open(4);
      const first = await s.create('configmaps', 'default/a', obj('default', 'a'));
      for (let i = 0; i < 20; i++) await s.update('configmaps', 'default/a', obj('default', 'a', { data: { i: String(i) } }));
      await s.waitForLatest();
      expect(s.compactedRevision()).toBeGreaterThan(first.rev);
      expect(() => s.watch('configmaps', first.rev, () => undefined)).toThrow(TooOldRevisionError);
      await expect(s.list('configmaps', { rev: first.rev })).rejects.toBeInstanceOf(TooOldRevisionError);
      const ok: StorageEvent[] = [];
      s.watch('configmaps', s.currentRevision() - 2, (e) => ok.push(e)).stop();
      expect(ok).toHaveLength(2);
    });

    test('concurrent writes are delivered to watchers in revision order', async () => {
      const seen: number[] = [];
      const sub = s.watch('configmaps', s.currentRevision(), (ev) => seen.push(ev.rev));
      await Promise.all(Array.from({ length: 200 }, (_, i) => s.create('configmaps', `default/c${i}`, obj('default', `c${i}`))));
      await s.waitForLatest();
      sub.stop();
      expect(seen).toHaveLength(200);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    });
  });
}
