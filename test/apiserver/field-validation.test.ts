// fieldValidation with duplicate fields, as kube-apiserver's strict decoder reports them: Strict fails
// with BadRequest naming every unknown and duplicate field, Warn (the default) answers with one Warning
// header each and keeps the last value, Ignore keeps the last value silently. The bodies and expected
// words are kube's own (test/integration/apiserver/field_validation_test.go): JSON and YAML creates and
// updates, merge, JSON and strategic merge patches (422 under Strict), server-side apply.
import { startApiServer, type RunningApiServer } from '../../apiserver';

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// kube's invalidBodyJSON: repeated known fields, unknown ones, an unknown one repeated.
const body = (name: string) => `{
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "dupename", "name": "${name}", "labels": {"app": "nginx"}, "unknownMeta": "metaVal"},
  "spec": {
    "unknown1": "val1",
    "unknownDupe": "valDupe",
    "unknownDupe": "valDupe2",
    "paused": true,
    "paused": false,
    "selector": {"matchLabels": {"app": "nginx"}},
    "template": {
      "metadata": {"labels": {"app": "nginx"}},
      "spec": {"containers": [{"name": "nginx", "image": "nginx:latest", "unknownNested": "val1", "imagePullPolicy": "Always", "imagePullPolicy": "Never"}]}
    }
  }
}`;

// In text order, a field both unknown and repeated reported as unknown only.
const warnings = [
  'duplicate field "metadata.name"',
  'unknown field "metadata.unknownMeta"',
  'unknown field "spec.unknown1"',
  'unknown field "spec.unknownDupe"',
  'duplicate field "spec.paused"',
  'unknown field "spec.template.spec.containers[0].unknownNested"',
  'duplicate field "spec.template.spec.containers[0].imagePullPolicy"',
];

// kube's invalidBodyYAML.
const yamlBody = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: dupename
  name: ${name}
  unknownMeta: metaVal
  labels:
    app: nginx
