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

// Nested objects too: ObjectMeta's Go order, maps sorted by key, each container's fields in Container's
// order, managedFields entries in ManagedFieldsEntry's order and their FieldsV1 as structured-merge-diff
// prints it (`.` first, then fields, then keyed elements, each sorted).
test('nested objects of a built-in kind in Go order, maps sorted, FieldsV1 as structured-merge-diff prints it', async () => {
  const sent = {
    spec: {
      template: {
        spec: { containers: [{ ports: [{ protocol: 'TCP', containerPort: 80 }], image: 'nginx', name: 'c', resources: { limits: { memory: '1Gi', cpu: '1' } } }] },
        metadata: { labels: { b: '1', a: 'b' } },
      },
      selector: { matchLabels: { a: 'b' } },
    },
    metadata: { annotations: { z: '1', y: '2' }, labels: { z: '1', a: '2' }, name: 'nested' },
    apiVersion: 'apps/v1',
    kind: 'Deployment',
  };
  const res = await fetch(`${server.url}/apis/apps/v1/namespaces/default/deployments?fieldManager=mgr`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sent) });
  expect(res.status).toBe(201);
  const got = JSON.parse(await res.text()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(Object.keys(got.metadata)).toEqual(['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'labels', 'annotations', 'managedFields']);
  expect(Object.keys(got.metadata.labels)).toEqual(['a', 'z']);
  expect(Object.keys(got.metadata.annotations)).toEqual(['y', 'z']);
  const entry = got.metadata.managedFields[0];
  expect(Object.keys(entry)).toEqual(['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1']);
  expect(Object.keys(entry.fieldsV1)).toEqual(['f:metadata', 'f:spec']);
  const container = entry.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"c"}'];
  expect(Object.keys(container).slice(0, 3)).toEqual(['.', 'f:image', 'f:imagePullPolicy']);
  expect(Object.keys(container['f:ports']['k:{"containerPort":80}'])).toEqual(['.', 'f:containerPort', 'f:protocol']);
  expect(Object.keys(got.spec)).toEqual(['replicas', 'selector', 'template', 'strategy', 'revisionHistoryLimit', 'progressDeadlineSeconds']);
  expect(Object.keys(got.spec.template)).toEqual(['metadata', 'spec']);
  expect(Object.keys(got.spec.template.metadata.labels)).toEqual(['a', 'b']);
  const c = got.spec.template.spec.containers[0];
  expect(Object.keys(c)).toEqual(['name', 'image', 'ports', 'resources', 'terminationMessagePath', 'terminationMessagePolicy', 'imagePullPolicy']);
  expect(Object.keys(c.ports[0])).toEqual(['containerPort', 'protocol']);
  expect(Object.keys(c.resources)).toEqual(['limits', 'requests']);
  expect(Object.keys(c.resources.limits)).toEqual(['cpu', 'memory']);
  expect(Object.keys(got.spec.template.spec)).toEqual(['containers', 'restartPolicy', 'terminationGracePeriodSeconds', 'dnsPolicy', 'securityContext', 'schedulerName']);
  expect(Object.keys(got.spec.strategy)).toEqual(['type', 'rollingUpdate']);
  // The stored bytes are what every read answers: GET and LIST give the same order.
  const text = await fetch(`${server.url}/apis/apps/v1/namespaces/default/deployments/nested`).then((r) => r.text());
  expect(text).toBe(JSON.stringify(got) + '\n');
  const list = JSON.parse(await fetch(`${server.url}/apis/apps/v1/namespaces/default/deployments`).then((r) => r.text())) as { items: unknown[] };
  expect(list.items.map((i) => JSON.stringify(i))).toContain(text.slice(0, -1));
});

test('an inlined Go struct (a Volume\'s VolumeSource) is written in place; a merge patch keeps every depth in order', async () => {
  const pod = { metadata: { name: 'p' }, spec: { volumes: [{ configMap: { name: 'x' }, name: 'v' }], containers: [{ name: 'c', image: 'nginx' }] } };
  const res = await fetch(`${server.url}/api/v1/namespaces/default/pods`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(pod) });
  expect(res.status).toBe(201);
  const patched = await fetch(`${server.url}/api/v1/namespaces/default/pods/p`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json' },
    body: JSON.stringify({ metadata: { labels: { b: '1', a: '1' }, finalizers: ['x/y'] }, spec: { activeDeadlineSeconds: 5 } }),
  });
  const got = JSON.parse(await patched.text()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(Object.keys(got.spec.volumes[0])).toEqual(['name', 'configMap']);
  expect(Object.keys(got.metadata)).toEqual(['name', 'namespace', 'uid', 'resourceVersion', 'creationTimestamp', 'labels', 'finalizers', 'managedFields']);
  expect(Object.keys(got.metadata.labels)).toEqual(['a', 'b']);
  // activeDeadlineSeconds is declared after terminationGracePeriodSeconds and before dnsPolicy.
  const keys = Object.keys(got.spec);
  expect(keys.indexOf('terminationGracePeriodSeconds')).toBeLessThan(keys.indexOf('activeDeadlineSeconds'));
  expect(keys.indexOf('activeDeadlineSeconds')).toBeLessThan(keys.indexOf('dnsPolicy'));
  await fetch(`${server.url}/api/v1/namespaces/default/pods/p`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: '{"metadata":{"finalizers":null}}' });
});

