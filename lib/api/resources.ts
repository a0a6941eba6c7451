// The API resources steer serves and its components use: one table, shared by the apiserver's
// discovery and routing and by every client, so a path or a kind is spelled in one place.

export interface ResourceType {
  group: string; // '' for the core group
  version: string;
  resource: string; // plural, lower case: 'pods'
  kind: string; // 'Pod'
  listKind: string; // 'PodList'
  singular: string; // 'pod'
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: string[]; // 'status', 'scale', 'binding', 'log', 'eviction'
  /** The verbs served, when not all of them (create-only reviews: ['create']). */
  verbs?: string[];
}

function rt(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  shortNames: string[] = [],
  categories: string[] = [],
  subresources: string[] = [],
): ResourceType {
  return {
    group,
    version,
    resource,
    kind,
    listKind: `${kind}List`,
    singular: kind.toLowerCase(),
    namespaced,
    shortNames,
    categories,
    subresources,
  };
}

/** A kind computed on every read and never stored (ComponentStatus): get and list only. */
function readOnlyKind(r: ResourceType): ResourceType {
  return { ...r, verbs: ['get', 'list'] };
}

/** A create-only kind (an access or token review): answered at once, never stored, listed or watched. */
function reviewKind(r: ResourceType): ResourceType {
  return { ...r, verbs: ['create'] };
}

