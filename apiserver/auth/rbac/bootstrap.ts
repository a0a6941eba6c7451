// The default RBAC policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy): the ClusterRoles and
// ClusterRoleBindings every cluster starts with, labelled kubernetes.io/bootstrapping=rbac-defaults and
// annotated rbac.authorization.kubernetes.io/autoupdate=true. Kubernetes' roles, with steer's
// differences where its components differ:
// - system:kube-controller-manager covers every controller steer runs, because steer runs them all as
//   that one identity (Kubernetes gives each controller a service account of its own);
// - the node rules add what steer's node agent does in-process that Kubernetes leaves to kube-proxy and
//   CoreDNS: reading endpoints and EndpointSlices (service proxy, DNS).
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Subject } from 'kubernetes-types/rbac/v1';
import { AggregateToAdmin, AggregateToEdit, AggregateToView } from '../../../lib/api/rbac';

export const BootstrappingLabel = 'kubernetes.io/bootstrapping';
export const AutoUpdateAnnotation = 'rbac.authorization.kubernetes.io/autoupdate';

const Read = ['get', 'list', 'watch'];
const Write = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const ReadWrite = [...Read, ...Write];
const ReadUpdate = ['get', 'list', 'watch', 'update', 'patch'];

const core = '';
const apps = 'apps';
const authentication = 'authentication.k8s.io';
const authorization = 'authorization.k8s.io';
const autoscaling = 'autoscaling';
const batch = 'batch';
const certificates = 'certificates.k8s.io';
const coordination = 'coordination.k8s.io';
const discovery = 'discovery.k8s.io';
const events = 'events.k8s.io';
const extensions = 'extensions';
const networking = 'networking.k8s.io';
const policy = 'policy';
const rbac = 'rbac.authorization.k8s.io';
const storage = 'storage.k8s.io';

/** A resource rule: verbs on resources of groups, optionally only some names. */
function rule(verbs: string[], groups: string[], resources: string[], names?: string[]): PolicyRule {
  return { verbs, apiGroups: groups, resources, ...(names ? { resourceNames: names } : {}) };
}

/** A non-resource rule: verbs on URL paths. */
function urls(verbs: string[], paths: string[]): PolicyRule {
  return { verbs, nonResourceURLs: paths };
}

const eventsRule = rule(['create', 'update', 'patch'], [core, events], ['events']);

/**
 * What a node may do (NodeRules): the Node authorizer grants these to system:node:<name> in
 * system:nodes, then narrows secrets, configmaps, leases and token requests to its own pods and Lease,
 * and the NodeRestriction admission plugin narrows its writes to its own Node and pods.
 */
export function nodeRules(): PolicyRule[] {
  return [
    // Delegated authentication and authorization of requests to the node agent.
    rule(['create'], [authentication], ['tokenreviews']),
    rule(['create'], [authorization], ['subjectaccessreviews', 'localsubjectaccessreviews']),
    // Services for pods' environment, the service proxy and DNS.
    rule(Read, [core], ['services']),
    // Registering the Node and reporting its status (NodeRestriction: its own only).
    rule(['create', 'get', 'list', 'watch'], [core], ['nodes']),
    rule(['update', 'patch'], [core], ['nodes/status']),
    rule(['update', 'patch'], [core], ['nodes']),
    rule(['create', 'update', 'patch'], [core], ['events']),
    rule(Read, [core], ['pods']),
    // Mirror pods and finishing a pod's deletion (NodeRestriction: pods bound to it).
    rule(['create', 'delete'], [core], ['pods']),
    rule(['update', 'patch'], [core], ['pods/status']),
    rule(['create'], [core], ['pods/eviction']),
    // Secrets and configmaps of its pods (the Node authorizer: only those).
    rule(Read, [core], ['secrets', 'configmaps']),
    rule(['get'], [core], ['persistentvolumeclaims', 'persistentvolumes']),
    // steer: the node agent's service proxy and DNS read endpoints and EndpointSlices (kube-proxy's and
    // CoreDNS's rules in Kubernetes, where they run under identities of their own).
    rule(Read, [core], ['endpoints']),
    rule(Read, [discovery], ['endpointslices']),
    // steer: the node agent's network policy enforcer reads policies and the namespaces' labels
    // (kube-router's or Calico's agent in Kubernetes, under an identity of its own; pods are read above).
    rule(Read, [networking], ['networkpolicies']),
    rule(Read, [core], ['namespaces']),
    rule(['create', 'get', 'list', 'watch'], [certificates], ['certificatesigningrequests']),
    // RuntimeClasses: the handler of a pod's sandbox.
    rule(Read, ['node.k8s.io'], ['runtimeclasses']),
    // Its Lease in kube-node-lease (the Node authorizer: its own name only).
    rule(['get', 'create', 'update', 'patch', 'delete'], [coordination], ['leases']),
    rule(['get'], [storage], ['volumeattachments']),
    // Service-account tokens of its pods (the Node authorizer and NodeRestriction: bound to them).
    rule(['create'], [core], ['serviceaccounts/token']),
    rule(['get', 'update', 'patch'], [core], ['persistentvolumeclaims/status']),
    rule(['get', 'watch', 'list'], [storage], ['csidrivers']),
    rule(['get', 'create', 'update', 'patch', 'delete'], [storage], ['csinodes']),
    rule(Read, ['node.k8s.io'], ['runtimeclasses']),
  ];
}

