// admissionregistration.k8s.io/v1 Mutating- and ValidatingWebhookConfigurations stored and served as
// kube-apiserver does: discovery (category api-extensions), v1 defaults on create, generation 1 that
// counts changes of `webhooks` only, kube's 422 messages and kubectl's columns. The webhooks' rules name
// a group nothing serves, so no write here calls them.
import type { MutatingWebhookConfiguration, ValidatingWebhookConfiguration } from 'kubernetes-types/admissionregistration/v1';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver';
import { outcome } from '../helpers/identities';

const MWC = Resources.mutatingwebhookconfigurations;
const VWC = Resources.validatingwebhookconfigurations;

let api: TestApiServer;
beforeAll(async () => {
  api = await startTestApiServer();
});
afterAll(async () => api?.stop());

const webhook = { name: 'widgets.example.com', clientConfig: { service: { namespace: 'hooks', name: 'webhook', path: '/mutate' } }, rules: [{ operations: ['CREATE'], apiGroups: ['example.com'], apiVersions: ['v1'], resources: ['widgets'] }], sideEffects: 'None', admissionReviewVersions: ['v1'] };
const mutating = (name: string): MutatingWebhookConfiguration => ({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name }, webhooks: [JSON.parse(JSON.stringify(webhook))] });

describe('webhook configurations', () => {
  test('are served cluster-scoped in admissionregistration.k8s.io/v1, in the api-extensions category', async () => {
    const list = await api.client.request<{ resources: Array<{ name: string; namespaced: boolean; kind: string; categories?: string[]; verbs: string[] }> }>('GET', '/apis/admissionregistration.k8s.io/v1');
    const byName = new Map(list.resources.map((r) => [r.name, r]));
    for (const [name, kind] of [
      ['mutatingwebhookconfigurations', 'MutatingWebhookConfiguration'],
      ['validatingwebhookconfigurations', 'ValidatingWebhookConfiguration'],
    ]) {
      expect(byName.get(name)).toMatchObject({ namespaced: false, kind, categories: ['api-extensions'] });
    }
  });

  test('a create gets kube v1 defaults and generation 1', async () => {
    const created = await api.client.create<MutatingWebhookConfiguration>(MWC, undefined, mutating('defaults'));
    expect(created.metadata?.generation).toBe(1);
    expect(created.webhooks?.[0]).toMatchObject({
      failurePolicy: 'Fail',
      matchPolicy: 'Equivalent',
      namespaceSelector: {},
      objectSelector: {},
      timeoutSeconds: 10,
      reinvocationPolicy: 'Never',
      clientConfig: { service: { namespace: 'hooks', name: 'webhook', path: '/mutate', port: 443 } },
      rules: [{ operations: ['CREATE'], apiGroups: ['example.com'], apiVersions: ['v1'], resources: ['widgets'], scope: '*' }],
    });
  });

  test('generation counts changes of webhooks, not of metadata or of defaults left out', async () => {
    const created = await api.client.create<MutatingWebhookConfiguration>(MWC, undefined, mutating('generation'));
    // The object as first sent (no defaults) changes nothing kube compares.
    const resent = await api.client.update<MutatingWebhookConfiguration>(MWC, { ...mutating('generation'), metadata: { name: 'generation', resourceVersion: created.metadata?.resourceVersion, labels: { team: 'a' } } });
    expect(resent.metadata?.generation).toBe(1);
    const changed = await api.client.patch<MutatingWebhookConfiguration>(MWC, undefined, 'generation', { webhooks: [{ ...webhook, timeoutSeconds: 5 }] });
    expect(changed.metadata?.generation).toBe(2);
    expect(changed.webhooks?.[0].timeoutSeconds).toBe(5);
  });

  test('an invalid configuration is refused with kube-apiserver message', async () => {
    const body: ValidatingWebhookConfiguration = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'bad' }, webhooks: [{ ...webhook, name: 'widgets', clientConfig: { url: 'http://hooks.example.com/v' }, sideEffects: 'Some' }] };
    expect(await outcome(api.client.create(VWC, undefined, body))).toEqual({
      code: 422,
      message:
        'ValidatingWebhookConfiguration.admissionregistration.k8s.io "bad" is invalid: [webhooks[0].name: Invalid value: "widgets": should be a domain with at least three segments separated by dots, ' +
        `webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun", webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https://host[/path]]`,
    });
  });

  test('kubectl get prints NAME, WEBHOOKS, AGE', async () => {
    await api.client.create(VWC, undefined, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'two' }, webhooks: [webhook, { ...webhook, name: 'gadgets.example.com' }] });
    const table = await api.client.request<{ columnDefinitions: Array<{ name: string }>; rows: Array<{ cells: unknown[] }> }>('GET', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/two', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Webhooks', 'Age']);
    expect(table.rows[0].cells.slice(0, 2)).toEqual(['two', 2]);
  });
});
