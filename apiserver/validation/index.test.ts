import { Resources, allResources, type ResourceType } from '../../lib/api/resources';
import { applyDefaults } from '../defaults';
import { causesToMessage, pruneUnknownFields, validate, type FieldCause } from '.';
import { opensslRequestBase64 } from '../../test/fixtures/certificates';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test fixtures are edited freely

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

const podSpec = () => ({
  containers: [
    {
      name: 'nginx',
      image: 'nginx:1.25',
      ports: [{ containerPort: 80, name: 'http' }],
      env: [{ name: 'MODE', value: 'prod' }],
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
      resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '1Gi' } },
      livenessProbe: { httpGet: { path: '/', port: 80 } },
      readinessProbe: { tcpSocket: { port: 'http' } },
    },
  ],
  volumes: [{ name: 'data', emptyDir: {} }],
});

const valid: Record<string, Obj> = {
  pods: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec: podSpec() },
  deployments: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'nginx', namespace: 'default' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'nginx' } },
      template: { metadata: { labels: { app: 'nginx' } }, spec: podSpec() },
    },
  },
  replicasets: {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'nginx-abc', namespace: 'default' },
    spec: {
      replicas: 1,
      selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['nginx'] }] },
      template: { metadata: { labels: { app: 'nginx' } }, spec: podSpec() },
    },
  },
  daemonsets: {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'kube-system' },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: podSpec() } },
  },
  statefulsets: {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'db', namespace: 'default' },
    spec: {
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: { metadata: { labels: { app: 'db' } }, spec: podSpec() },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  },
  controllerrevisions: {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name: 'db-abc', namespace: 'default' },
    data: { spec: { template: { $patch: 'replace' } } },
    revision: 1,
  },
  persistentvolumes: {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'pv1' },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data/pv1' } },
  },
  persistentvolumeclaims: {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: 'default' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
  },
  storageclasses: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'steer.io/local-path' },
  services: {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'nginx', namespace: 'default' },
    spec: { type: 'NodePort', selector: { app: 'nginx' }, ports: [{ port: 80, targetPort: 80, nodePort: 30080 }] },
  },
  nodes: {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-1', labels: { 'node-role.kubernetes.io/control-plane': '' } },
    spec: { podCIDR: '10.244.1.0/24', taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] },
    status: {
      capacity: { cpu: '2', memory: '4Gi', pods: '110' },
      addresses: [{ type: 'InternalIP', address: '192.168.1.5' }, { type: 'Hostname', address: 'node-1' }],
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  },
  namespaces: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } },
  configmaps: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data: { 'app.conf': 'x=1' } },
  secrets: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, data: { password: 'aGVsbG8=' } },
  serviceaccounts: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'default' } },
  endpoints: {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'nginx', namespace: 'default' },
    subsets: [{ addresses: [{ ip: '10.244.1.5' }], ports: [{ port: 80 }] }],
  },
  events: {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web.17a8', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' },
    reason: 'Started',
    type: 'Normal',
    count: 1,
  },
  cronjobs: {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'hello', namespace: 'default' },
    spec: { schedule: '*/5 * * * *', timeZone: 'Europe/Paris', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } } },
  },
  horizontalpodautoscalers: {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      behavior: { scaleDown: { stabilizationWindowSeconds: 60, policies: [{ type: 'Pods', value: 1, periodSeconds: 15 }] } },
    },
  },
  poddisruptionbudgets: {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', namespace: 'default' },
    spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } },
  },
  jobs: {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: 'b3a1c0de-0000-4000-8000-000000000001' },
    spec: {
      completions: 3,
      parallelism: 2,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'b3a1c0de-0000-4000-8000-000000000001' } },
      template: {
        metadata: {
          labels: {
            'batch.kubernetes.io/controller-uid': 'b3a1c0de-0000-4000-8000-000000000001',
            'controller-uid': 'b3a1c0de-0000-4000-8000-000000000001',
          },
        },
        spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34', command: ['perl', '-e', 'print 1'] }] },
      },
    },
  },
  leases: {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'node-1', namespace: 'kube-node-lease' },
    spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 },
  },
  endpointslices: {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abc12', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.88.0.2'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'u1' } }],
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  },
  // Create-only reviews carry no name.
  tokenreviews: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', metadata: {}, spec: { token: 'abc', audiences: ['https://kubernetes.default.svc'] } },
  selfsubjectreviews: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {} },
  roles: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'pod-reader', namespace: 'default' },
    rules: [{ apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get', 'list'] }],
  },
  clusterroles: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'system:monitoring-reader' },
    rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }],
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } }] },
  },
  rolebindings: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'read-pods', namespace: 'default' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
    subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'jane' }, { kind: 'ServiceAccount', name: 'default' }],
  },
  clusterrolebindings: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'system:viewers' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'viewers' }, { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' }],
  },
  selfsubjectaccessreviews: {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    metadata: {},
    spec: { resourceAttributes: { namespace: 'default', verb: 'create', resource: 'pods' } },
  },
  selfsubjectrulesreviews: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', metadata: {}, spec: { namespace: 'default' } },
  subjectaccessreviews: {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    metadata: {},
    spec: { user: 'jane', groups: ['system:authenticated'], nonResourceAttributes: { path: '/metrics', verb: 'get' } },
  },
  localsubjectaccessreviews: {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'LocalSubjectAccessReview',
    metadata: { namespace: 'default' },
    spec: { user: 'jane', resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } },
  },
  customresourcedefinitions: {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'crontabs.stable.example.com' },
    spec: {
      group: 'stable.example.com',
      scope: 'Namespaced',
      names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList' },
      conversion: { strategy: 'None' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { cronSpec: { type: 'string' } } } } } } }],
    },
  },
  replicationcontrollers: { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: 2, selector: { app: 'web' }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec() } } },
  podtemplates: { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'tmpl', namespace: 'default' }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec() } },
  limitranges: { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr', namespace: 'default' }, spec: { limits: [{ type: 'Container', min: { cpu: '10m' }, max: { cpu: '2' }, default: { cpu: '500m' }, defaultRequest: { cpu: '100m' }, maxLimitRequestRatio: { cpu: '10' } }] } },
  resourcequotas: { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'default' }, spec: { hard: { pods: '10', 'requests.cpu': '4', 'count/configmaps': '20' } } },
  componentstatuses: { apiVersion: 'v1', kind: 'ComponentStatus', metadata: { name: 'scheduler' }, conditions: [{ type: 'Healthy', status: 'True', message: 'ok' }] },
  priorityclasses: { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000, description: 'important' },
  runtimeclasses: { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'sandboxed' }, handler: 'runsc', overhead: { podFixed: { cpu: '250m' } }, scheduling: { nodeSelector: { sandbox: 'yes' } } },
  mutatingwebhookconfigurations: {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'sidecar-injector' },
    webhooks: [
      {
        name: 'inject.sidecar.example.com',
        clientConfig: { service: { namespace: 'injector', name: 'webhook', path: '/mutate' }, caBundle: 'Y2EK' },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        namespaceSelector: { matchExpressions: [{ key: 'inject', operator: 'In', values: ['yes'] }] },
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        reinvocationPolicy: 'IfNeeded',
        matchConditions: [{ name: 'not-privileged', expression: "!has(object.metadata.labels) || !('privileged' in object.metadata.labels)" }],
      },
    ],
  },
  validatingwebhookconfigurations: {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'policy' },
    webhooks: [
      {
        name: 'policy.example.com',
        clientConfig: { url: 'https://policy.example.com:8443/validate' },
        rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['apps'], apiVersions: ['*'], resources: ['deployments', 'deployments/scale'], scope: 'Namespaced' }],
        failurePolicy: 'Ignore',
        matchPolicy: 'Exact',
        sideEffects: 'NoneOnDryRun',
        timeoutSeconds: 5,
        admissionReviewVersions: ['v1', 'v1beta1'],
      },
    ],
  },
  validatingadmissionpolicies: {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: 'replica-limit.example.com' },
    spec: {
      failurePolicy: 'Fail',
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      matchConstraints: {
        matchPolicy: 'Equivalent',
        namespaceSelector: { matchExpressions: [{ key: 'environment', operator: 'In', values: ['test'] }] },
        objectSelector: {},
        resourceRules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments', 'deployments/scale'] }],
        excludeResourceRules: [{ operations: ['*'], apiGroups: ['apps'], apiVersions: ['*'], resources: ['deployments'], resourceNames: ['system-critical'], scope: 'Namespaced' }],
      },
      matchConditions: [{ name: 'not-system', expression: '!request.namespace.startsWith("kube-")' }],
      variables: [{ name: 'replicas', expression: 'object.spec.replicas' }],
      validations: [{ expression: 'variables.replicas <= int(params.data.maxReplicas)', messageExpression: "'at most ' + params.data.maxReplicas + ' replicas'", reason: 'Forbidden' }],
      auditAnnotations: [{ key: 'high-replica-count', valueExpression: "'Deployment spec.replicas set to ' + string(variables.replicas)" }],
    },
  },
  validatingadmissionpolicybindings: {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: 'replica-limit-test.example.com' },
    spec: {
      policyName: 'replica-limit.example.com',
      validationActions: ['Deny', 'Audit'],
      paramRef: { name: 'replica-limit', namespace: 'default', parameterNotFoundAction: 'Deny' },
      matchResources: { matchPolicy: 'Exact', namespaceSelector: { matchLabels: { environment: 'test' } }, objectSelector: {} },
    },
  },
  certificatesigningrequests: {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: 'jane' },
    spec: { request: opensslRequestBase64('/CN=jane'), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] },
  },
  ingresses: {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: 'default' },
    spec: { ingressClassName: 'nginx', rules: [{ host: 'example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  },
  ingressclasses: { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } },
  networkpolicies: {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'db', namespace: 'default' },
    spec: { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5432 }] }] },
  },
};