// kube serves custom resources unstructured: its encoder writes a map[string]interface{}, so every
// object in them has its keys sorted, metadata's and managedFields' included.
test('a custom resource has its keys sorted at every depth', async () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.order.example.com' },
    spec: {
      group: 'order.example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  };
  expect((await fetch(`${server.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(crd) })).status).toBe(201);
  const path = '/apis/order.example.com/v1/namespaces/default/widgets';
  let res: Response | undefined;
  for (let i = 0; i < 50; i++) {
    res = await fetch(`${server.url}${path}?fieldManager=m`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'Widget', apiVersion: 'order.example.com/v1', metadata: { name: 'w', labels: { z: '1', a: '1' } }, spec: { zeta: 1, alpha: { y: 1, b: 2 } } }),
    });
    if (res.status !== 404) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(res!.status).toBe(201);
  const got = JSON.parse(await res!.text()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(Object.keys(got)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
  expect(Object.keys(got.metadata)).toEqual(['creationTimestamp', 'generation', 'labels', 'managedFields', 'name', 'namespace', 'resourceVersion', 'uid']);
  expect(Object.keys(got.metadata.managedFields[0])).toEqual(['apiVersion', 'fieldsType', 'fieldsV1', 'manager', 'operation', 'time']);
  expect(Object.keys(got.spec)).toEqual(['alpha', 'zeta']);
  expect(Object.keys(got.spec.alpha)).toEqual(['b', 'y']);
  // Its LIST is unstructured too: the envelope's keys sorted, items between apiVersion and kind.
  const listText = await fetch(`${server.url}${path}?limit=1`).then((r) => r.text());
  expect(listText).toMatch(/^\{"apiVersion":"order\.example\.com\/v1","items":\[\{"apiVersion":"order\.example\.com\/v1","kind":"Widget",.*\],"kind":"WidgetList","metadata":\{"resourceVersion":"\d+"\}\}\n$/s);
  const list = JSON.parse(listText) as { items: Array<{ metadata: { name: string } }> };
  expect(list.items.map((i) => i.metadata.name)).toEqual(['w']);
  // A page of a longer list: its metadata's keys sorted as well.
  const second = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'Widget', apiVersion: 'order.example.com/v1', metadata: { name: 'w2' } }) });
  expect(second.status).toBe(201);
  const page = JSON.parse(await fetch(`${server.url}${path}?limit=1`).then((r) => r.text())) as { metadata: object };
  expect(Object.keys(page.metadata)).toEqual(['continue', 'remainingItemCount', 'resourceVersion']);
  // A built-in kind's list keeps kube's typed order.
  const cms = await fetch(`${server.url}/api/v1/namespaces/default/configmaps`).then((r) => r.text());
  expect(Object.keys(JSON.parse(cms) as object)).toEqual(['kind', 'apiVersion', 'metadata', 'items']);
});

// kube's JSON serializer writes each answer with Go's json.Encoder.Encode, which ends it with a newline:
// a single object, an error Status and a LIST (not each LIST item).
test('JSON answers end with a newline, counted in Content-Length', async () => {
  const created = await fetch(`${server.url}/api/v1/namespaces/default/configmaps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"metadata":{"name":"nl"},"data":{"a":"1"}}' });
  const createdText = await created.text();
  expect(createdText.endsWith('}\n')).toBe(true);
  expect(Number(created.headers.get('content-length'))).toBe(Buffer.byteLength(createdText));
  const got = await fetch(`${server.url}/api/v1/namespaces/default/configmaps/nl`);
  const gotText = await got.text();
  expect(gotText.endsWith('}\n')).toBe(true);
  expect(Number(got.headers.get('content-length'))).toBe(Buffer.byteLength(gotText));
  const missing = await fetch(`${server.url}/api/v1/namespaces/default/configmaps/absent`);
  expect(missing.status).toBe(404);
  expect((await missing.text()).endsWith('}\n')).toBe(true);
  const list = await fetch(`${server.url}/api/v1/namespaces/default/configmaps`);
  const listText = await list.text();
  expect(listText.endsWith(']}\n')).toBe(true);
  expect(Number(list.headers.get('content-length'))).toBe(Buffer.byteLength(listText));
  expect(listText.slice(0, -1)).not.toContain('\n');
});

// Go's encoding/json escapes <, >, & and U+2028/U+2029 in strings; the stored bytes carry the escapes,
// so GET, LIST and watch answer them alike, and the value reads back unchanged.
test('<, >, &, U+2028 and U+2029 are written as Go escapes in GET, LIST and watch', async () => {
  const value = 'a<b>&c\u2028d\u2029e';
  const escaped = '"a\\u003cb\\u003e\\u0026c\\u2028d\\u2029e"';
  const ns = '/api/v1/namespaces/default/configmaps';
  const created = await fetch(`${server.url}${ns}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'esc', annotations: { note: value } }, data: { v: value } }) });
  const createdText = await created.text();
  expect(createdText).toContain(`"v":${escaped}`);
  expect(createdText).toContain(`"note":${escaped}`);
  const rv = (JSON.parse(createdText) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const gotText = await fetch(`${server.url}${ns}/esc`).then((r) => r.text());
  expect(gotText).toContain(`"v":${escaped}`);
  expect((JSON.parse(gotText) as { data: { v: string } }).data.v).toBe(value);
  expect(gotText).not.toMatch(/[<>&\u2028\u2029]/);
  const listText = await fetch(`${server.url}${ns}`).then((r) => r.text());
  expect(listText).toContain(`"v":${escaped}`);
  const watch = await fetch(`${server.url}${ns}?watch=true&resourceVersion=${Number(rv) - 1}&fieldSelector=metadata.name%3Desc`);
  const reader = watch.body!.getReader();
  let seen = '';
  while (!seen.includes('\n')) {
    const chunk = await reader.read();
    if (chunk.done) break;
    seen += Buffer.from(chunk.value).toString();
  }
  await reader.cancel();
  expect(seen).toContain(`"v":${escaped}`);
  // Plain text costs no replace and is written as JSON.stringify writes it.
  const plain = await fetch(`${server.url}${ns}/nl`).then((r) => r.text());
  expect(plain).toContain('"data":{"a":"1"}');
});

// metav1.Time is a struct: `omitempty` never drops it, and a zero time is written as null. So kube
// writes `"creationTimestamp":null` in every embedded ObjectMeta (pod, job and claim templates), even
// one the client left out, and the null is accepted back by update, patch, apply and protobuf.
test('an embedded ObjectMeta carries "creationTimestamp":null, and the null goes back in unharmed', async () => {
  const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'ct' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } } };
  const base = `${server.url}/apis/apps/v1/namespaces/default/deployments`;
  const created = await fetch(base, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(deploy) });
  expect(created.status).toBe(201);
  const createdText = await created.text();
  expect(createdText).toContain('"template":{"metadata":{"creationTimestamp":null,"labels":{"a":"b"}},"spec":');
  // The object's own metadata keeps its time.
  expect((JSON.parse(createdText) as { metadata: { creationTimestamp: unknown } }).metadata.creationTimestamp).toEqual(expect.any(String));
  // Sent back as read (a PUT), strategic-merge patched and applied: accepted, the null kept; an applier
  // that did not send it does not own it.
  const put = await fetch(`${base}/ct`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: createdText });
  expect(put.status).toBe(200);
  const smp = await fetch(`${base}/ct`, { method: 'PATCH', headers: { 'content-type': 'application/strategic-merge-patch+json' }, body: '{"spec":{"template":{"metadata":{"creationTimestamp":null,"annotations":{"x":"1"}}}}}' });
  expect(smp.status).toBe(200);
  expect(await smp.text()).toContain('"template":{"metadata":{"creationTimestamp":null,"labels":{"a":"b"},"annotations":{"x":"1"}}');
  const applied = await fetch(`${base}/ct?fieldManager=ssa&force=true`, { method: 'PATCH', headers: { 'content-type': 'application/apply-patch+yaml' }, body: JSON.stringify(deploy) });
  expect(applied.status).toBe(200);
  const appliedObj = JSON.parse(await applied.text()) as { metadata: { managedFields: Array<{ manager: string; fieldsV1: unknown }> } };
  const ssaFields = JSON.stringify(appliedObj.metadata.managedFields.find((m) => m.manager === 'ssa')?.fieldsV1);
  expect(ssaFields).toContain('"f:template"');
  expect(ssaFields).not.toContain('f:creationTimestamp');
  expect(JSON.stringify(appliedObj)).toContain('"template":{"metadata":{"creationTimestamp":null,');
  const pb = await fetch(`${base}/ct`, { headers: { accept: 'application/vnd.kubernetes.protobuf' } });
  expect(pb.status).toBe(200);
  expect(pb.headers.get('content-type')).toBe('application/vnd.kubernetes.protobuf');
  // A CronJob's job template without metadata, and its pod template: both written.
  const cron = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'cj' }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } } };
  const cj = await fetch(`${server.url}/apis/batch/v1/namespaces/default/cronjobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(cron) });
  expect(cj.status).toBe(201);
  expect(await cj.text()).toContain('"jobTemplate":{"metadata":{"creationTimestamp":null},"spec":{"template":{"metadata":{"creationTimestamp":null},"spec":');
  // A StatefulSet's claim templates.
  const sts = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'st' }, spec: { serviceName: 'st', selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } }, volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] } };
  const st = await fetch(`${server.url}/apis/apps/v1/namespaces/default/statefulsets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(sts) });
  expect(st.status).toBe(201);
  expect(await st.text()).toContain('"volumeClaimTemplates":[{"metadata":{"name":"data","creationTimestamp":null},"spec":');
});

// Every metav1.Time or MicroTime Go holds by value is written even when unset, as null: a condition's
// lastProbeTime, an Event's eventTime, a running container's startedAt (kubectl get -o json shows them).
test('unset times held by value are written as null: conditions, Events, container states', async () => {
  const pods = `${server.url}/api/v1/namespaces/default/pods`;
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'times' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
  expect((await fetch(pods, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(pod) })).status).toBe(201);
  const status = { status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2026-01-01T00:00:00Z' }], containerStatuses: [{ name: 'c', ready: false, restartCount: 0, image: 'nginx', imageID: '', state: { running: {} } }] } };
  const patched = await fetch(`${pods}/times/status`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify(status) });
  expect(patched.status).toBe(200);
  const text = await patched.text();
  expect(text).toContain('"conditions":[{"type":"Ready","status":"False","lastProbeTime":null,"lastTransitionTime":"2026-01-01T00:00:00Z"}]');
  expect(text).toContain('"state":{"running":{"startedAt":null}}');
  const ev = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'times.1' }, involvedObject: { kind: 'Pod', name: 'times', namespace: 'default' }, reason: 'Test', message: 'm', type: 'Normal', count: 1 };
  const evRes = await fetch(`${server.url}/api/v1/namespaces/default/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ev) });
  expect(evRes.status).toBe(201);
  const evText = await evRes.text();
  expect(evText).toContain('"firstTimestamp":null,"lastTimestamp":null');
  expect(evText).toContain('"eventTime":null');
  // A PUT of the object as read, nulls included, is accepted.
  const read = (await (await fetch(`${pods}/times`)).json()) as Record<string, unknown>;
  expect((await fetch(`${pods}/times/status`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(read) })).status).toBe(200);
});

