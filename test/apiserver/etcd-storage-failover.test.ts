// The etcd backend when a member goes away under it (three members from Debian's etcd-server on free
// ports): an apiserver whose member stops answering moves to another member, resumes its watch where it
// was, and — when that point has been compacted meanwhile — reloads its replica and ends its watchers
// (whose clients then relist after a 410) rather than miss a change.
import { EtcdStorage } from '../../apiserver/storage/etcd/storage';
import { StorageEvent } from '../../apiserver/storage/types';
import { obj } from '../helpers/storage-contract';
import { startTestEtcd, TestEtcd } from '../helpers/etcd';
import { waitFor } from '../helpers/wait';

let etcd: TestEtcd;
const open: EtcdStorage[] = [];
beforeAll(async () => {
  etcd = await startTestEtcd(3);
});
afterAll(async () => {
  for (const s of open) await s.close();
  await etcd?.stop();
});

/** Calls until the call succeeds (etcd may be electing a leader); its result. */
async function retry<T>(call: () => Promise<T>): Promise<T> {
  const done = await waitFor('etcd to answer', async () => ({ value: await call() }), 15_000, 100);
  return done.value;
}

test('a replica whose member dies while the store is compacted past it reloads, ends its watchers, and goes on through another member', async () => {
  const [m1, m2] = etcd.members;
  const a = await EtcdStorage.open({ endpoints: [m1.clientUrl], compactionIntervalMs: 0, log: () => undefined });
  open.push(a);
  const logs: string[] = [];
  const b = await EtcdStorage.open({ endpoints: [m2.clientUrl, m1.clientUrl], compactionIntervalMs: 0, log: (m) => logs.push(m) });
  open.push(b);
  const x = await a.create('configmaps', 'default/x', obj('default', 'x'));
  await b.waitForLatest();
  const seen: StorageEvent[] = [];
  let gone = false;
  b.watch('configmaps', b.currentRevision(), (ev) => seen.push(ev), '', () => (gone = true));

  // b's member freezes; the other two go on (a quorum), change x and compact past b's position.
  process.kill(m2.pid as number, 'SIGSTOP');
  let last = x;
  for (let i = 0; i < 5; i++) last = await retry(() => a.update('configmaps', 'default/x', obj('default', 'x', { data: { i: String(i) } })));
  await retry(() => a.compact(a.currentRevision()));
  process.kill(m2.pid as number, 'SIGKILL');

  // b's watch fails over to m1, finds its resume point compacted, reloads.
  await waitFor("b's watchers to be ended", () => gone, 15_000);
  expect(seen).toEqual([]);
  expect(logs.some((l) => /reloading/.test(l))).toBe(true);
  expect((await b.get('configmaps', 'default/x'))?.rev).toBe(last.rev);
  expect(b.compactedRevision()).toBeGreaterThanOrEqual(last.rev);
  // Writes and consistent reads through b now go to m1.
  const y = await retry(() => b.create('configmaps', 'default/y', obj('default', 'y')));
  await a.waitForLatest();
  expect((await a.get('configmaps', 'default/y'))?.rev).toBe(y.rev);
  // New watches on b work from its reloaded state.
  const after: StorageEvent[] = [];
  b.watch('configmaps', b.currentRevision(), (ev) => after.push(ev));
  const z = await a.create('configmaps', 'default/z', obj('default', 'z'));
  await b.waitForLatest();
  expect(after.map((e) => `${e.type} ${e.key} ${e.rev}`)).toEqual([`ADDED default/z ${z.rev}`]);
});
