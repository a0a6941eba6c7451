// Admission webhooks on the apiserver, called for real over HTTPS: a webhook server in this process, with
// a certificate from a test CA given as each configuration's caBundle, reached by URL and through a
// Service's endpoints. What a webhook is sent (AdmissionReview v1 and v1beta1: kind, resource, operation,
// user, object, old object, options); a refusal with the webhook's code and message; mutating webhooks'
// JSON patches applied in configuration order, the result defaulted; reinvocation; rules (operations,
// subresources, scope), namespace and object selectors, match conditions; failure policies (a closed
// port, a timeout, a wrong uid); warnings and audit annotations; deletes; dry runs; the configurations
// themselves never sent to webhooks; and both kubectls creating a configuration and meeting a refusal.
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MutatingWebhookConfiguration, ValidatingWebhookConfiguration } from 'kubernetes-types/admissionregistration/v1';
import type { ConfigMap, Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { createCA, issueCertificate, type CertKeyPem } from '../../lib/component/pki';
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver';
import { outcome } from '../helpers/identities';
import { kubectlBinaries, kubectlRunner } from '../helpers/kubectl';

interface Review {
  apiVersion: string;
  kind: string;
  request: {
    uid: string;
    kind: { group: string; version: string; kind: string };
    resource: { group: string; version: string; resource: string };
    subResource?: string;
    name?: string;
    namespace?: string;
    operation: string;
    userInfo: { username: string; groups?: string[] };
    object: Record<string, unknown> | null;
    oldObject: Record<string, unknown> | null;
    dryRun: boolean;
    options: Record<string, unknown> | null;
  };
}

type Answer = Record<string, unknown> | ((review: Review) => Record<string, unknown> | undefined);

let api: TestApiServer;
let hooks: https.Server;
let hookPort: number;
let caBundle: string;
const seen = new Map<string, Review[]>();
const answers = new Map<string, Answer>();
let dir: string;

const allow = (review: Review, extra: Record<string, unknown> = {}) => ({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true, ...extra } });
const patchOf = (ops: unknown[]) => ({ patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') });

/** The webhook server: `/<path>` records each review and answers with answers.get(path) (allowed by default). */
function serveHooks(pair: CertKeyPem): Promise<https.Server> {
  const server = https.createServer({ cert: pair.cert, key: pair.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://x');
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Review;
      const key = url.pathname.slice(1);
      seen.set(key, [...(seen.get(key) ?? []), Object.assign(review, { timeout: url.searchParams.get('timeout') })]);
      const answer = answers.get(key);
      const body = typeof answer === 'function' ? answer(review) : answer;
      if (body && 'hang' in body) return; // never answers
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body ?? allow(review)));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const url = (p: string) => `https://127.0.0.1:${hookPort}/${p}`;
const rules = (resources: string[], operations = ['CREATE'], extra: Record<string, unknown> = {}) => [{ operations, apiGroups: [''], apiVersions: ['v1'], resources, ...extra }];

function hook(name: string, p: string, o: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, clientConfig: { url: url(p), caBundle }, rules: rules(['configmaps']), sideEffects: 'None', admissionReviewVersions: ['v1'], ...o };
}

async function validating(name: string, webhooks: Array<Record<string, unknown>>): Promise<void> {
  await api.client.create(Resources.validatingwebhookconfigurations, undefined, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name }, webhooks } as unknown as ValidatingWebhookConfiguration);
  await settle();
}
async function mutating(name: string, webhooks: Array<Record<string, unknown>>): Promise<void> {
  await api.client.create(Resources.mutatingwebhookconfigurations, undefined, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name }, webhooks } as unknown as MutatingWebhookConfiguration);
  await settle();
}
/** The configurations reach the dispatcher through a storage watch: one turn of the event loop. */
const settle = () => new Promise((r) => setTimeout(r, 50));

async function removeConfigurations(): Promise<void> {
  for (const rt of [Resources.validatingwebhookconfigurations, Resources.mutatingwebhookconfigurations]) {
    const list = await api.client.list<{ metadata: { name: string } }>(rt);
    for (const item of list.items) await api.client.delete(rt, undefined, item.metadata.name);
  }
  await settle();
  seen.clear();
  answers.clear();
}