const alloc = { clusterIP: () => '10.96.0.10', nodePort: () => 30001 };

describe('valid objects pass', () => {
  it.each(allResources.map((r) => [r.resource, r] as const))('%s', (name, r) => {
    const obj = clone(valid[name]);
    expect(validate(r, obj)).toEqual([]);
    // ...and still pass once defaulted, and as an update of themselves.
    applyDefaults(r, obj, alloc);
    expect(validate(r, obj)).toEqual([]);
    expect(validate(r, obj, clone(obj))).toEqual([]);
    expect(pruneUnknownFields(r, obj)).toEqual([]);
  });
});

type Case = [description: string, resource: ResourceType, edit: (o: Obj) => void, want: Array<[field: string, message: string | RegExp]>];

function sample(r: ResourceType): Obj {
  return clone(valid[r.resource]);
}

const R = Resources;
const pod = R.pods;
const dep = R.deployments;
const svc = R.services;

const cases: Case[] = [
  // wrong JSON types
  ['replicas as a string', dep, (o) => (o.spec.replicas = 'three'), [['spec.replicas', 'Invalid value: "string": spec.replicas in body must be of type integer: "string"']]],
  ['containers as a map', pod, (o) => (o.spec.containers = {}), [['spec.containers', 'Invalid value: "object": spec.containers in body must be of type array: "object"']]],
  ['a label value as a number', pod, (o) => (o.metadata.labels = { a: 1 }), [['metadata.labels[a]', /must be of type string: "integer"/]]],
  ['secret data not base64', R.secrets, (o) => (o.data = { x: '!!' }), [['data[x]', 'Invalid value: "!!": illegal base64 data']]],

  // legacy kinds
  ['an RC selector that misses the template', R.replicationcontrollers, (o) => (o.spec.selector = { app: 'db' }), [['spec.template.metadata.labels', 'Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`']]],
  ['a user priority over a billion', R.priorityclasses, (o) => (o.value = 1_000_000_001), [['value', 'Forbidden: maximum allowed value of a user defined priority is 1000000000']]],
  ['a class named system-*', R.priorityclasses, (o) => (o.metadata.name = 'system-mine'), [['metadata.name', "Forbidden: priority class names with 'system-' prefix are reserved for system use only"]]],
  ['an unknown preemption policy', R.priorityclasses, (o) => (o.preemptionPolicy = 'Sometimes'), [['preemptionPolicy', 'Unsupported value: "Sometimes": supported values: "Never", "PreemptLowerPriority"']]],
  ['a LimitRange min over max', R.limitranges, (o) => (o.spec.limits[0].min = { cpu: '3' }), [['spec.limits[0].min[cpu]', 'Invalid value: "3": min value 3 is greater than max value 2'], ['spec.limits[0].defaultRequest[cpu]', 'Invalid value: "100m": min value 3 is greater than default request value 100m'], ['spec.limits[0].default[cpu]', 'Invalid value: "500m": min value 3 is greater than default value 500m']]],
  ['a quota that is not a quantity', R.resourcequotas, (o) => (o.spec.hard.pods = 'lots'), [['spec.hard[pods]', /^Invalid value: "lots": quantities must match the regular expression/]]],
  // quota scopes (kube's validateResourceQuotaScopes / validateScopedResourceSelectorRequirement, values as Go's %#v)
  ['a BestEffort quota limiting cpu requests', R.resourcequotas, (o) => (o.spec.scopes = ['BestEffort']), [['spec.scopes', 'Invalid value: []core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource']]],
  ['a BestEffort quota limiting only pods and object counts', R.resourcequotas, (o) => { o.spec.scopes = ['BestEffort']; delete o.spec.hard['requests.cpu']; }, []],
  ['a NotBestEffort quota limiting cpu requests', R.resourcequotas, (o) => (o.spec.scopes = ['NotBestEffort']), []],
  ['a Terminating quota limiting services', R.resourcequotas, (o) => { o.spec.scopes = ['Terminating']; o.spec.hard.services = '2'; }, [['spec.scopes', 'Invalid value: []core.ResourceQuotaScope{"Terminating"}: unsupported scope applied to resource']]],
  ['Terminating with NotTerminating', R.resourcequotas, (o) => (o.spec.scopes = ['Terminating', 'NotTerminating']), [['spec.scopes', 'Invalid value: []core.ResourceQuotaScope{"Terminating", "NotTerminating"}: conflicting scopes']]],
  ['an unknown scope', R.resourcequotas, (o) => (o.spec.scopes = ['Sometimes']), [['spec.scopes', 'Invalid value: []core.ResourceQuotaScope{"Sometimes"}: unsupported scope']]],
  ['a PriorityClass In selector', R.resourcequotas, (o) => (o.spec.scopeSelector = { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] }), []],
  ['a PriorityClass In selector without values', R.resourcequotas, (o) => (o.spec.scopeSelector = { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In' }] }), [['spec.scopeSelector.matchExpressions.values', "Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"]]],
  ['a PriorityClass Exists selector with values', R.resourcequotas, (o) => (o.spec.scopeSelector = { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'Exists', values: ['a', 'b'] }] }), [['spec.scopeSelector.matchExpressions.values', `Invalid value: []string{"a", "b"}: must be no value when \`operator\` is 'Exist' or 'DoesNotExist' for scope selector`]]],
  ['a selector operator that is none', R.resourcequotas, (o) => (o.spec.scopeSelector = { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'Maybe' }] }), [['spec.scopeSelector.matchExpressions.operator', 'Invalid value: "Maybe": not a valid selector operator']]],
  [
    'a BestEffort selector with In, limiting cpu requests',
    R.resourcequotas,
    (o) => (o.spec.scopeSelector = { matchExpressions: [{ scopeName: 'BestEffort', operator: 'In', values: ['x'] }] }),
    [
      ['spec.scopeSelector.matchExpressions', 'Invalid value: core.ScopeSelector{MatchExpressions:[]core.ScopedResourceSelectorRequirement{core.ScopedResourceSelectorRequirement{ScopeName:"BestEffort", Operator:"In", Values:[]string{"x"}}}}: unsupported scope applied to resource'],
      ['spec.scopeSelector.matchExpressions.operator', `Invalid value: "In": must be 'Exist' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity`],
    ],
  ],
  [
    'a selector with BestEffort and NotBestEffort',
    R.resourcequotas,
    (o) => (o.spec.scopeSelector = { matchExpressions: [{ scopeName: 'BestEffort', operator: 'Exists' }, { scopeName: 'NotBestEffort', operator: 'Exists' }] }),
    [
      ['spec.scopeSelector.matchExpressions', /^Invalid value: core.ScopeSelector\{.*Values:\[\]string\(nil\)\}.*: unsupported scope applied to resource$/],
      ['spec.scopeSelector.matchExpressions', 'Invalid value: []core.ResourceQuotaScope(nil): conflicting scopes'],
    ],
  ],

  // metadata
  ['no name', pod, (o) => delete o.metadata.name, [['metadata.name', 'Required value: name or generateName is required']]],
  ['generateName instead of a name', pod, (o) => { delete o.metadata.name; o.metadata.generateName = 'web-'; }, []],
  ['a bad generateName', pod, (o) => { delete o.metadata.name; o.metadata.generateName = 'Web-'; }, [['metadata.generateName', /^Invalid value: "Web-": a lowercase RFC 1123 subdomain/]]],
  ['an upper-case name', dep, (o) => (o.metadata.name = 'Nginx'), [['metadata.name', /^Invalid value: "Nginx": a lowercase RFC 1123 subdomain must consist of/]]],
  ['a name too long', pod, (o) => (o.metadata.name = 'a'.repeat(254)), [['metadata.name', /must be no more than 253 characters$/]]],
  ['a dotted namespace name', R.namespaces, (o) => (o.metadata.name = 'a.b'), [['metadata.name', /a lowercase RFC 1123 label must consist/]]],
  ['a service name starting with a digit', svc, (o) => (o.metadata.name = '1web'), [['metadata.name', /a DNS-1035 label must consist/]]],
  ['a missing namespace', pod, (o) => delete o.metadata.namespace, [['metadata.namespace', 'Required value']]],
  ['a bad namespace', pod, (o) => (o.metadata.namespace = 'Bad_NS'), [['metadata.namespace', /^Invalid value: "Bad_NS": a lowercase RFC 1123 label/]]],
  ['a namespace on a node', R.nodes, (o) => (o.metadata.namespace = 'default'), [['metadata.namespace', 'Forbidden: not allowed on this type']]],
  ['a bad label key', pod, (o) => (o.metadata.labels = { 'a b': 'x' }), [['metadata.labels', /^Invalid value: "a b": name part must consist of/]]],
  ['a bad label value', pod, (o) => (o.metadata.labels = { a: '-x' }), [['metadata.labels', /^Invalid value: "-x": a valid label must be an empty string/]]],
  ['a bad annotation key', pod, (o) => (o.metadata.annotations = { '/x': 'y' }), [['metadata.annotations', /prefix part must be non-empty/]]],
  ['annotations too large', pod, (o) => (o.metadata.annotations = { big: 'x'.repeat(256 * 1024) }), [['metadata.annotations', 'Too long: must have at most 262144 bytes']]],
  ['a bad finalizer', pod, (o) => (o.metadata.finalizers = ['bad finalizer']), [['metadata.finalizers[0]', /name part must consist/]]],
  ['an owner reference without uid', pod, (o) => (o.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs' }]), [['metadata.ownerReferences[0].uid', 'Invalid value: "": uid must not be empty']]],

  // pods
  ['no containers', pod, (o) => (o.spec.containers = []), [['spec.containers', 'Required value']]],
  ['no image', pod, (o) => delete o.spec.containers[0].image, [['spec.containers[0].image', 'Required value']]],
  ['a duplicate container name', pod, (o) => o.spec.containers.push({ name: 'nginx', image: 'x' }), [['spec.containers[1].name', 'Duplicate value: "nginx"']]],
  ['a bad container name', pod, (o) => (o.spec.containers[0].name = 'Web_1'), [['spec.containers[0].name', /^Invalid value: "Web_1": a lowercase RFC 1123 label/]]],
  ['a port out of range', pod, (o) => (o.spec.containers[0].ports[0].containerPort = 70000), [['spec.containers[0].ports[0].containerPort', 'Invalid value: 70000: must be between 1 and 65535, inclusive']]],
  ['a zero port', pod, (o) => (o.spec.containers[0].ports[0].containerPort = 0), [['spec.containers[0].ports[0].containerPort', 'Required value']]],
  ['a bad protocol', pod, (o) => (o.spec.containers[0].ports[0].protocol = 'ICMP'), [['spec.containers[0].ports[0].protocol', 'Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"']]],
  ['duplicate port names', pod, (o) => o.spec.containers[0].ports.push({ containerPort: 81, name: 'http' }), [['spec.containers[0].ports[1].name', 'Duplicate value: "http"']]],
  ['duplicate host ports', pod, (o) => { o.spec.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81, hostPort: 8080 }]; o.spec.containers[0].readinessProbe.tcpSocket.port = 80; }, [['spec.containers[0].ports[1].hostPort', 'Duplicate value: "8080/TCP"']]],
  ['a bad restartPolicy', pod, (o) => (o.spec.restartPolicy = 'Sometimes'), [['spec.restartPolicy', 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']]],
  ['a bad imagePullPolicy', pod, (o) => (o.spec.containers[0].imagePullPolicy = 'Maybe'), [['spec.containers[0].imagePullPolicy', 'Unsupported value: "Maybe": supported values: "Always", "IfNotPresent", "Never"']]],
  ['a bad quantity', pod, (o) => (o.spec.containers[0].resources.limits.cpu = 'lots'), [['spec.containers[0].resources.limits[cpu]', `Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`]]],
  ['requests over limits', pod, (o) => (o.spec.containers[0].resources.requests.memory = '2Gi'), [['spec.containers[0].resources.requests[memory]', 'Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi']]],
  ['requests over limits, printed canonically', pod, (o) => { o.spec.containers[0].resources.requests.memory = '2048Mi'; o.spec.containers[0].resources.limits.memory = '1024Mi'; }, [['spec.containers[0].resources.requests[memory]', 'Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi']]],
  ['numeric quantities', pod, (o) => (o.spec.containers[0].resources = { requests: { cpu: 0.5 }, limits: { cpu: 1 } }), []],
  ['a negative quantity', pod, (o) => (o.spec.containers[0].resources.requests.cpu = '-1'), [['spec.containers[0].resources.requests[cpu]', 'Invalid value: "-1": must be greater than or equal to 0']]],
  ['an unknown resource name', pod, (o) => (o.spec.containers[0].resources.limits.gpu = '1'), [['spec.containers[0].resources.limits[gpu]', 'Invalid value: "gpu": must be a standard resource type or fully qualified']]],
  ['a probe without handler', pod, (o) => (o.spec.containers[0].livenessProbe = { periodSeconds: 5 }), [['spec.containers[0].livenessProbe', 'Required value: must specify a handler type']]],
  ['a probe with two handlers', pod, (o) => (o.spec.containers[0].livenessProbe.exec = { command: ['true'] }), [['spec.containers[0].livenessProbe.httpGet', 'Forbidden: may not specify more than 1 handler type']]],
  ['a liveness successThreshold of 2', pod, (o) => (o.spec.containers[0].livenessProbe.successThreshold = 2), [['spec.containers[0].livenessProbe.successThreshold', 'Invalid value: 2: must be 1']]],
  ['a negative probe period', pod, (o) => (o.spec.containers[0].readinessProbe.periodSeconds = -1), [['spec.containers[0].readinessProbe.periodSeconds', 'Invalid value: -1: must be greater than or equal to 0']]],
  ['a bad probe port', pod, (o) => (o.spec.containers[0].livenessProbe.httpGet.port = 0), [['spec.containers[0].livenessProbe.httpGet.port', 'Required value']]],
  ['an env var with =', pod, (o) => (o.spec.containers[0].env[0].name = 'A=B'), [['spec.containers[0].env[0].name', /^Invalid value: "A=B": a valid environment variable name/]]],
  ['an env var without name', pod, (o) => (o.spec.containers[0].env[0] = { value: 'x' }), [['spec.containers[0].env[0].name', 'Required value']]],
  ['an env var with value and valueFrom', pod, (o) => (o.spec.containers[0].env[0].valueFrom = { fieldRef: { fieldPath: 'metadata.name' } }), [['spec.containers[0].env[0].valueFrom', 'Invalid value: "": may not be specified when `value` is not empty']]],
  ['duplicate volume names', pod, (o) => o.spec.volumes.push({ name: 'data', emptyDir: {} }), [['spec.volumes[1].name', 'Duplicate value: "data"']]],
  ['a volume with two sources', pod, (o) => (o.spec.volumes[0].hostPath = { path: '/x' }), [['spec.volumes[0].hostPath', 'Forbidden: may not specify more than 1 volume type']]],
  ['a volume without a source', pod, (o) => (o.spec.volumes[0] = { name: 'data' }), [['spec.volumes[0]', 'Required value: must specify a volume type']]],
  ['an ephemeral volume', pod, (o) => (o.spec.volumes[0] = { name: 'data', ephemeral: { volumeClaimTemplate: { metadata: { labels: { app: 'web' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } }), []],
  ['an ephemeral volume without a template', pod, (o) => (o.spec.volumes[0] = { name: 'data', ephemeral: {} }), [['spec.volumes[0].ephemeral.volumeClaimTemplate', 'Required value']]],
  ['an ephemeral volume template naming its claim', pod, (o) => (o.spec.volumes[0] = { name: 'data', ephemeral: { volumeClaimTemplate: { metadata: { name: 'mine', labels: { 'a b': 'x' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } }), [
    ['spec.volumes[0].ephemeral.volumeClaimTemplate.metadata.labels', /^Invalid value: "a b": name part must consist of alphanumeric characters/],
    ['spec.volumes[0].ephemeral.volumeClaimTemplate.metadata.name', 'Forbidden: cannot be set for an ephemeral volume'],
  ]],
  ['an ephemeral volume template with a bad claim spec', pod, (o) => (o.spec.volumes[0] = { name: 'data', ephemeral: { volumeClaimTemplate: { spec: { resources: { requests: { storage: '0' } } } } } }), [
    ['spec.volumes[0].ephemeral.volumeClaimTemplate.spec.accessModes', 'Required value: at least 1 access mode is required'],
    ['spec.volumes[0].ephemeral.volumeClaimTemplate.spec.resources[storage]', 'Invalid value: "0": must be greater than zero'],
  ]],
  ['an ephemeral volume whose claim name is too long', pod, (o) => { o.metadata.name = 'w'.repeat(250); o.spec.volumes[0] = { name: 'data', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } }; }, [
    ['spec.volumes[0].name', `Invalid value: "data": PVC name "${'w'.repeat(250)}-data": must be no more than 253 characters`],
  ]],
  ['a mount of a missing volume', pod, (o) => (o.spec.containers[0].volumeMounts[0].name = 'nope'), [['spec.containers[0].volumeMounts[0].name', 'Not found: "nope"']]],
  ['a duplicate mountPath', pod, (o) => o.spec.containers[0].volumeMounts.push({ name: 'data', mountPath: '/data' }), [['spec.containers[0].volumeMounts[1].mountPath', 'Invalid value: "/data": must be unique']]],
  ['a bad toleration', pod, (o) => (o.spec.tolerations = [{ key: 'a', operator: 'Exists', value: 'x' }]), [['spec.tolerations[0].operator', `Invalid value: "x": value must be empty when \`operator\` is 'Exists'`]]],
  ['a bad toleration effect', pod, (o) => (o.spec.tolerations = [{ operator: 'Exists', effect: 'Never' }]), [['spec.tolerations[0].effect', 'Unsupported value: "Never": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"']]],
  ['a bad nodeSelector', pod, (o) => (o.spec.nodeSelector = { 'x y': 'z' }), [['spec.nodeSelector', /^Invalid value: "x y"/]]],
  ['a node affinity with a bad operator', pod, (o) => (o.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'Near', values: ['a'] }] }] } } }), [['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator', 'Unsupported value: "Near": supported values: "DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn"']]],
  ['a node affinity Gt without an integer', pod, (o) => (o.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['many'] }] }] } } }), [['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]', 'Invalid value: "many": must be an integer']]],
  ['no node selector terms', pod, (o) => (o.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } }), [['spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms', 'Required value: must have at least one node selector term']]],
  ['a preferred weight of 0', pod, (o) => (o.spec.affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] } }] } }), [['spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight', 'Invalid value: 0: must be in the range 1-100']]],
  ['a pod anti-affinity without topologyKey', pod, (o) => (o.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: '' }] } }), [['spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey', 'Required value: can not be empty']]],
  ['a valid affinity', pod, (o) => (o.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-1'] }], matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] }] } }, podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' } }] } }), []],
  ['a topology spread constraint', pod, (o) => (o.spec.topologySpreadConstraints = [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'Maybe' }]), [['spec.topologySpreadConstraints[0].maxSkew', 'Invalid value: 0: must be greater than zero'], ['spec.topologySpreadConstraints[0].whenUnsatisfiable', 'Unsupported value: "Maybe": supported values: "DoNotSchedule", "ScheduleAnyway"']]],
  ['a bad phase', pod, (o) => (o.status = { phase: 'Sleeping' }), [['status.phase', 'Unsupported value: "Sleeping": supported values: "Pending", "Running", "Succeeded", "Failed", "Unknown"']]],

  // deployments and friends
  ['negative replicas', dep, (o) => (o.spec.replicas = -1), [['spec.replicas', 'Invalid value: -1: must be greater than or equal to 0']]],
  ['no selector', dep, (o) => delete o.spec.selector, [['spec.selector', 'Required value']]],
  ['an empty selector', dep, (o) => (o.spec.selector = {}), [['spec.selector', 'Invalid value: {}: empty selector is invalid for deployment']]],
  ['a selector that does not match', dep, (o) => (o.spec.template.metadata.labels = { app: 'web', tier: 'x' }), [['spec.template.metadata.labels', 'Invalid value: map[string]string{"app":"web", "tier":"x"}: `selector` does not match template `labels`']]],
  ['a bad selector operator', R.replicasets, (o) => (o.spec.selector.matchExpressions[0].operator = 'Near'), [['spec.selector.matchExpressions[0].operator', 'Invalid value: "Near": not a valid selector operator']]],
  ['a bad strategy', dep, (o) => (o.spec.strategy = { type: 'BlueGreen' }), [['spec.strategy.type', 'Unsupported value: "BlueGreen": supported values: "Recreate", "RollingUpdate"']]],
  ['Recreate with rollingUpdate', dep, (o) => (o.spec.strategy = { type: 'Recreate', rollingUpdate: { maxSurge: 1 } }), [['spec.strategy.rollingUpdate', "Forbidden: may not be specified when strategy `type` is 'Recreate'"]]],
  ['maxSurge and maxUnavailable both 0', dep, (o) => (o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } }), [['spec.strategy.rollingUpdate.maxUnavailable', 'Invalid value: "0%": may not be 0 when `maxSurge` is 0']]],
  ['a bad percent', dep, (o) => (o.spec.strategy = { rollingUpdate: { maxSurge: '25' } }), [['spec.strategy.rollingUpdate.maxSurge', /^Invalid value: "25": a valid percent string must be a numeric string followed by an ending '%'/]]],
  ['over 100%', dep, (o) => (o.spec.strategy = { rollingUpdate: { maxUnavailable: '150%' } }), [['spec.strategy.rollingUpdate.maxUnavailable', 'Invalid value: "150%": must not be greater than 100%']]],
  ['a template restartPolicy Never', dep, (o) => (o.spec.template.spec.restartPolicy = 'Never'), [['spec.template.spec.restartPolicy', 'Unsupported value: "Never": supported values: "Always"']]],
  ['a template without containers', dep, (o) => (o.spec.template.spec.containers = []), [['spec.template.spec.containers', 'Required value']]],
  ['progressDeadlineSeconds ≤ minReadySeconds', dep, (o) => { o.spec.minReadySeconds = 10; o.spec.progressDeadlineSeconds = 10; }, [['spec.progressDeadlineSeconds', 'Invalid value: 10: must be greater than minReadySeconds']]],
  ['status readyReplicas over replicas', dep, (o) => (o.status = { replicas: 1, readyReplicas: 2, availableReplicas: 1 }), [['status.readyReplicas', 'Invalid value: 2: cannot be greater than status.replicas']]],
  ['a DaemonSet strategy', R.daemonsets, (o) => (o.spec.updateStrategy = { type: 'Whenever' }), [['spec.updateStrategy.type', 'Unsupported value: "Whenever": supported values: "OnDelete", "RollingUpdate"']]],

  // services
  ['no ports', svc, (o) => (o.spec.ports = []), [['spec.ports', 'Required value']]],
  ['headless without ports', svc, (o) => { o.spec.type = 'ClusterIP'; o.spec.clusterIP = 'None'; o.spec.ports = []; }, []],
  ['a port out of range', svc, (o) => (o.spec.ports[0].port = 0), [['spec.ports[0].port', 'Invalid value: 0: must be between 1 and 65535, inclusive']]],
  ['a nodePort out of range', svc, (o) => (o.spec.ports[0].nodePort = 80), [['spec.ports[0].nodePort', 'Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767']]],
  ['a nodePort on ClusterIP', svc, (o) => (o.spec.type = 'ClusterIP'), [['spec.ports[0].nodePort', "Forbidden: may not be used when `type` is 'ClusterIP'"]]],
  ['a bad type', svc, (o) => (o.spec.type = 'Ingress'), [['spec.type', 'Unsupported value: "Ingress": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']]],
  ['unnamed ports when several', svc, (o) => o.spec.ports.push({ port: 443, name: 'https' }), [['spec.ports[0].name', 'Required value']]],
  ['duplicate port names', svc, (o) => { o.spec.ports = [{ name: 'a', port: 80 }, { name: 'a', port: 81 }]; }, [['spec.ports[1].name', 'Duplicate value: "a"']]],
  ['a bad targetPort', svc, (o) => (o.spec.ports[0].targetPort = 99999), [['spec.ports[0].targetPort', 'Invalid value: 99999: must be between 1 and 65535, inclusive']]],
  ['a bad clusterIP', svc, (o) => (o.spec.clusterIP = 'abc'), [['spec.clusterIP', 'Invalid value: "abc": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']]],
  ['ExternalName without a name', svc, (o) => { o.spec = { type: 'ExternalName' }; }, [['spec.externalName', 'Required value']]],

  // other kinds
  ['a bad taint effect', R.nodes, (o) => (o.spec.taints[0].effect = 'Maybe'), [['spec.taints[0].effect', 'Unsupported value: "Maybe": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"']]],
  ['a bad capacity', R.nodes, (o) => (o.status.capacity.cpu = 'two'), [['status.capacity[cpu]', /^Invalid value: "two": quantities must match/]]],
  ['a bad podCIDR', R.nodes, (o) => (o.spec.podCIDR = '10.0.0.0'), [['spec.podCIDR', 'Invalid value: "10.0.0.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']]],
  ['a bad namespace finalizer', R.namespaces, (o) => (o.spec = { finalizers: ['foo'] }), [['spec.finalizers[0]', 'Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified']]],
  ['a bad namespace phase', R.namespaces, (o) => (o.status = { phase: 'Gone' }), [['status.phase', 'Unsupported value: "Gone": supported values: "Active", "Terminating"']]],
  ['a bad configmap key', R.configmaps, (o) => (o.data = { 'a/b': 'x' }), [['data[a/b]', /^Invalid value: "a\/b": a valid config key must consist of alphanumeric characters/]]],
  ['a configmap key in data and binaryData', R.configmaps, (o) => (o.binaryData = { 'app.conf': 'eA==' }), [['data[app.conf]', 'Invalid value: "app.conf": duplicate of key present in binaryData']]],
  ['a bad secret key', R.secrets, (o) => (o.data = { '..x': 'eA==' }), [['data[..x]', `Invalid value: "..x": must not start with '..'`]]],
  ['a TLS secret without its keys', R.secrets, (o) => (o.type = 'kubernetes.io/tls'), [['data[tls.crt]', 'Required value'], ['data[tls.key]', 'Required value']]],
  ['a bad endpoint IP', R.endpoints, (o) => (o.subsets[0].addresses[0].ip = 'x'), [['subsets[0].addresses[0].ip', 'Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']]],
  ['an event for another namespace', R.events, (o) => (o.involvedObject.namespace = 'other'), [['involvedObject.namespace', 'Invalid value: "other": does not match event.namespace']]],
  ['an event about a node, in default', R.events, (o) => (o.involvedObject = { kind: 'Node', name: 'node-1' }), []],
  ['an event about a node, elsewhere', R.events, (o) => { o.involvedObject = { kind: 'Node', name: 'node-1' }; o.metadata.namespace = 'team-a'; }, [['involvedObject.namespace', 'Invalid value: "": does not match event.namespace']]],
  ['a new-style event without reporter', R.events, (o) => (o.eventTime = '2026-11-23T06:49:03.000000Z'), [['reportingController', 'Required value'], ['reportingInstance', 'Required value'], ['action', 'Required value']]],
  ['a complete new-style event', R.events, (o) => Object.assign(o, { eventTime: '2026-11-23T06:49:03.000000Z', reportingComponent: 'steer.io/scheduler', reportingInstance: 'sched-1', action: 'Binding' }), []],
  ['an upper-case event name', R.events, (o) => (o.metadata.name = 'Web.1'), [['metadata.name', /a lowercase RFC 1123 subdomain/]]],
  ['a bad event type', R.events, (o) => (o.type = 'Info'), [['type', 'Unsupported value: "Info": supported values: "Normal", "Warning"']]],
  ['a zero lease duration', R.leases, (o) => (o.spec.leaseDurationSeconds = 0), [['spec.leaseDurationSeconds', 'Invalid value: 0: must be greater than 0']]],
];

