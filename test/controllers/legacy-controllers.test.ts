// The ReplicationController and resource quota controllers against a real in-process apiserver (no
// scheduler or nodes: pods stay Pending, which is enough to count): an RC gets its pods, owned by
// `v1 ReplicationController`, and its status; scaling it adds pods; a ResourceQuota's status.used
// follows the namespace's pods and configmaps.
import type { Pod, ReplicationController, ResourceQuota } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { startControllers, RunningControllers } from '../../controllers/manager';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { waitFor } from '../helpers/wait';

const ns = 'default';
let api: TestApiServer;
let controllers: RunningControllers;

beforeAll(async () => {
  api = await startTestApiServer();
  controllers = await startControllers({ client: api.client, controllers: ['replicationcontroller', 'resourcequota'], log: () => undefined });
});
afterAll(async () => {
  await controllers?.stop();
  await api?.stop();
});

const podsOf = async (app: string): Promise<Pod[]> => (await api.client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: `app=${app}` })).items;

test('an RC creates its pods, reports them, and scales', async () => {
  await api.client.create(Resources.resourcequotas, ns, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'counts' }, spec: { hard: { pods: '20', 'count/configmaps': '10' } } });
  // Scoped quotas count only their pods: the RC's pods are best effort and run without a deadline.
  await api.client.create(Resources.resourcequotas, ns, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'best-effort' }, spec: { hard: { pods: '20' }, scopes: ['BestEffort', 'NotTerminating'] } });
  await api.client.create(Resources.resourcequotas, ns, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'terminating' }, spec: { hard: { pods: '20' }, scopes: ['Terminating'] } });
  await api.client.create<ReplicationController>(Resources.replicationcontrollers, ns, {
    apiVersion: 'v1',
    kind: 'ReplicationController',
    metadata: { name: 'web' },
    spec: { replicas: 2, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  });
  await waitFor('2 pods', async () => (await podsOf('web')).length === 2);
  const pods = await podsOf('web');
  expect(pods.map((p) => p.metadata?.ownerReferences?.[0])).toEqual([0, 1].map(() => expect.objectContaining({ apiVersion: 'v1', kind: 'ReplicationController', name: 'web', controller: true })));
  await waitFor('status.replicas 2', async () => (await api.client.get<ReplicationController>(Resources.replicationcontrollers, ns, 'web')).status?.replicas === 2);

  await api.client.patch(Resources.replicationcontrollers, ns, 'web', { spec: { replicas: 4 } }, 'merge', 'scale');
  await waitFor('4 pods', async () => (await podsOf('web')).length === 4);

  await api.client.create(Resources.configmaps, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'one' } });
  const used = await waitFor('quota usage', async () => {
    const q = await api.client.get<ResourceQuota>(Resources.resourcequotas, ns, 'counts');
    return q.status?.used?.pods === '4' && q.status.used['count/configmaps'] !== '0' ? q.status.used : undefined;
  });
  // The default namespace's kube-root-ca.crt is not published here (no publisher runs): one ConfigMap.
  expect(used).toEqual({ pods: '4', 'count/configmaps': '1' });
  const scopedUsed = await waitFor('scoped quota usage', async () => {
    const q = await api.client.get<ResourceQuota>(Resources.resourcequotas, ns, 'best-effort');
    return q.status?.used?.pods === '4' ? q.status.used : undefined;
  });
  expect(scopedUsed).toEqual({ pods: '4' });
  const terminatingUsed = await waitFor('terminating quota status', async () => (await api.client.get<ResourceQuota>(Resources.resourcequotas, ns, 'terminating')).status?.used);
  expect(terminatingUsed).toEqual({ pods: '0' });
});
