// The pods/ephemeralcontainers subresource (kubectl debug's way in): it changes only
// spec.ephemeralContainers; ephemeral containers are only ever added, never on create, never through
// the pod itself, and without what a debugging container may not have.
import type { Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

let srv: TestApiServer;
beforeAll(async () => {
  srv = await startTestApiServer();
  await srv.client.create(Resources.pods, 'default', { metadata: { name: 'app' }, spec: { containers: [{ name: 'web', image: 'nginx' }], initContainers: [{ name: 'setup', image: 'busybox' }] } });
});
afterAll(async () => {
  await srv?.stop();
});

const path = '/api/v1/namespaces/default/pods/app/ephemeralcontainers';
async function call(method: string, url: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: { message?: string; reason?: string } & Pod }> {
  const res = await fetch(`${srv.url}${url}`, { method, headers: body === undefined ? {} : { 'content-type': contentType }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { message?: string } & Pod };
}
const debugger1 = { name: 'debugger-1', image: 'busybox', command: ['sh'], stdin: true, tty: true, targetContainerName: 'web' };
const patch = (ecs: object[]) => call('PATCH', path, { spec: { ephemeralContainers: ecs } }, 'application/strategic-merge-patch+json');

test('GET answers the pod; a strategic merge patch adds an ephemeral container, defaulted, and nothing else', async () => {
  const got = await call('GET', path);
  expect([got.status, got.body.kind, got.body.metadata?.name]).toEqual([200, 'Pod', 'app']);
  const r = await call('PATCH', path, { metadata: { labels: { sneaky: 'yes' } }, spec: { containers: [{ name: 'web', image: 'evil' }], ephemeralContainers: [debugger1] } }, 'application/strategic-merge-patch+json');
  expect(r.status).toBe(200);
  expect(r.body.spec?.ephemeralContainers).toEqual([expect.objectContaining({ ...debugger1, terminationMessagePolicy: 'File', imagePullPolicy: 'Always' })]);
  // Only spec.ephemeralContainers changed.
  expect(r.body.metadata?.labels).toBeUndefined();
  expect(r.body.spec?.containers[0].image).toBe('nginx');
  expect(r.body.metadata?.generation).toBeUndefined();
});

test('an existing ephemeral container is never changed or removed', async () => {
  const current = (await call('GET', path)).body;
  const changed = await call('PUT', path, { ...current, spec: { ...current.spec, ephemeralContainers: [{ ...current.spec!.ephemeralContainers![0], image: 'alpine' }] } });
  expect([changed.status, changed.body.message]).toEqual([422, 'Pod "app" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "debugger-1" may not be changed']);
  const removed = await call('PUT', path, { ...current, spec: { ...current.spec, ephemeralContainers: [] } });
  expect([removed.status, removed.body.message]).toEqual([422, 'Pod "app" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "debugger-1" may not be removed']);
});

test('what an ephemeral container may not have, a name taken and a target that is not a container are refused', async () => {
  const current = (await call('GET', path)).body.spec!.ephemeralContainers!;
  const r = await patch([
    ...current,
    { name: 'web', image: 'busybox' },
    { name: 'debugger-2', image: 'busybox', ports: [{ containerPort: 80 }], readinessProbe: { exec: { command: ['true'] } }, resources: { limits: { cpu: '1' } }, targetContainerName: 'nope' },
  ]);
  expect(r.status).toBe(422);
  expect(r.body.message).toContain('spec.ephemeralContainers[1].name: Duplicate value: "web"');
  expect(r.body.message).toContain('spec.ephemeralContainers[2].ports: Forbidden: cannot be set for an Ephemeral Container');
  expect(r.body.message).toContain('spec.ephemeralContainers[2].readinessProbe: Forbidden: cannot be set for an Ephemeral Container');
  expect(r.body.message).toContain('spec.ephemeralContainers[2].resources: Forbidden: cannot be set for an Ephemeral Container');
  expect(r.body.message).toContain('spec.ephemeralContainers[2].targetContainerName: Not found: "nope"');
  // An init container is a target too.
  expect((await patch([...current, { name: 'debugger-3', image: 'busybox', targetContainerName: 'setup' }])).status).toBe(200);
});

test('not on create, not through the pod itself', async () => {
  const created = await call('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'born' }, spec: { containers: [{ name: 'c', image: 'nginx' }], ephemeralContainers: [{ name: 'd', image: 'busybox' }] } });
  expect([created.status, created.body.message]).toEqual([422, 'Pod "born" is invalid: spec.ephemeralContainers: Forbidden: cannot be set on create']);
  const viaPod = await call('PATCH', '/api/v1/namespaces/default/pods/app', { spec: { ephemeralContainers: [{ name: 'd', image: 'busybox' }] } }, 'application/strategic-merge-patch+json');
  expect(viaPod.status).toBe(422);
  expect(viaPod.body.message).toContain('spec: Forbidden: pod updates may not change fields other than');
  expect((await call('DELETE', path)).status).toBe(405);
});

test('discovery lists it as kube-apiserver does', async () => {
  const list = (await (await fetch(`${srv.url}/api/v1`)).json()) as { resources: Array<{ name: string; kind: string; verbs: string[] }> };
  expect(list.resources.find((r) => r.name === 'pods/ephemeralcontainers')).toMatchObject({ kind: 'Pod', verbs: ['get', 'patch', 'update'] });
});
