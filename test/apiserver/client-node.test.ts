// Every verb through @kubernetes/client-node against a real apiserver on a loopback port.
import { AppsV1Api, CoordinationV1Api, CoreV1Api, KubernetesObjectApi, PatchStrategy, setHeaderOptions, V1Deployment, V1Pod, Watch } from '@kubernetes/client-node';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

let srv: TestApiServer;
let core: CoreV1Api;
let apps: AppsV1Api;

beforeAll(async () => {
  srv = await startTestApiServer();
  core = srv.kubeConfig.makeApiClient(CoreV1Api);
  apps = srv.kubeConfig.makeApiClient(AppsV1Api);
});
afterAll(async () => {
  await srv.stop();
});

const pod = (name: string, labels: Record<string, string> = {}, ns = 'default'): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels },
  spec: { containers: [{ name: 'c', image: '127.0.0.1:5000/nginx:1.22' }] },
});

const deployment = (name: string, replicas = 1): V1Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'nginx:1.22', ports: [{ containerPort: 80 }] }] } },
  },
});

async function expectCode(p: Promise<unknown>, code: number): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect((err as { code?: number }).code).toBe(code);
    return String((err as { body?: unknown }).body);
  }
  throw new Error(`expected HTTP ${code}, the call succeeded`);
}

test('default namespaces and the default service account exist', async () => {
  const names = (await core.listNamespace()).items.map((n) => n.metadata?.name);
  expect(names).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-node-lease']));
  const sa = await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
  expect(sa.metadata?.name).toBe('default');
});

test('create sets server fields; generateName; 409 AlreadyExists; 404 NotFound', async () => {
  const created = await core.createNamespacedPod({ namespace: 'default', body: pod('p1') });
  expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
  expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
  expect(Number(created.metadata?.resourceVersion)).toBeGreaterThan(0);
  expect(created.status?.phase).toBe('Pending');
  const gen = await core.createNamespacedPod({ namespace: 'default', body: { ...pod(''), metadata: { generateName: 'web-' } } });
  expect(gen.metadata?.name).toMatch(/^web-[a-z0-9]{5}$/);
  const body = await expectCode(core.createNamespacedPod({ namespace: 'default', body: pod('p1') }), 409);
  expect(JSON.parse(body)).toMatchObject({ kind: 'Status', reason: 'AlreadyExists', message: 'pods "p1" already exists' });
  const nf = await expectCode(apps.readNamespacedDeployment({ name: 'nope', namespace: 'default' }), 404);
  expect(JSON.parse(nf)).toMatchObject({ reason: 'NotFound', message: 'deployments.apps "nope" not found', details: { group: 'apps', kind: 'deployments', name: 'nope' } });
  await expectCode(core.createNamespacedConfigMap({ namespace: 'missing-ns', body: { metadata: { name: 'x' } } }), 404);
});

test('update with a stale resourceVersion is 409 Conflict; generation follows spec only', async () => {
  const d = await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web') });
  expect(d.metadata?.generation).toBe(1);
  const fresh = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
  fresh.spec!.replicas = 2;
  const updated = await apps.replaceNamespacedDeployment({ name: 'web', namespace: 'default', body: fresh });
  expect(updated.metadata?.generation).toBe(2);
  const labelsOnly = { ...updated, metadata: { ...updated.metadata, labels: { app: 'web', extra: 'x' } } };
  const relabeled = await apps.replaceNamespacedDeployment({ name: 'web', namespace: 'default', body: labelsOnly });
  expect(relabeled.metadata?.generation).toBe(2);
  const body = await expectCode(apps.replaceNamespacedDeployment({ name: 'web', namespace: 'default', body: fresh }), 409);
  expect(JSON.parse(body).message).toBe('Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again');
});

