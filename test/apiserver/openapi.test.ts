// The published OpenAPI: the built-in kinds' documents generated at build time (what the build step
// writes is what the server serves, byte for byte, loaded at start), CRDs joined to them at run time,
// the operations' parameters kube publishes, and `kubectl diff` (which needs the dryRun parameter on
// the kind's PATCH in /openapi/v2 before its server-side dry run) with both kubectls.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { loadGeneratedOpenApi, writeGeneratedOpenApi, type GeneratedOpenApi } from '../../apiserver';
import { MODEL_ATTRIBUTES_FILE, modelAttributesFromClientNode, readModelAttributes } from '../../apiserver/model-attributes';
import { allResources, Resources } from '../../lib/api/resources';
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver';
import { kubectlBinaries, kubectlRunner } from '../helpers/kubectl';

const ROOT = path.join(__dirname, '..', '..');
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const PROTO_ACCEPT = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
const crd = yaml.load(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'crontab-crd.yaml'), 'utf8')) as Json;

let dir: string;
let generated: GeneratedOpenApi;
let api: TestApiServer;

async function get(p: string, accept = 'application/json'): Promise<Buffer> {
  const res = await fetch(api.url + p, { headers: { accept } });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-openapi-'));
  writeGeneratedOpenApi(path.join(dir, 'generated'), allResources);
  generated = loadGeneratedOpenApi(path.join(dir, 'generated'))!;
  // Marked, so that a document made again at run time would not match what was loaded.
  generated.v2json = Buffer.from(generated.v2json.toString().replace('"version":"v1.20.2"', '"version":"v1.20.2+generated"'));
  api = await startTestApiServer({ generatedOpenApi: generated });
}, 60_000);
afterAll(async () => {
  await api?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the build step writes what the sources generate', async () => {
  const out = path.join(dir, 'built');
  const code = await new Promise<number>((resolve) => execFile(process.execPath, [path.join(ROOT, 'dist', 'apiserver', 'openapi', 'generate.js'), out], (err) => resolve(err ? 1 : 0)));
  expect(code).toBe(0);
  for (const f of ['manifest.json', 'v2.json', 'v2.pb', 'v3/apis_apps_v1.json', 'v3/api_v1.json', MODEL_ATTRIBUTES_FILE]) {
    expect(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(dir, 'generated', f)))).toBe(true);
  }
}, 60_000);

test("a built server reads the models' attribute records the build wrote, the same as client-node's model classes", () => {
  const written = readModelAttributes(path.join(dir, 'generated', MODEL_ATTRIBUTES_FILE))!;
  const models = modelAttributesFromClientNode();
  expect(Object.keys(written).length).toBeGreaterThan(500);
  expect(written).toEqual(models);
  expect(written.V1PodSpec.find((a) => a.baseName === 'containers')).toEqual(expect.objectContaining({ type: 'Array<V1Container>' }));
  expect(readModelAttributes(path.join(dir, 'no-such-file.json'))).toBeUndefined();
});

test('the served built-in documents are the generated ones, byte for byte', async () => {
  expect((await get('/openapi/v2')).equals(generated.v2json)).toBe(true);
  expect((await get('/openapi/v2', PROTO_ACCEPT)).equals(generated.v2proto)).toBe(true);
  const index = JSON.parse((await get('/openapi/v3')).toString()) as { paths: Record<string, { serverRelativeURL: string }> };
  expect(Object.keys(index.paths).sort()).toEqual([...generated.v3.keys()].sort());
  for (const [p, body] of generated.v3) expect((await get(index.paths[p].serverRelativeURL)).equals(body)).toBe(true);
});

