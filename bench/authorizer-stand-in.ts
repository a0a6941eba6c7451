// The authorizer the secure half of bench/apiserver.ts uses when the apiserver it benchmarks has no RBAC
// (`steer apiserver` without --authorization-mode): per request what RBAC does — find the user's
// bindings in an index by subject, walk the rules of the bound roles (Kubernetes' `edit` rules, ~20 of
// them) matching verb, API group, resource and name — so the comparison carries a realistic authorization
// cost. With RBAC present the benchmark uses the real one instead.
import type { Attributes, Authorizer } from '../apiserver';

interface Rule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
}

const rw = ['create', 'delete', 'deletecollection', 'patch', 'update', 'get', 'list', 'watch'];
const ro = ['get', 'list', 'watch'];

/** Kubernetes' `edit` ClusterRole (aggregated), rule for rule as far as steer serves the resources. */
const editRules: Rule[] = [
  { apiGroups: [''], resources: ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'], verbs: ro },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
  { apiGroups: [''], resources: ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'], verbs: rw },
  { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  { apiGroups: [''], resources: ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy'], verbs: rw },
  { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
  { apiGroups: ['apps'], resources: ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale'], verbs: rw },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: rw },
  { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: rw },
  { apiGroups: ['extensions'], resources: ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale'], verbs: rw },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: rw },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: rw },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: rw },
  { apiGroups: [''], resources: ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status'], verbs: ro },
  { apiGroups: [''], resources: ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status'], verbs: ro },
  { apiGroups: [''], resources: ['namespaces'], verbs: ro },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ro },
  { apiGroups: ['apps'], resources: ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status'], verbs: ro },
  { apiGroups: ['batch'], resources: ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], verbs: ro },
];

const has = (list: string[], v: string) => list.includes('*') || list.includes(v);

function ruleAllows(r: Rule, a: Attributes): boolean {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return has(r.verbs, a.verb) && has(r.apiGroups, a.apiGroup) && has(r.resources, resource) && (!r.resourceNames?.length || r.resourceNames.includes(a.name));
}

/** RBAC-shaped: bindings by subject (user `user` bound to edit, plus `others` users with their own bindings). */
export function standInAuthorizer(user: string, others = 3000): Authorizer {
  const bindings = new Map<string, Array<{ namespace: string; rules: Rule[] }>>();
  bindings.set(`User:${user}`, [{ namespace: '', rules: editRules }]);
  for (let i = 0; i < others; i++) bindings.set(`User:user-${i}`, [{ namespace: `ns-${i % 50}`, rules: editRules }]);
  return {
    authorize(a) {
      if (a.user.groups.includes('system:masters')) return { decision: 'allow' };
      const subjects = [`User:${a.user.name}`, ...a.user.groups.map((g) => `Group:${g}`)];
      for (const s of subjects) {
        for (const b of bindings.get(s) ?? []) {
          if (b.namespace && b.namespace !== a.namespace) continue;
          if (a.resourceRequest && b.rules.some((r) => ruleAllows(r, a))) return { decision: 'allow' };
        }
      }
      return { decision: 'noOpinion', reason: '' };
    },
  };
}
