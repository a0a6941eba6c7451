// Custom resources with the controllers and an operator: the garbage collector follows CRDs (a
// ConfigMap owned by a custom resource goes with it), and a small operator written as operator
// authors do with @kubernetes/client-node (an informer on the custom resource, status updates).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startControllers, RunningControllers } from '../../controllers/manager';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { waitFor } from '../helpers/wait';

// Through client-node's model, as its users load manifests (the x-kubernetes-* keys become its properties).
const crd = k8s.loadYaml<k8s.V1CustomResourceDefinition>(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'crontab-crd.yaml'), 'utf8'));
const G = { group: 'stable.example.com', version: 'v1', plural: 'crontabs' };
type CronTab = k8s.KubernetesObject & { spec?: { cronSpec?: string; replicas?: number }; status?: { replicas?: number } };

let api: TestApiServer;
let controllers: RunningControllers;
beforeAll(async () => {
  api = await startTestApiServer();
  await api.kubeConfig.makeApiClient(k8s.ApiextensionsV1Api).createCustomResourceDefinition({ body: crd });
  controllers = await startControllers({ client: api.client, controllers: ['garbage-collector'], log: () => undefined });
}, 60_000);
afterAll(async () => {
  await controllers?.stop();
  await api?.stop();
});

test('a ConfigMap owned by a custom resource is garbage-collected with it', async () => {
  const custom = api.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const owner = (await custom.createNamespacedCustomObject({ ...G, namespace: 'default', body: { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'owner' }, spec: { cronSpec: '* * * * *' } } })) as CronTab;
  const core = api.kubeConfig.makeApiClient(k8s.CoreV1Api);
  await core.createNamespacedConfigMap({
    namespace: 'default',
    body: { metadata: { name: 'owned', ownerReferences: [{ apiVersion: 'stable.example.com/v1', kind: 'CronTab', name: 'owner', uid: owner.metadata!.uid! }] }, data: { a: 'b' } },
  });
  await custom.deleteNamespacedCustomObject({ ...G, namespace: 'default', name: 'owner' });
  await waitFor('the owned ConfigMap to go', async () => !(await api.client.list<k8s.V1ConfigMap>(Resources.configmaps, { namespace: 'default' })).items.some((c) => c.metadata?.name === 'owned'));
});

test('an operator on client-node: informer on a custom resource, status written back', async () => {
  const custom = api.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const listFn = () => custom.listNamespacedCustomObject({ ...G, namespace: 'default' }) as Promise<k8s.KubernetesListObject<CronTab>>;
  const informer = k8s.makeInformer<CronTab>(api.kubeConfig, '/apis/stable.example.com/v1/namespaces/default/crontabs', listFn);
  // Reconcile: status.replicas follows spec.replicas.
  const reconcile = async (ct: CronTab) => {
    if (ct.status?.replicas === ct.spec?.replicas) return;
    await custom.replaceNamespacedCustomObjectStatus({ ...G, namespace: 'default', name: ct.metadata!.name!, body: { ...ct, status: { replicas: ct.spec?.replicas } } });
  };
  const failures: unknown[] = [];
  const run = (ct: CronTab) => void reconcile(ct).catch((err: unknown) => failures.push(err));
  informer.on('add', run);
  informer.on('update', run);
  await informer.start();
  try {
    await custom.createNamespacedCustomObject({ ...G, namespace: 'default', body: { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'op' }, spec: { cronSpec: '* * * * *', replicas: 3 } } });
    const status = async () => ((await custom.getNamespacedCustomObject({ ...G, namespace: 'default', name: 'op' })) as CronTab).status?.replicas;
    await waitFor('status.replicas 3', async () => (await status()) === 3);
    await custom.patchNamespacedCustomObject({ ...G, namespace: 'default', name: 'op', body: [{ op: 'replace', path: '/spec/replicas', value: 5 }] });
    await waitFor('status.replicas 5', async () => (await status()) === 5);
    expect(failures).toEqual([]);
  } finally {
    await informer.stop();
  }
});

/** GETs the apiserver answered 404 on a path that names no served resource (what a deleted CRD's kind is), from its metrics. */
async function notFoundGets(): Promise<number> {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('apiserver_request_total{verb="GET",group="",version="",resource="",subresource="",code="404"}'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

test('the collector stops watching a deleted CRD’s kind instead of re-listing it forever', async () => {
  await api.kubeConfig.makeApiClient(k8s.ApiextensionsV1Api).deleteCustomResourceDefinition({ name: 'crontabs.stable.example.com' });
  await waitFor('the CRD to go', async () => !(await api.client.list<k8s.V1CustomResourceDefinition>(Resources.customresourcedefinitions)).items.some((c) => c.metadata?.name === 'crontabs.stable.example.com'));
  // The watch on crontabs ends with the CRD, which may cost one re-list before the CRD's deletion is seen.
  await new Promise((r) => setTimeout(r, 1500));
  const before = await notFoundGets();
  // An informer left behind retries its 404 with a backoff starting at 200 ms: at least one try in 6 s even at its 5 s ceiling.
  await new Promise((r) => setTimeout(r, 6000));
  expect(await notFoundGets()).toBe(before);
}, 30_000);
