// The Node authorizer and NodeRestriction on a real apiserver: a node agent's identity
// (system:node:<name> in system:nodes) reads only the Secrets and ConfigMaps of pods bound to it, writes
// only its own Node, Lease and pods' status, and is told why otherwise, in Kubernetes' words.
import type { ConfigMap, Node, Pod, Secret } from 'kubernetes-types/core/v1';
import type { Lease } from 'kubernetes-types/coordination/v1';
import { Resources } from '../../lib/api/resources';
import { outcome, type SecuredApiServer, startSecuredApiServer } from '../helpers/identities';

const ns = 'default';

function podOn(name: string, node: string, secretName: string, extra: Partial<Pod['spec']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name } },
    spec: {
      nodeName: node,
      containers: [{ name: 'c', image: 'busybox', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: `${name}-config`, key: 'a' } } }] }],
      volumes: [{ name: 'creds', secret: { secretName } }],
      ...extra,
    },
  };
}

const nodeObj = (name: string): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: {}, status: {} });

describe('Node authorizer and NodeRestriction', () => {
  let srv: SecuredApiServer;
  const node1 = () => srv.as('node-1');

  beforeAll(async () => {
    srv = await startSecuredApiServer({
      admin: { user: 'admin', groups: ['system:masters'] },
      'node-1': { user: 'system:node:node-1', groups: ['system:nodes'] },
      'node-2': { user: 'system:node:node-2', groups: ['system:nodes'] },
      anon: { user: 'system:node:', groups: ['system:nodes'] },
    });
    const admin = srv.client;
    for (const s of ['s1', 's2', 's3']) await admin.create<Secret>(Resources.secrets, ns, { apiVersion: 'v1', kind: 'Secret', metadata: { name: s }, stringData: { k: s } });
    for (const c of ['p1-config', 'p2-config']) await admin.create<ConfigMap>(Resources.configmaps, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: c }, data: { a: c } });
    await admin.create(Resources.pods, ns, podOn('p1', 'node-1', 's1'));
    await admin.create(Resources.pods, ns, podOn('p2', 'node-2', 's2'));
  });
  afterAll(() => srv.stop());

  it('reads the secrets and configmaps of its own pods only', async () => {
    expect((await node1().get<Secret>(Resources.secrets, ns, 's1')).metadata?.name).toBe('s1');
    expect((await node1().get<ConfigMap>(Resources.configmaps, ns, 'p1-config')).data).toEqual({ a: 'p1-config' });
    expect(await outcome(node1().get(Resources.secrets, ns, 's2'))).toEqual({
      code: 403,
      message: `secrets "s2" is forbidden: User "system:node:node-1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'node-1' and this object`,
    });
    expect((await outcome(node1().get(Resources.configmaps, ns, 'p2-config'))).code).toBe(403);
    expect(await outcome(node1().list(Resources.secrets, { namespace: ns }))).toEqual({
      code: 403,
      message: 'secrets is forbidden: User "system:node:node-1" cannot list resource "secrets" in API group "" in the namespace "default": No Object name found',
    });
    expect(await outcome(node1().create(Resources.secrets, ns, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'mine' } }))).toEqual({
      code: 403,
      message: 'secrets is forbidden: User "system:node:node-1" cannot create resource "secrets" in API group "" in the namespace "default": can only read resources of this type',
    });
  });

  it('follows pods as they are bound and deleted', async () => {
    expect((await outcome(node1().get(Resources.secrets, ns, 's3'))).code).toBe(403);
    await srv.client.create(Resources.pods, ns, { ...podOn('p3', '', 's3'), spec: { ...podOn('p3', '', 's3').spec!, nodeName: undefined } });
    expect((await outcome(node1().get(Resources.secrets, ns, 's3'))).code).toBe(403);
    await srv.client.create(Resources.pods, ns, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p3' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' } }, { name: 'p3', subresource: 'binding' });
    // No wait: the graph follows the binding before it is answered.
    expect((await node1().get<Secret>(Resources.secrets, ns, 's3')).metadata?.name).toBe('s3');
    await srv.client.delete(Resources.pods, ns, 'p3', { gracePeriodSeconds: 0 });
    expect((await outcome(node1().get(Resources.secrets, ns, 's3'))).code).toBe(403);
  });

  it('registers and updates only its own Node, and not its taints', async () => {
    await node1().create(Resources.nodes, undefined, nodeObj('node-1'));
    await srv.client.create(Resources.nodes, undefined, nodeObj('node-2'));
    expect(await outcome(node1().create(Resources.nodes, undefined, nodeObj('node-9')))).toEqual({
      code: 403,
      message: 'nodes "node-9" is forbidden: node "node-1" is not allowed to modify node "node-9"',
    });
    expect(await outcome(node1().patch(Resources.nodes, undefined, 'node-2', { metadata: { labels: { evil: 'yes' } } }))).toEqual({
      code: 403,
      message: 'nodes "node-2" is forbidden: node "node-1" is not allowed to modify node "node-2"',
    });
    expect((await outcome(node1().patch(Resources.nodes, undefined, 'node-2', { status: { phase: 'Running' } }, 'merge', 'status'))).code).toBe(403);
    await node1().patch(Resources.nodes, undefined, 'node-1', { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, 'merge', 'status');
    await node1().patch(Resources.nodes, undefined, 'node-1', { metadata: { labels: { 'example.com/disk': 'ssd' } } });
    expect(await outcome(node1().patch(Resources.nodes, undefined, 'node-1', { spec: { taints: [] as unknown[], unschedulable: false }, metadata: { labels: { 'node-role.kubernetes.io/master': '' } } }))).toEqual({
      code: 403,
      message: 'nodes "node-1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/master',
    });
    await srv.client.patch(Resources.nodes, undefined, 'node-1', { spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } });
    expect(await outcome(node1().patch(Resources.nodes, undefined, 'node-1', { spec: { taints: null } }))).toEqual({
      code: 403,
      message: 'nodes "node-1" is forbidden: node "node-1" is not allowed to modify taints',
    });
    expect((await outcome(node1().delete(Resources.nodes, undefined, 'node-2'))).code).toBe(403);
  });

  it('updates the status of its own pods only, never their spec', async () => {
    await node1().patch(Resources.pods, ns, 'p1', { status: { phase: 'Running' } }, 'merge', 'status');
    expect((await srv.client.get<Pod>(Resources.pods, ns, 'p1')).status?.phase).toBe('Running');
    expect(await outcome(node1().patch(Resources.pods, ns, 'p2', { status: { phase: 'Failed' } }, 'merge', 'status'))).toEqual({
      code: 403,
      message: 'pods "p2" is forbidden: node "node-1" can only update pod status for pods with spec.nodeName set to itself',
    });
    expect(await outcome(node1().patch(Resources.pods, ns, 'p1', { metadata: { labels: { app: 'other' } } }))).toEqual({
      code: 403,
      message: 'pods "p1" is forbidden: User "system:node:node-1" cannot patch resource "pods" in API group "" in the namespace "default"',
    });
    // Nor its labels through /status (steer's status writes keep metadata; NodeRestriction would refuse).
    await node1().patch(Resources.pods, ns, 'p1', { metadata: { labels: { app: 'other' } }, status: { phase: 'Running' } }, 'merge', 'status');
    expect((await srv.client.get<Pod>(Resources.pods, ns, 'p1')).metadata?.labels).toEqual({ app: 'p1' });
    expect(await outcome(node1().delete(Resources.pods, ns, 'p2'))).toEqual({
      code: 403,
      message: 'pods "p2" is forbidden: node "node-1" can only delete pods with spec.nodeName set to itself',
    });
    expect(await outcome(node1().create(Resources.pods, ns, podOn('p9', 'node-1', 's1')))).toEqual({
      code: 403,
      message: 'pods "p9" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "node-1" can only create mirror pods',
    });
    await node1().delete(Resources.pods, ns, 'p1', { gracePeriodSeconds: 0 });
  });

  it('writes only its own Lease in kube-node-lease', async () => {
    const lease = (name: string): Lease => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name }, spec: { holderIdentity: name, leaseDurationSeconds: 40 } });
    await node1().create(Resources.leases, 'kube-node-lease', lease('node-1'));
    const mine = await node1().get<Lease>(Resources.leases, 'kube-node-lease', 'node-1');
    await node1().update(Resources.leases, { ...mine, spec: { ...mine.spec, renewTime: new Date().toISOString().replace(/Z$/, '000Z') } });
    expect(await outcome(node1().create(Resources.leases, 'kube-node-lease', lease('node-2')))).toEqual({
      code: 403,
      message: 'leases.coordination.k8s.io "node-2" is forbidden: can only access node lease with the same name as the requesting node',
    });
    await srv.client.create(Resources.leases, 'kube-node-lease', lease('node-2'));
    expect(await outcome(node1().get(Resources.leases, 'kube-node-lease', 'node-2'))).toEqual({
      code: 403,
      message: 'leases.coordination.k8s.io "node-2" is forbidden: User "system:node:node-1" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "kube-node-lease": can only access node lease with the same name as the requesting node',
    });
    expect((await outcome(node1().create(Resources.leases, 'default', lease('node-1')))).code).toBe(403);
  });

  it('reads what its service proxy, routes and DNS need, and asks SubjectAccessReviews', async () => {
    await node1().list(Resources.services);
    await node1().list(Resources.endpoints);
    await node1().list(Resources.endpointslices);
    await node1().list(Resources.nodes);
    await node1().list(Resources.pods);
    const sar = await node1().create<{ apiVersion: string; kind: string; spec: object; status?: { allowed: boolean } }>(Resources.subjectaccessreviews, undefined, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'kube-apiserver-kubelet-client', groups: ['system:masters', 'system:authenticated'], resourceAttributes: { verb: 'get', resource: 'nodes', subresource: 'log', name: 'node-1' } },
    });
    expect(sar.status?.allowed).toBe(true);
    // A node's rules cannot be listed.
    const rules = await node1().create<{ apiVersion: string; kind: string; spec: object; status?: { incomplete: boolean; evaluationError?: string } }>(Resources.selfsubjectrulesreviews, undefined, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: 'default' } });
    expect(rules.status).toMatchObject({ incomplete: true, evaluationError: 'node authorizer does not support user rule resolution' });
  });

  it('refuses a node user it cannot name', async () => {
    expect(await outcome(srv.as('anon').list(Resources.pods))).toEqual({
      code: 403,
      message: 'pods is forbidden: User "system:node:" cannot list resource "pods" in API group "" at the cluster scope: unknown node for user "system:node:"',
    });
  });
});
