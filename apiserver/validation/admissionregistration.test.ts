// admissionregistration.k8s.io/v1 webhook configurations against kube-apiserver's messages
// (pkg/apis/admissionregistration/validation, k8s.io/apiserver/pkg/util/webhook), kube's v1 defaults and
// kubectl's columns.
import { Resources } from '../../lib/api/resources';
import { applyDefaults } from '../defaults';
import { tableColumns, toTable } from '../tables';
import { validate } from '.';
import { parseGoURL } from './admissionregistration';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- fixtures are edited freely
type Rt = typeof Resources.mutatingwebhookconfigurations;

const MWC = Resources.mutatingwebhookconfigurations;
const VWC = Resources.validatingwebhookconfigurations;
const alloc = { clusterIP: () => '10.96.0.10', nodePort: () => 30001 };

const hook = (name = 'hook.example.com'): Obj => ({
  name,
  clientConfig: { service: { namespace: 'hooks', name: 'webhook', path: '/mutate', port: 8443 } },
  rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['', 'apps'], apiVersions: ['v1'], resources: ['pods', 'deployments/scale'], scope: 'Namespaced' }],
  sideEffects: 'None',
  admissionReviewVersions: ['v1', 'v1beta1'],
  matchConditions: [{ name: 'not-kube-system', expression: 'request.namespace != "kube-system"' }],
});
const config = (rt: Rt, ...webhooks: Obj[]): Obj => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: rt.kind,
  metadata: { name: 'hooks' },
  webhooks: webhooks.length ? webhooks : [hook()],
});
/** The causes of a configuration whose first webhook `edit` changed, as `field: message`. */
const messages = (rt: Rt, edit: (h: Obj, o: Obj) => void): string[] => {
  const obj = config(rt);
  edit(obj.webhooks[0], obj);
  return validate(rt, obj).map((c) => `${c.field}: ${c.message}`);
};

const form = '; desired format: https://host[/path]';
const url = (u: string) => (h: Obj) => (h.clientConfig = { url: u });
const service = (s: Obj) => (h: Obj) => (h.clientConfig = { service: s });
const rule = (r: Obj) => (h: Obj) => (h.rules = [{ operations: ['CREATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'], ...r }]);
const dns1035 = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const subdomain = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

type Case = [description: string, edit: (h: Obj, o: Obj) => void, want: string[]];