/** steer's controller manager: every controller, one identity. */
function controllerManagerRules(): PolicyRule[] {
  return [
    eventsRule,
    // Shared informers, and the live reads controllers make before they act (owners, adoption).
    rule(Read, ['*'], ['*']),
    // Leader election.
    rule(['create', 'get', 'update', 'patch'], [coordination], ['leases']),
    // ReplicaSet, Deployment, DaemonSet, Job controllers; garbage collectors (owners, pods); node lifecycle evictions.
    rule(Write, [core], ['pods']),
    rule(['update', 'patch'], [core], ['pods/status']),
    rule(['create'], [core], ['pods/eviction']),
    rule(Write, [apps], ['deployments', 'replicasets', 'daemonsets', 'controllerrevisions']),
    rule(['update', 'patch'], [apps], ['deployments/status', 'replicasets/status', 'daemonsets/status', 'deployments/scale', 'replicasets/scale', 'deployments/finalizers', 'replicasets/finalizers', 'daemonsets/finalizers']),
    rule(Write, [batch], ['jobs', 'cronjobs']),
    rule(['update', 'patch'], [batch], ['jobs/status', 'cronjobs/status', 'jobs/finalizers']),
    // StatefulSet controller (its pods' claims too); the PV binder, protection controllers and the
    // local-path provisioner (Kubernetes: statefulset-controller, persistent-volume-binder, pvc-protection-
    // controller, pv-protection-controller, and the external provisioner's service account).
    rule(Write, [apps], ['statefulsets']),
    rule(['update', 'patch'], [apps], ['statefulsets/status', 'statefulsets/scale', 'statefulsets/finalizers']),
    rule(Write, [core], ['persistentvolumes', 'persistentvolumeclaims']),
    rule(['update', 'patch'], [core], ['persistentvolumes/status', 'persistentvolumeclaims/status']),
    rule(['create'], [storage], ['storageclasses']),
    // HorizontalPodAutoscaler (any scale subresource, metrics.k8s.io read through Read above), disruption controller.
    rule(['update', 'patch'], [autoscaling], ['horizontalpodautoscalers/status']),
    rule(['get', 'update', 'patch'], ['*'], ['*/scale']),
    rule(['update', 'patch'], [policy], ['poddisruptionbudgets/status']),
    // The garbage collector deletes and patches dependents of every kind, custom resources included
    // (kube's system:controller:generic-garbage-collector).
    rule(['delete', 'patch', 'update'], ['*'], ['*']),
    // ReplicationController and resource quota controllers (kube's replication-controller and
    // resourcequota-controller roles).
    rule(Write, [core], ['replicationcontrollers']),
    rule(['update', 'patch'], [core], ['replicationcontrollers/status', 'replicationcontrollers/finalizers', 'resourcequotas/status']),
    // Endpoints and EndpointSlices; the garbage collector on the kinds it collects.
    rule(Write, [core], ['endpoints', 'services', 'configmaps', 'secrets', 'serviceaccounts']),
    rule(Write, [discovery], ['endpointslices']),
    // The service load balancer (k3s' ServiceLB; kube's service-controller role): LoadBalancer ingress.
    rule(['update', 'patch'], [core], ['services/status']),
    rule(['create'], [core], ['serviceaccounts/token']),
    // Node lifecycle: taints, conditions, deleting gone nodes.
    rule(['update', 'patch', 'delete'], [core], ['nodes']),
    rule(['update', 'patch'], [core], ['nodes/status']),
    // Namespace lifecycle.
    rule(['update', 'patch', 'delete'], [core], ['namespaces']),
    rule(['update'], [core], ['namespaces/finalize', 'namespaces/status']),
    // ClusterRole aggregation: it writes rules it need not hold itself.
    rule(['escalate', 'get', 'list', 'watch', 'update', 'patch'], [rbac], ['clusterroles']),
    // Delegated authentication and authorization.
    rule(['create'], [authentication], ['tokenreviews']),
    rule(['create'], [authorization], ['subjectaccessreviews']),
    // The CSR signer (kube's system:controller:certificate-controller): certificates for the well-known
    // signers through /status, Failed conditions when a request breaks its signer's rules.
    rule(['update'], [certificates], ['certificatesigningrequests/status']),
    rule(['sign'], [certificates], ['signers'], ['kubernetes.io/kube-apiserver-client', 'kubernetes.io/kube-apiserver-client-kubelet', 'kubernetes.io/kubelet-serving']),
  ];
}

