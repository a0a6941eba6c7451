// Every served resource through @kubernetes/client-node's generated API classes (CoreV1Api, AppsV1Api,
// …, chosen by group; methods by kube's naming, createNamespacedPod / readPriorityClass): create, get,
// list, watch, update (replace), patch (merge) and delete, asserting that the typed objects round-trip
// — the typed answer serializes back to exactly the JSON the server stores (no field the generated
// model cannot carry), and get, list, watch and the write answers agree. Create-only reviews are
// created; ComponentStatus, computed and never stored, is read and listed.
import * as k8s from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import { allResources, resourcePath, type ResourceType } from '../../lib/api/resources';
import { modelNameFor } from '../../apiserver/schema';
import { startTestApiServer, TestApiServer } from '../helpers/apiserver';
import { opensslRequestBase64 } from '../fixtures/certificates';

type Json = Record<string, unknown>;
const NS = 'roundtrip';
const podSpec = { containers: [{ name: 'c', image: 'nginx:1.25' }] };
const template = { metadata: { labels: { app: 'web' } }, spec: podSpec };

/** One valid object of every served kind (name `rt`, or a name the kind requires). */
const samples: Record<string, Json> = {
  namespaces: { metadata: { name: 'rt-ns' } },
  nodes: { metadata: { name: 'rt-node' }, status: { capacity: { cpu: '2' } } },
  pods: { metadata: { name: 'rt' }, spec: podSpec },
  services: { metadata: { name: 'rt' }, spec: { ports: [{ port: 80 }], selector: { app: 'web' } } },
  endpoints: { metadata: { name: 'rt' }, subsets: [{ addresses: [{ ip: '10.1.2.3' }], ports: [{ port: 80 }] }] },
  events: { metadata: { name: 'rt' }, involvedObject: { kind: 'Pod', name: 'x', namespace: NS }, reason: 'Test', message: 'hi', type: 'Normal' },
  configmaps: { metadata: { name: 'rt' }, data: { a: '1' } },
  secrets: { metadata: { name: 'rt' }, stringData: { a: '1' } },
  serviceaccounts: { metadata: { name: 'rt' } },
  deployments: { metadata: { name: 'rt' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template } },
  replicasets: { metadata: { name: 'rt' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template } },
  daemonsets: { metadata: { name: 'rt' }, spec: { selector: { matchLabels: { app: 'web' } }, template } },
  statefulsets: { metadata: { name: 'rt' }, spec: { replicas: 1, serviceName: 'rt', selector: { matchLabels: { app: 'web' } }, template } },
  controllerrevisions: { metadata: { name: 'rt' }, revision: 1, data: { spec: { template: { metadata: { labels: { app: 'web' } } } } } },
  cronjobs: { metadata: { name: 'rt' }, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { ...podSpec, restartPolicy: 'OnFailure' } } } } } },
  horizontalpodautoscalers: { metadata: { name: 'rt' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'rt' }, minReplicas: 1, maxReplicas: 3, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] } },
  poddisruptionbudgets: { metadata: { name: 'rt' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } },
  ingresses: { metadata: { name: 'rt' }, spec: { ingressClassName: 'rt-ic', rules: [{ host: 'rt.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] } },
  ingressclasses: { metadata: { name: 'rt-ic' }, spec: { controller: 'example.com/ingress' } },
  networkpolicies: { metadata: { name: 'rt' }, spec: { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 80, protocol: 'TCP' }] }], policyTypes: ['Ingress'] } },
  persistentvolumes: { metadata: { name: 'rt-pv' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/rt-pv' }, persistentVolumeReclaimPolicy: 'Retain' } },
  persistentvolumeclaims: { metadata: { name: 'rt' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'manual' } },
  storageclasses: { metadata: { name: 'rt-sc' }, provisioner: 'example.com/none', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer' },

  jobs: { metadata: { name: 'rt' }, spec: { template: { spec: { ...podSpec, restartPolicy: 'Never' } } } },
  leases: { metadata: { name: 'rt' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 15 } },
  endpointslices: { metadata: { name: 'rt' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.1.2.3'] }], ports: [{ port: 80 }] },
  roles: { metadata: { name: 'rt' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] },
  rolebindings: { metadata: { name: 'rt' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'rt' }, subjects: [{ kind: 'User', name: 'u', apiGroup: 'rbac.authorization.k8s.io' }] },
  clusterroles: { metadata: { name: 'rt-cr' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] },
  clusterrolebindings: { metadata: { name: 'rt-crb' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'rt-cr' }, subjects: [{ kind: 'User', name: 'u', apiGroup: 'rbac.authorization.k8s.io' }] },
  replicationcontrollers: { metadata: { name: 'rt' }, spec: { replicas: 1, selector: { app: 'web' }, template } },
  podtemplates: { metadata: { name: 'rt' }, template },
  limitranges: { metadata: { name: 'rt' }, spec: { limits: [{ type: 'Container', max: { cpu: '2' } }] } },
  resourcequotas: { metadata: { name: 'rt' }, spec: { hard: { pods: '100' } } },
  priorityclasses: { metadata: { name: 'rt-pc' }, value: 10, description: 'round trip' },
  runtimeclasses: { metadata: { name: 'rt-rc' }, handler: 'runc' },
  // Rules for a group nothing serves: the webhooks are never called.
  mutatingwebhookconfigurations: { metadata: { name: 'rt-mwc' }, webhooks: [{ name: 'rt.example.com', clientConfig: { url: 'https://127.0.0.1:1/mutate' }, rules: [{ operations: ['CREATE'], apiGroups: ['example.com'], apiVersions: ['v1'], resources: ['widgets'] }], sideEffects: 'None', admissionReviewVersions: ['v1'], failurePolicy: 'Ignore' }] },
  validatingwebhookconfigurations: { metadata: { name: 'rt-vwc' }, webhooks: [{ name: 'rt.example.com', clientConfig: { service: { namespace: NS, name: 'hook', path: '/validate' } }, rules: [{ operations: ['*'], apiGroups: ['example.com'], apiVersions: ['*'], resources: ['widgets/*'], scope: 'Namespaced' }], sideEffects: 'NoneOnDryRun', admissionReviewVersions: ['v1', 'v1beta1'], matchConditions: [{ name: 'not-kube-system', expression: 'request.namespace != "kube-system"' }] }] },
  // Their rules name a group nothing serves, so no write here is checked against them.
  validatingadmissionpolicies: { metadata: { name: 'rt-vap' }, spec: { paramKind: { apiVersion: 'v1', kind: 'ConfigMap' }, matchConstraints: { resourceRules: [{ operations: ['CREATE'], apiGroups: ['example.com'], apiVersions: ['v1'], resources: ['widgets'], resourceNames: ['a'] }] }, validations: [{ expression: 'object.spec.size <= params.data.max', message: 'too big', reason: 'Invalid' }], auditAnnotations: [{ key: 'size', valueExpression: 'string(object.spec.size)' }], variables: [{ name: 'size', expression: 'object.spec.size' }] } },
  validatingadmissionpolicybindings: { metadata: { name: 'rt-vapb' }, spec: { policyName: 'rt-vap', validationActions: ['Warn', 'Audit'], paramRef: { selector: { matchLabels: { app: 'rt' } }, parameterNotFoundAction: 'Allow' }, matchResources: { excludeResourceRules: [{ operations: ['*'], apiGroups: ['example.com'], apiVersions: ['*'], resources: ['widgets/*'] }] } } },
  certificatesigningrequests: { metadata: { name: 'rt-csr' }, spec: { request: opensslRequestBase64('/CN=rt'), signerName: 'example.com/rt', usages: ['client auth'] } },
  selfsubjectaccessreviews: { spec: { resourceAttributes: { verb: 'get', resource: 'pods' } } },
  selfsubjectrulesreviews: { spec: { namespace: NS } },
  subjectaccessreviews: { spec: { user: 'u', resourceAttributes: { verb: 'get', resource: 'pods' } } },
  localsubjectaccessreviews: { metadata: { namespace: NS }, spec: { user: 'u', resourceAttributes: { verb: 'get', resource: 'pods', namespace: NS } } },
  tokenreviews: { spec: { token: 'not-a-token' } },
  selfsubjectreviews: {},
};

/** The generated API class of a group: '' → CoreV1Api, rbac.authorization.k8s.io → RbacAuthorizationV1Api. */
function apiClassName(r: ResourceType): string {
  if (!r.group) return `Core${r.version.toUpperCase()}Api`;
  const words = r.group.replace(/\.k8s\.io$/, '').split('.').map((w) => w.charAt(0).toUpperCase() + w.slice(1));
  return `${words.join('')}${r.version.toUpperCase()}Api`;
}

type ApiMethod = (params: Json, options?: unknown) => Promise<unknown>;

let srv: TestApiServer;
beforeAll(async () => {
  srv = await startTestApiServer();
  await srv.client.create(allResources.find((r) => r.resource === 'namespaces')!, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
});
afterAll(async () => {
  await srv?.stop();
});

const timestamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
/**
 * Timestamps as a JS Date holds them: client-node's models keep Time and MicroTime as Dates and write
 * them back with milliseconds ("…:00.000Z"), where the server writes "…:00Z" (a client-node trait).
 */
function normalizeTimes(v: unknown): unknown {
  if (typeof v === 'string' && timestamp.test(v)) return new Date(v).toISOString();
  if (Array.isArray(v)) return v.map(normalizeTimes);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeTimes(x)]));
  return v;
}

/** The JSON the server holds now, read with steer's own client. */
const rawGet = async (r: ResourceType, name: string): Promise<Json> => normalizeTimes(await srv.client.get<Json>(r, r.namespaced ? NS : undefined, name)) as Json;

// CustomResourceDefinitions are left out: the apiserver's own CRD controller writes their status right after
// each change, so a typed answer is never the latest (test/apiserver/crd.test.ts covers them).
describe.each(allResources.filter((r) => r.resource !== 'customresourcedefinitions').map((r) => [r.resource, r] as const))('%s', (_name, r) => {
  const model = modelNameFor(r)!;
  const api = (): Record<string, ApiMethod> => {
    const ctor = (k8s as unknown as Record<string, new (...a: unknown[]) => unknown>)[apiClassName(r)];
    return srv.kubeConfig.makeApiClient(ctor as never) as unknown as Record<string, ApiMethod>;
  };
  const method = (verb: string): ApiMethod => {
    const name = `${verb}${r.namespaced ? 'Namespaced' : ''}${r.kind}`;
    const m = api()[name];
    if (typeof m !== 'function') throw new Error(`${apiClassName(r)} has no ${name}`);
    return m.bind(api());
  };
  const params = (extra: Json): Json => (r.namespaced ? { namespace: NS, ...extra } : extra);
  const sample = (): Json => ({ apiVersion: r.group ? `${r.group}/${r.version}` : r.version, kind: r.kind, ...JSON.parse(JSON.stringify(samples[r.resource])) });
  /** A typed object as JSON, the way client-node sends it (times as the Date it holds). */
  const json = (typed: unknown): Json => normalizeTimes(JSON.parse(JSON.stringify(ObjectSerializer.serialize(typed, model)))) as Json;

  it('has a model and a sample', () => {
    expect(model).toBeDefined();
    if (!r.verbs || r.verbs.includes('create')) expect(samples[r.resource]).toBeDefined();
  });

  if (r.verbs?.includes('create') && r.verbs.length === 1) {
    it('create answers a typed review', async () => {
      const typed = await method('create')(params({ body: ObjectSerializer.deserialize(sample(), model) }));
      const answer = json(typed);
      expect(answer).toMatchObject({ kind: r.kind, apiVersion: `${r.group}/${r.version}` });
      expect(answer.status).toBeDefined();
    });
    return;
  }

  if (r.verbs && !r.verbs.includes('create')) {
    it('read and list agree, typed as served', async () => {
      const list = (await method('list')(params({}))) as { items: unknown[] };
      expect(list.items.length).toBeGreaterThan(0);
      const first = json(list.items[0]);
      const name = (first.metadata as Json).name as string;
      const read = json(await method('read')(params({ name })));
      expect(read).toEqual({ ...first, kind: r.kind, apiVersion: r.version });
    });
    return;
  }

  it('create, get, list, watch, update, patch and delete round-trip', async () => {
    const created = await method('create')(params({ body: ObjectSerializer.deserialize(sample(), model) }));
    const createdJson = json(created);
    const name = (createdJson.metadata as Json).name as string;
    // The typed answer carries every field the server stored.
    expect(createdJson).toEqual(await rawGet(r, name));

    const read = await method('read')(params({ name }));
    expect(json(read)).toEqual(createdJson);

    const list = (await method('list')(params({}))) as { items: unknown[]; metadata?: { resourceVersion?: string } };
    const listed = list.items.map(json).find((o) => (o.metadata as Json).name === name);
    // List items carry no kind and apiVersion of their own.
    expect({ ...listed, kind: r.kind, apiVersion: createdJson.apiVersion }).toEqual(createdJson);

    // Watch from the list's revision sees the update and the patch, typed alike.
    const events: Array<{ type: string; obj: Json }> = [];
    const w = await new Watch(srv.kubeConfig).watch(
      resourcePath(r, { namespace: r.namespaced ? NS : undefined }),
      { resourceVersion: list.metadata?.resourceVersion, fieldSelector: `metadata.name=${name}` },
      (type, obj) => events.push({ type, obj: json(ObjectSerializer.deserialize(obj, model)) }),
      () => undefined,
    );

    const changed = ObjectSerializer.deserialize({ ...createdJson, metadata: { ...(createdJson.metadata as Json), labels: { roundtrip: 'replace' } } }, model);
    const replaced = json(await method('replace')(params({ name, body: changed })));
    // A Namespace also keeps the label naming it, whatever the update says.
    expect((replaced.metadata as Json).labels).toEqual({ roundtrip: 'replace', ...(r.resource === 'namespaces' ? { 'kubernetes.io/metadata.name': name } : {}) });
    expect(replaced).toEqual(await rawGet(r, name));

    const patched = json(await method('patch')(params({ name, body: { metadata: { annotations: { roundtrip: 'patch' } } } }), setHeaderOptions('Content-Type', PatchStrategy.MergePatch)));
    expect((patched.metadata as Json).annotations).toEqual({ roundtrip: 'patch' });
    expect(patched).toEqual(await rawGet(r, name));

    const deadline = Date.now() + 5000;
    while (events.filter((e) => e.type === 'MODIFIED').length < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    w.abort();
    const modified = events.filter((e) => e.type === 'MODIFIED').map((e) => e.obj);
    expect(modified.slice(-2)).toEqual([replaced, patched]);

    await method('delete')(params({ name }));
    // A namespace stays, Terminating, until the namespace controller has emptied it (none runs here).
    // PersistentVolumes and claims keep their protection finalizer until a controller (none here) lets go.
    if (r.resource === 'namespaces' || r.resource === 'persistentvolumes' || r.resource === 'persistentvolumeclaims') expect(((await rawGet(r, name)).metadata as Json).deletionTimestamp).toBeDefined();
    else await expect(rawGet(r, name)).rejects.toMatchObject({ code: 404 });
  });
});