const cases: Case[] = [
  ['a valid webhook', () => {}, []],

  // names
  ['no name', (h) => (h.name = ''), ['webhooks[0].name: Required value']],
  ['a name of two segments', (h) => (h.name = 'hook.example'), ['webhooks[0].name: Invalid value: "hook.example": should be a domain with at least three segments separated by dots']],
  ['a name that is no subdomain', (h) => (h.name = 'Hook.example.com'), [`webhooks[0].name: Invalid value: "Hook.example.com": ${subdomain}`]],
  ['two webhooks of one name', (_h, o) => o.webhooks.push(hook(), hook('other.example.com'), hook()), ['webhooks[1].name: Duplicate value: "hook.example.com"', 'webhooks[3].name: Duplicate value: "hook.example.com"']],

  // clientConfig
  ['neither url nor service', (h) => (h.clientConfig = { caBundle: 'Y2EK' }), ['webhooks[0].clientConfig: Required value: exactly one of url or service is required']],
  ['both url and service', (h) => (h.clientConfig.url = 'https://hook.example.com'), ['webhooks[0].clientConfig: Required value: exactly one of url or service is required']],
  ['an https URL with port and path', url('https://hook.example.com:8443/a/b'), []],
  ['an IPv6 URL', url('https://[::1]:8443/hook'), []],
  ['an http URL', url('http://hook.example.com/'), [`webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme${form}`]],
  ['a URL without a host', url('https:///hook'), [`webhooks[0].clientConfig.url: Invalid value: "": host must be provided${form}`]],
  ['a URL without a scheme', url('hook.example.com/x'), [`webhooks[0].clientConfig.url: Invalid value: "": 'https' is the only allowed URL scheme${form}`, `webhooks[0].clientConfig.url: Invalid value: "": host must be provided${form}`]],
  ['a URL with user information', url('https://admin:secret@hook.example.com/'), ['webhooks[0].clientConfig.url: Invalid value: "admin:secret": user information is not permitted in the URL']],
  ['a URL with a fragment', url('https://hook.example.com/#top'), ['webhooks[0].clientConfig.url: Invalid value: "top": fragments are not permitted in the URL']],
  ['a URL with a query', url('https://hook.example.com/?a=b'), ['webhooks[0].clientConfig.url: Invalid value: "a=b": query parameters are not permitted in the URL']],
  ['a URL with an unclosed IPv6 host', url('https://[::1/hook'), [`webhooks[0].clientConfig.url: Required value: url must be a valid URL: parse "https://[::1/hook": missing ']' in host${form}`]],
  ['a URL with a port that is no number', url('https://hook.example.com:https/'), [`webhooks[0].clientConfig.url: Required value: url must be a valid URL: parse "https://hook.example.com:https/": invalid port ":https" after host${form}`]],
  ['a URL without a scheme name', url('://hook.example.com'), [`webhooks[0].clientConfig.url: Required value: url must be a valid URL: parse "://hook.example.com": missing protocol scheme${form}`]],
  ['a service without a name: kube reports it under namespace', service({ namespace: 'hooks' }), ['webhooks[0].clientConfig.service.namespace: Required value: service namespace is required']],
  ['a service without a namespace: kube reports it under name', service({ name: 'webhook' }), ['webhooks[0].clientConfig.service.name: Required value: service name is required']],
  ['a service port of 0', service({ namespace: 'hooks', name: 'webhook', port: 0 }), ['webhooks[0].clientConfig.service.port: Invalid value: 0: port is not valid: must be between 1 and 65535, inclusive']],
  ['a service port over 65535', service({ namespace: 'hooks', name: 'webhook', port: 65536 }), ['webhooks[0].clientConfig.service.port: Invalid value: 65536: port is not valid: must be between 1 and 65535, inclusive']],
  ['a service path of /', service({ namespace: 'hooks', name: 'webhook', path: '/' }), []],
  ['a service path with a trailing /', service({ namespace: 'hooks', name: 'webhook', path: '/a/b/' }), []],
  ['a relative service path', service({ namespace: 'hooks', name: 'webhook', path: 'mutate' }), ['webhooks[0].clientConfig.service.path: Invalid value: "mutate": must start with a \'/\'']],
  ['a service path of //', service({ namespace: 'hooks', name: 'webhook', path: '//' }), ['webhooks[0].clientConfig.service.path: Invalid value: "//": segment[0] may not be empty']],
  ['a service path with an empty segment', service({ namespace: 'hooks', name: 'webhook', path: '/a//b' }), ['webhooks[0].clientConfig.service.path: Invalid value: "/a//b": segment[1] may not be empty']],
  ['a service path segment that is no subdomain', service({ namespace: 'hooks', name: 'webhook', path: '/a/B_c' }), [`webhooks[0].clientConfig.service.path: Invalid value: "/a/B_c": segment[1]: ${subdomain}`]],

  // rules
  ['a rule without operations', rule({ operations: [] }), ['webhooks[0].rules[0].operations: Required value']],
  ['* with other operations', rule({ operations: ['*', 'CREATE'] }), [`webhooks[0].rules[0].operations: Invalid value: []admissionregistration.OperationType{"*", "CREATE"}: if '*' is present, must not specify other operations`]],
  ['an unknown operation', rule({ operations: ['CREATE', 'PATCH'] }), ['webhooks[0].rules[0].operations[1]: Unsupported value: "PATCH": supported values: "*", "CONNECT", "CREATE", "DELETE", "UPDATE"']],
  ['a rule without API groups', rule({ apiGroups: [] }), ['webhooks[0].rules[0].apiGroups: Required value']],
  ['* with other API groups', rule({ apiGroups: ['*', 'apps'] }), [`webhooks[0].rules[0].apiGroups: Invalid value: []string{"*", "apps"}: if '*' is present, must not specify other API groups`]],
  ['the core group', rule({ apiGroups: [''], resources: ['pods'] }), []],
  ['a rule without API versions', rule({ apiVersions: undefined }), ['webhooks[0].rules[0].apiVersions: Required value']],
  ['an empty API version', rule({ apiVersions: ['v1', ''] }), ['webhooks[0].rules[0].apiVersions[1]: Required value']],
  ['* with other API versions', rule({ apiVersions: ['v1', '*'] }), [`webhooks[0].rules[0].apiVersions: Invalid value: []string{"v1", "*"}: if '*' is present, must not specify other API versions`]],
  ['a rule without resources', rule({ resources: [] }), ['webhooks[0].rules[0].resources: Required value']],
  ['an empty resource', rule({ resources: ['pods', ''] }), ['webhooks[0].rules[0].resources[1]: Required value']],
  ['*/* with other resources', rule({ resources: ['*/*', 'pods'] }), [`webhooks[0].rules[0].resources: Invalid value: []string{"*/*", "pods"}: if '*/*' is present, must not specify other resources`]],
  ['* with resources without subresources', rule({ resources: ['*', 'pods'] }), [`webhooks[0].rules[0].resources: Invalid value: []string{"*", "pods"}: if '*' is present, must not specify other resources without subresources`]],
  ['* with subresources', rule({ resources: ['*', 'pods/status', '*/scale'] }), []],
  ['x/* with x/y', rule({ resources: ['pods/*', 'pods/status'] }), [`webhooks[0].rules[0].resources[1]: Invalid value: "pods/status": if 'pods/*' is present, must not specify pods/status`]],
  ['*/y with x/y', rule({ resources: ['*/status', 'pods/status'] }), [`webhooks[0].rules[0].resources[1]: Invalid value: "pods/status": if '*/status' is present, must not specify pods/status`]],
  ['an unknown scope', rule({ scope: 'Global' }), ['webhooks[0].rules[0].scope: Unsupported value: "Global": supported values: "*", "Cluster", "Namespaced"']],
  ['every scope', rule({ scope: '*' }), []],

  // policies
  ['no sideEffects', (h) => delete h.sideEffects, ['webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun']],
  ['sideEffects Some (v1beta1 only)', (h) => (h.sideEffects = 'Some'), ['webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"']],
  ['sideEffects Unknown (v1beta1 only)', (h) => (h.sideEffects = 'Unknown'), ['webhooks[0].sideEffects: Unsupported value: "Unknown": supported values: "None", "NoneOnDryRun"']],
  ['sideEffects NoneOnDryRun', (h) => (h.sideEffects = 'NoneOnDryRun'), []],
  ['an unknown failurePolicy', (h) => (h.failurePolicy = 'Retry'), ['webhooks[0].failurePolicy: Unsupported value: "Retry": supported values: "Fail", "Ignore"']],
  ['an unknown matchPolicy', (h) => (h.matchPolicy = 'Loose'), ['webhooks[0].matchPolicy: Unsupported value: "Loose": supported values: "Equivalent", "Exact"']],
  ['an unknown reinvocationPolicy', (h) => (h.reinvocationPolicy = 'Always'), ['webhooks[0].reinvocationPolicy: Unsupported value: "Always": supported values: "IfNeeded", "Never"']],
  ['a timeout of 0', (h) => (h.timeoutSeconds = 0), ['webhooks[0].timeoutSeconds: Invalid value: 0: the timeout value must be between 1 and 30 seconds']],
  ['a timeout of 31 s', (h) => (h.timeoutSeconds = 31), ['webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds']],
  ['a timeout of 30 s', (h) => (h.timeoutSeconds = 30), []],

  // admissionReviewVersions
  ['no admissionReviewVersions', (h) => (h.admissionReviewVersions = []), ['webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1']],
  ['only unknown versions', (h) => (h.admissionReviewVersions = ['v2']), ['webhooks[0].admissionReviewVersions: Invalid value: []string{"v2"}: must include at least one of v1, v1beta1']],
  ['an unknown version beside v1', (h) => (h.admissionReviewVersions = ['v2', 'v1']), []],
  ['a repeated version', (h) => (h.admissionReviewVersions = ['v1', 'v1']), ['webhooks[0].admissionReviewVersions[1]: Invalid value: "v1": duplicate version']],
  ['a version that is no DNS-1035 label', (h) => (h.admissionReviewVersions = ['1v', 'v1']), [`webhooks[0].admissionReviewVersions[0]: Invalid value: "1v": ${dns1035}`]],

  // selectors
  ['a namespaceSelector operator', (h) => (h.namespaceSelector = { matchExpressions: [{ key: 'env', operator: 'Maybe' }] }), ['webhooks[0].namespaceSelector.matchExpressions[0].operator: Invalid value: "Maybe": not a valid selector operator']],
  ['an objectSelector In without values', (h) => (h.objectSelector = { matchExpressions: [{ key: 'app', operator: 'In' }] }), ["webhooks[0].objectSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'"]],
  ['an objectSelector label value', (h) => (h.objectSelector = { matchLabels: { app: 'a b' } }), [expect.stringMatching(/^webhooks\[0\]\.objectSelector\.matchLabels: Invalid value: "a b": a valid label must be/) as unknown as string]],

  // matchConditions
  ['a condition without a name', (h) => (h.matchConditions[0].name = ''), ['webhooks[0].matchConditions[0].name: Required value']],
  ['a condition name that is no qualified name', (h) => (h.matchConditions[0].name = 'not kube-system'), [expect.stringMatching(/^webhooks\[0\]\.matchConditions\[0\]\.name: Invalid value: "not kube-system": name part must consist of alphanumeric characters/) as unknown as string]],
  ['a prefixed condition name', (h) => (h.matchConditions[0].name = 'example.com/not-system'), []],
  ['two conditions of one name', (h) => h.matchConditions.push({ name: 'not-kube-system', expression: 'true' }), ['webhooks[0].matchConditions[1].name: Duplicate value: "not-kube-system"']],
  ['a condition without an expression', (h) => (h.matchConditions[0].expression = '  '), ['webhooks[0].matchConditions[0].expression: Required value']],
  ['an expression that does not parse', (h) => (h.matchConditions[0].expression = ' object.metadata.name == '), ['webhooks[0].matchConditions[0].expression: Invalid value: "object.metadata.name ==": compilation failed: ERROR: <input>:1:24: Syntax error: Unexpected token: EOF']],
  ['an error on the second line', (h) => (h.matchConditions[0].expression = 'true &&\n  +'), ['webhooks[0].matchConditions[0].expression: Invalid value: "true &&\\n  +": compilation failed: ERROR: <input>:2:3: Syntax error: Unexpected token: PLUS']],
  ['64 conditions', (h) => (h.matchConditions = Array.from({ length: 64 }, (_, i) => ({ name: `c${i}`, expression: 'true' }))), []],
  ['65 conditions', (h) => (h.matchConditions = Array.from({ length: 65 }, (_, i) => ({ name: `c${i}`, expression: 'true' }))), ['webhooks[0].matchConditions: Too many: 65: must have at most 64 items']],
];

