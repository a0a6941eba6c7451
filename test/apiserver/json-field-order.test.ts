// Objects come back in the field order kube-apiserver's JSON serializer writes (Go's struct order):
// kind, apiVersion, metadata, then the kind's fields as its Go type declares them, status last —
// whatever order the client sent them in.
import { startApiServer, type RunningApiServer } from '../../apiserver';

let server: RunningApiServer;
beforeAll(async () => {
  server = await startApiServer({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => server.close());

async function keysOf(method: string, path: string, body: string, contentType = 'application/json'): Promise<string[]> {
  const res = await fetch(server.url + path, { method, headers: { 'content-type': contentType }, body });
  expect(res.status).toBeLessThan(300);
  return Object.keys(JSON.parse(await res.text()) as object);
}

test('a Deployment sent spec first comes back kind, apiVersion, metadata, spec, status', async () => {
  const sent = '{"spec":{"template":{"spec":{"containers":[{"image":"nginx","name":"c"}]},"metadata":{"labels":{"a":"b"}}},"selector":{"matchLabels":{"a":"b"}}},"metadata":{"name":"d"},"apiVersion":"apps/v1","kind":"Deployment"}';
  expect(await keysOf('POST', '/apis/apps/v1/namespaces/default/deployments', sent)).toEqual(['kind', 'apiVersion', 'metadata', 'spec', 'status']);
  const got = await fetch(`${server.url}/apis/apps/v1/namespaces/default/deployments/d`).then((r) => r.text());
  expect(Object.keys(JSON.parse(got) as object)).toEqual(['kind', 'apiVersion', 'metadata', 'spec', 'status']);
});

test('a Secret: its Go fields in Go order (immutable, data, stringData→data, type)', async () => {
  const sent = '{"type":"Opaque","data":{"a":"eA=="},"immutable":false,"metadata":{"name":"s"}}';
  expect(await keysOf('POST', '/api/v1/namespaces/default/secrets', sent)).toEqual(['kind', 'apiVersion', 'metadata', 'immutable', 'data', 'type']);
});

test('a merge patch and a YAML update keep the order', async () => {
  expect(await keysOf('PATCH', '/apis/apps/v1/namespaces/default/deployments/d', '{"spec":{"paused":true}}', 'application/merge-patch+json')).toEqual(['kind', 'apiVersion', 'metadata', 'spec', 'status']);
  const cm = 'data:\n  a: "1"\nmetadata:\n  name: cm\napiVersion: v1\nkind: ConfigMap\n';
  expect(await keysOf('POST', '/api/v1/namespaces/default/configmaps', cm, 'application/yaml')).toEqual(['kind', 'apiVersion', 'metadata', 'data']);
});
