import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import { SyncState } from './state';
import { findActiveOrLatest, planDeploymentSync, replicaSetFraction, scale } from './sync';
import { deployment, imageOf, replicaSet } from '../../test/fixtures/deployments';
import { specReplicas } from './util';

const now = new Date('2026-11-23T12:00:00Z');

function sizes(s: SyncState): Record<string, number> {
  return Object.fromEntries(s.replicaSets().map((rs) => [imageOf(rs), specReplicas(rs)]));
}

describe('proportional scaling (Kubernetes TestScale cases)', () => {
  interface Case {
    name: string;
    replicas: number;
    surge: number | string;
    unavailable: number | string;
    /** image → [spec replicas, created seconds]; the last is the new ReplicaSet (image 'new'). */
    rss: Record<string, [number, number]>;
    /** desired and max annotations the ReplicaSets were last sized for. */
    annotated: [number, number];
    expected: Record<string, number>;
  }
  const cases: Case[] = [
    { name: 'one active ReplicaSet gets the whole size', replicas: 5, surge: 0, unavailable: 1, rss: { new: [3, 2] }, annotated: [3, 3], expected: { new: 5 } },
    { name: 'no active ReplicaSet: the newest gets it', replicas: 4, surge: 0, unavailable: 1, rss: { old: [0, 1], new: [0, 2] }, annotated: [0, 0], expected: { old: 0, new: 4 } },
    { name: '5 → 10 spread 3:2', replicas: 10, surge: 0, unavailable: 1, rss: { old: [3, 1], new: [2, 2] }, annotated: [5, 5], expected: { old: 6, new: 4 } },
    { name: '5 → 3 spread', replicas: 3, surge: 0, unavailable: 1, rss: { old: [3, 1], new: [2, 2] }, annotated: [5, 5], expected: { old: 2, new: 1 } },
    { name: '10 → 11, equal halves: the newer gets the one', replicas: 11, surge: 0, unavailable: 1, rss: { old: [5, 1], new: [5, 2] }, annotated: [10, 10], expected: { old: 5, new: 6 } },
    { name: '3 → 4 over three of one: leftover to the first (newest)', replicas: 4, surge: 0, unavailable: 1, rss: { a: [1, 1], b: [1, 2], new: [1, 3] }, annotated: [3, 3], expected: { a: 1, b: 1, new: 2 } },
    { name: 'with surge: 10+3 → 20+5', replicas: 20, surge: '25%', unavailable: 0, rss: { old: [8, 1], new: [5, 2] }, annotated: [10, 13], expected: { old: 15, new: 10 } },
    { name: 'to zero: everything to zero', replicas: 0, surge: 1, unavailable: 0, rss: { old: [2, 1], new: [2, 2] }, annotated: [3, 4], expected: { old: 0, new: 0 } },
  ];
  test.each(cases)('$name', (c) => {
    const d = deployment({ replicas: c.replicas, maxSurge: c.surge, maxUnavailable: c.unavailable, image: 'new' });
    const rss = Object.entries(c.rss).map(([image, [replicas, created]]) =>
      replicaSet(d, { image, replicas, created, available: 0, desired: c.annotated[0], max: c.annotated[1] }),
    );
    const s = new SyncState({ deployment: d, replicaSets: rss, now });
    const newRS = rss.find((rs) => imageOf(rs) === 'new');
    scale(s, newRS, rss.filter((rs) => rs !== newRS));
    expect(sizes(s)).toEqual(c.expected);
  });

  test('a saturated new ReplicaSet sends old ones to zero', () => {
    const d = deployment({ replicas: 3, image: 'new' });
    const old = replicaSet(d, { image: 'old', replicas: 1, created: 1, desired: 3, max: 4 });
    const newRS = replicaSet(d, { image: 'new', replicas: 3, created: 2, desired: 3, max: 4 });
    const s = new SyncState({ deployment: d, replicaSets: [old, newRS], now });
    scale(s, newRS, [old]);
    expect(sizes(s)).toEqual({ old: 0, new: 3 });
  });

  test.each([
    // rs replicas, deployment replicas, surge, max annotation, fraction
    [3, 10, 0, 5, 3],
    [3, 3, 0, 5, -1],
    [1, 2, 0, 4, 0], // 1·2/4 = 0.5 rounds half away from zero → 1: no change
    [3, 1, 0, 4, -2], // 3·1/4 = 0.75 → 1
    [4, 0, 0, 4, -4],
  ])('replicaSetFraction rs %p of d %p (surge %p, max %p) → %p', (rsReplicas, replicas, surge, max, fraction) => {
    const d = deployment({ replicas, maxSurge: surge, maxUnavailable: 1 });
    const rs = replicaSet(d, { image: 'x', replicas: rsReplicas, max });
    expect(replicaSetFraction(rs, d)).toBe(fraction);
  });

  test('findActiveOrLatest', () => {
    const d = deployment();
    const a = replicaSet(d, { image: 'a', replicas: 0, created: 1 });
    const b = replicaSet(d, { image: 'b', replicas: 0, created: 2 });
    const n = replicaSet(d, { image: 'n', replicas: 2, created: 3 });
    expect(findActiveOrLatest(undefined, [a, b])?.metadata?.name).toBe(b.metadata?.name);
    expect(findActiveOrLatest(n, [a, b])?.metadata?.name).toBe(n.metadata?.name);
    const activeA = replicaSet(d, { image: 'a', replicas: 1, created: 1 });
    expect(findActiveOrLatest(n, [activeA, b])).toBeUndefined();
    expect(findActiveOrLatest(undefined, [])).toBeUndefined();
  });
});