spec:
  unknown1: val1
  unknownDupe: valDupe
  unknownDupe: valDupe2
  paused: true
  paused: false
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:latest
        unknownNested: val1
        imagePullPolicy: Always
        imagePullPolicy: Never`;
const yamlLines = ['line 5: key "name" already set in map', 'line 12: key "unknownDupe" already set in map', 'line 14: key "paused" already set in map', 'line 28: key "imagePullPolicy" already set in map'];
// Then the unknown fields in sorted order (kube's YAML goes to JSON through a map).
const yamlUnknown = ['unknown field "metadata.unknownMeta"', 'unknown field "spec.template.spec.containers[0].unknownNested"', 'unknown field "spec.unknown1"', 'unknown field "spec.unknownDupe"'];

let server: RunningApiServer;
beforeAll(async () => {
  server = await startApiServer({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => server.close());

async function send(method: string, path: string, text: string, contentType = 'application/json'): Promise<{ status: number; body: Json; warnings: string[] }> {
  const res = await fetch(server.url + path, { method, headers: { 'content-type': contentType }, body: text });
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
  expect(res.body.metadata.name).toBe(name);
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

describe('YAML bodies', () => {
  test.each([
    ['POST', (name: string) => DEPLOYMENTS],
    ['PUT', (name: string) => `${DEPLOYMENTS}/${name}`],
  ])('%s Strict: 400 with go-yaml\'s repeated keys, then the unknown fields', async (method, path) => {
    const name = `yaml-strict-${method.toLowerCase()}`;
    if (method === 'PUT') expect((await send('POST', DEPLOYMENTS, body(name))).status).toBe(201);
    const res = await send(method, `${path(name)}?fieldValidation=Strict`, yamlBody(name), 'application/yaml');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ reason: 'BadRequest', code: 400 });
    expect(res.body.message).toBe(`strict decoding error: yaml: unmarshal errors:\n${yamlLines.map((l) => `  ${l}`).join('\n')}, ${yamlUnknown.join(', ')}`);
  });

  test.each([
    ['Warn', '?fieldValidation=Warn', [...yamlLines, ...yamlUnknown]],
    ['the default (Warn)', '', [...yamlLines, ...yamlUnknown]],
    ['Ignore', '?fieldValidation=Ignore', []],
  ])('%s: created, the last value of each repeated key kept', async (what, query, want) => {
    const name = `yaml-${what.startsWith('the') ? 'default' : what.toLowerCase()}`;
    const res = await send('POST', `${DEPLOYMENTS}${query}`, yamlBody(name), 'application/yaml');
    expect(res.status).toBe(201);
    expect(res.warnings).toEqual(want);
    expect(res.body.metadata.name).toBe(name);
    expect(res.body.spec.paused).toBe(false);
    expect(res.body.spec.template.spec.containers[0].imagePullPolicy).toBe('Never');
  });
});

// kube's patch bodies (testFieldValidationPatchTyped, testFieldValidationSMP).
const mergePatch = `{
  "spec": {
    "unknown1": "val1",
    "unknownDupe": "valDupe",
    "unknownDupe": "valDupe2",
    "paused": true,
    "paused": false,
    "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:latest", "unknownNested": "val1", "imagePullPolicy": "Always", "imagePullPolicy": "Never"}]}}
  }
}`;
const mergeProblems = [
  'duplicate field "spec.unknownDupe"',
  'duplicate field "spec.paused"',
  'duplicate field "spec.template.spec.containers[0].imagePullPolicy"',
  'unknown field "spec.template.spec.containers[0].unknownNested"',
  'unknown field "spec.unknown1"',
  'unknown field "spec.unknownDupe"',
];
const jsonPatch = `[
  {"op": "add", "path": "/spec/unknown1", "value": "val1", "foo":"bar"},
  {"op": "add", "path": "/spec/unknown2", "path": "/spec/unknown3", "value": "val1"},
  {"op": "add", "path": "/spec/unknownDupe", "value": "valDupe"},
  {"op": "add", "path": "/spec/unknownDupe", "value": "valDupe2"},
  {"op": "add", "path": "/spec/paused", "value": true},
  {"op": "add", "path": "/spec/paused", "value": false},
  {"op": "add", "path": "/spec/template/spec/containers/0/unknownNested", "value": "val1"},
  {"op": "add", "path": "/spec/template/spec/containers/0/imagePullPolicy", "value": "Always"},
  {"op": "add", "path": "/spec/template/spec/containers/0/imagePullPolicy", "value": "Never"}
]`;
const jsonPatchProblems = [
  'json patch unknown field "[0].foo"',
  'json patch duplicate field "[1].path"',
  'unknown field "spec.template.spec.containers[0].unknownNested"',
  'unknown field "spec.unknown1"',
  'unknown field "spec.unknown3"',
  'unknown field "spec.unknownDupe"',
];
const smp = `{
  "spec": {
    "unknown1": "val1",
    "unknownDupe": "valDupe",
    "unknownDupe": "valDupe2",
    "paused": true,
    "paused": false,
    "selector": {"matchLabels": {"app": "nginx"}},
    "template": {
      "metadata": {"labels": {"app": "nginx"}},
      "spec": {"containers": [{"name": "nginx", "unknownNested": "val1", "imagePullPolicy": "Always", "imagePullPolicy": "Never"}]}
    }
  }
}`;
// kube's validBodyJSON.
const valid = (name: string) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: 'nginx' } },
    spec: { selector: { matchLabels: { app: 'nginx' } }, template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:latest', imagePullPolicy: 'Always' }] } }, replicas: 2 },
  });

describe.each([
  ['merge patch', 'application/merge-patch+json', mergePatch, mergeProblems],
  ['JSON patch', 'application/json-patch+json', jsonPatch, jsonPatchProblems],
  ['strategic merge patch', 'application/strategic-merge-patch+json', smp, mergeProblems],
])('%s', (what, contentType, patch, problems) => {
  const slug = what.replace(/ /g, '-').toLowerCase();
  const fresh = async (mode: string): Promise<string> => {
    const name = `${slug}-${mode}`;
    const made = await send('POST', DEPLOYMENTS, valid(name));
    expect(made.warnings).toEqual([]);
    expect(made.status).toBe(201);
    return name;
  };

  test('Strict: 422 Invalid on the patch field, naming the patch\'s own problems then the unknown fields; nothing written', async () => {
    const name = await fresh('strict');
    const res = await send('PATCH', `${DEPLOYMENTS}/${name}?fieldValidation=Strict`, patch, contentType);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422, details: { causes: [{ reason: 'FieldValueInvalid', field: 'patch' }] } });
    expect(res.body.message.startsWith(' "" is invalid: patch: Invalid value: "')).toBe(true);
    expect(res.body.message.endsWith(`: strict decoding error: ${problems.join(', ')}`)).toBe(true);
    const after = await fetch(`${server.url}${DEPLOYMENTS}/${name}`).then((r) => r.json() as Promise<Json>);
    expect(after.spec.paused).toBeUndefined();
  });

  test.each([
    ['Warn', '?fieldValidation=Warn', problems],
    ['the default (Warn)', '', problems],
    ['Ignore', '?fieldValidation=Ignore', []],
  ])('%s: patched, the last value kept', async (mode, query, want) => {
    const name = await fresh(mode.startsWith('the') ? 'default' : mode.toLowerCase());
    const res = await send('PATCH', `${DEPLOYMENTS}/${name}${query}`, patch, contentType);
    expect(res.status).toBe(200);
    expect(res.warnings).toEqual(want);
    expect(res.body.spec.paused).toBe(false);
    expect(res.body.spec.template.spec.containers[0].imagePullPolicy).toBe('Never');
  });
});

test('a strategic merge patch under Strict shows the patch as Go prints a map', async () => {
  expect((await send('POST', DEPLOYMENTS, valid('smp-value'))).status).toBe(201);
  const res = await send('PATCH', `${DEPLOYMENTS}/smp-value?fieldValidation=Strict`, '{"spec":{"paused":true,"paused":false,"revisionHistoryLimit":3}}', 'application/strategic-merge-patch+json');
  expect(res.status).toBe(422);
  expect(res.body.message).toBe(' "" is invalid: patch: Invalid value: "map[spec:map[paused:false revisionHistoryLimit:3]]": strict decoding error: duplicate field "spec.paused"');
});

// kube's patch library (evanphx/json-patch v4) decodes only what a patch reaches, into Go maps it
// writes back sorted: the 422 shows the root and each object the patch walked through with sorted
// keys, everything else in kube's encoder's order, and a value the patch added as it was sent.
const sortedKeys = (o: Json): Json => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));

test('a merge patch under Strict shows the patched object as kube\'s patch library writes it', async () => {
  expect((await send('POST', DEPLOYMENTS, valid('merge-value'))).status).toBe(201);
  const current = (await fetch(`${server.url}${DEPLOYMENTS}/merge-value`).then((r) => r.json())) as Json;
  const res = await send('PATCH', `${DEPLOYMENTS}/merge-value?fieldValidation=Strict`, '{"spec":{"unknownX":{"z":1,"a":2},"paused":true,"paused":false,"template":{"metadata":{"labels":{"z":"1"}}}}}', 'application/merge-patch+json');
  expect(res.status).toBe(422);
  const template = sortedKeys({ ...current.spec.template, metadata: sortedKeys({ ...current.spec.template.metadata, labels: sortedKeys({ ...current.spec.template.metadata.labels, z: '1' }) }) });
  const patched = sortedKeys({ ...current, spec: sortedKeys({ ...current.spec, unknownX: { a: 2, z: 1 }, paused: false, template }) });
  expect(Object.keys(patched.metadata)[0]).toBe('name'); // untouched: kube's order
  expect(res.body.message).toBe(` "" is invalid: patch: Invalid value: ${JSON.stringify(JSON.stringify(patched))}: strict decoding error: duplicate field "spec.paused", unknown field "spec.unknownX"`);
});

test('a JSON patch under Strict: containers on the operations\' paths sorted, the added value as sent', async () => {
  expect((await send('POST', DEPLOYMENTS, valid('json-value'))).status).toBe(201);
  const current = (await fetch(`${server.url}${DEPLOYMENTS}/json-value`).then((r) => r.json())) as Json;
  const ops = '[{"op":"add","path":"/spec/template/spec/containers/0/unknownNested","value":{"z":1,"a":2}},{"op":"add","path":"/spec/paused","value":true}]';
  const res = await send('PATCH', `${DEPLOYMENTS}/json-value?fieldValidation=Strict`, ops, 'application/json-patch+json');
  expect(res.status).toBe(422);
  const t = current.spec.template;
  const container = sortedKeys({ ...t.spec.containers[0], unknownNested: { z: 1, a: 2 } });
  const template = sortedKeys({ ...t, spec: sortedKeys({ ...t.spec, containers: [container] }) });
  const patched = sortedKeys({ ...current, spec: sortedKeys({ ...current.spec, paused: true, template }) });
  expect(res.body.message).toBe(` "" is invalid: patch: Invalid value: ${JSON.stringify(JSON.stringify(patched))}: strict decoding error: unknown field "spec.template.spec.containers[0].unknownNested"`);
});

// kube's applyInvalidBody: JSON read as YAML, as every apply patch is.
const applyBody = (name: string) => `{
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {
			"name": "${name}",
			"labels": {"app": "nginx"}
		},
		"spec": {
			"paused": false,
			"paused": true,
			"selector": {
				"matchLabels": {
					"app": "nginx"
				}
			},
			"template": {
				"metadata": {
					"labels": {
						"app": "nginx"
					}
				},
				"spec": {
					"containers": [{
						"name":  "nginx",
						"image": "nginx:latest",
						"imagePullPolicy": "Never",
						"imagePullPolicy": "Always"
					}]
				}
			}
		}
	}`;
const applyLines = ['line 10: key "paused" already set in map', 'line 27: key "imagePullPolicy" already set in map'];

describe.each([
  ['apply creating', false],
  ['apply updating', true],
])('%s', (what, existing) => {
  const slug = what.replace(/ /g, '-');
  const prepare = async (mode: string): Promise<string> => {
    const name = `${slug}-${mode}`;
    if (existing) expect((await send('PATCH', `${DEPLOYMENTS}/${name}?fieldManager=mgr`, valid(name), 'application/apply-patch+yaml')).status).toBe(201);
    return name;
  };

  test('Strict: 400 with go-yaml\'s repeated keys; nothing written', async () => {
    const name = await prepare('strict');
    const res = await send('PATCH', `${DEPLOYMENTS}/${name}?fieldManager=mgr&fieldValidation=Strict`, applyBody(name), 'application/apply-patch+yaml');
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(`error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n${applyLines.map((l) => `  ${l}`).join('\n')}`);
    const after = await fetch(`${server.url}${DEPLOYMENTS}/${name}`);
    if (existing) expect(((await after.json()) as Json).spec.paused).toBeUndefined();
    else expect(after.status).toBe(404);
  });

  test.each([
    ['Warn', '&fieldValidation=Warn', applyLines],
    ['the default (Warn)', '', applyLines],
    ['Ignore', '&fieldValidation=Ignore', []],
  ])('%s: applied, the last value kept', async (mode, query, want) => {
    const name = await prepare(mode.startsWith('the') ? 'default' : mode.toLowerCase());
    const res = await send('PATCH', `${DEPLOYMENTS}/${name}?fieldManager=mgr${query}`, applyBody(name), 'application/apply-patch+yaml');
    expect(res.status).toBe(existing ? 200 : 201);
    expect(res.warnings).toEqual(want);
    expect(res.body.spec.paused).toBe(true);
    expect(res.body.spec.template.spec.containers[0].imagePullPolicy).toBe('Always');
  });
});

// Served versions converted at the edge (autoscaling/v1 HPAs, batch/v1beta1 CronJobs): kube decodes
// the served version strictly before converting, so its repeated and unknown fields are reported.
const HPAS_V1 = '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers';
const hpaV1 = (name: string, extra = '') =>
  `{"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"${name}"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"d","apiVersion":"apps/v1"},"maxReplicas":3,"maxReplicas":4${extra}}}`;

describe('served versions', () => {
  test('autoscaling/v1 create: Warn gives a Warning per duplicate (and unknown) field, the last value kept', async () => {
    const res = await send('POST', HPAS_V1, hpaV1('hpa-warn', ',"bogus":1'));
    expect(res.status).toBe(201);
    expect(res.warnings).toEqual(['duplicate field "spec.maxReplicas"', 'unknown field "spec.bogus"']);
    expect(res.body.spec.maxReplicas).toBe(4);
    expect(res.body.apiVersion).toBe('autoscaling/v1');
  });

  test('autoscaling/v1 create and update under Strict: 400 naming the duplicate; Ignore is silent', async () => {
    const strict = await send('POST', `${HPAS_V1}?fieldValidation=Strict`, hpaV1('hpa-strict'));
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe('strict decoding error: duplicate field "spec.maxReplicas"');
    const ignored = await send('POST', `${HPAS_V1}?fieldValidation=Ignore`, hpaV1('hpa-strict'));
    expect(ignored.status).toBe(201);
    expect(ignored.warnings).toEqual([]);
    const put = await send('PUT', `${HPAS_V1}/hpa-strict?fieldValidation=Strict`, hpaV1('hpa-strict'));
    expect(put.status).toBe(400);
    expect(put.body.message).toBe('strict decoding error: duplicate field "spec.maxReplicas"');
  });

  test('an autoscaling/v1 merge patch: Warn reports the patch\'s duplicate; Strict is a 422 showing the v1 object', async () => {
    expect((await send('POST', HPAS_V1, hpaV1('hpa-patch'))).status).toBe(201);
    const warn = await send('PATCH', `${HPAS_V1}/hpa-patch`, '{"spec":{"minReplicas":2,"minReplicas":3}}', 'application/merge-patch+json');
    expect(warn.status).toBe(200);
    expect(warn.warnings).toEqual(['duplicate field "spec.minReplicas"']);
    expect(warn.body.spec.minReplicas).toBe(3);
    const strict = await send('PATCH', `${HPAS_V1}/hpa-patch?fieldValidation=Strict`, '{"spec":{"minReplicas":2,"minReplicas":1}}', 'application/merge-patch+json');
    expect(strict.status).toBe(422);
    expect(strict.body.message).toMatch(/^ "" is invalid: patch: Invalid value: "\{\\"apiVersion\\":\\"autoscaling\/v1\\",\\"kind\\":\\"HorizontalPodAutoscaler\\",\\"metadata\\":\{\\"name\\":\\"hpa-patch\\",.*\\"spec\\":\{\\"maxReplicas\\":4,\\"minReplicas\\":1,\\"scaleTargetRef\\":.*: strict decoding error: duplicate field "spec.minReplicas"$/);
  });

  test('batch/v1beta1 CronJob create: the duplicate reported', async () => {
    const cj = '{"apiVersion":"batch/v1beta1","kind":"CronJob","metadata":{"name":"cj-dup"},"spec":{"schedule":"* * * * *","schedule":"*/5 * * * *","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}}}}}';
    const res = await send('POST', '/apis/batch/v1beta1/namespaces/default/cronjobs', cj);
    expect(res.status).toBe(201);
    expect(res.warnings).toEqual(['duplicate field "spec.schedule"']);
    expect(res.body.spec.schedule).toBe('*/5 * * * *');
  });

  // batch/v1beta1 has no client-node model: its Go types are batch/v1's, whose schema finds the fields.
  test('batch/v1beta1 CronJob: unknown fields at every depth reported (Warn), a 400 under Strict', async () => {
    const cj = (name: string) =>
      `{"apiVersion":"batch/v1beta1","kind":"CronJob","metadata":{"name":"${name}"},"spec":{"schedule":"* * * * *","bogus":1,"jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox","imagee":"x"}]}}}}}}`;
    const res = await send('POST', '/apis/batch/v1beta1/namespaces/default/cronjobs', cj('cj-unknown'));
    expect(res.status).toBe(201);
    expect(res.warnings).toEqual(['unknown field "spec.bogus"', 'unknown field "spec.jobTemplate.spec.template.spec.containers[0].imagee"']);
    expect(res.body.spec.bogus).toBeUndefined();
    const strict = await send('POST', '/apis/batch/v1beta1/namespaces/default/cronjobs?fieldValidation=Strict', cj('cj-unknown-strict'));
    expect(strict.status).toBe(400);
    expect(strict.body.message).toBe('strict decoding error: unknown field "spec.bogus", unknown field "spec.jobTemplate.spec.template.spec.containers[0].imagee"');
  });
});

describe('the scale subresource', () => {
  const scalePath = (name: string) => `${DEPLOYMENTS}/${name}/scale`;

  test('a merge patch with a repeated field: Warn reports it and keeps the last value; Strict is a 422 showing the Scale', async () => {
    expect((await send('POST', DEPLOYMENTS, valid('scale-dup'))).status).toBe(201);
    const warn = await send('PATCH', scalePath('scale-dup'), '{"spec":{"replicas":4,"replicas":3}}', 'application/merge-patch+json');
    expect(warn.status).toBe(200);
    expect(warn.warnings).toEqual(['duplicate field "spec.replicas"']);
    expect(warn.body.spec.replicas).toBe(3);
    const strict = await send('PATCH', `${scalePath('scale-dup')}?fieldValidation=Strict`, '{"spec":{"replicas":5,"replicas":1}}', 'application/merge-patch+json');
    expect(strict.status).toBe(422);
    expect(strict.body.message).toMatch(/^ "" is invalid: patch: Invalid value: "\{\\"apiVersion\\":\\"autoscaling\/v1\\",\\"kind\\":\\"Scale\\",\\"metadata\\":\{\\"name\\":\\"scale-dup\\",.*\\"spec\\":\{\\"replicas\\":1\},\\"status\\":.*: strict decoding error: duplicate field "spec.replicas"$/);
    const after = (await fetch(`${server.url}${DEPLOYMENTS}/scale-dup`).then((r) => r.json())) as Json;
    expect(after.spec.replicas).toBe(3);
  });

  test('a JSON patch\'s repeated operation field and a PUT\'s unknown field are reported', async () => {
    expect((await send('POST', DEPLOYMENTS, valid('scale-json'))).status).toBe(201);
    const patched = await send('PATCH', scalePath('scale-json'), '[{"op":"replace","path":"/spec/replicas","path":"/spec/replicas","value":4}]', 'application/json-patch+json');
    expect(patched.status).toBe(200);
    expect(patched.warnings).toEqual(['json patch duplicate field "[0].path"']);
    const put = await send('PUT', scalePath('scale-json'), '{"kind":"Scale","apiVersion":"autoscaling/v1","metadata":{"name":"scale-json"},"spec":{"replicas":2,"bogus":true}}');
    expect(put.status).toBe(200);
    expect(put.warnings).toEqual(['unknown field "spec.bogus"']);
    expect(put.body.spec.replicas).toBe(2);
  });
});
