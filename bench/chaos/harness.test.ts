// The chaos harness's own pieces, without a cluster: the seeded PRNG reproduces, the fault-injecting
// client keeps each watch stream in order while delaying it and ends a cut stream with an error, 409s
// are injected only on PUT and PATCH, the invariants' Kubernetes arithmetic, and the write ledger's judgement.
import type { DaemonSet, Deployment } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { ApiError, KubeClient, type WatchEvent, type WatchHandle } from '../../lib/client/client';
import { chaosClient, NO_FAULTS } from './client';
import { daemonPodNode, daemonPodsExcess, History, podOrdinal, rolloutBounds, surgeCountedReady } from './invariants';
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import { lostWrites, type LedgerEntry } from './ledger';
import { Prng } from './prng';
import { waitFor } from '../../test/helpers/wait';

test('a seed reproduces its stream; forks are independent of each other and of the parent', () => {
  const a = new Prng(22);
  const b = new Prng(22);
  const xs = Array.from({ length: 5 }, () => a.next());
  expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
  expect(new Prng(23).next()).not.toBe(xs[0]);
  expect(new Prng(22).fork('scheduler').next()).toBe(new Prng(22).fork('scheduler').next());
  expect(new Prng(22).fork('scheduler').next()).not.toBe(new Prng(22).fork('controller-manager').next());
  for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
});

/** A KubeClient whose watch emits the given events, then nothing; requests answer `{}`. */
function fakeBase(events: number, spacingMs: number): { base: KubeClient; requests: string[] } {
  const base = KubeClient.forServer('http://127.0.0.1:1');
  const requests: string[] = [];
  base.request = async <T>(method: string): Promise<T> => {
    requests.push(method);
    return {} as T;
  };
  base.watchPath = async <T>(_p: string, _q: unknown, onEvent: (e: WatchEvent<T>) => void): Promise<WatchHandle> => {
    let i = 0;
    const timer = setInterval(() => {
      if (i >= events) return clearInterval(timer);
      i++;
      onEvent({ type: 'MODIFIED', object: { metadata: { resourceVersion: String(i) } } as unknown as T });
    }, spacingMs);
    return { stop: () => clearInterval(timer) };
  };
  return { base, requests };
}

test('watch events are delayed but delivered in their order', async () => {
  const { base } = fakeBase(40, 1);
  const chaos = chaosClient(base, 'test', new Prng(1), { ...NO_FAULTS, watchDelayMaxMs: 30 });
  const seen: number[] = [];
  const h = await chaos.client.watchPath<Pod>('/api/v1/pods', {}, (e) => seen.push(Number(e.object.metadata?.resourceVersion)), () => undefined);
  // However slow the machine: every event arrives (waited for, not timed), and in order.
  await waitFor('the 40 events', () => seen.length >= 40);
  h.stop();
  expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  expect(chaos.counts.delayedEvents).toBe(40);
});

test('a cut watch ends with an error after the events it had received; a crash silences it', async () => {
  const { base } = fakeBase(1000, 2);
  const chaos = chaosClient(base, 'test', new Prng(3), { ...NO_FAULTS, watchCutMeanMs: 100, watchGoneShare: 1 });
  const closed = new Promise<Error | undefined>((resolve) => void chaos.client.watchPath('/api/v1/pods', {}, () => undefined, resolve));
  const err = await closed;
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).code).toBe(410);
  expect(chaos.counts.goneWatches).toBe(1);
  chaos.crash();
  await expect(chaos.client.request('GET', '/api/v1/pods')).rejects.toThrow(/crashed/);
});

test('409 Conflict is injected on PUT and PATCH only, before the request is sent', async () => {
  const { base, requests } = fakeBase(0, 1);
  const chaos = chaosClient(base, 'test', new Prng(5), { ...NO_FAULTS, conflictChance: 1 });
  await expect(chaos.client.request('PUT', '/x')).rejects.toMatchObject({ code: 409 });
  await expect(chaos.client.request('PATCH', '/x')).rejects.toMatchObject({ code: 409 });
  await chaos.client.request('POST', '/x');
  await chaos.client.request('GET', '/x');
  expect(requests).toEqual(['POST', 'GET']);
  expect(chaos.counts.conflicts).toBe(2);
});