describe('MutatingWebhookConfiguration validation', () => {
  it.each(cases)('%s', (_d, edit, want) => expect(messages(MWC, edit)).toEqual(want));
});

describe('ValidatingWebhookConfiguration validation', () => {
  // The same rules, but a validating webhook has no reinvocationPolicy.
  it.each(cases.filter(([d]) => !d.includes('reinvocationPolicy')))('%s', (_d, edit, want) => expect(messages(VWC, edit)).toEqual(want));

  it('holds an update to the create rules', () => {
    const old = config(VWC);
    const next = config(VWC);
    next.webhooks[0].sideEffects = 'Some';
    expect(validate(VWC, next, old).map((c) => c.message)).toEqual(['Unsupported value: "Some": supported values: "None", "NoneOnDryRun"']);
  });

  it('reports problems of several webhooks in kube order: each webhook, then its versions, then its name', () => {
    const a = hook('a');
    a.admissionReviewVersions = [];
    a.timeoutSeconds = 40;
    const b = hook('a');
    expect(validate(VWC, config(VWC, a, b)).map((c) => c.field)).toEqual([
      'webhooks[0].name',
      'webhooks[0].timeoutSeconds',
      'webhooks[0].admissionReviewVersions',
      'webhooks[1].name',
      'webhooks[1].name',
    ]);
  });
});