function matchCauses(causes: FieldCause[], want: Array<[string, string | RegExp]>): void {
  expect(causes.map((c) => c.field)).toEqual(want.map(([f]) => f));
  causes.forEach((c, i) => {
    const [, message] = want[i];
    if (typeof message === 'string') expect(c.message).toBe(message);
    else expect(c.message).toMatch(message);
  });
}

describe('validate', () => {
  it.each(cases)('%s', (_d, resource, edit, want) => {
    const obj = sample(resource);
    edit(obj);
    matchCauses(validate(resource, obj), want);
  });

  it('gives the reasons Kubernetes gives', () => {
    const reasons = (r: ResourceType, edit: (o: Obj) => void): string[] => {
      const o = sample(r);
      edit(o);
      return validate(r, o).map((c) => c.reason);
    };
    expect(reasons(dep, (o) => (o.spec.replicas = -1))).toEqual(['FieldValueInvalid']);
    expect(reasons(pod, (o) => delete o.spec.containers[0].image)).toEqual(['FieldValueRequired']);
    expect(reasons(pod, (o) => (o.spec.restartPolicy = 'x'))).toEqual(['FieldValueNotSupported']);
    expect(reasons(pod, (o) => o.spec.volumes.push({ name: 'data', emptyDir: {} }))).toEqual(['FieldValueDuplicate']);
    expect(reasons(pod, (o) => (o.metadata.annotations = { a: 'x'.repeat(300000) }))).toEqual(['FieldValueTooLong']);
    expect(reasons(R.nodes, (o) => (o.metadata.namespace = 'x'))).toEqual(['FieldValueForbidden']);
    expect(reasons(pod, (o) => (o.spec.containers[0].volumeMounts[0].name = 'x'))).toEqual(['FieldValueNotFound']);
  });
});