test('status subresource: main writes ignore status, status writes ignore spec', async () => {
  const d = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
  const withStatus = { ...d, status: { replicas: 5, observedGeneration: 9 } };
  const afterMain = await apps.replaceNamespacedDeployment({ name: 'web', namespace: 'default', body: withStatus });
  expect(afterMain.status?.replicas).toBeUndefined();
  const s = { ...afterMain, spec: { ...afterMain.spec!, replicas: 7 }, status: { replicas: 2, observedGeneration: afterMain.metadata!.generation } };
  const afterStatus = await apps.replaceNamespacedDeploymentStatus({ name: 'web', namespace: 'default', body: s });
  expect(afterStatus.status?.replicas).toBe(2);
  expect(afterStatus.spec?.replicas).toBe(afterMain.spec?.replicas);
  expect(afterStatus.metadata?.generation).toBe(afterMain.metadata?.generation);
  const patched = await apps.patchNamespacedDeploymentStatus(
    { name: 'web', namespace: 'default', body: { status: { readyReplicas: 2 } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  expect(patched.status).toMatchObject({ replicas: 2, readyReplicas: 2 });
});

test('scale subresource: GET, PUT (with conflict), PATCH json and merge', async () => {
  const sc = await apps.readNamespacedDeploymentScale({ name: 'web', namespace: 'default' });
  expect(sc).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', status: { selector: 'app=web' } });
  const before = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
  const put = await apps.replaceNamespacedDeploymentScale({ name: 'web', namespace: 'default', body: { ...sc, spec: { replicas: 4 } } });
  expect(put.spec?.replicas).toBe(4);
  await expectCode(apps.replaceNamespacedDeploymentScale({ name: 'web', namespace: 'default', body: { ...sc, spec: { replicas: 5 } } }), 409);
  const jp = await apps.patchNamespacedDeploymentScale({ name: 'web', namespace: 'default', body: [{ op: 'replace', path: '/spec/replicas', value: 2 }] });
  expect(jp.spec?.replicas).toBe(2);
  const mp = await apps.patchNamespacedDeploymentScale(
    { name: 'web', namespace: 'default', body: { spec: { replicas: 3 } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  expect(mp.spec?.replicas).toBe(3);
  const after = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
  expect(after.spec?.replicas).toBe(3);
  expect(after.metadata!.generation!).toBe(before.metadata!.generation! + 3);
  await expectCode(apps.replaceNamespacedDeploymentScale({ name: 'web', namespace: 'default', body: { ...sc, metadata: { name: 'web' }, spec: { replicas: -1 } } }), 422);
});

test('patch types: json, merge, strategic, server-side apply (fieldManager required)', async () => {
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cm', labels: { a: '1' } }, data: { x: '1', y: '2' } } });
  const j = await core.patchNamespacedConfigMap({ name: 'cm', namespace: 'default', body: [{ op: 'add', path: '/data/z', value: '3' }, { op: 'remove', path: '/data/x' }] });
  expect(j.data).toEqual({ y: '2', z: '3' });
  const m = await core.patchNamespacedConfigMap({ name: 'cm', namespace: 'default', body: { data: { y: null, w: '4' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  expect(m.data).toEqual({ z: '3', w: '4' });
  const s = await core.patchNamespacedConfigMap({ name: 'cm', namespace: 'default', body: { metadata: { labels: { b: '2' } } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
  expect(s.metadata?.labels).toEqual({ a: '1', b: '2' });
  await expectCode(core.patchNamespacedConfigMap({ name: 'cm', namespace: 'default', body: { data: {} } }, setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply)), 400);
  const a = await core.patchNamespacedConfigMap({ name: 'cm', namespace: 'default', fieldManager: 'tool', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { v: '5' } } }, setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply));
  expect(a.data).toEqual({ z: '3', w: '4', v: '5' });
  expect(a.metadata?.managedFields?.map((e) => `${e.manager}/${e.operation}`)).toContain('tool/Apply');
  await expectCode(core.patchNamespacedConfigMap({ name: 'cm', namespace: 'default', body: [{ op: 'test', path: '/data/z', value: 'nope' }] }), 422);
  // A resourceVersion in a patch is a precondition.
  await expectCode(
    core.patchNamespacedConfigMap({ name: 'cm', namespace: 'default', body: { metadata: { resourceVersion: '1' }, data: { q: '1' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch)),
    409,
  );
});

test('list: label and field selectors, cluster-wide, paging over one snapshot', async () => {
  await core.createNamespace({ body: { metadata: { name: 'team-a' } } });
  for (let i = 0; i < 7; i++) await core.createNamespacedPod({ namespace: i % 2 ? 'team-a' : 'default', body: pod(`lp-${i}`, { tier: i % 3 === 0 ? 'front' : 'back', idx: String(i) }, i % 2 ? 'team-a' : 'default') });
  const front = await core.listPodForAllNamespaces({ labelSelector: 'tier=front' });
  expect(front.items.map((p) => p.metadata?.name).sort()).toEqual(['lp-0', 'lp-3', 'lp-6']);
  const notin = await core.listNamespacedPod({ namespace: 'team-a', labelSelector: 'tier notin (front),idx' });
  expect(notin.items.map((p) => p.metadata?.name).sort()).toEqual(['lp-1', 'lp-5']);
  const noKey = await core.listNamespacedPod({ namespace: 'default', labelSelector: '!idx' });
  expect(noKey.items.every((p) => !p.metadata?.labels?.idx)).toBe(true);
  const byName = await core.listPodForAllNamespaces({ fieldSelector: 'metadata.name=lp-3' });
  expect(byName.items.map((p) => p.metadata?.namespace)).toEqual(['team-a']);
  const byNs = await core.listPodForAllNamespaces({ fieldSelector: 'metadata.namespace=team-a,status.phase=Pending' });
  expect(byNs.items).toHaveLength(3);
  await expectCode(core.listPodForAllNamespaces({ fieldSelector: 'spec.foo=bar' }), 400);
  await expectCode(core.listPodForAllNamespaces({ labelSelector: 'a in (b' }), 400);

  const all = await core.listPodForAllNamespaces({ labelSelector: 'idx' });
  const names: string[] = [];
  let cont: string | undefined;
  let first = true;
  do {
    const page = await core.listPodForAllNamespaces({ labelSelector: 'idx', limit: 3, _continue: cont });
    names.push(...page.items.map((p) => p.metadata!.name!));
    cont = page.metadata?._continue;
    if (first) {
      expect(page.items).toHaveLength(3);
      // Changes after the first page do not show in the later ones.
      await core.createNamespacedPod({ namespace: 'default', body: pod('lp-late', { idx: '99' }) });
      first = false;
    }
  } while (cont);
  expect(names.sort()).toEqual(all.items.map((p) => p.metadata!.name!).sort());
  await expectCode(core.listPodForAllNamespaces({ limit: 2, _continue: 'garbage' }), 400);
});

test('binding sets spec.nodeName once', async () => {
  await core.createNamespacedPod({ namespace: 'default', body: pod('bind-me') });
  await core.createNamespacedBinding({ namespace: 'default', body: { metadata: { name: 'bind-me' }, target: { kind: 'Node', name: 'node-1' } } });
  const p = await core.readNamespacedPod({ name: 'bind-me', namespace: 'default' });
  expect(p.spec?.nodeName).toBe('node-1');
  expect(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
  await expectCode(core.createNamespacedPodBinding({ name: 'bind-me', namespace: 'default', body: { metadata: { name: 'bind-me' }, target: { kind: 'Node', name: 'node-2' } } }), 409);
  const byNode = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=node-1' });
  expect(byNode.items.map((x) => x.metadata?.name)).toEqual(['bind-me']);
});

test('delete: graceful pod deletion, finalizers, propagation finalizers, deletecollection', async () => {
  // A bound pod is only marked; the node agent's gracePeriodSeconds=0 delete removes it.
  const marked = await core.deleteNamespacedPod({ name: 'bind-me', namespace: 'default' });
  expect(marked.metadata?.deletionTimestamp).toBeDefined();
  expect(marked.metadata?.deletionGracePeriodSeconds).toBe(30);
  await core.deleteNamespacedPod({ name: 'bind-me', namespace: 'default', gracePeriodSeconds: 0 });
  await expectCode(core.readNamespacedPod({ name: 'bind-me', namespace: 'default' }), 404);
  // An unbound pod goes at once.
  await core.deleteNamespacedPod({ name: 'p1', namespace: 'default' });
  await expectCode(core.readNamespacedPod({ name: 'p1', namespace: 'default' }), 404);

  // Finalizers: only marked until the last one is removed.
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'fin', finalizers: ['example.com/keep'] } } });
  await core.deleteNamespacedConfigMap({ name: 'fin', namespace: 'default' });
  const fin = await core.readNamespacedConfigMap({ name: 'fin', namespace: 'default' });
  expect(fin.metadata?.deletionTimestamp).toBeDefined();
  await core.patchNamespacedConfigMap({ name: 'fin', namespace: 'default', body: [{ op: 'remove', path: '/metadata/finalizers' }] });
  await expectCode(core.readNamespacedConfigMap({ name: 'fin', namespace: 'default' }), 404);

  // Foreground/Orphan set the finalizer the garbage collector acts on; Background deletes at once.
  await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('fg') });
  await apps.deleteNamespacedDeployment({ name: 'fg', namespace: 'default', propagationPolicy: 'Foreground' });
  expect((await apps.readNamespacedDeployment({ name: 'fg', namespace: 'default' })).metadata?.finalizers).toEqual(['foregroundDeletion']);
  await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('orph') });
  await apps.deleteNamespacedDeployment({ name: 'orph', namespace: 'default', body: { propagationPolicy: 'Orphan' } });
  expect((await apps.readNamespacedDeployment({ name: 'orph', namespace: 'default' })).metadata?.finalizers).toEqual(['orphan']);
  const st = await apps.deleteNamespacedDeployment({ name: 'web', namespace: 'default', propagationPolicy: 'Background' });
  expect(st).toMatchObject({ status: 'Success' });
  await expectCode(apps.readNamespacedDeployment({ name: 'web', namespace: 'default' }), 404);
  // Preconditions.
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'pre' } } });
  await expectCode(core.deleteNamespacedConfigMap({ name: 'pre', namespace: 'default', body: { preconditions: { uid: 'not-it' } } }), 409);

  await core.deleteCollectionNamespacedPod({ namespace: 'team-a', labelSelector: 'tier=back' });
  const left = await core.listNamespacedPod({ namespace: 'team-a' });
  expect(left.items.map((p) => p.metadata?.name)).toEqual(['lp-3']);
});

test('watch: events in order, resume from a resourceVersion, selectors', async () => {
  const w = new Watch(srv.kubeConfig);
  const list = await core.listNamespacedPod({ namespace: 'default' });
  const rv = list.metadata!.resourceVersion!;
  await core.createNamespacedPod({ namespace: 'default', body: pod('w1', { app: 'w' }) });
  await core.patchNamespacedPod({ name: 'w1', namespace: 'default', body: { metadata: { labels: { app: 'other' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  await core.createNamespacedPod({ namespace: 'default', body: pod('w2', { app: 'w' }) });
  await core.deleteNamespacedPod({ name: 'w2', namespace: 'default' });
  const seen: string[] = [];
  const all: string[] = [];
  await new Promise<void>((resolve, reject) => {
    let req: { abort(): void } | undefined;
    void w
      .watch('/api/v1/namespaces/default/pods', { resourceVersion: rv, labelSelector: 'app=w', allowWatchBookmarks: true }, (type, obj) => {
        seen.push(`${type} ${obj.metadata.name}`);
        if (seen.length === 4) {
          req?.abort();
          resolve();
        }
      }, (err) => (err && seen.length < 4 ? reject(err) : resolve()))
      .then((r) => (req = r), reject);
  });
  expect(seen).toEqual(['ADDED w1', 'DELETED w1', 'ADDED w2', 'DELETED w2']);
  await new Promise<void>((resolve, reject) => {
    void w.watch('/api/v1/namespaces/default/pods', { resourceVersion: rv, timeoutSeconds: 1 }, (type, obj) => all.push(`${type} ${obj.metadata.name}`), (err) => (err ? reject(err) : resolve()));
  });
  expect(all).toEqual(['ADDED w1', 'MODIFIED w1', 'ADDED w2', 'DELETED w2']);
});

test('watch from a compacted resourceVersion gets a 410 Expired ERROR event', async () => {
  const small = await startTestApiServer({ watchHistorySize: 5 });
  try {
    const c = small.kubeConfig.makeApiClient(CoreV1Api);
    const first = await c.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'h' } } });
    for (let i = 0; i < 20; i++) await c.patchNamespacedConfigMap({ name: 'h', namespace: 'default', body: { data: { i: String(i) } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const events: Array<{ type: string; obj: { code?: number; reason?: string } }> = [];
    await new Promise<void>((resolve) => {
      void new Watch(small.kubeConfig).watch('/api/v1/namespaces/default/configmaps', { resourceVersion: first.metadata!.resourceVersion }, (type, obj) => events.push({ type, obj }), () => resolve());
    });
    expect(events).toEqual([{ type: 'ERROR', obj: expect.objectContaining({ code: 410, reason: 'Expired' }) }]);
  } finally {
    await small.stop();
  }
});

test('watch without resourceVersion starts with the current objects; KubernetesObjectApi works', async () => {
  const oapi = KubernetesObjectApi.makeApiClient(srv.kubeConfig);
  const created = await oapi.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'oapi', namespace: 'default' }, data: { a: '1' } });
  expect((created.metadata as { uid?: string }).uid).toBeDefined();
  const read = await oapi.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'oapi', namespace: 'default' } });
  expect((read as { data?: Record<string, string> }).data).toEqual({ a: '1' });
  await oapi.patch({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'oapi', namespace: 'default' }, data: { b: '2' } });
  const events: string[] = [];
  await new Promise<void>((resolve, reject) => {
    void new Watch(srv.kubeConfig).watch('/api/v1/namespaces/default/configmaps', { fieldSelector: 'metadata.name=oapi', timeoutSeconds: 1 }, (t, o) => events.push(`${t} ${o.metadata.name} ${JSON.stringify(o.data)}`), (err) => (err ? reject(err) : resolve()));
  });
  expect(events).toEqual(['ADDED oapi {"a":"1","b":"2"}']);
  await oapi.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'oapi', namespace: 'default' } });
  const lease = srv.kubeConfig.makeApiClient(CoordinationV1Api);
  const l = await lease.createNamespacedLease({ namespace: 'kube-node-lease', body: { metadata: { name: 'node-1' }, spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: new Date() } } });
  expect(l.spec?.holderIdentity).toBe('node-1');
});