describe('parseGoURL (net/url.Parse)', () => {
  it.each<[string, object | string]>([
    ['https://hook.example.com:8443/a?b=c#d', { scheme: 'https', host: 'hook.example.com:8443', rawQuery: 'b=c', fragment: 'd' }],
    ['HTTPS://h.example.com', { scheme: 'https', host: 'h.example.com' }],
    ['https://h.example.com/?', { rawQuery: '' }],
    ['https://u%40x@h.example.com', { user: 'u%40x', host: 'h.example.com' }],
    ['https://h.example.com#a%20b', { fragment: 'a b' }],
    ['https:opaque', { scheme: 'https', host: '' }],
    ['https://h ost/', 'parse "https://h ost/": invalid character " " in host name'],
    ['https://h%zz/', 'parse "https://h%zz/": invalid URL escape "%zz"'],
    ['https://h.example.com/#%x', 'parse "https://h.example.com/#%x": invalid URL escape "%x"'],
    ['a:b/c', { scheme: 'a' }],
    ['1a:b', 'parse "1a:b": first path segment in URL cannot contain colon'],
    ['https://h.example.com/\n', 'parse "https://h.example.com/\\n": net/url: invalid control character in URL'],
    ['https://a b@h.example.com', 'parse "https://a b@h.example.com": net/url: invalid userinfo'],
  ])('%s', (raw, want) => {
    const got = parseGoURL(raw);
    if (typeof want === 'string') expect(got).toBe(want);
    else expect(got).toMatchObject(want);
  });
});