describe('rolloutBounds: [replicas − maxUnavailable, replicas + maxSurge] as Kubernetes resolves them', () => {
  const d = (replicas: number, maxSurge?: number | string, maxUnavailable?: number | string): Deployment => ({
    spec: { replicas, selector: {}, template: {}, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } } },
  });
  test.each([
    [d(50, 5, 0), 50, 55],
    [d(10), 8, 13], // 25 % / 25 %: surge rounds up, unavailable down
    [d(10, '30%', '0%'), 10, 13],
    [d(4, 0, 0), 3, 4], // both 0: unavailable becomes 1
  ])('%#', (dep, min, max) => {
    expect(rolloutBounds(dep)).toMatchObject({ min, max });
  });
});

describe('surgeCountedReady: toward maxSurge, only young pods beyond their ReplicaSet\'s spec and status are let off', () => {
  const rs = (spec: number, status: number): ReplicaSet => ({ spec: { replicas: spec, selector: {} }, status: { replicas: status } });
  // [owner uid, ready pods, young among them, the ReplicaSet as of the sample]
  const count = (rows: Array<[string, number, number, ReplicaSet | undefined]>) =>
    surgeCountedReady(new Map(rows.map(([uid, ready, young]) => [uid, { ready, young }])), (uid) => rows.find((r) => r[0] === uid)?.[3]);
  test('the CI failure of seed 22: 15 ready pods of a ReplicaSet at spec 10 whose status says 14 — the young one neither names is not counted', () => {
    expect(count([['new', 40, 5, rs(40, 40)], ['old', 15, 1, rs(10, 14)], ['older', 1, 0, rs(1, 1)]])).toBe(55);
  });
  test('a local run of seed 22: ReplicaSets scaled to 0 whose statuses say 1 and 0 run 5 and 4 young ready pods', () => {
    expect(count([['new', 50, 0, rs(50, 50)], ['a', 5, 5, rs(0, 1)], ['b', 4, 4, rs(4, 0)]])).toBe(55);
    expect(count([['new', 50, 0, rs(50, 50)], ['a', 5, 5, rs(0, 1)], ['b', 4, 4, rs(0, 0)], ['c', 4, 4, rs(4, 0)]])).toBe(55);
  });
  test('pods a scaled-down ReplicaSet\'s status still reports count in full (the controller must see them)', () => {
    expect(count([['new', 52, 5, rs(52, 52)], ['old', 5, 5, rs(0, 5)]])).toBe(57);
  });
  test('old pods beyond spec and status count in full: a cache shows them by then', () => {
    // An old ReplicaSet scaled to 0 whose lagging status says 3 while 5 long-running pods are Ready.
    expect(count([['new', 52, 2, rs(52, 52)], ['old', 5, 0, rs(0, 3)]])).toBe(57);
    expect(count([['new', 52, 2, rs(52, 52)], ['old', 5, 1, rs(0, 3)]])).toBe(56);
  });
  test('pods of an unknown owner and orphans count in full', () => {
    expect(count([['gone', 3, 3, undefined], ['orphan', 2, 2, rs(0, 0)], ['new', 50, 0, rs(50, 50)]])).toBe(55);
  });
});

test('ordinals and daemon pod nodes', () => {
  expect(podOrdinal('db-0', 'db')).toBe(0);
  expect(podOrdinal('db-12', 'db')).toBe(12);
  expect(podOrdinal('dbx-1', 'db')).toBeUndefined();
  const affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } } };
  expect(daemonPodNode({ spec: { containers: [], affinity } })).toBe('n1');
  expect(daemonPodNode({ spec: { containers: [], nodeName: 'n2', affinity } })).toBe('n2');
});

