// fieldValidation with duplicate fields, as kube-apiserver's strict decoder reports them: Strict fails
// with BadRequest naming every unknown and duplicate field, Warn (the default) answers with one Warning
// header each and keeps the last value, Ignore keeps the last value silently.
import { startApiServer, type RunningApiServer } from '../../apiserver';

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// kube's own field-validation case: repeated known fields, an unknown one, an unknown one repeated.
const body = (name: string) => `{
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "${name}", "labels": {"app": "nginx"}},
  "spec": {
    "unknown1": "val1",
    "unknownDupe": "valDupe",
    "unknownDupe": "valDupe2",
    "paused": true,
    "paused": false,
    "selector": {"matchLabels": {"app": "nginx"}},
    "template": {
      "metadata": {"labels": {"app": "nginx"}},
      "spec": {"containers": [{"name": "nginx", "image": "nginx:latest", "imagePullPolicy": "Always", "imagePullPolicy": "Never"}]}
    }
  }
}`;

const warnings = ['unknown field "spec.unknown1"', 'unknown field "spec.unknownDupe"', 'duplicate field "spec.paused"', 'duplicate field "spec.template.spec.containers[0].imagePullPolicy"'];

let server: RunningApiServer;
beforeAll(async () => {
  server = await startApiServer({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => server.close());

async function send(method: string, path: string, text: string): Promise<{ status: number; body: Json; warnings: string[] }> {
  const res = await fetch(server.url + path, { method, headers: { 'content-type': 'application/json' }, body: text });
  const header = res.headers.get('warning') ?? '';
  const found = [...header.matchAll(/299 - "((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
  return { status: res.status, body: (await res.json()) as Json, warnings: found };
}

test('Strict: 400 BadRequest naming the unknown and duplicate fields; nothing stored', async () => {
  const res = await send('POST', `${DEPLOYMENTS}?fieldValidation=Strict`, body('strict'));
  expect(res.status).toBe(400);
  expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
  expect(res.body.message).toBe(`strict decoding error: ${warnings.join(', ')}`);
  expect((await fetch(`${server.url}${DEPLOYMENTS}/strict`)).status).toBe(404);
});

test.each([
  ['Warn', '?fieldValidation=Warn'],
  ['the default (Warn)', ''],
])('%s: created with a Warning per field, the last value kept', async (_what, query) => {
  const name = `warn${query ? '' : '-default'}`;
  const res = await send('POST', `${DEPLOYMENTS}${query}`, body(name));
  expect(res.status).toBe(201);
  expect(res.warnings).toEqual(warnings);
  expect(res.body.spec.paused).toBe(false);
  expect(res.body.spec.template.spec.containers[0].imagePullPolicy).toBe('Never');
  // An update reports them too.
  const put = await send('PUT', `${DEPLOYMENTS}/${name}${query}`, body(name));
  expect(put.status).toBe(200);
  expect(put.warnings).toEqual(warnings);
});

test('Ignore: created silently, the last value kept', async () => {
  const res = await send('POST', `${DEPLOYMENTS}?fieldValidation=Ignore`, body('ignore'));
  expect(res.status).toBe(201);
  expect(res.warnings).toEqual([]);
  expect(res.body.spec.paused).toBe(false);
  expect(res.body.spec.template.spec.containers[0].imagePullPolicy).toBe('Never');
});

test('a map key repeated in a ConfigMap is a duplicate field too', async () => {
  const res = await send('POST', '/api/v1/namespaces/default/configmaps?fieldValidation=Strict', '{"metadata":{"name":"cm"},"data":{"a":"1","a":"2"}}');
  expect(res.status).toBe(400);
  expect(res.body.message).toBe('strict decoding error: duplicate field "data.a"');
});