describe('validate on update', () => {
  const updateCases: Array<[string, ResourceType, (o: Obj) => void, Array<[string, string | RegExp]>]> = [
    ['a changed deployment selector', dep, (o) => { o.spec.selector = { matchLabels: { app: 'other' } }; o.spec.template.metadata.labels = { app: 'other' }; }, [['spec.selector', 'Invalid value: {"matchLabels":{"app":"other"}}: field is immutable']]],
    ['a scaled deployment', dep, (o) => (o.spec.replicas = 10), []],
    ['a renamed object', R.configmaps, (o) => (o.metadata.name = 'other'), [['metadata.name', 'Invalid value: "other": field is immutable']]],
    ['a new pod image', pod, (o) => (o.spec.containers[0].image = 'nginx:1.26'), []],
    ['a binding', pod, (o) => (o.spec.nodeName = 'node-1'), []],
    ['a changed pod port', pod, (o) => (o.spec.containers[0].ports[0].containerPort = 81), [['spec', /^Forbidden: pod updates may not change fields other than/]]],
    ['a changed service clusterIP', svc, (o) => { o.spec.clusterIP = '10.96.0.99'; o.spec.clusterIPs = ['10.96.0.99']; }, [['spec.clusterIP', 'Invalid value: "10.96.0.99": field is immutable']]],
    ['a changed secret type', R.secrets, (o) => (o.type = 'example.com/x'), [['type', 'Invalid value: "example.com/x": field is immutable']]],
    ['changed quota scopes', R.resourcequotas, (o) => (o.spec.scopes = ['NotTerminating']), [['spec.scopes', 'Invalid value: []core.ResourceQuotaScope{"NotTerminating"}: field is immutable']]],
    ['a changed quota scope selector', R.resourcequotas, (o) => (o.spec.scopeSelector = { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'Exists' }] }), []],
  ];
  it.each(updateCases)('%s', (_d, r, edit, want) => {
    const old = sample(r);
    applyDefaults(r, old, alloc);
    const next = clone(old);
    edit(next);
    matchCauses(validate(r, next, old), want);
  });

  it('lets a pod be rebound nowhere else', () => {
    const old = sample(pod);
    old.spec.nodeName = 'node-1';
    const next = clone(old);
    next.spec.nodeName = 'node-2';
    expect(validate(pod, next, old).map((c) => c.field)).toEqual(['spec']);
  });

  it('rejects changes to an immutable configmap', () => {
    const old: Obj = { ...sample(R.configmaps), immutable: true };
    const next = clone(old);
    next.data = { other: 'x' };
    matchCauses(validate(R.configmaps, next, old), [['data', 'Forbidden: field is immutable when `immutable` is set']]);
  });
});