function schedulerRules(): PolicyRule[] {
  return [
    eventsRule,
    rule(['create'], [coordination], ['leases']),
    rule(['get', 'update'], [coordination], ['leases'], ['kube-scheduler']),
    rule(['create'], [core], ['endpoints']),
    rule(['get', 'update'], [core], ['endpoints'], ['kube-scheduler']),
    rule(Read, [core], ['nodes']),
    rule(['get', 'list', 'watch', 'delete'], [core], ['pods']),
    rule(['create'], [core], ['pods/binding', 'bindings']),
    rule(['patch', 'update'], [core], ['pods/status']),
    rule(Read, [core], ['services', 'replicationcontrollers']),
    rule(Read, [apps, extensions], ['replicasets']),
    rule(Read, [apps], ['statefulsets']),
    rule(Read, [policy], ['poddisruptionbudgets']),
    rule(Read, [core], ['persistentvolumeclaims', 'persistentvolumes']),
    rule(['create'], [authentication], ['tokenreviews']),
    rule(['create'], [authorization], ['subjectaccessreviews']),
    rule(Read, [storage], ['csinodes']),
    rule(Read, [core], ['namespaces']),
    rule(Read, [storage], ['csidrivers']),
    rule(Read, [storage], ['csistoragecapacities']),
  ];
}

function clusterRole(name: string, rules: PolicyRule[], extra: Partial<ClusterRole> = {}, labels: Record<string, string> = {}): ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: { ...labels, [BootstrappingLabel]: 'rbac-defaults' }, annotations: { [AutoUpdateAnnotation]: 'true' } },
    ...(extra.aggregationRule ? {} : { rules }),
    ...extra,
  };
}

const aggregated = (name: string, selectorLabel: string, labels: Record<string, string> = {}): ClusterRole =>
  clusterRole(name, [], { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [selectorLabel]: 'true' } }] } }, labels);

