// The etcd backend against a real etcd (Debian's etcd-server, started here on free ports): the same
// storage contract as memory and LevelDB, then what only a shared store has — two apiservers' replicas
// on one etcd: no lost update, watches across them, consistent reads, compaction and 410.
import type { Readable } from 'node:stream';
import { EtcdClient } from '../../apiserver/storage/etcd/client';
import { EtcdStorage, EtcdStorageOptions } from '../../apiserver/storage/etcd/storage';
import { ConflictError, goJSONText, KeyExistsError, KObj, StorageEvent, TooOldRevisionError } from '../../apiserver/storage/types';
import { describeStorageContract, obj } from '../helpers/storage-contract';
import { startTestEtcd, TestEtcd } from '../helpers/etcd';

let etcd: TestEtcd;
const open: EtcdStorage[] = [];
beforeAll(async () => {
  etcd = await startTestEtcd();
});
afterAll(async () => {
  for (const s of open) await s.close();
  await etcd?.stop();
});

async function openStorage(opts: Partial<EtcdStorageOptions> = {}): Promise<EtcdStorage> {
  const s = await EtcdStorage.open({ endpoints: etcd.endpoints, compactionIntervalMs: 0, log: () => undefined, ...opts });
  open.push(s);
  return s;
}

describeStorageContract({
  name: 'etcd',
  open: async (historySize) => {
    await etcd.wipe();
    return openStorage({ historySize });
  },
});

test('a write is encoded once: etcd holds the JSON without resourceVersion, the answer and reads the JSON with it, where it was', async () => {
  await etcd.wipe();
  const s = await openStorage();
  const raw = new EtcdClient({ endpoints: etcd.endpoints });
  try {
    const shapes: Array<[string, KObj]> = [
      // resourceVersion in the middle of metadata, as kube orders it; first; last; alone; absent (stamp adds it).
      ['middle', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'middle', namespace: 'default', uid: 'u', resourceVersion: '7', creationTimestamp: 't' }, data: { html: '<b>&</b>\u2028' } }],
      ['first', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { resourceVersion: '', name: 'first', namespace: 'default' } }],
      ['last', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'last', namespace: 'default', resourceVersion: undefined }, data: { resourceVersion: 'not this one' } }],
      ['alone', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { resourceVersion: '3' } as KObj['metadata'] }],
      ['absent', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'absent', namespace: 'default' } }],
    ];
    for (const [name, o] of shapes) {
      const stored = await s.create('configmaps', `default/${name}`, o);
      const md = stored.obj.metadata;
      expect(md.resourceVersion).toBe(String(stored.rev));
      expect(stored.bytes.toString()).toBe(goJSONText(stored.obj));
      const value = (await raw.range({ key: Buffer.from(`/registry/configmaps/default/${name}`) })).kvs[0].value;
      expect(Buffer.from(value).toString()).toBe(JSON.stringify({ ...stored.obj, metadata: { ...md, resourceVersion: undefined } }));
      const updated = await s.update('configmaps', `default/${name}`, { ...stored.obj, metadata: { ...md } }, stored.rev);
      expect(updated.bytes.toString()).toBe(goJSONText({ ...stored.obj, metadata: { ...md, resourceVersion: String(updated.rev) } }));
    }
    await s.waitForLatest();
    for (const [name] of shapes) {
      const got = await s.get('configmaps', `default/${name}`);
      expect(got?.bytes.toString()).toBe(goJSONText(got?.obj));
    }
  } finally {
    raw.close();
    await s.close();
  }
});

