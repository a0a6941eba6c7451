// The all-in-one cluster's authorizer and its bootstrap objects.
// clusterAuthorizer is the seam the RBAC and Node authorizers (kube-apiserver's --authorization-mode=
// Node,RBAC) plug into. On its own it grants what those would grant to steer's identities in the
// simplest form: system:masters anything; an authenticated user anything (no roles to consult yet);
// system:anonymous only the public-info paths RBAC's system:public-info-viewer allows (/healthz, /livez,
// /readyz, /version). ensurePrometheusAccess lets Prometheus' token read the node agents' metrics once
// the RBAC API is served (kube-prometheus' rule: get nodes/metrics), next to the default
// system:monitoring binding that covers the control plane's /metrics. ensureConsoleAdmin makes the
// ServiceAccount whose token logs an administrator in to the web console (the Kubernetes Dashboard's
// admin-user: a ServiceAccount bound to cluster-admin; `kubectl -n kube-system create token
// console-admin` gives a short-lived token, so only who may create its tokens may log in as it).
import { privilegedGroups, unionAuthorizer, type Authorizer } from '../../apiserver';
import { ApiError, type KubeClient } from '../../lib/client/client';
import { PROMETHEUS_USER } from './pki';

const publicInfoPaths = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

const authenticatedOrPublicInfo: Authorizer = {
  authorize(a) {
    if (a.user.groups.includes('system:authenticated')) return { decision: 'allow' };
    if (!a.resourceRequest && a.verb === 'get' && publicInfoPaths.has(a.path)) return { decision: 'allow' };
    return { decision: 'noOpinion' };
  },
};

export function clusterAuthorizer(): Authorizer {
  return unionAuthorizer([privilegedGroups, authenticatedOrPublicInfo]);
}

const RBAC = '/apis/rbac.authorization.k8s.io/v1';

async function rbacServed(admin: KubeClient): Promise<boolean> {
  const groups = await admin.request<{ groups?: Array<{ name: string }> }>('GET', '/apis');
  return (groups.groups ?? []).some((g) => g.name === 'rbac.authorization.k8s.io');
}

/** POSTs an object unless it exists already (an existing one is left as the user keeps it). */
function creatorFor(admin: KubeClient): (path: string, obj: unknown) => Promise<void> {
  return async (path, obj) => {
    try {
      await admin.request('POST', path, { body: obj });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
    }
  };
}

/** Creates the ClusterRole and binding that let Prometheus scrape node agents, when RBAC is served. */
export async function ensurePrometheusAccess(admin: KubeClient): Promise<boolean> {
  if (!(await rbacServed(admin))) return false;
  const create = creatorFor(admin);
  await create(`${RBAC}/clusterroles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: PROMETHEUS_USER, labels: { 'app.kubernetes.io/managed-by': 'steer' } },
    rules: [
      { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
      { nonResourceURLs: ['/metrics'], verbs: ['get'] },
    ],
  });
  await create(`${RBAC}/clusterrolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: PROMETHEUS_USER, labels: { 'app.kubernetes.io/managed-by': 'steer' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: PROMETHEUS_USER },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: PROMETHEUS_USER }],
  });
  return true;
}

/** The ServiceAccount whose tokens log an administrator in to the web console. */
export const CONSOLE_ADMIN = { namespace: 'kube-system', name: 'console-admin' } as const;

/** Creates kube-system/console-admin and its ClusterRoleBinding to cluster-admin, when RBAC is served. */
export async function ensureConsoleAdmin(admin: KubeClient): Promise<boolean> {
  if (!(await rbacServed(admin))) return false;
  const create = creatorFor(admin);
  const labels = { 'app.kubernetes.io/managed-by': 'steer' };
  await create(`/api/v1/namespaces/${CONSOLE_ADMIN.namespace}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: CONSOLE_ADMIN.name, namespace: CONSOLE_ADMIN.namespace, labels },
  });
  await create(`${RBAC}/clusterrolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: CONSOLE_ADMIN.name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: CONSOLE_ADMIN.name, namespace: CONSOLE_ADMIN.namespace }],
  });
  return true;
}