test('services get a ClusterIP and NodePorts, never twice', async () => {
  const a = await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'svc-a' }, spec: { type: 'NodePort', ports: [{ port: 80 }], selector: { app: 'a' } } } });
  const b = await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'svc-b' }, spec: { type: 'NodePort', ports: [{ port: 80 }], selector: { app: 'b' } } } });
  expect(a.spec?.clusterIP).toMatch(/^10\.(9[6-9]|1[01]\d)\./);
  expect(a.spec?.clusterIP).not.toBe(b.spec?.clusterIP);
  expect(a.spec?.ports?.[0].nodePort).not.toBe(b.spec?.ports?.[0].nodePort);
  const body = await expectCode(
    core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'svc-c' }, spec: { clusterIP: a.spec!.clusterIP, ports: [{ port: 80 }] } } }),
    422,
  );
  expect(body).toContain('already allocated');
  // Replacing without the ClusterIP keeps it.
  const cur = await core.readNamespacedService({ name: 'svc-a', namespace: 'default' });
  const replaced = await core.replaceNamespacedService({ name: 'svc-a', namespace: 'default', body: { ...cur, spec: { ...cur.spec, clusterIP: undefined, clusterIPs: undefined } } });
  expect(replaced.spec?.clusterIP).toBe(a.spec?.clusterIP);
});

test('namespace deletion empties the namespace, then removes it', async () => {
  await core.createNamespace({ body: { metadata: { name: 'doomed' } } });
  await core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'x' } } });
  await core.deleteNamespace({ name: 'doomed' });
  await expectCode(core.createNamespacedConfigMap({ namespace: 'doomed', body: { metadata: { name: 'y' } } }), 403);
  for (let i = 0; i < 50; i++) {
    try {
      await core.readNamespace({ name: 'doomed' });
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await expectCode(core.readNamespace({ name: 'doomed' }), 404);
  await expectCode(core.deleteNamespace({ name: 'default' }), 403);
});