describe('defaults (SetDefaults_MutatingWebhook, SetDefaults_ValidatingWebhook, SetDefaults_Rule, SetDefaults_ServiceReference)', () => {
  const bare = (rt: Rt): Obj => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: rt.kind,
    metadata: { name: 'hooks' },
    webhooks: [
      { name: 'a.example.com', clientConfig: { service: { namespace: 'hooks', name: 'webhook' } }, rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'] }], sideEffects: 'None', admissionReviewVersions: ['v1'] },
      { name: 'b.example.com', clientConfig: { url: 'https://b.example.com' }, sideEffects: 'None', admissionReviewVersions: ['v1'] },
    ],
  });
  const webhookDefaults = { failurePolicy: 'Fail', matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {}, timeoutSeconds: 10 };

  it('fills a mutating webhook, its rules and its service', () => {
    const obj = bare(MWC);
    applyDefaults(MWC, obj, alloc);
    expect(obj.webhooks[0]).toEqual({
      ...bare(MWC).webhooks[0],
      ...webhookDefaults,
      reinvocationPolicy: 'Never',
      clientConfig: { service: { namespace: 'hooks', name: 'webhook', port: 443 } },
      rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], scope: '*' }],
    });
    // A URL gets no port; v1 defaults neither sideEffects nor admissionReviewVersions.
    expect(obj.webhooks[1]).toEqual({ ...bare(MWC).webhooks[1], ...webhookDefaults, reinvocationPolicy: 'Never' });
    expect(validate(MWC, obj)).toEqual([]);
  });

  it('fills a validating webhook without a reinvocationPolicy', () => {
    const obj = bare(VWC);
    applyDefaults(VWC, obj, alloc);
    expect(obj.webhooks[0]).not.toHaveProperty('reinvocationPolicy');
    expect(obj.webhooks[0]).toMatchObject(webhookDefaults);
    expect(obj.webhooks[0].rules[0].scope).toBe('*');
  });

  it('keeps what is set', () => {
    const obj = bare(MWC);
    Object.assign(obj.webhooks[0], { failurePolicy: 'Ignore', matchPolicy: 'Exact', namespaceSelector: { matchLabels: { a: 'b' } }, timeoutSeconds: 3, reinvocationPolicy: 'IfNeeded' });
    obj.webhooks[0].clientConfig.service.port = 8443;
    obj.webhooks[0].rules[0].scope = 'Cluster';
    applyDefaults(MWC, obj, alloc);
    expect(obj.webhooks[0]).toMatchObject({ failurePolicy: 'Ignore', matchPolicy: 'Exact', namespaceSelector: { matchLabels: { a: 'b' } }, objectSelector: {}, timeoutSeconds: 3, reinvocationPolicy: 'IfNeeded' });
    expect(obj.webhooks[0].clientConfig.service.port).toBe(8443);
    expect(obj.webhooks[0].rules[0].scope).toBe('Cluster');
  });

  it('leaves malformed input to validation', () => {
    const obj: Obj = { metadata: { name: 'x' }, webhooks: [null, 'x', { rules: 'no', clientConfig: { service: 3 } }] };
    expect(() => applyDefaults(MWC, obj, alloc)).not.toThrow();
  });
});

describe('printer', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  it.each([
    [MWC.kind, MWC],
    [VWC.kind, VWC],
  ])('%s: NAME, WEBHOOKS, AGE', (_kind, rt) => {
    expect(tableColumns(rt).map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Webhooks', 'integer'],
      ['Age', 'string'],
    ]);
    const created = new Date(now - 90 * 60 * 1000).toISOString();
    const table = toTable(rt, [{ ...config(rt, hook('a.example.com'), hook('b.example.com')), metadata: { name: 'two', creationTimestamp: created } }, { metadata: { name: 'none', creationTimestamp: created } }], { now });
    expect(table.rows.map((r) => r.cells)).toEqual([
      ['two', 2, '90m'],
      ['none', 0, '90m'],
    ]);
  });
});
