import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import { deployment, replicaSet } from '../../test/fixtures/deployments';
import {
  equalIgnoreHash,
  findNewReplicaSet,
  lastRevision,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  resolveFenceposts,
  RevisionAnnotation,
  RevisionHistoryAnnotation,
  setCondition,
  setNewReplicaSetAnnotations,
} from './util';
import { scaledValue } from '../shared/int-or-percent';

describe('resolveFenceposts (surge rounds up, unavailable rounds down, both 0 → unavailable 1)', () => {
  test.each([
    // maxSurge, maxUnavailable, desired, surge, unavailable
    ['25%', '25%', 10, 3, 2],
    ['25%', '25%', 4, 1, 1],
    ['25%', '25%', 1, 1, 0],
    ['25%', '25%', 3, 1, 0],
    [0, 0, 5, 0, 1],
    ['0%', '0%', 5, 0, 1],
    ['10%', '10%', 5, 1, 0],
    [1, 0, 3, 1, 0],
    [0, 1, 3, 0, 1],
    [2, 3, 10, 2, 3],
    ['50%', '50%', 3, 2, 1],
    ['100%', '0%', 7, 7, 0],
    ['1%', '1%', 0, 0, 1],
  ])('surge %p unavailable %p of %p → surge %p unavailable %p', (s, u, desired, surge, unavailable) => {
    expect(resolveFenceposts(s, u, desired)).toEqual({ surge, unavailable });
  });

  test('malformed percent is an error', () => {
    expect(() => scaledValue('5', 10, true)).toThrow(/not a percentage/);
  });

  test.each([
    // replicas, maxSurge, maxUnavailable, strategy, expected surge, expected unavailable
    [3, 1, 0, 'RollingUpdate', 1, 0],
    [0, 1, 1, 'RollingUpdate', 1, 0], // nothing to make unavailable at 0 replicas
    [2, 0, 5, 'RollingUpdate', 0, 2], // capped at replicas
    [3, 1, 1, 'Recreate', 0, 0],
  ] as const)('deployment replicas %p surge %p unavailable %p %s → %p/%p', (replicas, s, u, strategy, surge, unavailable) => {
    const d = deployment({ replicas, maxSurge: s, maxUnavailable: u, strategy });
    expect(maxSurge(d)).toBe(surge);
    expect(maxUnavailable(d)).toBe(unavailable);
  });
});

describe('templates', () => {
  const d = deployment();
  test('equalIgnoreHash ignores only the pod-template-hash label', () => {
    const rs = replicaSet(d, { image: 'nginx:1', replicas: 1 });
    expect(equalIgnoreHash(rs.spec!.template, d.spec!.template)).toBe(true);
    const rs2 = replicaSet(d, { image: 'nginx:2', replicas: 1 });
    expect(equalIgnoreHash(rs2.spec!.template, d.spec!.template)).toBe(false);
    expect(findNewReplicaSet(d, [rs2, rs])?.metadata?.name).toBe(rs.metadata?.name);
  });
});

