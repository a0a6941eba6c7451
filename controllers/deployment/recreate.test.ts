import type { Pod } from 'kubernetes-types/core/v1';
import { oldPodsRunning } from './recreate';
import { planDeploymentSync } from './sync';
import { deployment, replicaSet } from '../../test/fixtures/deployments';

const now = new Date('2026-11-23T12:00:00Z');
const pod = (phase: string): Pod => ({ metadata: { name: `p-${phase}` }, status: { phase } });

describe('Recreate', () => {
  const d = deployment({ replicas: 3, strategy: 'Recreate', image: 'v2' });

  test('first scales every old ReplicaSet to zero, creates nothing', () => {
    const a = replicaSet(d, { image: 'v1', replicas: 3, revision: 1, created: 1 });
    const plan = planDeploymentSync({ deployment: d, replicaSets: [a], now });
    expect(plan.actions.filter((x) => x.type === 'createReplicaSet')).toEqual([]);
    const upd = plan.actions.find((x) => x.type === 'updateReplicaSet');
    expect(upd?.type === 'updateReplicaSet' && upd.replicaSet.spec!.replicas).toBe(0);
    expect(plan.events[0].message).toBe(`Scaled down replica set ${a.metadata!.name} to 0`);
  });

  test('waits while old pods still run', () => {
    const a = replicaSet(d, { image: 'v1', replicas: 0, statusReplicas: 0, revision: 1, created: 1 });
    const pods = new Map([[a.metadata!.uid!, [pod('Running')]]]);
    const plan = planDeploymentSync({ deployment: d, replicaSets: [a], podsByReplicaSetUid: pods, now });
    expect(plan.actions.filter((x) => x.type === 'createReplicaSet' || x.type === 'updateReplicaSet')).toEqual([]);
  });

  test('then creates the new ReplicaSet at full size', () => {
    const a = replicaSet(d, { image: 'v1', replicas: 0, statusReplicas: 0, revision: 1, created: 1 });
    const pods = new Map([[a.metadata!.uid!, [pod('Succeeded'), pod('Failed')]]]);
    const plan = planDeploymentSync({ deployment: d, replicaSets: [a], podsByReplicaSetUid: pods, now });
    const create = plan.actions.find((x) => x.type === 'createReplicaSet');
    expect(create?.type === 'createReplicaSet' && create.replicaSet.spec!.replicas).toBe(3);
    expect(create?.type === 'createReplicaSet' && create.replicaSet.metadata!.annotations!['deployment.kubernetes.io/revision']).toBe('2');
  });

  test.each([
    [[], 0, false],
    [['Running'], 0, true],
    [['Pending'], 0, true],
    [['Unknown'], 0, true],
    [['Succeeded', 'Failed'], 0, false],
    [[], 1, true], // the ReplicaSet still reports a pod
  ])('oldPodsRunning(pods %p, status.replicas %p) = %p', (phases, statusReplicas, want) => {
    const a = replicaSet(d, { image: 'v1', replicas: 0, statusReplicas, created: 1 });
    const n = replicaSet(d, { image: 'v2', replicas: 3, created: 2 });
    const map = new Map([
      [a.metadata!.uid!, phases.map(pod)],
      [n.metadata!.uid!, [pod('Running')]], // the new ReplicaSet's pods never count
    ]);
    expect(oldPodsRunning(n, [a], map)).toBe(want);
  });
});