test('a DaemonSet may run one pod per node; with maxSurge, one old pod next to one new, never more', () => {
  const ds = (rollingUpdate: Record<string, number | string>): DaemonSet => ({ spec: { selector: {}, template: {}, updateStrategy: { type: 'RollingUpdate', rollingUpdate } } });
  const pod = (hash: string): Pod => ({ metadata: { labels: { 'controller-revision-hash': hash } } });
  expect(daemonPodsExcess(ds({ maxUnavailable: 1 }), [pod('a')])).toBe(false);
  expect(daemonPodsExcess(ds({ maxUnavailable: 1 }), [pod('a'), pod('b')])).toBe(true);
  expect(daemonPodsExcess(ds({ maxUnavailable: 1, maxSurge: 0 }), [pod('a'), pod('b')])).toBe(true);
  expect(daemonPodsExcess(ds({ maxUnavailable: 0, maxSurge: 1 }), [pod('a'), pod('b')])).toBe(false);
  expect(daemonPodsExcess(ds({ maxUnavailable: 0, maxSurge: '10%' }), [pod('a'), pod('b')])).toBe(false);
  expect(daemonPodsExcess(ds({ maxUnavailable: 1, maxSurge: '0%' }), [pod('a'), pod('b')])).toBe(true);
  expect(daemonPodsExcess(ds({ maxUnavailable: 0, maxSurge: 1 }), [pod('a'), pod('a')])).toBe(true);
  expect(daemonPodsExcess(ds({ maxUnavailable: 0, maxSurge: 1 }), [pod('a'), pod('b'), pod('c')])).toBe(true);
  expect(daemonPodsExcess(undefined, [pod('a'), pod('b')])).toBe(true);
});


test('the write ledger: every answered write must be stored, unanswered ones may or may not be', () => {
  const e = (value: number, deleted = false, maybeDeleted = false): LedgerEntry => ({ value, deleted, maybeDeleted });
  const entries = new Map<string, LedgerEntry>([
    ['kept', e(3)],
    ['newer', e(3)],
    ['rolled-back', e(3)],
    ['missing', e(0)],
    ['deleted', e(1, true)],
    ['undeleted', e(1, true)],
    ['maybe', e(2, false, true)],
  ]);
  const stored = new Map<string, number>([
    ['kept', 3],
    // An update whose answer was lost landed: later than answered is fine.
    ['newer', 4],
    ['rolled-back', 2],
    ['undeleted', 1],
    ['maybe', 2],
    // A create whose answer was lost landed: the ledger never had it.
    ['unknown', 0],
  ]);
  expect(lostWrites(entries, stored)).toEqual([
    'rolled-back: updated to v=3 (answered), but stored with v=2',
    'missing: written with v=0 (answered), but missing',
    'undeleted: deleted (answered), but stored with v=1',
  ]);
  const healed = new Map(stored).set('rolled-back', 3).set('missing', 0);
  healed.delete('undeleted');
  expect(lostWrites(entries, healed)).toEqual([]);
});

describe('History.inForce: a version counts until the next replaced it', () => {
  it('a replicas value written long ago counts while it was still in force within the window', () => {
    // From a soak: replicas 2 (written at t=0) until scaled to 0 at t=20 s; the slow-start batch made
    // under 2 lands its second pod just after. At t=21 s, with a window of 11.5 s, the 2 still counts.
    let now = 0;
    const h = new History<ReplicaSet>(() => now);
    const rs = (rv: number, replicas: number): ReplicaSet => ({ metadata: { uid: 'u', resourceVersion: String(rv) }, spec: { replicas, selector: {} } });
    h.record('u', rs(1310, 2));
    now = 20_000;
    h.record('u', rs(1418, 0));
    now = 21_000;
    const since = now - 11_500;
    expect(h.inForce('u', 1425, since).map((r) => r.spec?.replicas)).toEqual([2, 0]);
    // Replaced before the window began: no longer counted.
    now = 40_000;
    expect(h.inForce('u', 1425, now - 11_500).map((r) => r.spec?.replicas)).toEqual([0]);
    // Versions after rv are not in force at rv.
    expect(h.inForce('u', 1400, 0).map((r) => r.spec?.replicas)).toEqual([2]);
  });
});
