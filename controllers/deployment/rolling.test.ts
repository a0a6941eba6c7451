import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { DeploymentPlan, planDeploymentSync } from './sync';
import { SyncState } from './state';
import { cleanupUnhealthyReplicas, reconcileNewReplicaSet, reconcileOldReplicaSets, scaleDownOldReplicaSetsForRollingUpdate } from './rolling';
import { deployment, imageOf, replicaSet } from '../../test/fixtures/deployments';
import { RevisionAnnotation, specReplicas } from './util';

const now = new Date('2026-11-23T12:00:00Z');

/** name suffix → new spec.replicas of every ReplicaSet the plan writes. */
function scales(plan: DeploymentPlan): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of plan.actions) {
    if (a.type === 'createReplicaSet' || a.type === 'updateReplicaSet') {
      out[imageOf(a.replicaSet)] = a.replicaSet.spec!.replicas ?? 0;
    }
  }
  return out;
}

describe('reconcileNewReplicaSet (scale up within maxSurge)', () => {
  test.each([
    // replicas, surge, unavailable, old replicas, new replicas, expected new (undefined: unchanged)
    [3, 1, 0, 3, 0, 1],
    [3, 1, 0, 3, 1, undefined], // at replicas + surge already
    [3, 1, 0, 2, 1, 2],
    [3, 1, 0, 0, 3, undefined], // done
    [3, 1, 0, 0, 5, 3], // too big: down to replicas
    [10, '25%', '25%', 10, 0, 3],
    [10, '30%', '0%', 8, 2, 5],
    [4, 0, 1, 4, 0, undefined], // no surge: must wait for old to go down first
  ])('replicas %p surge %p unavail %p, old %p new %p → %p', (replicas, surge, unavail, old, cur, expected) => {
    const d = deployment({ replicas, maxSurge: surge, maxUnavailable: unavail, image: 'new' });
    const oldRS = replicaSet(d, { image: 'old', replicas: old, created: 1 });
    const newRS = replicaSet(d, { image: 'new', replicas: cur, created: 2 });
    const s = new SyncState({ deployment: d, replicaSets: [oldRS, newRS], now });
    const r = reconcileNewReplicaSet(s, [oldRS, newRS], newRS);
    expect(r.scaled ? specReplicas(r.rs) : undefined).toBe(expected);
  });

  // Found by the chaos harness (56–58 ready pods with replicas 50, maxSurge 5): an old ReplicaSet scaled
  // 32 → 30 still runs 32 pods until its controller deletes two; the new one may not grow into that room.
  test.each([
    // replicas, surge, [old spec, old status.replicas], new spec, expected new (undefined: unchanged)
    ['old still runs 2 pods beyond its scale-down: new grows only into the room left', 50, 5, [30, 32], 20, 23],
    ['old has deleted them: new grows to the limit', 50, 5, [30, 30], 20, 25],
    ['old still runs 5 beyond: no room, new waits', 50, 5, [30, 35], 20, undefined],
  ] as const)('%s', (_name, replicas, surge, [oldSpec, oldPods], cur, expected) => {
    const d = deployment({ replicas, maxSurge: surge, maxUnavailable: 0, image: 'new' });
    const base = replicaSet(d, { image: 'old', replicas: oldSpec, created: 1 });
    const oldRS = { ...base, status: { ...base.status, replicas: oldPods } };
    const newRS = replicaSet(d, { image: 'new', replicas: cur, created: 2 });
    const s = new SyncState({ deployment: d, replicaSets: [oldRS, newRS], now });
    const r = reconcileNewReplicaSet(s, [oldRS, newRS], newRS);
    expect(r.scaled ? specReplicas(r.rs) : undefined).toBe(expected);
  });

  // Found by the chaos soak (seed 3656453741: 57 ready pods with replicas 50, maxSurge 5): an old
  // ReplicaSet scaled to 0 whose status still said 3 replicas ran 5 Ready pods (its controller could not
  // delete them yet); counting the status alone, the new ReplicaSet grew into room those pods still took.
  test.each([
    // old: [spec, status.replicas, active pods the cache shows], new spec, expected new (undefined: unchanged)
    ['pods beyond the lagging status count: no room, new waits', [0, 3, 5], 47, undefined],
    ['pods beyond spec but fewer than status: status counts', [0, 3, 2], 47, 49],
    ['pods being deleted do not count', [0, 0, 0], 47, 50],
  ] as const)('%s', (_name, [oldSpec, oldStatus, oldPods], cur, expected) => {
    const d = deployment({ replicas: 50, maxSurge: 2, maxUnavailable: 0, image: 'new' });
    const oldRS = replicaSet(d, { image: 'old', replicas: oldSpec, statusReplicas: oldStatus, available: 0, created: 1 });
    const newRS = replicaSet(d, { image: 'new', replicas: cur, created: 2 });
    const pod = (i: number, deleting: boolean): Pod => ({
      metadata: { name: `old-${i}`, namespace: 'default', uid: `old-${i}`, ...(deleting ? { deletionTimestamp: '2026-11-23T11:59:59Z' } : {}) },
      spec: { nodeName: 'n', containers: [] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    });
    // Five pods in the cache: the first oldPods active, the rest being deleted.
    const pods = new Map([[oldRS.metadata!.uid!, Array.from({ length: 5 }, (_, i) => pod(i, i >= oldPods))]]);
    const s = new SyncState({ deployment: d, replicaSets: [oldRS, newRS], podsByReplicaSetUid: pods, now });
    const r = reconcileNewReplicaSet(s, [oldRS, newRS], newRS);
    expect(r.scaled ? specReplicas(r.rs) : undefined).toBe(expected);
  });
});

describe('reconcileOldReplicaSets (scale down within maxUnavailable)', () => {
  test.each([
    // replicas, surge, unavail, [old spec, old avail], [new spec, new avail], expected old spec afterwards
    ['surge 1, new pod not yet available: keep all old', 3, 1, 0, [3, 3], [1, 0], 3],
    ['surge 1, new pod available: one old goes', 3, 1, 0, [3, 3], [1, 1], 2],
    ['unavailable 1 and no surge: one old goes at once', 3, 0, 1, [3, 3], [0, 0], 2],
    ['unhealthy old replicas are not removed while the new pod is unavailable (no room)', 3, 1, 0, [3, 1], [1, 0], 3],
    ['unhealthy old replicas go first once there is room', 3, 1, 0, [3, 1], [1, 1], 2],
    ['unhealthy old replicas go first, up to the room maxUnavailable gives', 3, 1, 1, [3, 1], [1, 1], 1],
    ['25%/25% of 10, new 3 unavailable', 10, '25%', '25%', [10, 10], [3, 0], 8],
    ['25%/25% of 10, new 3 available', 10, '25%', '25%', [10, 10], [3, 3], 5],
    ['nothing old left', 3, 1, 0, [0, 0], [3, 3], 0],
    // Found by the chaos harness (issue 22: 50 replicas, maxSurge 5, maxUnavailable 0, availability
    // dipped to 46): the old ReplicaSet was scaled 50 → 45 but its status still counts the 5 pods it is
    // deleting. Counting them again would scale it to 35, leaving 35 + 10 = 45 available.
    ['old status still counts pods its last scale-down deletes: only the real surplus goes', 50, 5, 0, [45, 50], [10, 10], 40],
    ['old status lagging a scale-down, new pods not yet available: nothing goes', 50, 5, 0, [45, 50], [10, 5], 45],
  ] as const)('%s', (_name, replicas, surge, unavail, [oldSpec, oldAvail], [newSpec, newAvail], expected) => {
    const d = deployment({ replicas, maxSurge: surge, maxUnavailable: unavail, image: 'new' });
    const oldRS = replicaSet(d, { image: 'old', replicas: oldSpec, available: oldAvail, created: 1 });
    const newRS = replicaSet(d, { image: 'new', replicas: newSpec, available: newAvail, created: 2 });
    const s = new SyncState({ deployment: d, replicaSets: [oldRS, newRS], now });
    const r = reconcileOldReplicaSets(s, [oldRS, newRS], oldSpec > 0 ? [oldRS] : [], newRS);
    const after = s.replicaSets().find((rs) => rs.metadata?.name === oldRS.metadata?.name)!;
    expect(specReplicas(after)).toBe(expected);
    expect(r.scaled).toBe(expected !== oldSpec);
  });

  test('cleanupUnhealthyReplicas takes unavailable replicas from the oldest ReplicaSet first', () => {
    const d = deployment({ replicas: 6, image: 'new' });
    const a = replicaSet(d, { image: 'a', replicas: 2, available: 0, created: 1 });
    const b = replicaSet(d, { image: 'b', replicas: 3, available: 1, created: 2 });
    const s = new SyncState({ deployment: d, replicaSets: [a, b], now });
    const r = cleanupUnhealthyReplicas(s, [b, a], 3);
    expect(r.count).toBe(3);
    expect(r.oldRSs.map((rs) => specReplicas(rs))).toEqual([0, 2]);
  });

  test('cleanupUnhealthyReplicas never takes replicas the pod cache shows available, whatever a lagging status says', () => {
    // The chaos harness after kill -9 of the apiserver: the old ReplicaSet's status still said 47 of 50
    // available (its last status write was lost, its next sync backed off), so a second rollout
    // "cleaned up" 3 pods that were Ready: 47 ready < replicas − maxUnavailable = 50.
    const d = deployment({ replicas: 50, maxSurge: 5, maxUnavailable: 0, image: 'c' });
    const a = replicaSet(d, { image: 'a', replicas: 50, available: 47, created: 1 });
    const b = replicaSet(d, { image: 'b', replicas: 5, available: 0, created: 2 });
    const ready = { type: 'Ready', status: 'True', lastTransitionTime: '2026-11-23T11:00:00Z' };
    const podsOf = (rs: ReplicaSet, n: number, isReady: boolean): Pod[] =>
      Array.from({ length: n }, (_, i) => ({
        metadata: { name: `${rs.metadata!.name}-${i}`, namespace: 'default', uid: `${rs.metadata!.uid}-${i}` },
        spec: { nodeName: 'n', containers: [] },
        status: { phase: 'Running', conditions: isReady ? [ready] : [] },
      }));
    const pods = new Map([
      [a.metadata!.uid!, podsOf(a, 50, true)],
      [b.metadata!.uid!, podsOf(b, 5, false)],
    ]);
    const s = new SyncState({ deployment: d, replicaSets: [a, b], podsByReplicaSetUid: pods, now });
    const r = cleanupUnhealthyReplicas(s, [a, b], 5);
    expect(r.oldRSs.map((rs) => specReplicas(rs))).toEqual([50, 0]);
    // Without the pods (none known), the status is all there is.
    const t = new SyncState({ deployment: d, replicaSets: [a, b], now });
    expect(cleanupUnhealthyReplicas(t, [a, b], 5).oldRSs.map((rs) => specReplicas(rs))).toEqual([47, 3]);
  });

  test('scaleDownOldReplicaSetsForRollingUpdate takes from the oldest ReplicaSet first', () => {
    const d = deployment({ replicas: 4, maxSurge: 0, maxUnavailable: 1, image: 'new' });
    const a = replicaSet(d, { image: 'a', replicas: 1, created: 1 });
    const b = replicaSet(d, { image: 'b', replicas: 3, created: 2 });
    const n = replicaSet(d, { image: 'new', replicas: 1, created: 3 });
    const s = new SyncState({ deployment: d, replicaSets: [a, b, n], now });
    // 5 available, min 3 → 2 go: a's one, then one of b's.
    expect(scaleDownOldReplicaSetsForRollingUpdate(s, [a, b, n], [b, a])).toBe(2);
    expect(s.replicaSets().map((rs) => specReplicas(rs))).toEqual([0, 2, 1]);
  });
});

describe('planDeploymentSync: rolling update steps', () => {
  test('first sync creates the ReplicaSet at full size, revision 1, event, owner reference', () => {
    const d = deployment({ replicas: 3 });
    const plan = planDeploymentSync({ deployment: d, replicaSets: [], now });
    const create = plan.actions.find((a) => a.type === 'createReplicaSet');
    expect(create).toBeDefined();
    const rs = create!.type === 'createReplicaSet' ? create!.replicaSet : undefined;
    expect(rs!.spec!.replicas).toBe(3);
    const hash = rs!.spec!.template!.metadata!.labels!['pod-template-hash'];
    expect(rs!.metadata!.name).toBe(`web-${hash}`);
    expect(rs!.spec!.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.metadata!.labels!['pod-template-hash']).toBe(hash);
    expect(rs!.metadata!.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web', controller: true, blockOwnerDeletion: true }]);
    expect(rs!.metadata!.annotations![RevisionAnnotation]).toBe('1');
    expect(plan.events).toEqual([{ type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set web-${hash} to 3` }]);
    expect(plan.actions).toContainEqual({ type: 'patchDeploymentAnnotations', annotations: { [RevisionAnnotation]: '1' } });
    const status = plan.actions.find((a) => a.type === 'updateDeploymentStatus');
    expect(status && status.type === 'updateDeploymentStatus' && status.status.conditions?.find((c) => c.type === 'Progressing')?.reason).toBe('NewReplicaSetCreated');
  });

  test('image change: new ReplicaSet at surge size, old one untouched until new pods are available', () => {
    const d = deployment({ replicas: 3, maxSurge: 1, maxUnavailable: 0, image: 'v2' });
    const old = replicaSet(d, { image: 'v1', replicas: 3, revision: 1, desired: 3, max: 4 });
    const plan = planDeploymentSync({ deployment: d, replicaSets: [old], now });
    expect(scales(plan)).toEqual({ v2: 1 });
  });

  test('rollout converges, never below replicas - maxUnavailable available nor above replicas + maxSurge', () => {
    for (const [surge, unavail] of [
      [1, 0],
      [0, 1],
      ['25%', '25%'],
      [3, 2],
    ] as const) {
      const d = deployment({ replicas: 7, maxSurge: surge, maxUnavailable: unavail, image: 'v2' });
      let rss: ReplicaSet[] = [replicaSet(d, { image: 'v1', replicas: 7, revision: 1, desired: 7, max: 8 })];
      const minAvailable = 7 - (unavail === '25%' ? 1 : (unavail as number));
      const maxTotal = 7 + (surge === '25%' ? 2 : (surge as number));
      let steps = 0;
      for (; steps < 50; steps++) {
        const plan = planDeploymentSync({ deployment: d, replicaSets: rss, now });
        rss = applyPlan(rss, plan);
        // A perfect ReplicaSet controller: status follows spec; scaled-down pods go at once, new ones become available.
        const total = rss.reduce((n, rs) => n + specReplicas(rs), 0);
        expect(total).toBeLessThanOrEqual(maxTotal);
        const availableBefore = rss.reduce((n, rs) => n + Math.min(rs.status?.availableReplicas ?? 0, specReplicas(rs)), 0);
        expect(availableBefore).toBeGreaterThanOrEqual(minAvailable);
        rss = rss.map((rs) => ({ ...rs, status: { replicas: specReplicas(rs), availableReplicas: specReplicas(rs), readyReplicas: specReplicas(rs), observedGeneration: 1 } }));
        if (plan.actions.every((a) => a.type === 'updateDeploymentStatus' || a.type === 'patchDeploymentAnnotations')) break;
      }
      expect(steps).toBeLessThan(50);
      const byImage = Object.fromEntries(rss.map((rs) => [imageOf(rs), specReplicas(rs)]));
      expect(byImage).toEqual({ v1: 0, v2: 7 });
    }
  });
});

/** Applies creates/updates/deletes of a plan to a ReplicaSet list (a stand-in for the apiserver). */
export function applyPlan(rss: ReplicaSet[], plan: DeploymentPlan): ReplicaSet[] {
  let out = rss.map((rs) => structuredClone(rs));
  for (const a of plan.actions) {
    if (a.type === 'createReplicaSet') {
      const rs = structuredClone(a.replicaSet);
      out.push({
        ...rs,
        metadata: { ...rs.metadata, uid: `uid-${rs.metadata!.name}`, creationTimestamp: new Date(1000 * (out.length + 10)).toISOString() },
        status: { replicas: 0, availableReplicas: 0, readyReplicas: 0 },
      });
    } else if (a.type === 'updateReplicaSet') {
      out = out.map((rs) => (rs.metadata?.name === a.replicaSet.metadata?.name ? { ...structuredClone(a.replicaSet), status: rs.status } : rs));
    } else if (a.type === 'deleteReplicaSet') {
      out = out.filter((rs) => rs.metadata?.name !== a.replicaSet.metadata?.name);
    }
  }
  return out;
}

export function withStatus(d: Deployment, plan: DeploymentPlan): Deployment {
  const st = plan.actions.find((a) => a.type === 'updateDeploymentStatus');
  return st && st.type === 'updateDeploymentStatus' ? { ...d, status: st.status } : d;
}
