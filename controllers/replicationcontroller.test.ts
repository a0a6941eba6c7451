// The ReplicationController controller runs the shared replica core over RCs converted to ReplicaSets:
// table tests of the conversion and of the decisions the core makes for RCs (create, delete, adopt only
// pods the label-map selector matches), and of the resource quota controller's status computation.
import type { Pod, ReplicationController, ResourceQuota } from 'kubernetes-types/core/v1';
import { Resources } from '../lib/api/resources';
import { replicationControllerKind, replicationControllerToReplicaSet } from './replicationcontroller';
import { quotaStatus, statusPatch } from './resourcequota';
import { podFromTemplate, reconcileReplicaSet } from './shared/replicas';

const rc = (replicas: number): ReplicationController => ({
  apiVersion: 'v1',
  kind: 'ReplicationController',
  metadata: { name: 'web', namespace: 'ns', uid: 'rc-uid', generation: 2 },
  spec: { replicas, selector: { app: 'web' }, template: { metadata: { labels: { app: 'web', tier: 'x' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
});

const pod = (name: string, labels: Record<string, string>, owner?: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'ns',
    uid: `${name}-uid`,
    labels,
    creationTimestamp: '2024-01-01T00:00:00Z',
    ...(owner ? { ownerReferences: [{ apiVersion: 'v1', kind: 'ReplicationController', name: 'web', uid: owner, controller: true }] } : {}),
  },
  spec: { containers: [{ name: 'c', image: 'nginx' }] },
  status: { phase: 'Running' },
});

describe('ReplicationController through the replica core', () => {
  it('converts the label-map selector to matchLabels and keeps the rest', () => {
    const rs = replicationControllerToReplicaSet(rc(3));
    expect(rs.spec).toEqual({ replicas: 3, minReadySeconds: undefined, selector: { matchLabels: { app: 'web' } }, template: rc(3).spec!.template });
    expect(rs.metadata).toEqual(rc(3).metadata);
    expect(replicationControllerKind).toMatchObject({ resource: Resources.replicationcontrollers, apiVersion: 'v1', kind: 'ReplicationController' });
  });

  it.each<[string, number, Pod[], { create: number; delete: string[]; adopt: string[]; release: string[]; replicas: number }]>([
    ['creates the missing pods', 3, [], { create: 3, delete: [], adopt: [], release: [], replicas: 0 }],
    ['deletes surplus pods it owns', 1, [pod('a', { app: 'web' }, 'rc-uid'), pod('b', { app: 'web' }, 'rc-uid')], { create: 0, delete: ['a'], adopt: [], release: [], replicas: 2 }],
    ['adopts a matching orphan, not a pod of other labels', 2, [pod('orphan', { app: 'web' }), pod('other', { app: 'db' })], { create: 1, delete: [], adopt: ['orphan'], release: [], replicas: 1 }],
    ['releases an owned pod that stopped matching', 1, [pod('gone', { app: 'db' }, 'rc-uid')], { create: 1, delete: [], adopt: [], release: ['gone'], replicas: 0 }],
  ])('%s', (_name, replicas, pods, want) => {
    const plan = reconcileReplicaSet(replicationControllerToReplicaSet(rc(replicas)), pods, new Date('2024-01-01T00:01:00Z'));
    expect(plan.create).toBe(want.create);
    expect(plan.delete.map((p) => p.metadata!.name)).toEqual(want.delete);
    expect(plan.adopt.map((p) => p.metadata!.name)).toEqual(want.adopt);
    expect(plan.release.map((p) => p.metadata!.name)).toEqual(want.release);
    expect(plan.status).toMatchObject({ replicas: want.replicas, observedGeneration: 2 });
  });

  it('creates pods controlled by the RC as v1 ReplicationController', () => {
    const p = podFromTemplate(replicationControllerToReplicaSet(rc(1)), 'v1', 'ReplicationController');
    expect(p.metadata).toMatchObject({ generateName: 'web-', labels: { app: 'web', tier: 'x' } });
    expect(p.metadata!.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'ReplicationController', name: 'web', uid: 'rc-uid', controller: true, blockOwnerDeletion: true }]);
  });
});

describe('resource quota status', () => {
  const quota: ResourceQuota = { metadata: { name: 'q', namespace: 'ns' }, spec: { hard: { pods: '10', 'requests.cpu': '2', 'requests.memory': '1Gi', services: '5' } } };
  it('counts active pods, their requests and services in the quota units', () => {
    const withRequests = (name: string, cpu: string, memory: string, phase = 'Running'): Pod => ({ ...pod(name, {}), spec: { containers: [{ name: 'c', image: 'i', resources: { requests: { cpu, memory } } }] }, status: { phase } });
    const status = quotaStatus(quota, [
      [Resources.pods, withRequests('a', '250m', '256Mi')],
      [Resources.pods, withRequests('b', '500m', '256Mi')],
      [Resources.pods, withRequests('done', '1', '1Gi', 'Succeeded')],
      [Resources.services, { metadata: { name: 's' } }],
      [Resources.configmaps, { metadata: { name: 'cm' } }],
    ]);
    expect(status).toEqual({ hard: quota.spec!.hard, used: { pods: '2', 'requests.cpu': '750m', 'requests.memory': '512Mi', services: '1' } });
  });

  it('counts only the pods in a scoped quota', () => {
    const scoped: ResourceQuota = { metadata: { name: 'be', namespace: 'ns' }, spec: { hard: { pods: '5', 'count/pods': '5' }, scopes: ['BestEffort'] } };
    const burstable: Pod = { ...pod('b', {}), spec: { containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: '100m' } } }] } };
    const finished: Pod = { ...pod('done', {}), status: { phase: 'Failed' } };
    const status = quotaStatus(scoped, [
      [Resources.pods, pod('a', {})],
      [Resources.pods, burstable],
      [Resources.pods, finished],
    ]);
    // count/pods counts every pod in storage, pods only those still running.
    expect(status.used).toEqual({ pods: '1', 'count/pods': '2' });
  });

  it('removes resources no longer limited from the status it patches', () => {
    expect(statusPatch({ hard: { pods: '5', services: '2' }, used: { pods: '1', services: '0' } }, { hard: { pods: '5' }, used: { pods: '1' } })).toEqual({
      hard: { pods: '5', services: null },
      used: { pods: '1', services: null },
    });
  });
});