describe('planDeploymentSync: scaling events, pause, clean-up', () => {
  test('scaling during a rollout resizes proportionally and creates nothing new', () => {
    // Was 10 (surge 3) mid-rollout 8 old / 5 new; now 20 with a changed template → only resize.
    const d = deployment({ replicas: 20, maxSurge: '25%', maxUnavailable: 0, image: 'newer' });
    const old = replicaSet(d, { image: 'old', replicas: 8, created: 1, desired: 10, max: 13, revision: 1 });
    const cur = replicaSet(d, { image: 'new', replicas: 5, created: 2, desired: 10, max: 13, revision: 2, available: 0 });
    const plan = planDeploymentSync({ deployment: d, replicaSets: [old, cur], now });
    expect(plan.actions.some((a) => a.type === 'createReplicaSet')).toBe(false);
    const updated = plan.actions.filter((a) => a.type === 'updateReplicaSet').map((a) => (a.type === 'updateReplicaSet' ? [imageOf(a.replicaSet), a.replicaSet.spec!.replicas, a.replicaSet.metadata!.annotations!['deployment.kubernetes.io/desired-replicas']] : []));
    expect(updated).toEqual([
      ['old', 15, '20'],
      ['new', 10, '20'],
    ]);
    expect(plan.events.map((e) => e.message)).toEqual([`Scaled up replica set ${old.metadata!.name} to 15`, `Scaled up replica set ${cur.metadata!.name} to 10`]);
  });

  test('paused: a template change creates no ReplicaSet; status says paused', () => {
    const d = deployment({ replicas: 3, image: 'v2', paused: true });
    const old = replicaSet(d, { image: 'v1', replicas: 3, revision: 1, desired: 3, max: 4 });
    const plan = planDeploymentSync({ deployment: d, replicaSets: [old], now });
    expect(plan.actions.filter((a) => a.type !== 'updateDeploymentStatus')).toEqual([]);
    const st = plan.actions.find((a) => a.type === 'updateDeploymentStatus');
    const cond = st?.type === 'updateDeploymentStatus' ? st.status.conditions?.find((c) => c.type === 'Progressing') : undefined;
    expect(cond).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused' });
  });

  test('paused: scaling still works', () => {
    const d = deployment({ replicas: 5, image: 'v1', paused: true });
    const rs = replicaSet(d, { image: 'v1', replicas: 3, revision: 1, desired: 3, max: 4 });
    const plan = planDeploymentSync({ deployment: d, replicaSets: [rs], now });
    const up = plan.actions.find((a) => a.type === 'updateReplicaSet');
    expect(up?.type === 'updateReplicaSet' && up.replicaSet.spec!.replicas).toBe(5);
  });

  test('revisionHistoryLimit deletes the oldest empty old ReplicaSets only', () => {
    const d = deployment({ replicas: 2, image: 'v5', revisionHistoryLimit: 2 });
    const rss: ReplicaSet[] = [
      replicaSet(d, { image: 'v1', replicas: 0, revision: 1, created: 1 }),
      replicaSet(d, { image: 'v2', replicas: 0, revision: 2, created: 2, statusReplicas: 1 }), // pods still terminating
      replicaSet(d, { image: 'v3', replicas: 0, revision: 3, created: 3 }),
      replicaSet(d, { image: 'v4', replicas: 0, revision: 4, created: 4 }),
      replicaSet(d, { image: 'v5', replicas: 2, revision: 5, created: 5, desired: 2, max: 3 }),
    ];
    const dd = { ...d, status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 } };
    const plan = planDeploymentSync({ deployment: dd, replicaSets: rss, now });
    const deleted = plan.actions.filter((a) => a.type === 'deleteReplicaSet').map((a) => (a.type === 'deleteReplicaSet' ? imageOf(a.replicaSet) : ''));
    expect(deleted).toEqual(['v1']);
  });

  test('a steady, complete Deployment needs no writes', () => {
    const d = deployment({ replicas: 2, image: 'v1' });
    const rs = replicaSet(d, { image: 'v1', replicas: 2, revision: 1, desired: 2, max: 3 });
    d.metadata!.annotations = { 'deployment.kubernetes.io/revision': '1' };
    const first = planDeploymentSync({ deployment: d, replicaSets: [rs], now });
    const st = first.actions.find((a) => a.type === 'updateDeploymentStatus');
    const settled = { ...d, status: st?.type === 'updateDeploymentStatus' ? st.status : d.status };
    const again = planDeploymentSync({ deployment: settled, replicaSets: [rs], now: new Date(now.getTime() + 5000) });
    expect(again.actions).toEqual([]);
    expect(again.requeueAfterMs).toBeUndefined();
  });
});