describe('two apiservers on one etcd', () => {
  let a: EtcdStorage;
  let b: EtcdStorage;
  beforeEach(async () => {
    await etcd.wipe();
    a = await openStorage();
    b = await openStorage();
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  test('the same stale write through both: exactly one wins, the loser sees the winner', async () => {
    const first = await a.create('configmaps', 'default/x', obj('default', 'x'));
    await b.waitForLatest();
    const results = await Promise.allSettled([
      a.update('configmaps', 'default/x', obj('default', 'x', { data: { by: 'a' } }), first.rev),
      b.update('configmaps', 'default/x', obj('default', 'x', { data: { by: 'b' } }), first.rev),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(ConflictError);
    const won = (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ rev: number }>).value;
    expect((lost.reason as ConflictError).currentRev).toBe(won.rev);
    // Whoever lost has the winner in its replica already: a retry reads it at once.
    expect((await a.get('configmaps', 'default/x'))?.rev).toBe(won.rev);
    expect((await b.get('configmaps', 'default/x'))?.rev).toBe(won.rev);
    await expect(b.create('configmaps', 'default/x', obj('default', 'x'))).rejects.toBeInstanceOf(KeyExistsError);
  });

  test('no lost update: read-modify-write increments through both replicas add up', async () => {
    await a.create('configmaps', 'default/counter', obj('default', 'counter', { data: { n: '0' } }));
    const increment = async (s: EtcdStorage) => {
      for (;;) {
        // A replica that has not seen the counter yet catches up first (as the registry does on a miss).
        const cur = (await s.get('configmaps', 'default/counter')) ?? (await s.waitForLatest(), await s.get('configmaps', 'default/counter'));
        const n = Number((cur?.obj.data as { n: string }).n);
        try {
          await s.update('configmaps', 'default/counter', obj('default', 'counter', { data: { n: String(n + 1) } }), cur?.rev);
          return;
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, i) => increment(i % 2 ? a : b)));
    await a.waitForLatest();
    expect((await a.get('configmaps', 'default/counter'))?.obj.data).toEqual({ n: '20' });
  });

  test("one apiserver's watchers see the other's writes in order, DELETED with the last state", async () => {
    const seen: StorageEvent[] = [];
    b.watch('configmaps', b.currentRevision(), (ev) => seen.push(ev));
    const x = await a.create('configmaps', 'default/x', obj('default', 'x'));
    await a.update('configmaps', 'default/x', obj('default', 'x', { data: { v: '2' } }), x.rev);
    const gone = await a.delete('configmaps', 'default/x');
    await b.waitForLatest();
    expect(seen.map((e) => `${e.type} ${e.key} ${e.rev}`)).toEqual([`ADDED default/x ${x.rev}`, `MODIFIED default/x ${x.rev + 1}`, `DELETED default/x ${gone.rev}`]);
    expect(seen[2].object.obj.data).toEqual({ v: '2' });
    expect(seen[2].object.obj.metadata.resourceVersion).toBe(String(gone.rev));
    expect(seen[2].prev?.rev).toBe(x.rev + 1);
    expect(gone.obj.data).toEqual({ v: '2' });
  });

  test("deletes of three-segment keys in buckets b never touched land where b's replica holds them", async () => {
    // A three-segment key is <bucket>/<namespace>/<name> or <group>/<resource>/<name>: b, which knows
    // neither bucket, places each PUT by its object and each DELETE by the state it last had.
    const ns = await a.create('widgets', 'team/w', obj('team', 'w'));
    const cluster = await a.create('example.com/gadgets', 'g', obj('', 'g'));
    await b.waitForLatest();
    expect(b.getSync('widgets', 'team/w')?.rev).toBe(ns.rev);
    expect(b.getSync('example.com/gadgets', 'g')?.rev).toBe(cluster.rev);
    await a.delete('widgets', 'team/w');
    await a.delete('example.com/gadgets', 'g');
    await b.waitForLatest();
    expect(b.getSync('widgets', 'team/w')).toBeUndefined();
    expect(b.getSync('example.com/gadgets', 'g')).toBeUndefined();
  });

  test("a write is answered at its Txn, before a's replica applies it: a's reads still see it, watches follow", async () => {
    const x0 = await a.create('configmaps', 'default/x', obj('default', 'x', { data: { v: '0' } }));
    await a.waitForLatest();
    const seen: StorageEvent[] = [];
    a.watch('configmaps', a.currentRevision(), (ev) => seen.push(ev));
    // Hold a's replica: its etcd watch delivers nothing until resumed (its stream holds the messages).
    const feed = (a as unknown as { stream: Readable }).stream;
    feed.pause();
    const x1 = await a.update('configmaps', 'default/x', obj('default', 'x', { data: { v: '1' } }), x0.rev);
    const y = await a.create('configmaps', 'default/y', obj('default', 'y'));
    const gone = await a.delete('configmaps', 'default/x');
    // All three were answered while a's replica stood still.
    expect(a.currentRevision()).toBe(x0.rev);
    expect(seen).toHaveLength(0);
    expect(y.obj.metadata.resourceVersion).toBe(String(y.rev));
    expect(gone.rev).toBe(y.rev + 1);
    expect(gone.obj.data).toEqual({ v: '1' });
    // A watch from a returned resourceVersion: only what came after it.
    const fromY: StorageEvent[] = [];
    a.watch('configmaps', y.rev, (ev) => fromY.push(ev));
    // Another apiserver's consistent read sees them without a's replica.
    await b.waitForLatest();
    expect(await b.get('configmaps', 'default/x')).toBeUndefined();
    expect((await b.get('configmaps', 'default/y'))?.rev).toBe(y.rev);
    // a's own reads wait for its replica instead of answering from before the writes.
    const reads = Promise.all([a.get('configmaps', 'default/y'), a.get('configmaps', 'default/x'), a.list('configmaps')]);
    let answered = false;
    void reads.then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    feed.resume();
    const [gotY, gotX, list] = await reads;
    expect(gotY?.rev).toBe(y.rev);
    expect(gotX).toBeUndefined();
    expect(list.rev).toBeGreaterThanOrEqual(gone.rev);
    expect(list.items.map((i) => i.obj.metadata.name)).toEqual(['y']);
    expect(seen.map((e) => `${e.type} ${e.key} ${e.rev}`)).toEqual([`MODIFIED default/x ${x1.rev}`, `ADDED default/y ${y.rev}`, `DELETED default/x ${gone.rev}`]);
    expect(fromY.map((e) => `${e.type} ${e.key}`)).toEqual(['DELETED default/x']);
    // The event of a write of ours carries the very object its answer did.
    expect(seen[1].object).toBe(y);
    // Optimistic concurrency as before: the answered revision is current, an older one conflicts.
    feed.pause();
    const y2 = await a.update('configmaps', 'default/y', obj('default', 'y', { data: { v: '2' } }), y.rev);
    const stale = a.update('configmaps', 'default/y', obj('default', 'y', { data: { v: '3' } }), y.rev);
    setTimeout(() => feed.resume(), 50);
    await expect(stale).rejects.toBeInstanceOf(ConflictError);
    expect((await a.get('configmaps', 'default/y'))?.rev).toBe(y2.rev);
  });

  test("a's list waits only for its unapplied writes under what it lists, not for every write it answered", async () => {
    await a.create('resourcequotas', 'default/q', obj('default', 'q'));
    await a.waitForLatest();
    const feed = (a as unknown as { stream: Readable }).stream;
    feed.pause();
    const x = await a.create('configmaps', 'default/x', obj('default', 'x'));
    // Other buckets and other namespaces answer at once from the replica (as an admission plugin's list
    // of the namespace's quotas during a create must, or each create waits for the watch of the last).
    const quotas = await a.list('resourcequotas', { prefix: 'default/' });
    expect(quotas.items.map((i) => i.obj.metadata.name)).toEqual(['q']);
    expect((await a.list('configmaps', { prefix: 'other/' })).items).toEqual([]);
    expect(a.currentRevision()).toBeLessThan(x.rev);
    // The written bucket (its namespace, or all of it) waits for the write.
    const lists = Promise.all([a.list('configmaps', { prefix: 'default/' }), a.list('configmaps')]);
    let answered = false;
    void lists.then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    feed.resume();
    for (const l of await lists) expect(l.items.map((i) => i.obj.metadata.name)).toEqual(['x']);
  });

  test('a consistent read on the other apiserver never goes back in time, even after writes outside the prefix', async () => {
    for (let i = 0; i < 20; i++) {
      const w = await a.create('configmaps', `default/c${i}`, obj('default', `c${i}`));
      // The very next read through b sees the write (b's replica may be behind until it waits).
      expect(await b.waitForLatest()).toBeGreaterThanOrEqual(w.rev);
      expect((await b.get('configmaps', `default/c${i}`))?.rev).toBe(w.rev);
    }
    // Revisions no event under /registry/ carries: b closes the gap with a marker, in well under 3 s.
    const other = new EtcdClient({ endpoints: etcd.endpoints });
    const foreign = await other.put({ key: Buffer.from('/elsewhere/k'), value: Buffer.from('v') });
    other.close();
    const t0 = Date.now();
    expect(await b.waitForLatest()).toBeGreaterThanOrEqual(Number(foreign.header?.revision));
    expect(Date.now() - t0).toBeLessThan(2000);
    // A page's revision from a and a list at it through b.
    const page = await a.list('configmaps', { limit: 5 });
    const next = await b.list('configmaps', { rev: page.rev, startAfter: page.continueAfter, limit: 100 });
    expect(next.rev).toBe(page.rev);
    expect(page.items.length + next.items.length).toBe(20);
  });

  test('compaction by one apiserver reaches the other: older watches and pages get TooOldRevisionError', async () => {
    const first = await a.create('configmaps', 'default/x', obj('default', 'x'));
    for (let i = 0; i < 5; i++) await a.update('configmaps', 'default/x', obj('default', 'x', { data: { i: String(i) } }));
    const target = await a.waitForLatest();
    // b's watch past target first: one still behind it when etcd compacts is cancelled, and b reloads
    // (its history then starts at the reload: seen under CI load as compactedRevision target + 1).
    expect(await b.waitForLatest()).toBeGreaterThanOrEqual(target);
    await a.compact(target);
    await b.waitForLatest();
    for (const s of [a, b]) {
      expect(s.compactedRevision()).toBe(target - 1);
      expect(s.compactedStoreRevision()).toBe(target);
      expect(() => s.watch('configmaps', first.rev, () => undefined)).toThrow(TooOldRevisionError);
      await expect(s.list('configmaps', { rev: first.rev })).rejects.toBeInstanceOf(TooOldRevisionError);
      const ok: StorageEvent[] = [];
      s.watch('configmaps', target - 1, (e) => ok.push(e)).stop();
      expect(ok.map((e) => e.rev)).toEqual([target]);
    }
  });

  test("kube's compactor: of two apiservers ticking, one compacts per round, to the revision of the round before", async () => {
    await a.create('configmaps', 'default/x', obj('default', 'x'));
    // Round 1: both learn the key's version (the first to move it from 0 wins but has nothing to compact).
    await a.compactionTick();
    await b.compactionTick();
    const seenAtRound1 = a.currentRevision();
    for (let i = 0; i < 3; i++) await a.update('configmaps', 'default/x', obj('default', 'x', { data: { i: String(i) } }));
    // Round 2: b wins (it saw the version a set) and compacts to what it saw in round 1.
    await b.compactionTick();
    await a.compactionTick();
    // Each replica learns of the compaction from its watch, which may come after the Txn's answer.
    await a.waitForLatest();
    await b.waitForLatest();
    expect(b.compactedStoreRevision()).toBeGreaterThanOrEqual(seenAtRound1);
    expect(b.compactedStoreRevision()).toBeLessThan(a.currentRevision());
    expect(a.compactedStoreRevision()).toBe(b.compactedStoreRevision());
  });
});

test('recordRequest hears of every etcd request of an object write, with its operation and bucket, and no other', async () => {
  await etcd.wipe();
  const heard: Array<[string, string, boolean]> = [];
  const seconds: number[] = [];
  const s = await openStorage({ recordRequest: (op, bucket, secs, answered) => (heard.push([op, bucket, answered]), seconds.push(secs)) });
  const a = await s.create('apps/deployments', 'default/web', obj('web', 'default'));
  await s.update('apps/deployments', 'default/web', { ...a.obj, spec: { replicas: 2 } }, a.rev);
  // A compare that fails in etcd is an answered request.
  await expect(s.update('apps/deployments', 'default/web', { ...a.obj }, a.rev)).rejects.toBeInstanceOf(ConflictError);
  await s.delete('apps/deployments', 'default/web');
  // Reads come from the replica; a consistent read asks etcd its revision: not an object write.
  await s.get('apps/deployments', 'default/web');
  await s.waitForLatest();
  expect(heard).toEqual([
    ['create', 'apps/deployments', true],
    ['update', 'apps/deployments', true],
    ['update', 'apps/deployments', true],
    ['delete', 'apps/deployments', true],
  ]);
  for (const t of seconds) expect(t).toBeGreaterThan(0);
  await s.close();
});