// Go's encoding/json writes a field without `omitempty` whatever its value ("" , 0, false, a nil slice
// or pointer as null), and never drops a struct held by value (`omitempty` or not): kube's answers carry
// them from creation on, and the object read back is accepted by a PUT.
test('fields Go always writes are written when unset: "" and null, structs held by value with theirs', async () => {
  const post = (path: string, body: unknown) => fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const ev = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'zero.1' }, involvedObject: { kind: 'Pod', name: 'zero', namespace: 'default' }, reason: 'Test', message: 'm', type: 'Normal', count: 1 };
  const evRes = await post('/api/v1/namespaces/default/events', ev);
  expect(evRes.status).toBe(201);
  const evText = await evRes.text();
  expect(evText).toContain('"source":{},"firstTimestamp":null');
  expect(evText.endsWith(',"eventTime":null,"reportingComponent":"","reportingInstance":""}\n')).toBe(true);
  // A Service's status is a struct with a struct: written as {"loadBalancer":{}}.
  const svc = await post('/api/v1/namespaces/default/services', { metadata: { name: 'zero' }, spec: { ports: [{ port: 80 }] } });
  expect(svc.status).toBe(201);
  expect((await svc.text()).endsWith('"status":{"loadBalancer":{}}}\n')).toBe(true);
  // A ClusterRole's rules have no omitempty: a nil slice is null; the object as read goes back in.
  const roles = '/apis/rbac.authorization.k8s.io/v1/clusterroles';
  const role = await post(roles, { metadata: { name: 'zero-aggregated' }, aggregationRule: { clusterRoleSelectors: [{ matchLabels: { zero: 'true' } }] } });
  expect(role.status).toBe(201);
  const roleText = await role.text();
  expect(roleText).toContain('"rules":null,"aggregationRule":');
  const put = await fetch(`${server.url}${roles}/zero-aggregated`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: roleText });
  expect(put.status).toBe(200);
  // A container's resources (a struct by value): {} even when not sent; a pod PUT without it is no change.
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'zero' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
  const podRes = await post('/api/v1/namespaces/default/pods', pod);
  expect(podRes.status).toBe(201);
  const podObj = JSON.parse(await podRes.text()) as { metadata: Record<string, unknown>; spec: { containers: Array<Record<string, unknown>> } };
  expect(podObj.spec.containers[0].resources).toEqual({});
  delete podObj.spec.containers[0].resources;
  const podPut = await fetch(`${server.url}/api/v1/namespaces/default/pods/zero`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(podObj) });
  expect(podPut.status).toBe(200);
  expect(((await podPut.json()) as { metadata: { generation?: number } }).metadata.generation).toBe(podObj.metadata.generation);
  // A node's status: its daemon endpoints and system info are structs by value with fields Go always writes.
  const node = await post('/api/v1/nodes', { metadata: { name: 'zero-node' }, status: { nodeInfo: { kubeletVersion: 'v1.32.0' } } });
  expect(node.status).toBe(201);
  const nodeText = await node.text();
  expect(nodeText).toContain('"daemonEndpoints":{"kubeletEndpoint":{"Port":0}},"nodeInfo":{"machineID":"","systemUUID":"","bootID":"","kernelVersion":"","osImage":"","containerRuntimeVersion":"","kubeletVersion":"v1.32.0","kubeProxyVersion":"","operatingSystem":"","architecture":""}');
});