const configMap = (name: string, o: Partial<ConfigMap> = {}, ns = 'default'): ConfigMap => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, ...o.metadata }, data: { a: '1' }, ...(o.data ? { data: o.data } : {}) });
const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-webhooks-'));
  const ca = await createCA('webhook-test-ca');
  caBundle = Buffer.from(ca.cert).toString('base64');
  const cert = await issueCertificate(ca, { commonName: 'hooks', dnsNames: ['hooks.webhooks.svc'], ipAddresses: ['127.0.0.1'], usage: 'server' });
  hooks = await serveHooks(cert);
  hookPort = (hooks.address() as AddressInfo).port;
  api = await startTestApiServer({ enableAdmissionPlugins: ['MutatingAdmissionWebhook', 'ValidatingAdmissionWebhook'] });
  await api.client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'watched', labels: { webhooks: 'on' } } });
  await api.client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'quiet' } });
});
afterAll(async () => {
  await api?.stop();
  hooks?.closeAllConnections();
  await new Promise((r) => hooks?.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});
afterEach(removeConfigurations);

describe('validating webhooks', () => {
  test('a webhook is sent an AdmissionReview v1 and its refusal is the answer, with its code and message', async () => {
    answers.set('deny', (r) => ((r.request.object?.metadata as { labels?: Record<string, string> })?.labels?.deny ? { apiVersion: r.apiVersion, kind: 'AdmissionReview', response: { uid: r.request.uid, allowed: false, status: { code: 403, reason: 'Forbidden', message: 'no deny labels here' } } } : undefined));
    await validating('deny-labels', [hook('deny.webhooks.test', 'deny')]);
    await api.client.create(Resources.configmaps, 'default', configMap('allowed'));
    const r = await outcome(api.client.create(Resources.configmaps, 'default', configMap('refused', { metadata: { labels: { deny: 'yes' } } })));
    expect(r).toEqual({ code: 403, message: 'admission webhook "deny.webhooks.test" denied the request: no deny labels here' });
    await expect(api.client.get(Resources.configmaps, 'default', 'refused')).rejects.toMatchObject({ code: 404 });
    const [first] = seen.get('deny')!;
    expect(first).toMatchObject({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      timeout: '10s',
      request: {
        uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        kind: { group: '', version: 'v1', kind: 'ConfigMap' },
        resource: { group: '', version: 'v1', resource: 'configmaps' },
        requestKind: { group: '', version: 'v1', kind: 'ConfigMap' },
        name: 'allowed',
        namespace: 'default',
        operation: 'CREATE',
        object: { kind: 'ConfigMap', metadata: { name: 'allowed', namespace: 'default' }, data: { a: '1' } },
        oldObject: null,
        dryRun: false,
        options: { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
      },
    });
    expect(first.request.userInfo.username).toBeTruthy();
  });

  test('a refusal without a code is a 400; without a message it says so', async () => {
    answers.set('bare', (r) => ({ apiVersion: r.apiVersion, kind: 'AdmissionReview', response: { uid: r.request.uid, allowed: false } }));
    await validating('bare', [hook('bare.webhooks.test', 'bare')]);
    expect(await outcome(api.client.create(Resources.configmaps, 'default', configMap('bare')))).toEqual({ code: 400, message: 'admission webhook "bare.webhooks.test" denied the request without explanation' });
  });

  test('updates carry the old object; deletes only the old one; a rule for UPDATE is not called on CREATE', async () => {
    await validating('updates', [hook('updates.webhooks.test', 'updates', { rules: rules(['configmaps'], ['UPDATE', 'DELETE']) })]);
    const cm = await api.client.create<ConfigMap>(Resources.configmaps, 'default', configMap('changing'));
    expect(seen.get('updates')).toBeUndefined();
    await api.client.update(Resources.configmaps, { ...cm, data: { a: '2' } } as ConfigMap & { metadata: { name: string } });
    await api.client.delete(Resources.configmaps, 'default', 'changing');
    const [update, del] = seen.get('updates')!;
    expect(update.request).toMatchObject({ operation: 'UPDATE', object: { data: { a: '2' } }, oldObject: { data: { a: '1' } }, options: { kind: 'UpdateOptions' } });
    expect(del.request).toMatchObject({ operation: 'DELETE', name: 'changing', object: null, oldObject: { data: { a: '2' } }, options: { kind: 'DeleteOptions' } });
  });

  test('a refused delete leaves the object', async () => {
    answers.set('keep', (r) => ({ apiVersion: r.apiVersion, kind: 'AdmissionReview', response: { uid: r.request.uid, allowed: false, status: { message: 'protected' } } }));
    await api.client.create(Resources.configmaps, 'default', configMap('protected'));
    await validating('keep', [hook('keep.webhooks.test', 'keep', { rules: rules(['configmaps'], ['DELETE']) })]);
    expect(await outcome(api.client.delete(Resources.configmaps, 'default', 'protected'))).toEqual({ code: 400, message: 'admission webhook "keep.webhooks.test" denied the request: protected' });
    await expect(api.client.get(Resources.configmaps, 'default', 'protected')).resolves.toBeTruthy();
  });

  test('subresources: pods/status is matched by its own rule, not by pods', async () => {
    await validating('status', [hook('main.webhooks.test', 'main', { rules: rules(['pods'], ['UPDATE']) }), hook('status.webhooks.test', 'status', { rules: rules(['pods/status'], ['UPDATE']) })]);
    const p = await api.client.create<Pod>(Resources.pods, 'default', pod('status-sub'));
    await api.client.request('PUT', '/api/v1/namespaces/default/pods/status-sub/status', { body: { ...p, status: { phase: 'Running' } } });
    expect(seen.get('main')).toBeUndefined();
    expect(seen.get('status')!.map((r) => [r.request.operation, r.request.subResource, r.request.kind.kind])).toEqual([['UPDATE', 'status', 'Pod']]);
  });

  test('scope: Cluster rules see namespaces (as their own namespace), Namespaced rules do not', async () => {
    const any = [{ operations: ['CREATE'], apiGroups: ['*'], apiVersions: ['*'], resources: ['namespaces', 'configmaps'] }];
    await validating('scopes', [hook('cluster.webhooks.test', 'cluster', { rules: [{ ...any[0], scope: 'Cluster' }] }), hook('namespaced.webhooks.test', 'namespaced', { rules: [{ ...any[0], scope: 'Namespaced' }] })]);
    await api.client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'scoped' } });
    await api.client.create(Resources.configmaps, 'default', configMap('scoped'));
    expect(seen.get('cluster')!.map((r) => [r.request.resource.resource, r.request.namespace])).toEqual([['namespaces', 'scoped']]);
    expect(seen.get('namespaced')!.map((r) => [r.request.resource.resource, r.request.namespace])).toEqual([['configmaps', 'default']]);
    await api.client.delete(Resources.namespaces, undefined, 'scoped');
  });

  test('namespace and object selectors', async () => {
    await validating('selectors', [
      hook('ns.webhooks.test', 'ns', { namespaceSelector: { matchLabels: { webhooks: 'on' } } }),
      hook('obj.webhooks.test', 'obj', { objectSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] } }),
    ]);
    await api.client.create(Resources.configmaps, 'watched', configMap('a', {}, 'watched'));
    await api.client.create(Resources.configmaps, 'quiet', configMap('b', {}, 'quiet'));
    await api.client.create(Resources.configmaps, 'quiet', configMap('c', { metadata: { labels: { tier: 'web' } } }, 'quiet'));
    expect(seen.get('ns')!.map((r) => r.request.name)).toEqual(['a']);
    expect(seen.get('obj')!.map((r) => r.request.name)).toEqual(['c']);
  });

  test('match conditions (CEL) choose the requests; one that fails to evaluate follows the failure policy', async () => {
    await validating('conditions', [
      hook('cel.webhooks.test', 'cel', { matchConditions: [{ name: 'prefixed', expression: "object.metadata.name.startsWith('cel-')" }, { name: 'not-dry', expression: '!request.dryRun' }] }),
      hook('broken.webhooks.test', 'broken', { failurePolicy: 'Fail', matchConditions: [{ name: 'missing-field', expression: "object.data['nope'] == 'x'" }] }),
    ]);
    const r = await outcome(api.client.create(Resources.configmaps, 'default', configMap('cel-one')));
    expect(r.code).toBe(500);
    expect(r.message).toContain('failed calling webhook "broken.webhooks.test": failed to evaluate match conditions: matchCondition "missing-field"');
    await api.client.delete(Resources.validatingwebhookconfigurations, undefined, 'conditions');
    await validating('conditions-2', [hook('cel.webhooks.test', 'cel', { matchConditions: [{ name: 'prefixed', expression: "object.metadata.name.startsWith('cel-')" }] }), hook('ignored.webhooks.test', 'broken', { failurePolicy: 'Ignore', matchConditions: [{ name: 'missing-field', expression: "object.data['nope'] == 'x'" }] })]);
    await api.client.create(Resources.configmaps, 'default', configMap('cel-two'));
    await api.client.create(Resources.configmaps, 'default', configMap('other'));
    expect(seen.get('cel')!.map((r) => r.request.name)).toEqual(['cel-two']);
    expect(seen.get('broken')).toBeUndefined();
  });

  test('a webhook that cannot be reached: Fail refuses with a 500, Ignore lets the request through', async () => {
    const closed = https.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const down = { url: `https://127.0.0.1:${port}/down`, caBundle };
    await validating('down', [hook('down.webhooks.test', 'down', { clientConfig: down })]);
    const r = await outcome(api.client.create(Resources.configmaps, 'default', configMap('down')));
    expect(r).toEqual({ code: 500, message: `Internal error occurred: failed calling webhook "down.webhooks.test": failed to call webhook: Post "https://127.0.0.1:${port}/down?timeout=10s": dial tcp 127.0.0.1:${port}: connect: connection refused` });
    await api.client.delete(Resources.validatingwebhookconfigurations, undefined, 'down');
    await validating('down-ignored', [hook('down.webhooks.test', 'down', { clientConfig: down, failurePolicy: 'Ignore' })]);
    await expect(api.client.create(Resources.configmaps, 'default', configMap('down'))).resolves.toBeTruthy();
  });

  test('a webhook slower than its timeout fails the call', async () => {
    answers.set('slow', { hang: true });
    await validating('slow', [hook('slow.webhooks.test', 'slow', { timeoutSeconds: 1 })]);
    const started = Date.now();
    const r = await outcome(api.client.create(Resources.configmaps, 'default', configMap('slow')));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r).toEqual({ code: 500, message: `Internal error occurred: failed calling webhook "slow.webhooks.test": failed to call webhook: Post "${url('slow')}?timeout=1s": context deadline exceeded` });
  });

  test.each([
    ['another uid', (r: Review) => ({ apiVersion: r.apiVersion, kind: 'AdmissionReview', response: { uid: 'other', allowed: true } }), 'received invalid webhook response: expected response.uid="'],
    ['another kind', (r: Review) => ({ apiVersion: 'v1', kind: 'Status', response: { uid: r.request.uid, allowed: true } }), 'received invalid webhook response: expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got /v1, Kind=Status'],
    ['a patch from a validating webhook', (r: Review) => allow(r, patchOf([])), 'received invalid webhook response: validating webhooks may not return patches or patch types'],
  ])('a wrong answer (%s) is a failure: 500', async (_n, answer, message) => {
    answers.set('wrong', answer);
    await validating('wrong', [hook('wrong.webhooks.test', 'wrong')]);
    const r = await outcome(api.client.create(Resources.configmaps, 'default', configMap('wrong')));
    expect(r.code).toBe(500);
    expect(r.message).toContain(`failed calling webhook "wrong.webhooks.test": ${message}`);
  });

  test('AdmissionReview v1beta1 when the webhook asks for it (its answer needs no uid)', async () => {
    answers.set('beta', (r) => ({ apiVersion: r.apiVersion, kind: 'AdmissionReview', response: { allowed: true } }));
    await validating('beta', [hook('beta.webhooks.test', 'beta', { admissionReviewVersions: ['v2', 'v1beta1'] })]);
    await api.client.create(Resources.configmaps, 'default', configMap('beta'));
    expect(seen.get('beta')![0].apiVersion).toBe('admission.k8s.io/v1beta1');
  });

  test('a Service reference reaches a ready endpoint, its certificate checked for <service>.<namespace>.svc', async () => {
    await api.client.create(Resources.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'webhooks' } });
    await api.client.create(Resources.services, 'webhooks', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hooks', namespace: 'webhooks' }, spec: { ports: [{ name: 'https', port: 8443, targetPort: 'https' }] } });
    await api.client.create(Resources.endpoints, 'webhooks', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'hooks', namespace: 'webhooks' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: hookPort }] }] });
    await validating('by-service', [hook('svc.webhooks.test', 'svc', { clientConfig: { service: { namespace: 'webhooks', name: 'hooks', path: '/svc', port: 8443 }, caBundle } })]);
    await api.client.create(Resources.configmaps, 'default', configMap('via-service'));
    expect(seen.get('svc')!.map((r) => r.request.name)).toEqual(['via-service']);
    // A name the certificate does not carry: the call fails.
    await api.client.create(Resources.services, 'webhooks', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'other', namespace: 'webhooks' }, spec: { ports: [{ port: 443 }] } });
    await api.client.create(Resources.endpoints, 'webhooks', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'other', namespace: 'webhooks' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: hookPort }] }] });
    await validating('wrong-name', [hook('name.webhooks.test', 'svc', { clientConfig: { service: { namespace: 'webhooks', name: 'other', path: '/svc' }, caBundle } })]);
    const r = await outcome(api.client.create(Resources.configmaps, 'default', configMap('wrong-name')));
    expect(r.code).toBe(500);
    expect(r.message).toContain(`failed calling webhook "name.webhooks.test": failed to call webhook: Post "https://other.webhooks.svc:443/svc?timeout=10s": Hostname/IP does not match certificate's altnames`);
    // No endpoints.
    await api.client.delete(Resources.endpoints, 'webhooks', 'other');
    const none = await outcome(api.client.create(Resources.configmaps, 'default', configMap('no-endpoints')));
    expect(none.message).toContain('no endpoints available for service "other"');
  });

  test('a CA that did not sign the certificate: the call fails', async () => {
    const other = await createCA('someone-else');
    await validating('untrusted', [hook('untrusted.webhooks.test', 'x', { clientConfig: { url: url('x'), caBundle: Buffer.from(other.cert).toString('base64') } })]);
    const r = await outcome(api.client.create(Resources.configmaps, 'default', configMap('untrusted')));
    expect(r.code).toBe(500);
    expect(r.message).toMatch(/failed to call webhook: Post ".*": .*(certificate|signature)/);
  });

  test('webhook configurations are never sent to webhooks', async () => {
    answers.set('all', (r) => ({ apiVersion: r.apiVersion, kind: 'AdmissionReview', response: { uid: r.request.uid, allowed: false } }));
    await validating('everything', [hook('all.webhooks.test', 'all', { rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*/*'] }] })]);
    await validating('another', [hook('other.webhooks.test', 'other')]);
    expect((await outcome(api.client.create(Resources.configmaps, 'default', configMap('blocked')))).code).toBe(400);
    expect(seen.get('all')!.map((r) => r.request.resource.resource)).toEqual(['configmaps']);
  });

  test('dry runs are sent to webhooks without side effects, marked as such; nothing is stored', async () => {
    await validating('dry', [hook('dry.webhooks.test', 'dry', { sideEffects: 'NoneOnDryRun' })]);
    await api.client.request('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', { body: configMap('dry') });
    expect(seen.get('dry')![0].request).toMatchObject({ dryRun: true, options: { dryRun: ['All'] } });
    await expect(api.client.get(Resources.configmaps, 'default', 'dry')).rejects.toMatchObject({ code: 404 });
  });
});

describe('mutating webhooks', () => {
  test("a webhook's JSON patch is applied, then defaulted as a decoded body; mutating webhooks run before validating ones", async () => {
    answers.set('sidecar', (r) => allow(r, patchOf([{ op: 'add', path: '/spec/containers/-', value: { name: 'sidecar', image: 'busybox', bogusField: 1 } }, { op: 'add', path: '/metadata/labels', value: { injected: 'yes' } }])));
    await mutating('inject', [hook('sidecar.webhooks.test', 'sidecar', { rules: rules(['pods']) })]);
    await validating('after', [hook('after.webhooks.test', 'after', { rules: rules(['pods']) })]);
    const created = await api.client.create<Pod>(Resources.pods, 'default', pod('injected'));
    expect(created.metadata?.labels).toEqual({ injected: 'yes' });
    const sidecar = created.spec!.containers[1] as unknown as Record<string, unknown>;
    expect(sidecar).toMatchObject({ name: 'sidecar', image: 'busybox', imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log' });
    expect(sidecar.bogusField).toBeUndefined();
    // The validating webhook saw the mutated pod.
    expect((seen.get('after')![0].request.object as unknown as Pod).spec!.containers.map((c) => c.name)).toEqual(['c', 'sidecar']);
  });

  test('mutating webhooks run in configuration name order; IfNeeded ones run again after a later change', async () => {
    const order: string[] = [];
    answers.set('first', (r) => (order.push(`first:${JSON.stringify((r.request.object?.metadata as { labels?: unknown }).labels ?? {})}`), undefined));
    answers.set('second', (r) => (order.push('second'), (r.request.object?.metadata as { labels?: Record<string, string> }).labels?.b ? undefined : allow(r, patchOf([{ op: 'add', path: '/metadata/labels', value: { b: '2' } }]))));
    await mutating('b-second', [hook('second.webhooks.test', 'second')]);
    await mutating('a-first', [hook('first.webhooks.test', 'first', { reinvocationPolicy: 'IfNeeded' })]);
    const cm = await api.client.create<ConfigMap>(Resources.configmaps, 'default', configMap('ordered'));
    expect(cm.metadata?.labels).toEqual({ b: '2' });
    expect(order).toEqual(['first:{}', 'second', 'first:{"b":"2"}']);
  });

  test('a patch that cannot be applied refuses the request (500)', async () => {
    answers.set('badpatch', (r) => allow(r, patchOf([{ op: 'replace', path: '/spec/nothing/here', value: 1 }])));
    await mutating('badpatch', [hook('badpatch.webhooks.test', 'badpatch')]);
    const r = await outcome(api.client.create(Resources.configmaps, 'default', configMap('badpatch')));
    expect(r.code).toBe(500);
    expect(r.message).toContain('JSON patch from admission webhook "badpatch.webhooks.test" could not be applied');
  });

  test("a patched object must still pass the kind's validation (422)", async () => {
    answers.set('breaks', (r) => allow(r, patchOf([{ op: 'add', path: '/metadata/labels', value: { 'bad label!': 'x' } }])));
    await mutating('breaks', [hook('breaks.webhooks.test', 'breaks')]);
    const r = await outcome(api.client.create(Resources.configmaps, 'default', configMap('breaks')));
    expect(r.code).toBe(422);
    expect(r.message).toContain('metadata.labels: Invalid value: "bad label!"');
  });

  test('warnings reach the client and the metrics count the calls', async () => {
    answers.set('warns', (r) => allow(r, { warnings: ['this ConfigMap is watched'] }));
    await mutating('warns', [hook('warns.webhooks.test', 'warns')]);
    const res = await fetch(`${api.url}/api/v1/namespaces/default/configmaps`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(configMap('warned')) });
    expect(res.status).toBe(201);
    expect(res.headers.get('warning')).toBe('299 - "this ConfigMap is watched"');
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/apiserver_admission_webhook_admission_duration_seconds_count\{name="warns.webhooks.test",type="admit",operation="CREATE",rejected="false"\} 1/);
  });
});

describe('kubectl', () => {
  const binaries = kubectlBinaries('wh');
  test.each(binaries)('$name: creates a configuration, lists it and shows a refusal and a warning', async ({ bin, ns }) => {
    const kubectl = kubectlRunner(bin, () => api.kubeconfigPath, () => dir, ns);
    answers.set('kubectl', (r) => (r.request.name === 'refused' ? { apiVersion: r.apiVersion, kind: 'AdmissionReview', response: { uid: r.request.uid, allowed: false, status: { code: 403, message: 'refused by policy' } } } : allow(r, { warnings: ['watched by policy'] })));
    const file = path.join(dir, `${ns}.yaml`);
    fs.writeFileSync(
      file,
      [
        'apiVersion: admissionregistration.k8s.io/v1',
        'kind: ValidatingWebhookConfiguration',
        'metadata:',
        '  name: policy',
        'webhooks:',
        '- name: policy.webhooks.test',
        `  clientConfig: {url: "${url('kubectl')}", caBundle: "${caBundle}"}`,
        '  rules: [{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [configmaps]}]',
        '  sideEffects: None',
        '  admissionReviewVersions: [v1]',
        '- name: second.webhooks.test',
        `  clientConfig: {url: "${url('kubectl2')}", caBundle: "${caBundle}"}`,
        '  rules: [{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [secrets]}]',
        '  sideEffects: None',
        '  admissionReviewVersions: [v1]',
        '',
      ].join('\n'),
    );
    const applied = await kubectl('apply', '-f', file);
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toContain('validatingwebhookconfiguration.admissionregistration.k8s.io/policy created');
    await settle();
    const get = await kubectl('get', 'validatingwebhookconfigurations');
    expect(get.stdout).toMatch(/^NAME\s+WEBHOOKS\s+AGE\npolicy\s+2\s+\d+s\n$/);
    const refused = await kubectl('create', 'configmap', 'refused', '-n', 'default');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('admission webhook "policy.webhooks.test" denied the request: refused by policy');
    const warned = await kubectl('create', 'configmap', `warned-${ns}`, '-n', 'default');
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain('Warning: watched by policy');
  });
});