test('the mutating operations carry dryRun, fieldManager, fieldValidation (and force on PATCH), as kube publishes them', async () => {
  const v2 = JSON.parse((await get('/openapi/v2')).toString()) as Json;
  const item = v2.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
  expect(item.patch['x-kubernetes-action']).toBe('patch');
  expect(item.patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', kind: 'Deployment', version: 'v1' });
  expect(item.patch.operationId).toBe('patchAppsV1NamespacedDeployment');
  expect(item.patch.parameters.map((p: Json) => p.name)).toEqual(['body', 'dryRun', 'fieldManager', 'fieldValidation', 'force']);
  expect(item.patch.parameters[1]).toMatchObject({ name: 'dryRun', in: 'query', type: 'string', uniqueItems: true });
  expect(item.put.parameters.map((p: Json) => p.name)).toEqual(['body', 'dryRun', 'fieldManager', 'fieldValidation']);
  expect(item.delete.parameters.map((p: Json) => p.name)).toEqual(['body', 'dryRun', 'gracePeriodSeconds', 'orphanDependents', 'propagationPolicy']);
  expect(item.parameters.map((p: Json) => p.name)).toEqual(['name', 'namespace', 'pretty']);
  const create = v2.paths['/apis/apps/v1/namespaces/{namespace}/deployments'].post;
  expect(create.parameters.map((p: Json) => p.name)).toEqual(['body', 'dryRun', 'fieldManager', 'fieldValidation']);
  expect(create.parameters[0].schema).toEqual({ $ref: '#/definitions/io.k8s.v1.Deployment' });
  expect(v2.paths['/api/v1/namespaces/{namespace}/pods/{name}/status'].patch.operationId).toBe('patchCoreV1NamespacedPodStatus');
  expect(v2.paths['/api/v1/nodes/{name}'].patch.operationId).toBe('patchCoreV1Node');
  const v3 = JSON.parse((await get('/openapi/v3/apis/apps/v1')).toString()) as Json;
  const patch3 = v3.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
  expect(patch3.parameters.map((p: Json) => p.name)).toEqual(['dryRun', 'fieldManager', 'fieldValidation', 'force']);
  expect(patch3.parameters[2].schema).toEqual({ type: 'string', uniqueItems: true });
  expect(Object.keys(patch3.requestBody.content)).toContain('application/apply-patch+yaml');
});

test('a CRD joins the generated documents at run time and leaves them as they were when it goes', async () => {
  const name = 'crontabs.stable.example.com';
  const res = await fetch(`${api.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(crd) });
  expect(res.status).toBe(201);
  let v2: Json = {};
  for (let i = 0; i < 100; i++) {
    v2 = JSON.parse((await get('/openapi/v2')).toString()) as Json;
    if (v2.definitions['com.example.stable.v1.CronTab']) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(v2.info.version).toBe('v1.20.2+generated');
  const builtin = JSON.parse(generated.v2json.toString()) as Json;
  for (const [k, d] of Object.entries(builtin.definitions)) expect(v2.definitions[k]).toEqual(d);
  expect(v2.definitions['com.example.stable.v1.CronTab']['x-kubernetes-group-version-kind']).toEqual([{ group: 'stable.example.com', version: 'v1', kind: 'CronTab' }]);
  const patch = v2.paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}'].patch;
  expect(patch.parameters.map((p: Json) => p.name)).toContain('dryRun');
  const proto = await get('/openapi/v2', PROTO_ACCEPT);
  expect(proto.subarray(0, generated.v2proto.length).equals(generated.v2proto)).toBe(true);
  expect(proto.includes(Buffer.from('com.example.stable.v1.CronTab'))).toBe(true);
  const index = JSON.parse((await get('/openapi/v3')).toString()) as Json;
  expect(index.paths['apis/stable.example.com/v1']).toBeDefined();

  await fetch(`${api.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`, { method: 'DELETE' });
  for (let i = 0; i < 100 && (await fetch(`${api.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`)).status !== 404; i++) await new Promise((r) => setTimeout(r, 50));
  expect((await get('/openapi/v2')).equals(generated.v2json)).toBe(true);
  expect((await get('/openapi/v2', PROTO_ACCEPT)).equals(generated.v2proto)).toBe(true);
});

const deployment = (ns: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx
`;

describe.each(kubectlBinaries('diff'))('$name diff', ({ bin, ns }) => {
  let home: string;
  beforeAll(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-openapi-kubectl-'));
  });
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  test('kubectl diff shows a change through a server-side dry run, and nothing when there is none', async () => {
    const kubectl = kubectlRunner(bin, () => api.kubeconfigPath, () => home, ns);
    await api.client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const file = path.join(home, `${ns}.yaml`);
    fs.writeFileSync(file, deployment(ns, 1));
    expect((await kubectl('apply', '-f', file)).code).toBe(0);
    fs.writeFileSync(file, deployment(ns, 3));
    const changed = await kubectl('diff', '-f', file);
    expect(changed.stderr).toBe('');
    expect(changed.code).toBe(1); // kubectl diff: 1 means differences found
    expect(changed.stdout).toMatch(/^-  replicas: 1$/m);
    expect(changed.stdout).toMatch(/^\+  replicas: 3$/m);
    // The dry run stored nothing.
    const stored = await api.client.get<Json>(Resources.deployments, ns, 'web');
    expect(stored.spec.replicas).toBe(1);
    const serverSide = await kubectl('diff', '--server-side', '-f', file);
    expect(serverSide.stderr).toBe('');
    expect(serverSide.code).toBe(1);
    expect(serverSide.stdout).toMatch(/^\+  replicas: 3$/m);
    fs.writeFileSync(file, deployment(ns, 1));
    const same = await kubectl('diff', '-f', file);
    expect(same.stderr).toBe('');
    expect(same.code).toBe(0);
    expect(same.stdout).toBe('');
  }, 90_000);
});
