// node.k8s.io/v1 RuntimeClasses and the RuntimeClass admission plugin on the apiserver: the kind's
// validation (handler a DNS label, fixed once created) and kubectl's columns; a pod naming a class gets
// its overhead and scheduling constraints, a missing class, a different overhead, a conflicting node
// selector or an overhead without a class are refused with kube-apiserver's messages.
import type { Pod } from 'kubernetes-types/core/v1';
import type { RuntimeClass } from 'kubernetes-types/node/v1';
import { Resources } from '../../lib/api/resources';
import { startTestApiServer, type TestApiServer } from '../helpers/apiserver';
import { outcome } from '../helpers/identities';

let api: TestApiServer;
beforeAll(async () => {
  api = await startTestApiServer();
  await api.client.create(Resources.runtimeclasses, undefined, {
    apiVersion: 'node.k8s.io/v1',
    kind: 'RuntimeClass',
    metadata: { name: 'sandboxed' },
    handler: 'runsc',
    overhead: { podFixed: { cpu: '250m', memory: '64Mi' } },
    scheduling: { nodeSelector: { sandbox: 'gvisor' }, tolerations: [{ key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }] },
  });
  await api.client.create(Resources.runtimeclasses, undefined, { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'plain' }, handler: 'runc' });
});
afterAll(async () => api?.stop());

const pod = (name: string, spec: Partial<Pod['spec']> = {}): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } });

describe('RuntimeClasses', () => {
  test.each([
    ['no handler', { metadata: { name: 'x' } }, 'handler: Invalid value: "": a lowercase RFC 1123 label'],
    ['a handler that is not a label', { metadata: { name: 'x' }, handler: 'Run_C' }, 'handler: Invalid value: "Run_C": a lowercase RFC 1123 label'],
    ['a negative overhead', { metadata: { name: 'x' }, handler: 'runc', overhead: { podFixed: { cpu: '-1' } } }, 'must be greater than or equal to 0'],
    ['a bad toleration', { metadata: { name: 'x' }, handler: 'runc', scheduling: { tolerations: [{ operator: 'Equal', value: 'v' }] } }, 'scheduling.tolerations[0].operator'],
  ])('%s: 422', async (_n, body, message) => {
    const r = await outcome(api.client.create(Resources.runtimeclasses, undefined, { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', ...body }));
    expect(r.code).toBe(422);
    expect(r.message).toContain(message);
  });

  test('the handler is fixed once created', async () => {
    const rc = await api.client.get<RuntimeClass>(Resources.runtimeclasses, undefined, 'plain');
    const r = await outcome(api.client.update(Resources.runtimeclasses, { ...rc, handler: 'crun' } as RuntimeClass & { metadata: { name: string } }));
    expect(r).toEqual({ code: 422, message: 'RuntimeClass.node.k8s.io "plain" is invalid: handler: Invalid value: "crun": field is immutable' });
  });

  test("kubectl's columns: NAME, HANDLER, AGE", async () => {
    const table = await api.client.request<{ columnDefinitions: Array<{ name: string }>; rows: Array<{ cells: unknown[] }> }>('GET', '/apis/node.k8s.io/v1/runtimeclasses', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Handler', 'Age']);
    expect(table.rows.map((r) => r.cells.slice(0, 2))).toEqual([
      ['plain', 'runc'],
      ['sandboxed', 'runsc'],
    ]);
  });
});

describe('the RuntimeClass admission plugin', () => {
  test("a pod takes its class's overhead, node selector and tolerations", async () => {
    const created = await api.client.create<Pod>(Resources.pods, 'default', pod('in-sandbox', { runtimeClassName: 'sandboxed', nodeSelector: { disk: 'ssd' } }));
    expect(created.spec?.overhead).toEqual({ cpu: '250m', memory: '64Mi' });
    expect(created.spec?.nodeSelector).toEqual({ disk: 'ssd', sandbox: 'gvisor' });
    expect(created.spec?.tolerations).toEqual(expect.arrayContaining([{ key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }]));
  });

  test.each([
    ['a class that does not exist', { runtimeClassName: 'nope' }, 'pods "refused" is forbidden: pod rejected: RuntimeClass "nope" not found'],
    ['an overhead other than the class\'s', { runtimeClassName: 'sandboxed', overhead: { cpu: '1' } }, 'pods "refused" is forbidden: pod rejected: Pod\'s Overhead doesn\'t match RuntimeClass\'s defined Overhead'],
    ['a node selector that conflicts', { runtimeClassName: 'sandboxed', nodeSelector: { sandbox: 'kata' } }, 'pods "refused" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[sandbox] = gvisor; pod.spec.nodeSelector[sandbox] = kata'],
    ['an overhead without a class', { overhead: { cpu: '1' } }, 'pods "refused" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead'],
  ])('%s: 403', async (_n, spec, message) => {
    expect(await outcome(api.client.create(Resources.pods, 'default', pod('refused', spec as Partial<Pod['spec']>)))).toEqual({ code: 403, message });
  });

  test('a class without overhead or scheduling leaves the pod as it is', async () => {
    const created = await api.client.create<Pod>(Resources.pods, 'default', pod('plain-pod', { runtimeClassName: 'plain' }));
    expect(created.spec?.overhead).toBeUndefined();
    expect(created.spec?.nodeSelector).toBeUndefined();
  });
});
