// CustomResourceDefinitions through the REST API: a CRD is served at once (discovery, REST, tables),
// its schema prunes, defaults and validates (422 with Kubernetes' field messages, CEL rules), status
// and scale subresources, None conversion between versions, merge patches (strategic merge refused),
// watch across the CRD's deletion (its objects go with it), and CRDs surviving a restart.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { startApiServer, type RunningApiServer } from '../../apiserver';

const crd = yaml.load(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'crontab-crd.yaml'), 'utf8')) as Record<string, unknown>;
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const CTS = '/apis/stable.example.com/v1/namespaces/default/crontabs';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(server: RunningApiServer, method: string, p: string, body?: unknown, contentType = 'application/json', accept = 'application/json'): Promise<{ status: number; body: Json }> {
  const res = await fetch(server.url + p, { method, headers: { 'content-type': contentType, accept }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
}

const crontab = (name: string, spec: Json) => ({ apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name }, spec });

describe('CustomResourceDefinitions', () => {
  let server: RunningApiServer;
  beforeAll(async () => {
    server = await startApiServer({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => server.close());

  test('a CRD is served as soon as it is created: Established, discovery, REST', async () => {
    const created = await call(server, 'POST', CRDS, crd);
    expect(created.status).toBe(201);
    expect(created.body.metadata.finalizers).toEqual(['customresourcecleanup.apiextensions.k8s.io']);
    const got = await call(server, 'GET', `${CRDS}/crontabs.stable.example.com`);
    const conditions = Object.fromEntries((got.body.status.conditions as Json[]).map((c) => [c.type, c.status]));
    expect(conditions).toEqual({ NamesAccepted: 'True', Established: 'True' });
    expect(got.body.status.storedVersions).toEqual(['v1']);
    const groups = await call(server, 'GET', '/apis');
    expect((groups.body.groups as Json[]).find((g) => g.name === 'stable.example.com')?.versions.map((v: Json) => v.version)).toEqual(['v1', 'v1beta1']);
    const list = await call(server, 'GET', '/apis/stable.example.com/v1');
    const names = (list.body.resources as Json[]).map((r) => r.name);
    expect(names).toEqual(['crontabs', 'crontabs/status', 'crontabs/scale']);
    const crontabs = (list.body.resources as Json[])[0];
    expect(crontabs).toMatchObject({ kind: 'CronTab', namespaced: true, shortNames: ['ct'], categories: ['all'], singularName: 'crontab' });
  });

  test('defaults are applied, unknown fields pruned, status dropped on create', async () => {
    const res = await call(server, 'POST', CTS, { ...crontab('a', { cronSpec: '* * * * */5', image: 'busybox', bogus: 1, extra: { anything: { goes: true } } }), status: { replicas: 9 } });
    expect(res.status).toBe(201);
    expect(res.body.spec).toEqual({ cronSpec: '* * * * */5', image: 'busybox', replicas: 1, maxReplicas: 10, mode: 'Slow', extra: { anything: { goes: true } } });
    expect(res.body.status).toBeUndefined();
    expect(res.body.metadata.generation).toBe(1);
  });

  test('invalid objects get 422 with Kubernetes field messages', async () => {
    const res = await call(server, 'POST', CTS, crontab('bad', { cronSpec: 'nope', replicas: 'three', mode: 'Medium' }));
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('Invalid');
    const causes = (res.body.details.causes as Json[]).map((c) => `${c.field}: ${c.message}`);
    expect(causes).toEqual(
      expect.arrayContaining([
        `spec.cronSpec: Invalid value: "nope": spec.cronSpec in body should match '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'`,
        'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
        'spec.mode: Unsupported value: "Medium": supported values: "Fast", "Slow"',
      ]),
    );
    expect(res.body.message).toMatch(/^CronTab.stable.example.com "bad" is invalid: /);
    const missing = await call(server, 'POST', CTS, crontab('bad', { image: 'x' }));
    expect((missing.body.details.causes as Json[]).map((c) => `${c.field}: ${c.message}`)).toEqual(['spec.cronSpec: Required value']);
    const cel = await call(server, 'POST', CTS, crontab('bad', { cronSpec: '* * * * *', replicas: 5, maxReplicas: 3 }));
    expect(cel.status).toBe(422);
    expect((cel.body.details.causes as Json[]).map((c) => `${c.field}: ${c.message}`)).toEqual(['spec: Invalid value: "object": replicas must not exceed maxReplicas']);
  });

  test('merge and JSON patches work; strategic merge is 415', async () => {
    const smp = await call(server, 'PATCH', `${CTS}/a`, { spec: { image: 'x' } }, 'application/strategic-merge-patch+json');
    expect(smp.status).toBe(415);
    expect(smp.body.message).toContain('application/merge-patch+json');
    const merge = await call(server, 'PATCH', `${CTS}/a`, { spec: { image: 'nginx' } }, 'application/merge-patch+json');
    expect(merge.status).toBe(200);
    expect(merge.body.spec.image).toBe('nginx');
    expect(merge.body.metadata.generation).toBe(2);
    const json = await call(server, 'PATCH', `${CTS}/a`, [{ op: 'replace', path: '/spec/mode', value: 'Fast' }], 'application/json-patch+json');
    expect(json.body.spec.mode).toBe('Fast');
  });

  test('status and scale subresources', async () => {
    const st = await call(server, 'PATCH', `${CTS}/a/status`, { status: { replicas: 1, selector: 'app=a' }, spec: { image: 'ignored' } }, 'application/merge-patch+json');
    expect(st.status).toBe(200);
    expect(st.body.status).toEqual({ replicas: 1, selector: 'app=a' });
    expect(st.body.spec.image).toBe('nginx');
    const scale = await call(server, 'GET', `${CTS}/a/scale`);
    expect(scale.body).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 1 }, status: { replicas: 1, selector: 'app=a' } });
    const put = await call(server, 'PUT', `${CTS}/a/scale`, { ...scale.body, spec: { replicas: 4 } });
    expect(put.status).toBe(200);
    expect((await call(server, 'GET', `${CTS}/a`)).body.spec.replicas).toBe(4);
    // The CEL rule holds on writes through /scale too.
    const over = await call(server, 'PATCH', `${CTS}/a/scale`, { spec: { replicas: 11 } }, 'application/merge-patch+json');
    expect(over.status).toBe(422);
  });

  test('tables print the additionalPrinterColumns', async () => {
    const t = await call(server, 'GET', CTS, undefined, 'application/json', 'application/json;as=Table;v=v1;g=meta.k8s.io');
    expect((t.body.columnDefinitions as Json[]).map((c) => c.name)).toEqual(['Name', 'Spec', 'Replicas', 'Age']);
    expect(t.body.rows[0].cells.slice(0, 3)).toEqual(['a', '* * * * */5', 4]);
    expect(t.body.rows[0].cells[3]).toMatch(/^\d+s$/);
  });

  test('other served versions read the same objects (None conversion)', async () => {
    const got = await call(server, 'GET', '/apis/stable.example.com/v1beta1/namespaces/default/crontabs/a');
    expect(got.status).toBe(200);
    expect(got.body.apiVersion).toBe('stable.example.com/v1beta1');
    expect(got.body.spec.replicas).toBe(4);
    const list = await call(server, 'GET', '/apis/stable.example.com/v1beta1/namespaces/default/crontabs');
    expect((list.body.items as Json[]).map((i) => i.apiVersion)).toEqual(['stable.example.com/v1beta1']);
  });

  test('a LIST answers every item at its version while objects are stored at both', async () => {
    const V1BETA1 = '/apis/stable.example.com/v1beta1/namespaces/default/crontabs';
    const versionsOf = async (p: string) => ((await call(server, 'GET', p)).body.items as Json[]).map((i) => `${i.metadata.name} ${i.apiVersion}`);
    const beta = await call(server, 'POST', V1BETA1, { ...crontab('mixed', { cronSpec: '* * * * *' }), apiVersion: 'stable.example.com/v1beta1' });
    expect(beta.status).toBe(201);
    expect(await versionsOf(CTS)).toEqual(['a stable.example.com/v1', 'mixed stable.example.com/v1']);
    expect(await versionsOf(V1BETA1)).toEqual(['a stable.example.com/v1beta1', 'mixed stable.example.com/v1beta1']);
    // Rewritten at v1: every object is stored at v1 now, and v1beta1 still converts them all.
    const put = await call(server, 'PUT', `${CTS}/mixed`, { ...beta.body, apiVersion: 'stable.example.com/v1' });
    expect(put.status).toBe(200);
    expect(await versionsOf(CTS)).toEqual(['a stable.example.com/v1', 'mixed stable.example.com/v1']);
    expect(await versionsOf(V1BETA1)).toEqual(['a stable.example.com/v1beta1', 'mixed stable.example.com/v1beta1']);
    // Pages read at the first page's revision, after a write, convert as well.
    const first = await call(server, 'GET', `${V1BETA1}?limit=1`);
    await call(server, 'PUT', `${V1BETA1}/mixed`, { ...put.body, apiVersion: 'stable.example.com/v1beta1' });
    const second = await call(server, 'GET', `${CTS}?limit=1&continue=${encodeURIComponent(first.body.metadata.continue)}`);
    expect((second.body.items as Json[]).map((i) => `${i.metadata.name} ${i.apiVersion}`)).toEqual(['mixed stable.example.com/v1']);
    expect((await call(server, 'DELETE', `${CTS}/mixed`)).status).toBe(200);
  });

  test('label and field selectors, and finalizers', async () => {
    await call(server, 'POST', CTS, { ...crontab('b', { cronSpec: '* * * * *' }), metadata: { name: 'b', labels: { tier: 'x' }, finalizers: ['example.com/hold'] } });
    const byLabel = await call(server, 'GET', `${CTS}?labelSelector=tier%3Dx`);
    expect((byLabel.body.items as Json[]).map((i) => i.metadata.name)).toEqual(['b']);
    const byField = await call(server, 'GET', `${CTS}?fieldSelector=metadata.name%3Da`);
    expect((byField.body.items as Json[]).map((i) => i.metadata.name)).toEqual(['a']);
    const del = await call(server, 'DELETE', `${CTS}/b`);
    expect(del.body.metadata.deletionTimestamp).toBeDefined();
    await call(server, 'PATCH', `${CTS}/b`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    expect((await call(server, 'GET', `${CTS}/b`)).status).toBe(404);
  });

  test('a watch sees the objects deleted with their CRD, then ends; the kind is then no longer served', async () => {
    const ctrl = new AbortController();
    const events: Json[] = [];
    const res = await fetch(`${server.url}${CTS}?watch=1`, { signal: ctrl.signal });
    const reader = res.body!.getReader();
    const pump = (async () => {
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buf += Buffer.from(value!).toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, nl)) as Json);
          buf = buf.slice(nl + 1);
        }
      }
    })();
    const del = await call(server, 'DELETE', `${CRDS}/crontabs.stable.example.com`);
    expect(del.status).toBe(200);
    for (let i = 0; i < 100 && (await call(server, 'GET', `${CRDS}/crontabs.stable.example.com`)).status !== 404; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await call(server, 'GET', `${CRDS}/crontabs.stable.example.com`)).status).toBe(404);
    // The event may still be on its way when the CRD is gone.
    for (let i = 0; i < 100 && !events.some((e) => e.type === 'DELETED'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(events.filter((e) => e.type === 'DELETED').map((e) => e.object.metadata.name)).toEqual(['a']);
    // kube-apiserver ends the watches of a custom resource whose CRD is gone: the stream closes by itself.
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([pump.then(() => 'ended'), new Promise<string>((r) => (timer = setTimeout(() => r('still open'), 20_000)))]);
    clearTimeout(timer);
    ctrl.abort();
    await pump;
    expect(ended).toBe('ended');
    expect((await call(server, 'GET', CTS)).status).toBe(404);
    expect(((await call(server, 'GET', '/apis')).body.groups as Json[]).some((g) => g.name === 'stable.example.com')).toBe(false);
  });

  test('a CRD whose names another CRD of the group holds is not established', async () => {
    const other = (name: string, plural: string, kind: string) => ({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.names.example.com` },
      spec: { group: 'names.example.com', scope: 'Cluster', names: { plural, kind, shortNames: [name] }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }] },
    });
    expect((await call(server, 'POST', CRDS, other('w', 'widgets', 'Widget'))).status).toBe(201);
    expect((await call(server, 'POST', CRDS, other('w', 'gadgets', 'Gadget'))).status).toBe(201);
    const got = await call(server, 'GET', `${CRDS}/gadgets.names.example.com`);
    const byType = Object.fromEntries((got.body.status.conditions as Json[]).map((c) => [c.type, c]));
    expect(byType.NamesAccepted).toMatchObject({ status: 'False', reason: 'ShortNamesConflict', message: '"w" is already in use' });
    expect(byType.Established.status).toBe('False');
    expect((await call(server, 'GET', '/apis/names.example.com/v1/gadgets')).status).toBe(404);
  });

  test('invalid CRDs are refused with their field causes', async () => {
    const bad = { ...crd, metadata: { name: 'wrong.stable.example.com' }, spec: { ...(crd.spec as Json), versions: [{ name: 'v1', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { properties: {} } } } } }] } };
    const res = await call(server, 'POST', CRDS, bad);
    expect(res.status).toBe(422);
    const causes = (res.body.details.causes as Json[]).map((c) => `${c.field}: ${c.message}`);
    expect(causes).toEqual(
      expect.arrayContaining([
        'metadata.name: Invalid value: "wrong.stable.example.com": must be spec.names.plural+"."+spec.group',
        'spec.versions: Invalid value: ["v1"]: must have exactly one version marked as storage version',
        'spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
      ]),
    );
  });
});

test('CRDs and their objects survive an apiserver restart', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-crd-'));
  try {
    let server = await startApiServer({ host: '127.0.0.1', port: 0, dataDir });
    expect((await call(server, 'POST', CRDS, crd)).status).toBe(201);
    expect((await call(server, 'POST', CTS, crontab('kept', { cronSpec: '* * * * *' }))).status).toBe(201);
    await server.close();
    server = await startApiServer({ host: '127.0.0.1', port: 0, dataDir });
    try {
      const got = await call(server, 'GET', `${CTS}/kept`);
      expect(got.status).toBe(200);
      expect(got.body.spec.replicas).toBe(1);
    } finally {
      await server.close();
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});
