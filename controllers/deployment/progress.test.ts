import type { Deployment, DeploymentCondition } from 'kubernetes-types/apps/v1';
import { calculateStatus, deploymentComplete, deploymentProgressing, deploymentTimedOut } from './progress';
import { planDeploymentSync } from './sync';
import { deployment, replicaSet } from '../../test/fixtures/deployments';
import { rfc3339 } from '../../lib/api/time';

const now = new Date('2026-11-23T12:00:00Z');
const ago = (s: number) => rfc3339(new Date(now.getTime() - s * 1000));
const progressing = (reason: string, updatedSecondsAgo: number, status = 'True'): DeploymentCondition => ({
  type: 'Progressing',
  status,
  reason,
  message: '',
  lastUpdateTime: ago(updatedSecondsAgo),
  lastTransitionTime: ago(updatedSecondsAgo + 100),
});

function statusOf(plan: ReturnType<typeof planDeploymentSync>) {
  const a = plan.actions.find((x) => x.type === 'updateDeploymentStatus');
  return a?.type === 'updateDeploymentStatus' ? a.status : undefined;
}

describe('calculateStatus', () => {
  test('counts from ReplicaSet statuses; Available by maxUnavailable', () => {
    const d = deployment({ replicas: 4, maxSurge: 1, maxUnavailable: 1, generation: 7, image: 'new' });
    const old = replicaSet(d, { image: 'old', replicas: 2, statusReplicas: 2, ready: 2, available: 2 });
    const cur = replicaSet(d, { image: 'new', replicas: 3, statusReplicas: 3, ready: 2, available: 1 });
    const st = calculateStatus(d, [old, cur], cur, now);
    expect(st).toMatchObject({ observedGeneration: 7, replicas: 5, updatedReplicas: 3, readyReplicas: 4, availableReplicas: 3, unavailableReplicas: 2 });
    expect(st.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    const worse = replicaSet(d, { image: 'new', replicas: 3, statusReplicas: 3, ready: 0, available: 0 });
    const st2 = calculateStatus(d, [{ ...old, status: { replicas: 2, availableReplicas: 1 } }, worse], worse, now);
    expect(st2.conditions?.find((c) => c.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
  });
});

describe('progress predicates', () => {
  const d = deployment({ replicas: 3, generation: 2 });
  test.each([
    [{ observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }, true],
    [{ observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }, false],
    [{ observedGeneration: 2, replicas: 4, updatedReplicas: 3, availableReplicas: 3 }, false],
    [{ observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 2 }, false],
  ])('deploymentComplete(%p) = %p', (st, want) => {
    expect(deploymentComplete(d, st)).toBe(want);
  });
  const before: Deployment = { ...d, status: { replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 } };
  test.each([
    [{ replicas: 4, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3 }, true], // more updated
    [{ replicas: 3, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 }, true], // fewer old
    [{ replicas: 4, updatedReplicas: 1, readyReplicas: 4, availableReplicas: 3 }, true], // more ready
    [{ replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 }, false],
  ])('deploymentProgressing(%p) = %p', (st, want) => {
    expect(deploymentProgressing(before, st)).toBe(want);
  });
  test.each([
    [progressing('ReplicaSetUpdated', 601), true],
    [progressing('ReplicaSetUpdated', 599), false],
    [progressing('NewReplicaSetAvailable', 10000), false],
    [progressing('ProgressDeadlineExceeded', 1, 'False'), true],
  ])('deploymentTimedOut(%p) = %p', (cond, want) => {
    expect(deploymentTimedOut(d, { conditions: [cond] }, now)).toBe(want);
  });
});

describe('Progressing condition through a sync', () => {
  test('complete rollout → NewReplicaSetAvailable', () => {
    const d = deployment({ replicas: 2 });
    d.status = { observedGeneration: 1, replicas: 2, updatedReplicas: 1, availableReplicas: 1, conditions: [progressing('ReplicaSetUpdated', 5)] };
    const rs = replicaSet(d, { image: 'nginx:1', replicas: 2, revision: 1, desired: 2, max: 3 });
    const st = statusOf(planDeploymentSync({ deployment: d, replicaSets: [rs], now }));
    expect(st?.conditions?.find((c) => c.type === 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${rs.metadata!.name}" has successfully progressed.` });
    expect(st).toMatchObject({ replicas: 2, updatedReplicas: 2, availableReplicas: 2, unavailableReplicas: 0 });
  });

  test('progress refreshes lastUpdateTime, keeps lastTransitionTime', () => {
    const d = deployment({ replicas: 3, maxSurge: 1, maxUnavailable: 0 });
    const cond = progressing('ReplicaSetUpdated', 30);
    d.status = { observedGeneration: 1, replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2, conditions: [cond] };
    const old = replicaSet(d, { image: 'old', replicas: 1, revision: 1, created: 1, desired: 3, max: 4 });
    const cur = replicaSet(d, { image: 'nginx:1', replicas: 3, revision: 2, created: 2, desired: 3, max: 4, available: 2, statusReplicas: 3 });
    const plan = planDeploymentSync({ deployment: d, replicaSets: [old, cur], now });
    const c = statusOf(plan)?.conditions?.find((x) => x.type === 'Progressing');
    expect(c).toMatchObject({ reason: 'ReplicaSetUpdated', lastUpdateTime: rfc3339(now), lastTransitionTime: cond.lastTransitionTime });
    // Still in flight: come back by the deadline.
    expect(plan.requeueAfterMs).toBeGreaterThanOrEqual(600_000);
  });

  test('no progress past the deadline → Progressing=False ProgressDeadlineExceeded', () => {
    const d = deployment({ replicas: 2, maxSurge: 1, maxUnavailable: 0, progressDeadlineSeconds: 60 });
    d.status = { observedGeneration: 1, replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2, conditions: [progressing('ReplicaSetUpdated', 61)] };
    const old = replicaSet(d, { image: 'old', replicas: 2, revision: 1, created: 1, desired: 2, max: 3 });
    const cur = replicaSet(d, { image: 'nginx:1', replicas: 1, revision: 2, created: 2, desired: 2, max: 3, available: 0, ready: 0 });
    const plan = planDeploymentSync({ deployment: d, replicaSets: [old, cur], now });
    const c = statusOf(plan)?.conditions?.find((x) => x.type === 'Progressing');
    expect(c).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${cur.metadata!.name}" has timed out progressing.` });
    expect(plan.requeueAfterMs).toBeUndefined();
  });

  test('stalled but within the deadline: no status write, requeue when the deadline passes', () => {
    const d = deployment({ replicas: 2, maxSurge: 1, maxUnavailable: 0, progressDeadlineSeconds: 60 });
    const old = replicaSet(d, { image: 'old', replicas: 2, revision: 1, created: 1, desired: 2, max: 3 });
    const cur = replicaSet(d, { image: 'nginx:1', replicas: 1, revision: 2, created: 2, desired: 2, max: 3, available: 0, ready: 0 });
    d.metadata!.annotations = { 'deployment.kubernetes.io/revision': '2' };
    d.status = { observedGeneration: 1, replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 1, conditions: [
      { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: ago(100), lastTransitionTime: ago(100) },
      progressing('ReplicaSetUpdated', 20),
    ] };
    const plan = planDeploymentSync({ deployment: d, replicaSets: [old, cur], now });
    expect(plan.actions).toEqual([]);
    expect(plan.requeueAfterMs).toBe(41_000);
  });

  test('no progress deadline: no Progressing condition at all', () => {
    const d = deployment({ replicas: 1 });
    delete d.spec!.progressDeadlineSeconds;
    const st = statusOf(planDeploymentSync({ deployment: d, replicaSets: [], now }));
    expect(st?.conditions?.map((c) => c.type)).toEqual(['Available']);
  });

  test('a ReplicaSet failure condition is surfaced as ReplicaFailure', () => {
    const d = deployment({ replicas: 1 });
    const rs = replicaSet(d, { image: 'nginx:1', replicas: 1, available: 0, revision: 1, desired: 1, max: 2 });
    rs.status!.conditions = [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "x" is forbidden' }];
    const st = statusOf(planDeploymentSync({ deployment: d, replicaSets: [rs], now }));
    expect(st?.conditions?.find((c) => c.type === 'ReplicaFailure')).toMatchObject({ status: 'True', reason: 'FailedCreate', message: 'pods "x" is forbidden' });
  });
});