describe('the autoscaling, batch CronJob and policy rules', () => {
  const hpa = (spec: Obj) => ({ ...valid.horizontalpodautoscalers, spec: { ...(valid.horizontalpodautoscalers.spec as Obj), ...spec } });
  it('refuses maxReplicas below minReplicas and unknown targets', () => {
    matchCauses(validate(R.horizontalpodautoscalers, hpa({ minReplicas: 4, maxReplicas: 2 })), [['spec.maxReplicas', 'Invalid value: 2: must be greater than or equal to `minReplicas`']]);
    const bad = hpa({ metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization' } } }] });
    matchCauses(validate(R.horizontalpodautoscalers, bad), [['spec.metrics[0].resource.target.averageUtilization', 'Required value: must set averageUtilization when type is Utilization']]);
  });
  it('refuses a schedule of six fields or with TZ, an unknown time zone, a long name', () => {
    const cj = (spec: Obj, name = 'hello') => ({ ...valid.cronjobs, metadata: { name, namespace: 'default' }, spec: { ...(valid.cronjobs.spec as Obj), ...spec } });
    matchCauses(validate(R.cronjobs, cj({ schedule: '0 * * * * *' })), [['spec.schedule', 'Invalid value: "0 * * * * *": expected exactly 5 fields, found 6: [0 * * * * *]']]);
    matchCauses(validate(R.cronjobs, cj({ schedule: 'TZ=UTC 0 * * * *' })), [['spec.schedule', 'Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']]);
    matchCauses(validate(R.cronjobs, cj({ timeZone: 'Mars/Olympus' })), [['spec.timeZone', 'Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus']]);
    expect(validate(R.cronjobs, cj({}, 'x'.repeat(53))).map((c) => c.field)).toEqual(['metadata.name']);
    // robfig's descriptors and @every are schedules kube accepts.
    for (const schedule of ['@every 90s', '@hourly', '@annually', '0 9 * jan-mar mon-fri']) expect(validate(R.cronjobs, cj({ schedule }))).toEqual([]);
    matchCauses(validate(R.cronjobs, cj({ schedule: '0 0 * * 7' })), [['spec.schedule', 'Invalid value: "0 0 * * 7": end of range (7) above maximum (6): 7']]);
    matchCauses(validate(R.cronjobs, cj({ timeZone: 'Local' })), [['spec.timeZone', 'Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones']]);
    // A CronJob stored with TZ in its schedule (before .spec.timeZone) may keep it, but not next to a timeZone.
    const legacy = cj({ schedule: 'TZ=UTC 0 * * * *', timeZone: undefined });
    expect(validate(R.cronjobs, cj({ schedule: 'TZ=UTC 5 * * * *', timeZone: undefined }), legacy)).toEqual([]);
    matchCauses(validate(R.cronjobs, cj({ schedule: 'TZ=UTC 5 * * * *', timeZone: 'UTC' }), legacy), [['spec.schedule', 'Invalid value: "TZ=UTC 5 * * * *": cannot use both timeZone field and TZ or CRON_TZ in schedule']]);
  });
  it('refuses a budget with both minAvailable and maxUnavailable, or over 100%', () => {
    const pdb = (spec: Obj) => ({ ...valid.poddisruptionbudgets, spec: { selector: { matchLabels: { app: 'web' } }, ...spec } });
    expect(validate(R.poddisruptionbudgets, pdb({ minAvailable: 1, maxUnavailable: 1 })).map((c) => c.message)).toEqual([expect.stringContaining('minAvailable and maxUnavailable cannot be both set')]);
    matchCauses(validate(R.poddisruptionbudgets, pdb({ maxUnavailable: '120%' })), [['spec.maxUnavailable', 'Invalid value: "120%": must not be greater than 100%']]);
  });
});

describe('validate never throws', () => {
  const junk: unknown[] = [null, undefined, 0, 'x', [], true, {}, { metadata: null }, { metadata: [] }, { spec: null }, { spec: 'x' }, { spec: { containers: [null, 'x', 1] } }, { spec: { template: [] } }, { spec: { selector: 'app=x' } }, { metadata: { labels: [] } }, { data: { a: 1 } }, { subsets: [{ addresses: 'x' }] }, { spec: { ports: [{ port: 'x' }] } }, { involvedObject: 'x' }, { spec: { containers: [null] } }, { spec: { template: { spec: { containers: [{ ports: [null], env: [null] }] } } } }, { metadata: { labels: { a: null } } }, { spec: { ports: [null] } }, { subsets: [null] }, { data: { a: null } }, { spec: { taints: [null], replicas: null, selector: null, template: null, strategy: null } }, { metadata: { creationTimestamp: null, ownerReferences: [null] } }];
  const resources = allResources.map((r) => [r.resource, r] as const);
  it.each(resources)('%s', (_name, r) => {
    for (const j of junk) {
      const causes = validate(r, clone(j));
      expect(Array.isArray(causes)).toBe(true);
      if (j === null || typeof j !== 'object' || Array.isArray(j)) expect(causes.length).toBeGreaterThan(0);
      expect(() => validate(r, valid[r.resource], j)).not.toThrow();
    }
  });
});

describe('validate on absurdly deep JSON', () => {
  it('reports instead of throwing', () => {
    let deep: Obj = {};
    for (let i = 0; i < 100000; i++) deep = { a: deep };
    const obj = { ...sample(pod), status: deep };
    expect(validate(pod, obj)).toEqual([{ reason: 'FieldValueInvalid', field: '<root>', message: 'Invalid value: {…}: object is nested too deeply' }]);
  });
});

describe('causesToMessage', () => {
  it('joins causes as Kubernetes does', () => {
    expect(causesToMessage([{ reason: 'FieldValueRequired', field: 'a', message: 'Required value' }])).toBe('a: Required value');
    expect(
      causesToMessage([
        { reason: 'FieldValueRequired', field: 'a', message: 'Required value' },
        { reason: 'FieldValueInvalid', field: 'b', message: 'Invalid value: 1: x' },
      ]),
    ).toBe('[a: Required value, b: Invalid value: 1: x]');
  });
});
