import { deploymentRolledBackTo, findRevision } from './rollback';
import { planDeploymentSync } from './sync';
import { deployment, replicaSet } from '../../test/fixtures/deployments';
import { RevisionAnnotation, RevisionHistoryAnnotation, RollbackToAnnotation } from './util';

const now = new Date('2026-11-23T12:00:00Z');

describe('rollback by template (kubectl rollout undo on apps/v1)', () => {
  test('the old ReplicaSet is re-used, gets the next revision and grows; no new ReplicaSet', () => {
    // Revision 1 ran v1; revision 2 (v2) is current. kubectl wrote v1's template back.
    const d = deployment({ replicas: 3, maxSurge: 1, maxUnavailable: 0, image: 'v1', generation: 3 });
    d.metadata!.annotations = { [RevisionAnnotation]: '2' };
    const v1 = replicaSet(d, { image: 'v1', replicas: 0, revision: 1, created: 1, desired: 3, max: 4 });
    const v2 = replicaSet(d, { image: 'v2', replicas: 3, revision: 2, created: 2, desired: 3, max: 4 });
    const plan = planDeploymentSync({ deployment: d, replicaSets: [v1, v2], now });
    expect(plan.actions.some((a) => a.type === 'createReplicaSet')).toBe(false);
    const upd = plan.actions.find((a) => a.type === 'updateReplicaSet');
    expect(upd?.type === 'updateReplicaSet' && upd.replicaSet.metadata!.name).toBe(v1.metadata!.name);
    const rs = upd?.type === 'updateReplicaSet' ? upd.replicaSet : undefined;
    expect(rs!.metadata!.annotations![RevisionAnnotation]).toBe('3');
    expect(rs!.metadata!.annotations![RevisionHistoryAnnotation]).toBe('1');
    expect(rs!.spec!.replicas).toBe(1); // maxSurge 1
    expect(plan.actions).toContainEqual({ type: 'patchDeploymentAnnotations', annotations: { [RevisionAnnotation]: '3' } });
  });
});

describe('rollback by annotation (deprecated.deployment.rollback.to)', () => {
  const d = deployment({ replicas: 2, image: 'v3' });
  const v1 = replicaSet(d, { image: 'v1', replicas: 0, revision: 1, created: 1 });
  const v2 = replicaSet(d, { image: 'v2', replicas: 0, revision: 2, created: 2 });
  const v3 = replicaSet(d, { image: 'v3', replicas: 2, revision: 3, created: 3 });
  v1.metadata!.annotations!.note = 'from v1';

  test.each([
    [0, 'v2'],
    [1, 'v1'],
  ])('to revision %p writes %p template back and clears the annotation', (revision, image) => {
    const dd = structuredClone(d);
    dd.metadata!.annotations = { [RollbackToAnnotation]: String(revision) };
    const plan = planDeploymentSync({ deployment: dd, replicaSets: [v1, v2, v3], now });
    expect(plan.actions).toHaveLength(1);
    const a = plan.actions[0];
    expect(a.type).toBe('updateDeployment');
    const next = a.type === 'updateDeployment' ? a.deployment : undefined;
    expect(next!.spec!.template.spec!.containers[0].image).toBe(image);
    expect(next!.spec!.template.metadata!.labels).toEqual({ app: 'web' });
    expect(next!.metadata!.annotations![RollbackToAnnotation]).toBeUndefined();
    expect(plan.events[0]).toMatchObject({ reason: 'DeploymentRollback' });
  });

  test('unknown revision: warning event, annotation cleared, template unchanged', () => {
    const dd = structuredClone(d);
    dd.metadata!.annotations = { [RollbackToAnnotation]: '9' };
    const plan = planDeploymentSync({ deployment: dd, replicaSets: [v1, v2, v3], now });
    const a = plan.actions[0];
    expect(a.type === 'updateDeployment' && a.deployment.spec!.template.spec!.containers[0].image).toBe('v3');
    expect(a.type === 'updateDeployment' && a.deployment.metadata!.annotations![RollbackToAnnotation]).toBeUndefined();
    expect(plan.events[0]).toMatchObject({ type: 'Warning', reason: 'RollbackRevisionNotFound' });
  });

  test('findRevision and deploymentRolledBackTo copy annotations but not revision bookkeeping', () => {
    expect(findRevision([v1, v2, v3], 0)?.metadata?.name).toBe(v2.metadata?.name);
    expect(findRevision([v3], 0)).toBeUndefined();
    const next = deploymentRolledBackTo(d, v1);
    expect(next.metadata!.annotations).toEqual({ note: 'from v1' });
  });
});
