// The subresource table against a running apiserver: each subresource answers its own methods and
// refuses the others with Kubernetes' 405, and the small ones (eviction, finalize, the legacy bindings
// collection) do their one job. DELETE answers with the pod itself but with a Status for other kinds.
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

let srv: TestApiServer;
beforeAll(async () => {
  srv = await startTestApiServer();
  for (const name of ['evicted', 'bound', 'deleted', 'drained']) {
    await srv.client.create(Resources.pods, 'default', { metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } });
  }
  await srv.client.create(Resources.deployments, 'default', {
    metadata: { name: 'd' },
    spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } },
  });
  await srv.client.create(Resources.namespaces, undefined, { metadata: { name: 'fin' } });
  await srv.client.create(Resources.configmaps, 'default', { metadata: { name: 'cm' } });
});
afterAll(async () => {
  await srv.stop();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${srv.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const PODS = '/api/v1/namespaces/default/pods';

test.each([
  ['GET', `${PODS}/bound/binding`, 'GET pods/binding'],
  ['GET', `${PODS}/bound/eviction`, 'GET pods/eviction'],
  ['POST', `${PODS}/bound/log`, 'POST pods/log'],
  ['DELETE', '/apis/apps/v1/namespaces/default/deployments/d/scale', 'DELETE deployments/scale'],
  ['GET', '/api/v1/namespaces/fin/finalize', 'GET namespaces/finalize'],
  ['DELETE', `${PODS}/bound/status`, 'DELETE pods/status'],
  ['POST', `${PODS}/bound/status`, 'POST pods'],
  ['POST', `${PODS}/bound`, 'POST pods'],
])('%s %s is 405 (%s)', async (method, path, what) => {
  const { status, json } = await call(method, path, method === 'GET' ? undefined : {});
  expect(status).toBe(405);
  expect(json.reason).toBe('MethodNotAllowed');
  expect(json.message).toBe(`the server does not allow this method on the requested resource (${what})`);
});

test('an eviction deletes the pod', async () => {
  const { status, json } = await call('POST', `${PODS}/evicted/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'evicted' } });
  expect(status).toBe(201);
  expect(json).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  expect((await call('GET', `${PODS}/evicted`)).status).toBe(404);
});

test('an eviction marks the pod DisruptionTarget (EvictionByEvictionAPI) before it deletes it: a bound pod shows it while it terminates', async () => {
  await call('POST', '/api/v1/namespaces/default/bindings', { metadata: { name: 'drained' }, target: { kind: 'Node', name: 'n1' } });
  const { status } = await call('POST', `${PODS}/drained/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'drained' } });
  expect(status).toBe(201);
  const pod = await srv.client.get<{ metadata: { deletionTimestamp?: string }; status: { conditions?: Array<Record<string, string>> } }>(Resources.pods, 'default', 'drained');
  expect(pod.metadata.deletionTimestamp).toBeTruthy();
  expect(pod.status.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' });
});

test('the legacy bindings collection binds the pod its Binding names', async () => {
  const { status } = await call('POST', '/api/v1/namespaces/default/bindings', { metadata: { name: 'bound' }, target: { kind: 'Node', name: 'n1' } });
  expect(status).toBe(201);
  const pod = await srv.client.get<{ spec: { nodeName: string } }>(Resources.pods, 'default', 'bound');
  expect(pod.spec.nodeName).toBe('n1');
});

test('finalize replaces the namespace finalizers', async () => {
  const { status, json } = await call('PUT', '/api/v1/namespaces/fin/finalize', { metadata: { name: 'fin' }, spec: { finalizers: [] } });
  expect(status).toBe(200);
  expect((json.spec as { finalizers: string[] }).finalizers).toEqual([]);
});

test('scale reads and writes spec.replicas', async () => {
  const scalePath = '/apis/apps/v1/namespaces/default/deployments/d/scale';
  expect((await call('GET', scalePath)).json).toMatchObject({ kind: 'Scale', spec: { replicas: 1 } });
  const { status, json } = await call('PUT', scalePath, { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'd' }, spec: { replicas: 4 } });
  expect(status).toBe(200);
  expect(json).toMatchObject({ kind: 'Scale', spec: { replicas: 4 } });
});

test('DELETE answers with a removed pod, and with a Status for a removed ConfigMap', async () => {
  const pod = await call('DELETE', `${PODS}/deleted`);
  expect(pod.status).toBe(200);
  expect(pod.json).toMatchObject({ kind: 'Pod', metadata: { name: 'deleted' } });
  const cm = await call('DELETE', '/api/v1/namespaces/default/configmaps/cm');
  expect(cm.status).toBe(200);
  expect(cm.json).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'cm', kind: 'configmaps' } });
});
