// More than 200 malformed or invalid requests: each gets a 4xx metav1.Status, the server keeps
// serving, and the store is unchanged by them.
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';

let srv: TestApiServer;
beforeAll(async () => {
  srv = await startTestApiServer();
});
afterAll(async () => {
  await srv.stop();
});

interface Case {
  what: string;
  method: string;
  path: string;
  body?: string | Buffer;
  contentType?: string;
  expect: number | number[];
}

const PODS = '/api/v1/namespaces/default/pods';
const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';
const CMS = '/api/v1/namespaces/default/configmaps';
const SVCS = '/api/v1/namespaces/default/services';

const goodPod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ok' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
const goodDeploy = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd' },
  spec: { replicas: 1, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
};

function mutate(base: object, fn: (o: Record<string, any>) => void): string {
  const o = JSON.parse(JSON.stringify(base)) as Record<string, any>;
  fn(o);
  return JSON.stringify(o);
}

function cases(): Case[] {
  const c: Case[] = [];
  // Broken JSON.
  const brokenJson = ['{', '{"a":', '[1,2', '{"metadata":{"name":"x"}', 'nul', '{"a" 1}', "{'a':1}", '{"a":1,}', '\u0000\u0001', '{"a":"\\x"}', 'undefined', '{"a":1}}', '{{}}', '"', '{"metadata":{"name":"x",}}'];
  for (const [i, b] of brokenJson.entries()) {
    c.push({ what: `broken json ${i} create`, method: 'POST', path: CMS, body: b, contentType: 'application/json', expect: 400 });
    c.push({ what: `broken json ${i} put`, method: 'PUT', path: `${CMS}/keep`, body: b, expect: 400 });
    c.push({ what: `broken json ${i} merge patch`, method: 'PATCH', path: `${CMS}/keep`, body: b, contentType: 'application/merge-patch+json', expect: 400 });
  }
  // Broken YAML.
  const brokenYaml = ['a: [1, 2', 'a: {b: 1', ':\n  - : -', 'key: "unterminated', '- a\nb: c', 'a:\n\t- b', '@foo', 'a: &x 1\nb: *y', '{a: 1} {b: 2}', '---\na: 1\n---\nb: 2'];
  for (const [i, b] of brokenYaml.entries()) c.push({ what: `broken yaml ${i}`, method: 'POST', path: CMS, body: b, contentType: 'application/yaml', expect: 400 });
  // Not objects.
  for (const b of ['1', '"str"', 'true', 'null', '[]', '[{"metadata":{"name":"a"}}]']) {
    c.push({ what: `non-object ${b}`, method: 'POST', path: CMS, body: b, contentType: 'application/json', expect: 400 });
    c.push({ what: `non-object put ${b}`, method: 'PUT', path: `${CMS}/keep`, body: b, contentType: 'application/json', expect: 400 });
  }
  // Wrong kind / apiVersion.
  c.push({ what: 'wrong kind', method: 'POST', path: CMS, body: JSON.stringify({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 'x' } }), expect: 400 });
  c.push({ what: 'wrong apiVersion', method: 'POST', path: DEPLOYS, body: mutate(goodDeploy, (o) => (o.apiVersion = 'apps/v2')), expect: 400 });
  c.push({ what: 'kind as number', method: 'POST', path: CMS, body: JSON.stringify({ kind: 5, metadata: { name: 'x' } }), expect: 400 });
  // Bad names.
  const badNames = ['UPPER', 'has space', 'a_b', '-lead', 'trail-', 'a..b', 'x'.repeat(254), 'ünïcode', 'a/b', '.', '..', 'semi;colon'];
  for (const n of badNames) {
    c.push({ what: `bad configmap name ${n.slice(0, 20)}`, method: 'POST', path: CMS, body: JSON.stringify({ metadata: { name: n } }), expect: [400, 422] });
    c.push({ what: `bad pod name ${n.slice(0, 20)}`, method: 'POST', path: PODS, body: mutate(goodPod, (o) => (o.metadata.name = n)), expect: [400, 422] });
    c.push({ what: `bad namespace name ${n.slice(0, 20)}`, method: 'POST', path: '/api/v1/namespaces', body: JSON.stringify({ metadata: { name: n } }), expect: [400, 422] });
  }
  c.push({ what: 'no name', method: 'POST', path: CMS, body: JSON.stringify({ metadata: {} }), expect: 422 });
  c.push({ what: 'no metadata', method: 'POST', path: CMS, body: JSON.stringify({ data: { a: 'b' } }), expect: 422 });
  // Wrong types in metadata.
  const metaTypes: Array<[string, unknown]> = [
    ['name', 5],
    ['name', ['a']],
    ['labels', 'a=b'],
    ['labels', { a: 1 }],
    ['labels', { a: { b: 'c' } }],
    ['annotations', []],
    ['annotations', { a: false }],
    ['finalizers', 'x'],
    ['finalizers', [1]],
    ['ownerReferences', {}],
    ['namespace', 7],
    ['resourceVersion', 12],
    ['generateName', {}],
    ['uid', 1],
  ];
  for (const [field, value] of metaTypes) {
    c.push({ what: `metadata.${field}=${JSON.stringify(value)}`, method: 'POST', path: CMS, body: JSON.stringify({ metadata: { name: 'typed', [field]: value } }), expect: [400, 422] });
  }
  c.push({ what: 'metadata not object', method: 'POST', path: CMS, body: JSON.stringify({ metadata: 'x' }), expect: [400, 422] });
  // Wrong types and invalid values in specs.
  const podMutations: Array<[string, (o: Record<string, any>) => void]> = [
    ['containers not list', (o) => (o.spec.containers = 'nginx')],
    ['no containers', (o) => (o.spec.containers = [])],
    ['container without image', (o) => delete o.spec.containers[0].image],
    ['container without name', (o) => delete o.spec.containers[0].name],
    ['duplicate container', (o) => o.spec.containers.push({ name: 'c', image: 'x' })],
    ['port out of range', (o) => (o.spec.containers[0].ports = [{ containerPort: 70000 }])],
    ['port zero', (o) => (o.spec.containers[0].ports = [{ containerPort: 0 }])],
    ['port string', (o) => (o.spec.containers[0].ports = [{ containerPort: 'eighty' }])],
    ['bad restartPolicy', (o) => (o.spec.restartPolicy = 'Sometimes')],
    ['negative grace', (o) => (o.spec.terminationGracePeriodSeconds = -5)],
    ['bad image pull policy', (o) => (o.spec.containers[0].imagePullPolicy = 'Maybe')],
    ['spec not object', (o) => (o.spec = 5)],
    ['env not list', (o) => (o.spec.containers[0].env = { A: 'b' })],
    ['bad resource quantity', (o) => (o.spec.containers[0].resources = { limits: { cpu: 'lots' } })],
  ];
  for (const [what, fn] of podMutations) c.push({ what: `pod: ${what}`, method: 'POST', path: PODS, body: mutate(goodPod, fn), expect: [400, 422] });
  const deployMutations: Array<[string, (o: Record<string, any>) => void]> = [
    ['negative replicas', (o) => (o.spec.replicas = -1)],
    ['replicas string', (o) => (o.spec.replicas = 'three')],
    ['selector does not match template', (o) => (o.spec.template.metadata.labels = { app: 'other' })],
    ['no selector', (o) => delete o.spec.selector],
    ['empty selector', (o) => (o.spec.selector = {})],
    ['no template', (o) => delete o.spec.template],
    ['bad strategy', (o) => (o.spec.strategy = { type: 'Sideways' })],
    ['template restartPolicy Never', (o) => (o.spec.template.spec.restartPolicy = 'Never')],
    ['template no containers', (o) => (o.spec.template.spec.containers = [])],
    ['bad label value in selector', (o) => (o.spec.selector.matchLabels = { app: 'bad value!' })],
  ];
  for (const [what, fn] of deployMutations) c.push({ what: `deployment: ${what}`, method: 'POST', path: DEPLOYS, body: mutate(goodDeploy, fn), expect: [400, 422] });
  const svcs: Array<[string, unknown]> = [
    ['port 0', { ports: [{ port: 0 }] }],
    ['port too big', { ports: [{ port: 65536 }] }],
    ['bad type', { type: 'Magic', ports: [{ port: 80 }] }],
    ['bad protocol', { ports: [{ port: 80, protocol: 'ICMP' }] }],
    ['clusterIP out of range', { clusterIP: '192.168.1.1', ports: [{ port: 80 }] }],
    ['nodePort out of range', { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }],
    ['clusterIP garbage', { clusterIP: 'not-an-ip', ports: [{ port: 80 }] }],
  ];
  for (const [what, spec] of svcs) c.push({ what: `service: ${what}`, method: 'POST', path: SVCS, body: JSON.stringify({ metadata: { name: 'svc' }, spec }), expect: [400, 422] });
  // Bad selectors and query parameters.
  const badLabelSelectors = ['a in (b', 'a notin b', '=b', 'a!', '!', 'a=b,', 'in (a)', 'a in ()', 'a b', '!!a', 'a=(b)', 'x'.repeat(70) + '=1', 'a=b c'];
  for (const s of badLabelSelectors) {
    c.push({ what: `label selector ${s.slice(0, 20)}`, method: 'GET', path: `${PODS}?labelSelector=${encodeURIComponent(s)}`, expect: 400 });
    c.push({ what: `label selector watch ${s.slice(0, 20)}`, method: 'GET', path: `${PODS}?watch=1&labelSelector=${encodeURIComponent(s)}`, expect: 400 });
  }
  const badFieldSelectors = ['spec.foo=bar', 'metadata.labels=x', 'nofield', 'status.phase~Running', 'spec.nodeName', '=x'];
  for (const s of badFieldSelectors) {
    c.push({ what: `field selector ${s}`, method: 'GET', path: `${PODS}?fieldSelector=${encodeURIComponent(s)}`, expect: 400 });
    c.push({ what: `field selector ${s} all namespaces`, method: 'GET', path: `/api/v1/pods?fieldSelector=${encodeURIComponent(s)}`, expect: 400 });
  }
  for (const q of ['limit=abc', 'limit=-1', 'limit=1.5', 'continue=garbage', 'continue=eyJydiI6MX0', 'watch=1&resourceVersion=abc', 'watch=1&timeoutSeconds=x']) {
    c.push({ what: `query ${q}`, method: 'GET', path: `${PODS}?${q}`, expect: 400 });
  }
  c.push({ what: 'dryRun bad on create', method: 'POST', path: `${CMS}?dryRun=Yes`, body: JSON.stringify({ metadata: { name: 'dry' } }), expect: 400 });
  c.push({ what: 'bad fieldValidation', method: 'POST', path: `${CMS}?fieldValidation=Loose`, body: JSON.stringify({ metadata: { name: 'fv' } }), expect: 400 });
  c.push({ what: 'strict unknown field', method: 'POST', path: `${CMS}?fieldValidation=Strict`, body: JSON.stringify({ metadata: { name: 'strict' }, bogus: 1 }), expect: 400 });
  // Patches.
  const badJsonPatches = ['{}', '[{"op":"jump","path":"/a"}]', '[{"op":"add"}]', '[{"op":"replace","path":"/data/nope/deeper","value":1}]', '[{"op":"test","path":"/data/k","value":"other"}]', '[{"op":"remove","path":"/nothing"}]', '[1]', '"x"'];
  for (const p of badJsonPatches) c.push({ what: `json patch ${p}`, method: 'PATCH', path: `${CMS}/keep`, body: p, contentType: 'application/json-patch+json', expect: [400, 422] });
  for (const p of ['[]', '"x"', '5', '[1]']) {
    c.push({ what: `merge patch ${p}`, method: 'PATCH', path: `${CMS}/keep`, body: p, contentType: 'application/merge-patch+json', expect: 400 });
    c.push({ what: `strategic patch ${p}`, method: 'PATCH', path: `${CMS}/keep`, body: p, contentType: 'application/strategic-merge-patch+json', expect: 400 });
  }
  // Server-side apply needs a field manager.
  c.push({ what: 'apply patch without fieldManager', method: 'PATCH', path: `${CMS}/keep`, body: '{"data":{"a":"b"}}', contentType: 'application/apply-patch+yaml', expect: 400 });
  c.push({ what: 'apply patch of another kind', method: 'PATCH', path: `${CMS}/keep?fieldManager=m`, body: '{"apiVersion":"v1","kind":"Secret"}', contentType: 'application/apply-patch+yaml', expect: 400 });
  c.push({ what: 'force on a merge patch', method: 'PATCH', path: `${CMS}/keep?force=true`, body: '{}', contentType: 'application/merge-patch+json', expect: 400 });
  for (const ct of ['text/plain', 'application/xml', 'application/json', 'application/yaml']) {
    c.push({ what: `patch content type ${ct}`, method: 'PATCH', path: `${CMS}/keep`, body: '{"data":{"a":"b"}}', contentType: ct, expect: 415 });
  }
  c.push({ what: 'patch changes kind', method: 'PATCH', path: `${CMS}/keep`, body: '{"kind":"Secret"}', contentType: 'application/merge-patch+json', expect: 400 });
  c.push({ what: 'patch changes name', method: 'PATCH', path: `${CMS}/keep`, body: '{"metadata":{"name":"other"}}', contentType: 'application/merge-patch+json', expect: 400 });
  c.push({ what: 'patch labels wrong type', method: 'PATCH', path: `${CMS}/keep`, body: '{"metadata":{"labels":{"a":5}}}', contentType: 'application/merge-patch+json', expect: 422 });
  c.push({ what: 'patch stale resourceVersion', method: 'PATCH', path: `${CMS}/keep`, body: '{"metadata":{"resourceVersion":"1"}}', contentType: 'application/merge-patch+json', expect: 409 });
  c.push({ what: 'patch bad resourceVersion', method: 'PATCH', path: `${CMS}/keep`, body: '{"metadata":{"resourceVersion":"abc"}}', contentType: 'application/merge-patch+json', expect: 400 });
  c.push({ what: 'patch missing', method: 'PATCH', path: `${CMS}/nope`, body: '{}', contentType: 'application/merge-patch+json', expect: 404 });
  // Updates.
  c.push({ what: 'put name mismatch', method: 'PUT', path: `${CMS}/keep`, body: JSON.stringify({ metadata: { name: 'other' } }), expect: 400 });
  c.push({ what: 'put namespace mismatch', method: 'PUT', path: `${CMS}/keep`, body: JSON.stringify({ metadata: { name: 'keep', namespace: 'kube-system' } }), expect: 400 });
  c.push({ what: 'put stale rv', method: 'PUT', path: `${CMS}/keep`, body: JSON.stringify({ metadata: { name: 'keep', resourceVersion: '1' } }), expect: 409 });
  c.push({ what: 'put bad rv', method: 'PUT', path: `${CMS}/keep`, body: JSON.stringify({ metadata: { name: 'keep', resourceVersion: 'x1' } }), expect: 400 });
  c.push({ what: 'put missing', method: 'PUT', path: `${CMS}/nope`, body: JSON.stringify({ metadata: { name: 'nope' } }), expect: 404 });
  c.push({ what: 'put empty body', method: 'PUT', path: `${CMS}/keep`, body: '', expect: 400 });
  c.push({ what: 'create empty body', method: 'POST', path: CMS, body: '', expect: 400 });
  c.push({ what: 'create namespace mismatch', method: 'POST', path: CMS, body: JSON.stringify({ metadata: { name: 'x', namespace: 'other' } }), expect: 400 });
  c.push({ what: 'create in missing namespace', method: 'POST', path: '/api/v1/namespaces/missing/configmaps', body: JSON.stringify({ metadata: { name: 'x' } }), expect: 404 });
  c.push({ what: 'create duplicate', method: 'POST', path: CMS, body: JSON.stringify({ metadata: { name: 'keep' } }), expect: 409 });
  c.push({ what: 'truncated protobuf body', method: 'POST', path: CMS, body: Buffer.from([0x6b, 0x38, 0x73, 0, 1, 2]), contentType: 'application/vnd.kubernetes.protobuf', expect: 400 });
  c.push({ what: 'protobuf body without the magic', method: 'POST', path: CMS, body: Buffer.from([1, 2, 3, 4, 5]), contentType: 'application/vnd.kubernetes.protobuf', expect: 400 });
  c.push({ what: 'form body', method: 'POST', path: CMS, body: 'a=b', contentType: 'application/x-www-form-urlencoded', expect: 415 });
  c.push({ what: 'text body', method: 'POST', path: CMS, body: '{"metadata":{"name":"txt"}}', contentType: 'text/plain', expect: 415 });
  c.push({ what: 'xml body', method: 'POST', path: CMS, body: '<cm/>', contentType: 'application/xml', expect: 415 });
  // Bodies over the limit.
  const huge = JSON.stringify({ metadata: { name: 'huge' }, data: { big: 'x'.repeat(3 * 1024 * 1024 + 10) } });
  c.push({ what: 'huge create', method: 'POST', path: CMS, body: huge, expect: 413 });
  c.push({ what: 'huge put', method: 'PUT', path: `${CMS}/keep`, body: huge, expect: 413 });
  c.push({ what: 'huge patch', method: 'PATCH', path: `${CMS}/keep`, body: huge, contentType: 'application/merge-patch+json', expect: 413 });
  // Deletes.
  c.push({ what: 'delete bad policy', method: 'DELETE', path: `${CMS}/keep`, body: JSON.stringify({ propagationPolicy: 'Sideways' }), expect: 422 });
  c.push({ what: 'delete bad policy query', method: 'DELETE', path: `${CMS}/keep?propagationPolicy=Never`, expect: 422 });
  c.push({ what: 'delete broken body', method: 'DELETE', path: `${CMS}/keep`, body: '{', expect: 400 });
  c.push({ what: 'delete grace string', method: 'DELETE', path: `${CMS}/keep`, body: JSON.stringify({ gracePeriodSeconds: 'soon' }), expect: 400 });
  c.push({ what: 'delete grace query', method: 'DELETE', path: `${CMS}/keep?gracePeriodSeconds=soon`, expect: 400 });
  c.push({ what: 'delete precondition uid', method: 'DELETE', path: `${CMS}/keep`, body: JSON.stringify({ preconditions: { uid: 'nope' } }), expect: 409 });
  c.push({ what: 'delete precondition rv', method: 'DELETE', path: `${CMS}/keep`, body: JSON.stringify({ preconditions: { resourceVersion: '1' } }), expect: 409 });
  c.push({ what: 'delete preconditions wrong type', method: 'DELETE', path: `${CMS}/keep`, body: JSON.stringify({ preconditions: 'x' }), expect: 400 });
  c.push({ what: 'delete missing', method: 'DELETE', path: `${CMS}/nope`, expect: 404 });
  c.push({ what: 'delete default namespace', method: 'DELETE', path: '/api/v1/namespaces/default', expect: 403 });
  // Paths and methods.
  for (const p of ['/api/v2/pods', '/apis/apps/v9/deployments', '/apis/nope/v1/things', '/api/v1/widgets', '/api/v1/namespaces/default/pods/a/b/c/d', '/api/v1/namespaces/default/pods/x/exec2', '/apis', '/api/v1/namespaces/default/configmaps/keep/scale', '/api/v1/namespaces/default/configmaps/keep/status', '/nothing/here']) {
    c.push({ what: `path ${p}`, method: p === '/apis' ? 'POST' : 'GET', path: p, expect: [404, 405] });
  }
  c.push({ what: 'POST to cluster-wide namespaced collection', method: 'POST', path: '/api/v1/pods', body: JSON.stringify(goodPod), expect: [404, 405] });
  c.push({ what: 'PUT collection', method: 'PUT', path: CMS, body: '{}', expect: 405 });
  c.push({ what: 'PATCH collection', method: 'PATCH', path: CMS, body: '{}', contentType: 'application/merge-patch+json', expect: 405 });
  c.push({ what: 'POST object', method: 'POST', path: `${CMS}/keep`, body: '{}', expect: 405 });
  // Scale and binding.
  c.push({ what: 'scale negative', method: 'PUT', path: `${DEPLOYS}/d/scale`, body: JSON.stringify({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'd' }, spec: { replicas: -3 } }), expect: 422 });
  c.push({ what: 'scale string', method: 'PATCH', path: `${DEPLOYS}/d/scale`, body: JSON.stringify({ spec: { replicas: 'many' } }), contentType: 'application/merge-patch+json', expect: 422 });
  c.push({ what: 'scale wrong kind', method: 'PUT', path: `${DEPLOYS}/d/scale`, body: JSON.stringify({ kind: 'Pod', spec: { replicas: 1 } }), expect: 400 });
  c.push({ what: 'scale stale rv', method: 'PUT', path: `${DEPLOYS}/d/scale`, body: JSON.stringify({ kind: 'Scale', metadata: { name: 'd', resourceVersion: '1' }, spec: { replicas: 1 } }), expect: 409 });
  c.push({ what: 'scale missing', method: 'GET', path: `${DEPLOYS}/nope/scale`, expect: 404 });
  c.push({ what: 'binding no target', method: 'POST', path: `${PODS}/ok/binding`, body: JSON.stringify({ metadata: { name: 'ok' } }), expect: 422 });
  c.push({ what: 'binding wrong name', method: 'POST', path: `${PODS}/ok/binding`, body: JSON.stringify({ metadata: { name: 'other' }, target: { name: 'n1' } }), expect: 400 });
  c.push({ what: 'binding wrong kind', method: 'POST', path: `${PODS}/ok/binding`, body: JSON.stringify({ metadata: { name: 'ok' }, target: { kind: 'Pod', name: 'n1' } }), expect: 422 });
  c.push({ what: 'binding missing pod', method: 'POST', path: `${PODS}/nope/binding`, body: JSON.stringify({ metadata: { name: 'nope' }, target: { name: 'n1' } }), expect: 404 });
  c.push({ what: 'binding broken', method: 'POST', path: `${PODS}/ok/binding`, body: '{', expect: 400 });
  c.push({ what: 'log of unscheduled pod', method: 'GET', path: `${PODS}/ok/log`, expect: 400 });
  c.push({ what: 'log of bad container', method: 'GET', path: `${PODS}/ok/log?container=nope`, expect: 400 });
  c.push({ what: 'log of missing pod', method: 'GET', path: `${PODS}/nope/log`, expect: 404 });
  return c;
}

