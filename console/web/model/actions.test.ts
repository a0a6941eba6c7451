// Each console action is the request kubectl sends.
import { cordonAction, drainPlan, restartAction, scaleAction, undoAction } from './actions';

test('scale, restart and cordon', () => {
  expect(scaleAction('deployments', 'default', 'nginx', 3)).toEqual({
    method: 'PATCH',
    path: '/apis/apps/v1/namespaces/default/deployments/nginx/scale',
    contentType: 'application/merge-patch+json',
    body: { spec: { replicas: 3 } },
    kubectl: 'kubectl scale deployment/nginx --replicas=3',
  });
  expect(() => scaleAction('deployments', 'default', 'nginx', -1)).toThrow();
  expect(restartAction('daemonsets', 'kube-system', 'ds', new Date(Date.UTC(2026, 0, 2, 3, 4, 5))).body).toEqual({
    spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-02T03:04:05Z' } } } },
  });
  expect(cordonAction('n1', false)).toMatchObject({ path: '/api/v1/nodes/n1', body: { spec: { unschedulable: null } }, kubectl: 'kubectl uncordon n1' });
});

test('undo puts the previous revision\'s template back, without its pod-template-hash', () => {
  const d = { metadata: { name: 'web', namespace: 'default', uid: 'd1', annotations: { 'deployment.kubernetes.io/revision': '3' } } };
  const rs = (rev: number, image: string) => ({
    metadata: { name: `web-${rev}`, uid: `rs${rev}`, annotations: { 'deployment.kubernetes.io/revision': String(rev) }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd1', controller: true }] },
    spec: { template: { metadata: { labels: { app: 'web', 'pod-template-hash': `h${rev}` } }, spec: { containers: [{ name: 'c', image }] } } },
  });
  const a = undoAction(d, [rs(1, 'one'), rs(2, 'two'), rs(3, 'three')]);
  expect(a.contentType).toBe('application/json-patch+json');
  expect(a.body).toEqual([{ op: 'replace', path: '/spec/template', value: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'two' }] } } }]);
  expect(() => undoAction(d, [rs(3, 'three')])).toThrow('no rollout history found for deployment "web"');
});

test('drain evicts managed pods, leaves DaemonSet pods, refuses bare pods', () => {
  const pod = (name: string, owner?: string) => ({ metadata: { name, namespace: 'default', ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: owner, name: 'o', uid: 'u', controller: true }] : [] }, spec: { nodeName: 'n1' } });
  const plan = drainPlan([pod('a', 'ReplicaSet'), pod('b', 'DaemonSet'), pod('c'), { ...pod('d', 'ReplicaSet'), spec: { nodeName: 'n2' } }], 'n1');
  expect(plan.evict.map((p) => p.metadata?.name)).toEqual(['a']);
  expect(plan.skipped.map((p) => p.metadata?.name)).toEqual(['b']);
  expect(plan.unmanaged.map((p) => p.metadata?.name)).toEqual(['c']);
});