/** The default ClusterRoles. */
export function bootstrapClusterRoles(): ClusterRole[] {
  return [
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
    clusterRole('system:discovery', [urls(['get'], ['/livez', '/readyz', '/healthz', '/version', '/version/', '/openapi', '/openapi/*', '/api', '/api/*', '/apis', '/apis/*'])]),
    clusterRole('system:monitoring', [urls(['get'], ['/metrics', '/livez', '/readyz', '/healthz', '/livez/*', '/readyz/*', '/healthz/*'])]),
    clusterRole('system:basic-user', [
      rule(['create'], [authorization], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
      rule(['create'], [authentication], ['selfsubjectreviews']),
    ]),
    clusterRole('system:public-info-viewer', [urls(['get'], ['/livez', '/readyz', '/healthz', '/version', '/version/'])]),
    aggregated('admin', AggregateToAdmin),
    aggregated('edit', AggregateToEdit, { [AggregateToAdmin]: 'true' }),
    aggregated('view', AggregateToView, { [AggregateToEdit]: 'true' }),
    clusterRole(
      'system:aggregate-to-admin',
      [rule(['create'], [authorization], ['localsubjectaccessreviews']), rule(ReadWrite, [rbac], ['roles', 'rolebindings'])],
      {},
      { [AggregateToAdmin]: 'true' },
    ),
    clusterRole(
      'system:aggregate-to-edit',
      [
        rule(Read, [core], ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy']),
        rule(['impersonate'], [core], ['serviceaccounts']),
        rule(Write, [core], ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward']),
        rule(['create'], [core], ['pods/eviction']),
        rule(Write, [core], ['replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/proxy', 'persistentvolumeclaims', 'configmaps', 'secrets', 'events']),
        rule(['create'], [core], ['serviceaccounts/token']),
        rule(Write, [apps], ['statefulsets', 'statefulsets/scale', 'daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'replicasets', 'replicasets/scale']),
        rule(Write, [autoscaling], ['horizontalpodautoscalers']),
        rule(Write, [batch], ['jobs', 'cronjobs']),
        rule(Write, [extensions], ['daemonsets', 'deployments', 'deployments/scale', 'deployments/rollback', 'ingresses', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale', 'networkpolicies']),
        rule(Write, [policy], ['poddisruptionbudgets']),
        rule(Write, [networking], ['networkpolicies', 'ingresses']),
      ],
      {},
      { [AggregateToEdit]: 'true' },
    ),
    clusterRole(
      'system:aggregate-to-view',
      [
        rule(Read, [core], ['pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'configmaps']),
        rule(Read, [core], ['limitranges', 'resourcequotas', 'bindings', 'events', 'pods/status', 'resourcequotas/status', 'namespaces/status', 'replicationcontrollers/status', 'pods/log']),
        rule(Read, [core], ['namespaces']),
        rule(Read, [discovery], ['endpointslices']),
        rule(Read, [apps], ['controllerrevisions', 'statefulsets', 'statefulsets/status', 'statefulsets/scale', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/status', 'deployments/scale', 'replicasets', 'replicasets/status', 'replicasets/scale']),
        rule(Read, [autoscaling], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
        rule(Read, [batch], ['jobs', 'cronjobs', 'cronjobs/status', 'jobs/status']),
        rule(Read, [extensions], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale', 'networkpolicies']),
        rule(Read, [policy], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
        rule(Read, [networking], ['networkpolicies', 'ingresses', 'ingresses/status']),
      ],
      {},
      { [AggregateToView]: 'true' },
    ),
    // metrics-server's role: the resource metrics API readable by view, edit and admin.
    clusterRole(
      'system:aggregated-metrics-reader',
      [rule(['get', 'list', 'watch'], ['metrics.k8s.io'], ['pods', 'nodes'])],
      {},
      { [AggregateToView]: 'true', [AggregateToEdit]: 'true', [AggregateToAdmin]: 'true' },
    ),
    clusterRole('system:node', nodeRules()),
    clusterRole('system:node-proxier', [
      rule(['list', 'watch'], [core], ['services', 'endpoints']),
      rule(Read, [core], ['nodes']),
      eventsRule,
      rule(['list', 'watch'], [discovery], ['endpointslices']),
    ]),
    clusterRole('system:node-problem-detector', [rule(['get'], [core], ['nodes']), rule(['patch'], [core], ['nodes/status']), eventsRule]),
    clusterRole('system:kubelet-api-admin', [
      rule(Read, [core], ['nodes']),
      rule(['proxy'], [core], ['nodes']),
      rule(['*'], [core], ['nodes/proxy', 'nodes/metrics', 'nodes/spec', 'nodes/stats', 'nodes/log']),
    ]),
    clusterRole('system:auth-delegator', [rule(['create'], [authentication], ['tokenreviews']), rule(['create'], [authorization], ['subjectaccessreviews'])]),
    clusterRole('system:kube-aggregator', [rule(Read, [core], ['services', 'endpoints'])]),
    clusterRole('system:kube-controller-manager', controllerManagerRules()),
    clusterRole('system:kube-scheduler', schedulerRules()),
    clusterRole('system:kube-dns', [rule(['list', 'watch'], [core], ['endpoints', 'services']), rule(['list', 'watch'], [discovery], ['endpointslices'])]),
    clusterRole('system:volume-scheduler', [rule(ReadUpdate, [core], ['persistentvolumes']), rule(Read, [storage], ['storageclasses']), rule(ReadUpdate, [core], ['persistentvolumeclaims'])]),
    clusterRole('system:service-account-issuer-discovery', [urls(['get'], ['/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/'])]),
  ];
}

const user = (name: string): Subject => ({ kind: 'User', apiGroup: rbac, name });
const group = (name: string): Subject => ({ kind: 'Group', apiGroup: rbac, name });
const serviceAccount = (namespace: string, name: string): Subject => ({ kind: 'ServiceAccount', name, namespace });

function clusterBinding(role: string, subjects: Subject[], name = role): ClusterRoleBinding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { [BootstrappingLabel]: 'rbac-defaults' }, annotations: { [AutoUpdateAnnotation]: 'true' } },
    roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: role },
    ...(subjects.length ? { subjects } : {}),
  };
}

/** The default ClusterRoleBindings. */
export function bootstrapClusterRoleBindings(): ClusterRoleBinding[] {
  return [
    clusterBinding('cluster-admin', [group('system:masters')]),
    clusterBinding('system:monitoring', [group('system:monitoring')]),
    clusterBinding('system:discovery', [group('system:authenticated')]),
    clusterBinding('system:basic-user', [group('system:authenticated')]),
    clusterBinding('system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')]),
    clusterBinding('system:node-proxier', [user('system:kube-proxy')]),
    clusterBinding('system:kube-controller-manager', [user('system:kube-controller-manager')]),
    clusterBinding('system:kube-dns', [serviceAccount('kube-system', 'kube-dns')]),
    clusterBinding('system:kube-scheduler', [user('system:kube-scheduler')]),
    clusterBinding('system:volume-scheduler', [user('system:kube-scheduler')]),
    // Nodes get their rules from the Node authorizer; the binding stays, without subjects, as in Kubernetes.
    clusterBinding('system:node', []),
    clusterBinding('system:service-account-issuer-discovery', [group('system:serviceaccounts')]),
  ];
}