describe('revisions', () => {
  const d = deployment();
  const rs = (revision: number | undefined, image = `img:${revision}`): ReplicaSet => replicaSet(d, { image, replicas: 0, revision });
  test.each([
    [[1, 2, 3], 3, 2],
    [[3, 1, 2], 3, 2],
    [[5], 5, 0],
    [[], 0, 0],
    [[undefined, 4], 4, 0],
  ])('revisions %p → max %p, last %p', (revs, max, last) => {
    const rss = revs.map((r, i) => rs(r, `img:${i}`));
    expect(maxRevision(rss)).toBe(max);
    expect(lastRevision(rss)).toBe(last);
  });

  test('a re-used ReplicaSet gets the new revision and remembers the old one', () => {
    const old = rs(1);
    expect(setNewReplicaSetAnnotations(d, old, 3, true)).toBe(true);
    expect(old.metadata!.annotations![RevisionAnnotation]).toBe('3');
    expect(old.metadata!.annotations![RevisionHistoryAnnotation]).toBe('1');
    setNewReplicaSetAnnotations(d, old, 5, true);
    expect(old.metadata!.annotations![RevisionHistoryAnnotation]).toBe('1,3');
    // Never lowered.
    expect(setNewReplicaSetAnnotations(d, old, 2, true)).toBe(false);
    expect(old.metadata!.annotations![RevisionAnnotation]).toBe('5');
  });

  test('a new ReplicaSet gets deployment annotations and replica annotations, not kubectl bookkeeping', () => {
    const dd = deployment({ replicas: 4, maxSurge: 1 });
    dd.metadata!.annotations = { team: 'a', 'kubectl.kubernetes.io/last-applied-configuration': '{}' };
    const fresh = rs(undefined);
    setNewReplicaSetAnnotations(dd, fresh, 1, false);
    expect(fresh.metadata!.annotations).toEqual({
      team: 'a',
      [RevisionAnnotation]: '1',
      'deployment.kubernetes.io/desired-replicas': '4',
      'deployment.kubernetes.io/max-replicas': '5',
    });
  });
});

describe('newRSNewReplicas', () => {
  test.each([
    // replicas, surge, old spec replicas, new spec replicas, expected new
    [3, 1, 3, 0, 1],
    [3, 1, 2, 1, 2],
    [3, 1, 3, 1, 1], // already at replicas+surge
    [10, '25%', 10, 0, 3],
    [10, 0, 10, 0, 0],
    [3, 5, 3, 0, 3], // never past desired
  ])('replicas %p surge %p old %p new %p → %p', (replicas, surge, old, cur, expected) => {
    const d = deployment({ replicas, maxSurge: surge, maxUnavailable: 0 });
    const oldRS = replicaSet(d, { image: 'old', replicas: old });
    const newRS = replicaSet(d, { image: 'nginx:1', replicas: cur });
    expect(newRSNewReplicas(d, [oldRS, newRS], newRS)).toBe(expected);
  });
  test('Recreate: the full size at once', () => {
    const d = deployment({ replicas: 5, strategy: 'Recreate' });
    expect(newRSNewReplicas(d, [], replicaSet(d, { image: 'nginx:1', replicas: 0 }))).toBe(5);
  });
});

describe('setCondition', () => {
  const t0 = new Date('2026-01-01T00:00:00Z');
  const t1 = new Date('2026-01-01T00:01:00Z');
  test('same status and reason: untouched; new reason, same status: keeps transition time', () => {
    const status = {};
    setCondition(status, { type: 'Progressing', status: 'True', reason: 'A', lastUpdateTime: t0.toISOString(), lastTransitionTime: t0.toISOString() });
    setCondition(status, { type: 'Progressing', status: 'True', reason: 'A', message: 'x', lastUpdateTime: t1.toISOString(), lastTransitionTime: t1.toISOString() });
    expect(status).toEqual({ conditions: [{ type: 'Progressing', status: 'True', reason: 'A', lastUpdateTime: t0.toISOString(), lastTransitionTime: t0.toISOString() }] });
    setCondition(status, { type: 'Progressing', status: 'True', reason: 'B', lastUpdateTime: t1.toISOString(), lastTransitionTime: t1.toISOString() });
    expect(status).toEqual({ conditions: [{ type: 'Progressing', status: 'True', reason: 'B', lastUpdateTime: t1.toISOString(), lastTransitionTime: t0.toISOString() }] });
    setCondition(status, { type: 'Progressing', status: 'False', reason: 'C', lastUpdateTime: t1.toISOString(), lastTransitionTime: t1.toISOString() });
    expect(status).toEqual({ conditions: [{ type: 'Progressing', status: 'False', reason: 'C', lastUpdateTime: t1.toISOString(), lastTransitionTime: t1.toISOString() }] });
  });
});