async function firstWatchLine(path: string): Promise<string> {
  const watch = await fetch(server.url + path);
  expect(watch.status).toBe(200);
  const reader = watch.body!.getReader();
  let seen = '';
  while (!seen.includes('\n')) {
    const chunk = await reader.read();
    if (chunk.done) break;
    seen += Buffer.from(chunk.value).toString();
  }
  await reader.cancel();
  return seen.slice(0, seen.indexOf('\n'));
}

// The watch frames of other served versions (converted at the edge) are written by the same encoder
// as every other answer: Go's escapes included.
test('served-version watch frames carry Go escapes (autoscaling/v1 HPAs, batch/v1beta1 CronJobs)', async () => {
  const note = { note: 'a<b>&c\u2028d' };
  const escaped = '"note":"a\\u003cb\\u003e\\u0026c\\u2028d"';
  const hpa = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'esc', annotations: note }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' }, maxReplicas: 3 } };
  const hpas = '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers';
  const created = await fetch(server.url + hpas, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hpa) });
  expect(created.status).toBe(201);
  expect(await created.text()).toContain(escaped);
  const hpaLine = await firstWatchLine(`${hpas}?watch=true&fieldSelector=metadata.name%3Desc`);
  expect(hpaLine).toContain('"apiVersion":"autoscaling/v1"');
  expect(hpaLine).toContain(escaped);
  expect(hpaLine).not.toMatch(/[<>&\u2028]/);
  const cron = { apiVersion: 'batch/v1beta1', kind: 'CronJob', metadata: { name: 'esc', annotations: note }, spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } } };
  const crons = '/apis/batch/v1beta1/namespaces/default/cronjobs';
  expect((await fetch(server.url + crons, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(cron) })).status).toBe(201);
  const cronLine = await firstWatchLine(`${crons}?watch=true&fieldSelector=metadata.name%3Desc`);
  expect(cronLine).toContain('"apiVersion":"batch/v1beta1"');
  expect(cronLine).toContain(escaped);
  expect(cronLine).not.toMatch(/[<>&\u2028]/);
  // The served version's bytes are the stored version's, but for the apiVersion.
  const v1 = await fetch(`${server.url}/apis/batch/v1/namespaces/default/cronjobs/esc`).then((r) => r.text());
  const v1beta1 = await fetch(`${server.url}${crons}/esc`).then((r) => r.text());
  expect(v1beta1).toBe(v1.replace('"apiVersion":"batch/v1"', '"apiVersion":"batch/v1beta1"'));
});