test('at least 200 bad requests get 4xx Status answers; the server keeps serving; the store is intact', async () => {
  const req = async (method: string, path: string, body?: string | Buffer, contentType?: string) => {
    const headers: Record<string, string> = {};
    // fetch would label a string body text/plain: bodies are JSON unless a case says otherwise.
    if (body !== undefined) headers['content-type'] = contentType || 'application/json';
    const res = await fetch(srv.url + path, { method, body: body === undefined ? undefined : body, headers, signal: AbortSignal.timeout(5000) });
    return { code: res.status, text: await res.text(), type: res.headers.get('content-type') || '' };
  };
  expect((await req('POST', CMS, JSON.stringify({ metadata: { name: 'keep' }, data: { k: 'v' } }), 'application/json')).code).toBe(201);
  expect((await req('POST', PODS, JSON.stringify(goodPod), 'application/json')).code).toBe(201);
  expect((await req('POST', DEPLOYS, JSON.stringify(goodDeploy), 'application/json')).code).toBe(201);
  const before = await req('GET', '/api/v1/configmaps');
  const beforeDeploy = await req('GET', DEPLOYS);
  const all = cases();
  expect(all.length).toBeGreaterThanOrEqual(200);
  const failures: string[] = [];
  for (const c of all) {
    let r: { code: number; text: string; type: string };
    try {
      r = await req(c.method, c.path, c.body, c.contentType);
    } catch (err) {
      failures.push(`${c.what}: ${(err as Error).message}`);
      continue;
    }
    const allowed = Array.isArray(c.expect) ? c.expect : [c.expect];
    let status: { kind?: string; code?: number } = {};
    try {
      status = JSON.parse(r.text);
    } catch {
      /* reported below */
    }
    if (!allowed.includes(r.code) || status.kind !== 'Status' || status.code !== r.code || !r.type.startsWith('application/json')) {
      failures.push(`${c.what}: ${c.method} ${c.path.slice(0, 80)} → ${r.code} ${r.text.slice(0, 160)}`);
    }
  }
  expect(failures).toEqual([]);
  // Still serving, and nothing above changed the store.
  const after = await req('GET', '/api/v1/configmaps');
  const parse = (t: string) => (JSON.parse(t) as { items: unknown[] }).items;
  expect(parse(after.text)).toEqual(parse(before.text));
  expect(parse((await req('GET', DEPLOYS)).text)).toEqual(parse(beforeDeploy.text));
  expect((await req('GET', '/healthz')).code).toBe(200);
});
