// admissionregistration.k8s.io/v1 ValidatingAdmissionPolicies and ValidatingAdmissionPolicyBindings
// stored and served as kube-apiserver 1.30+ does: discovery (category api-extensions, the policy's
// status subresource), v1 defaults on create, generation counted on spec, the policy's status written
// only through /status, kube's 422 messages and kubectl's columns. The policies match a group nothing
// serves, so no write here is held to them.
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from 'kubernetes-types/admissionregistration/v1';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver';
import { outcome } from '../helpers/identities';

const VAP = Resources.validatingadmissionpolicies;
const VAPB = Resources.validatingadmissionpolicybindings;

let api: TestApiServer;
beforeAll(async () => {
  api = await startTestApiServer();
});
afterAll(async () => api?.stop());

const policy = (name: string): ValidatingAdmissionPolicy => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name },
  spec: {
    paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
    matchConstraints: { resourceRules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['example.com'], apiVersions: ['v1'], resources: ['widgets'] } as never] },
    validations: [{ expression: 'object.spec.size <= int(params.data.max)', reason: 'Forbidden' }],
  },
});
const binding = (name: string, spec: Partial<NonNullable<ValidatingAdmissionPolicyBinding['spec']>> = {}): ValidatingAdmissionPolicyBinding => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  metadata: { name },
  spec: { policyName: 'sizes', validationActions: ['Deny'], ...spec },
});
const path = (name: string, sub = ''): string => `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${name}${sub}`;
type Table = { columnDefinitions: Array<{ name: string }>; rows: Array<{ cells: unknown[] }> };
const tableAccept = { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' };

describe('ValidatingAdmissionPolicies and their bindings', () => {
  test('are served cluster-scoped in admissionregistration.k8s.io/v1, in the api-extensions category, the policy with /status', async () => {
    const list = await api.client.request<{ resources: Array<{ name: string; namespaced: boolean; kind: string; categories?: string[]; verbs: string[] }> }>('GET', '/apis/admissionregistration.k8s.io/v1');
    const byName = new Map(list.resources.map((r) => [r.name, r]));
    expect(byName.get('validatingadmissionpolicies')).toMatchObject({ namespaced: false, kind: 'ValidatingAdmissionPolicy', categories: ['api-extensions'] });
    expect(byName.get('validatingadmissionpolicybindings')).toMatchObject({ namespaced: false, kind: 'ValidatingAdmissionPolicyBinding', categories: ['api-extensions'] });
    expect(byName.get('validatingadmissionpolicies/status')).toMatchObject({ namespaced: false, kind: 'ValidatingAdmissionPolicy', verbs: expect.arrayContaining(['get', 'patch', 'update']) });
    expect(byName.has('validatingadmissionpolicybindings/status')).toBe(false);
  });

  test('a policy gets kube v1 defaults, generation 1 and an empty status, whatever status it is sent with', async () => {
    const created = await api.client.create<ValidatingAdmissionPolicy>(VAP, undefined, { ...policy('defaults'), status: { observedGeneration: 7 } });
    expect(created.metadata?.generation).toBe(1);
    expect(created.spec).toMatchObject({
      failurePolicy: 'Fail',
      matchConstraints: { matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {}, resourceRules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['example.com'], apiVersions: ['v1'], resources: ['widgets'], scope: '*' }] },
    });
    expect(created.status).toEqual({});
  });

  test("a binding's matchResources get defaults; its paramRef does not", async () => {
    const created = await api.client.create<ValidatingAdmissionPolicyBinding>(VAPB, undefined, binding('defaults', { paramRef: { name: 'limits', namespace: 'default', parameterNotFoundAction: 'Allow' }, matchResources: { namespaceSelector: { matchLabels: { env: 'test' } } } }));
    expect(created.metadata?.generation).toBe(1);
    expect(created.spec?.matchResources).toEqual({ matchPolicy: 'Equivalent', namespaceSelector: { matchLabels: { env: 'test' } }, objectSelector: {} });
    expect(created).not.toHaveProperty('status');
    expect(await outcome(api.client.create(VAPB, undefined, binding('no-action', { paramRef: { name: 'limits' } })))).toEqual({
      code: 422,
      message: 'ValidatingAdmissionPolicyBinding.admissionregistration.k8s.io "no-action" is invalid: spec.paramRef.parameterNotFoundAction: Required value',
    });
  });

  test('an invalid policy or binding is refused with kube-apiserver message', async () => {
    const bad = policy('bad');
    bad.spec = { ...bad.spec, validations: [{ expression: 'true', reason: 'Unauthorized', message: 'no\nway' }], variables: [{ name: 'max-size', expression: '5' }] };
    expect(await outcome(api.client.create(VAP, undefined, bad))).toEqual({
      code: 422,
      message:
        'ValidatingAdmissionPolicy.admissionregistration.k8s.io "bad" is invalid: [spec.variables[0].name: Invalid value: "max-size": name is not a valid CEL identifier, ' +
        'spec.validations[0].message: Invalid value: "no\\nway": message must not contain line breaks, ' +
        'spec.validations[0].reason: Unsupported value: "Unauthorized": supported values: "Forbidden", "Invalid", "RequestEntityTooLarge"]',
    });
    const empty = policy('empty');
    empty.spec = { matchConstraints: empty.spec?.matchConstraints };
    expect(await outcome(api.client.create(VAP, undefined, empty))).toEqual({
      code: 422,
      message:
        'ValidatingAdmissionPolicy.admissionregistration.k8s.io "empty" is invalid: [spec.validations: Required value: validations or auditAnnotations must contain at least one item, ' +
        'spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item]',
    });
    expect(await outcome(api.client.create(VAPB, undefined, binding('both', { validationActions: ['Deny', 'Warn'] })))).toEqual({
      code: 422,
      message:
        'ValidatingAdmissionPolicyBinding.admissionregistration.k8s.io "both" is invalid: spec.validationActions: Invalid value: []admissionregistration.ValidationAction{"Deny", "Warn"}: ' +
        'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
    });
  });

  test('the status is written through /status only, and /status writes nothing else', async () => {
    const created = await api.client.create<ValidatingAdmissionPolicy>(VAP, undefined, policy('status'));
    const status = {
      observedGeneration: 1,
      typeChecking: { expressionWarnings: [{ fieldRef: 'spec.validations[0].expression', warning: 'no such key: size' }] },
      conditions: [{ type: 'TypeChecked', status: 'True', reason: 'Checked', message: '', lastTransitionTime: '2026-11-23T12:00:00Z', observedGeneration: 1 }],
    };
    // A status write that also changes the spec changes only the status.
    const written = await api.client.request<ValidatingAdmissionPolicy>('PUT', path('status', '/status'), {
      body: { ...created, spec: { ...created.spec, failurePolicy: 'Ignore' }, status },
    });
    expect(written.status).toEqual(status);
    expect(written.spec?.failurePolicy).toBe('Fail');
    expect(written.metadata?.generation).toBe(1);
    expect((await api.client.get<ValidatingAdmissionPolicy>(VAP, undefined, 'status', 'status')).status).toEqual(status);

    // An update of the policy keeps the stored status and counts its spec change.
    const updated = await api.client.update<ValidatingAdmissionPolicy>(VAP, { ...written, spec: { ...written.spec, failurePolicy: 'Ignore' }, status: { observedGeneration: 9 } });
    expect(updated.spec?.failurePolicy).toBe('Ignore');
    expect(updated.status).toEqual(status);
    expect(updated.metadata?.generation).toBe(2);

    // A merge patch of /status; the status is validated on its own.
    const patched = await api.client.patch<ValidatingAdmissionPolicy>(VAP, undefined, 'status', { status: { observedGeneration: 2 } }, 'merge', 'status');
    expect(patched.status?.observedGeneration).toBe(2);
    expect(await outcome(api.client.patch(VAP, undefined, 'status', { status: { typeChecking: { expressionWarnings: [{ fieldRef: '', warning: 'w' }] } } }, 'merge', 'status'))).toEqual({
      code: 422,
      message: 'ValidatingAdmissionPolicy.admissionregistration.k8s.io "status" is invalid: status.typeChecking.expressionWarnings[0].fieldRef: Required value',
    });
  });

  test('kubectl get prints NAME, VALIDATIONS, PARAMKIND, AGE and NAME, POLICYNAME, PARAMREF, AGE', async () => {
    await api.client.create(VAP, undefined, policy('table'));
    const policies = await api.client.request<Table>('GET', path('table'), tableAccept);
    expect(policies.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Validations', 'ParamKind', 'Age']);
    expect(policies.rows[0].cells.slice(0, 3)).toEqual(['table', 1, 'v1/ConfigMap']);

    await api.client.create(VAPB, undefined, binding('table', { paramRef: { name: 'limits', parameterNotFoundAction: 'Deny' } }));
    const bindings = await api.client.request<Table>('GET', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/table', tableAccept);
    expect(bindings.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'PolicyName', 'ParamRef', 'Age']);
    expect(bindings.rows[0].cells.slice(0, 3)).toEqual(['table', 'sizes', '*/limits']);
  });
});