export const Resources = {
  namespaces: rt('', 'v1', 'namespaces', 'Namespace', false, ['ns'], [], ['status', 'finalize']),
  nodes: rt('', 'v1', 'nodes', 'Node', false, ['no'], [], ['status', 'proxy']),
  pods: rt('', 'v1', 'pods', 'Pod', true, ['po'], ['all'], ['status', 'ephemeralcontainers', 'binding', 'log', 'eviction', 'exec', 'attach', 'portforward', 'proxy']),
  services: rt('', 'v1', 'services', 'Service', true, ['svc'], ['all'], ['status', 'proxy']),
  endpoints: rt('', 'v1', 'endpoints', 'Endpoints', true, ['ep']),
  events: rt('', 'v1', 'events', 'Event', true, ['ev']),
  configmaps: rt('', 'v1', 'configmaps', 'ConfigMap', true, ['cm']),
  secrets: rt('', 'v1', 'secrets', 'Secret', true),
  serviceaccounts: rt('', 'v1', 'serviceaccounts', 'ServiceAccount', true, ['sa'], [], ['token']),
  deployments: rt('apps', 'v1', 'deployments', 'Deployment', true, ['deploy'], ['all'], ['status', 'scale']),
  replicasets: rt('apps', 'v1', 'replicasets', 'ReplicaSet', true, ['rs'], ['all'], ['status', 'scale']),
  daemonsets: rt('apps', 'v1', 'daemonsets', 'DaemonSet', true, ['ds'], ['all'], ['status']),
  statefulsets: rt('apps', 'v1', 'statefulsets', 'StatefulSet', true, ['sts'], ['all'], ['status', 'scale']),
  controllerrevisions: rt('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true),
  persistentvolumes: rt('', 'v1', 'persistentvolumes', 'PersistentVolume', false, ['pv'], [], ['status']),
  persistentvolumeclaims: rt('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, ['pvc'], [], ['status']),
  storageclasses: rt('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false, ['sc']),
  jobs: rt('batch', 'v1', 'jobs', 'Job', true, [], ['all'], ['status']),
  cronjobs: rt('batch', 'v1', 'cronjobs', 'CronJob', true, ['cj'], ['all'], ['status']),
  horizontalpodautoscalers: rt('autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', true, ['hpa'], ['all'], ['status']),
  poddisruptionbudgets: rt('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, ['pdb'], [], ['status']),
  // Served and stored as kube-apiserver serves them; steer runs no ingress controller and its bridge
  // network does not enforce NetworkPolicies (as a cluster whose CNI plugin does not).
  ingresses: rt('networking.k8s.io', 'v1', 'ingresses', 'Ingress', true, ['ing'], [], ['status']),
  ingressclasses: rt('networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', false),
  networkpolicies: rt('networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', true, ['netpol']),
  leases: rt('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  endpointslices: rt('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  roles: rt('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
  rolebindings: rt('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
  clusterroles: rt('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
  clusterrolebindings: rt('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
  customresourcedefinitions: rt('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, ['crd', 'crds'], [], ['status']),
  // Legacy kinds clients still exercise (kubectl create quota/priorityclass, get cs, scale rc).
  replicationcontrollers: rt('', 'v1', 'replicationcontrollers', 'ReplicationController', true, ['rc'], ['all'], ['status', 'scale']),
  podtemplates: rt('', 'v1', 'podtemplates', 'PodTemplate', true),
  limitranges: rt('', 'v1', 'limitranges', 'LimitRange', true, ['limits']),
  resourcequotas: rt('', 'v1', 'resourcequotas', 'ResourceQuota', true, ['quota'], [], ['status']),
  componentstatuses: readOnlyKind(rt('', 'v1', 'componentstatuses', 'ComponentStatus', false, ['cs'])),
  priorityclasses: rt('scheduling.k8s.io', 'v1', 'priorityclasses', 'PriorityClass', false, ['pc']),
  // A pod's runtimeClassName: the CRI runtime handler its sandbox runs with, its overhead and placement.
  runtimeclasses: rt('node.k8s.io', 'v1', 'runtimeclasses', 'RuntimeClass', false),
  // kubectl certificate approve/deny write /approval; signers write the certificate through /status.
  certificatesigningrequests: rt('certificates.k8s.io', 'v1', 'certificatesigningrequests', 'CertificateSigningRequest', false, ['csr'], [], ['status', 'approval']),
  // Admission webhooks: the apiserver calls them on the writes their rules match (apiserver/admission/webhook/).
  mutatingwebhookconfigurations: rt('admissionregistration.k8s.io', 'v1', 'mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', false, [], ['api-extensions']),
  validatingwebhookconfigurations: rt('admissionregistration.k8s.io', 'v1', 'validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', false, [], ['api-extensions']),
  // CEL admission policies and their bindings (kube 1.30+): stored and served; the ValidatingAdmissionPolicy
  // plugin evaluates them (apiserver/admission/policy/).
  validatingadmissionpolicies: rt('admissionregistration.k8s.io', 'v1', 'validatingadmissionpolicies', 'ValidatingAdmissionPolicy', false, [], ['api-extensions'], ['status']),
  validatingadmissionpolicybindings: rt('admissionregistration.k8s.io', 'v1', 'validatingadmissionpolicybindings', 'ValidatingAdmissionPolicyBinding', false, [], ['api-extensions']),
  // Create-only reviews, answered by the authorizer and never stored.
  selfsubjectaccessreviews: reviewKind(rt('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false)),
  selfsubjectrulesreviews: reviewKind(rt('authorization.k8s.io', 'v1', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false)),
  subjectaccessreviews: reviewKind(rt('authorization.k8s.io', 'v1', 'subjectaccessreviews', 'SubjectAccessReview', false)),
  localsubjectaccessreviews: reviewKind(rt('authorization.k8s.io', 'v1', 'localsubjectaccessreviews', 'LocalSubjectAccessReview', true)),
  tokenreviews: reviewKind(rt('authentication.k8s.io', 'v1', 'tokenreviews', 'TokenReview', false)),
  selfsubjectreviews: reviewKind(rt('authentication.k8s.io', 'v1', 'selfsubjectreviews', 'SelfSubjectReview', false)),
} as const;

export const allResources: ResourceType[] = Object.values(Resources);

/**
 * The resource metrics API (metrics.k8s.io/v1beta1, metrics-server's in Kubernetes): read-only views of
 * the node agents' measurements, never stored, so outside allResources (no strategy, bucket or
 * namespace cleanup); the apiserver's metrics API serves them and discovery lists them.
 */
const metricsKind = (r: ResourceType): ResourceType => ({ ...r, singular: '', verbs: ['get', 'list'] });
export const MetricsResources = {
  pods: metricsKind(rt('metrics.k8s.io', 'v1beta1', 'pods', 'PodMetrics', true)),
  nodes: metricsKind(rt('metrics.k8s.io', 'v1beta1', 'nodes', 'NodeMetrics', false)),
} as const;

/**
 * autoscaling/v1 HorizontalPodAutoscalers: the same objects as autoscaling/v2, converted on the way in
 * and out (kube serves both versions of one stored kind; kubectl 1.20's `autoscale` writes v1).
 */
export const HpaV1Resource: ResourceType = { ...Resources.horizontalpodautoscalers, version: 'v1' };

/** batch/v1beta1 CronJobs: the batch/v1 objects, converted (kubectl 1.20's `create cronjob` writes v1beta1). */
export const CronJobV1beta1Resource: ResourceType = { ...Resources.cronjobs, version: 'v1beta1' };

/** events.k8s.io/v1 Events: the core/v1 Events, their fields renamed (client-go's newer event recorder writes them). */
export const EventsV1Resource: ResourceType = rt('events.k8s.io', 'v1', 'events', 'Event', true, ['ev']);

/** Every resource a path can name: the stored ones, the metrics API and the other served versions. */
/** Served but not stored under their own bucket: the metrics API and the other served versions of stored kinds. */
export const servedOnlyResources: ResourceType[] = [...Object.values(MetricsResources), HpaV1Resource, CronJobV1beta1Resource, EventsV1Resource];
export const servedResources: ResourceType[] = [...allResources, ...servedOnlyResources];

/** 'apps/v1' or 'v1'. */
export function groupVersion(r: Pick<ResourceType, 'group' | 'version'>): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** The URL path of a collection or object: /api/v1/namespaces/default/pods/web/status. */
export function resourcePath(
  r: ResourceType,
  where: { namespace?: string; name?: string; subresource?: string } = {},
): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (r.namespaced && where.namespace) p += `/namespaces/${encodeURIComponent(where.namespace)}`;
  p += `/${r.resource}`;
  if (where.name !== undefined) {
    p += `/${encodeURIComponent(where.name)}`;
    if (where.subresource) p += `/${where.subresource}`;
  }
  return p;
}

/** Finds a resource by plural, singular, kind or short name, optionally qualified ('deployments.apps'). */
export function findResource(name: string): ResourceType | undefined {
  const lower = name.toLowerCase();
  const [base, ...groupParts] = lower.split('.');
  const group = groupParts.join('.');
  return allResources.find(
    (r) =>
      (!group || r.group === group) &&
      (r.resource === base || r.singular === base || r.kind.toLowerCase() === base || r.shortNames.includes(base)),
  );
}

/** Finds a resource by apiVersion and kind, as written in a manifest. */
export function resourceForKind(apiVersion: string, kind: string): ResourceType | undefined {
  return allResources.find((r) => groupVersion(r) === apiVersion && r.kind === kind);
}
