// The all-in-one cluster's authorizer and its bootstrap objects.
// clusterAuthorizer is the seam the RBAC and Node authorizers (kube-apiserver's --authorization-mode=
// Node,RBAC) plug into. On its own it grants what those would grant to steer's identities in the
// simplest form: system:masters anything; an authenticated user anything (no roles to consult yet);
// system:anonymous only the public-info paths RBAC's system:public-info-viewer allows (/healthz, /livez,
// /readyz, /version). ensurePrometheusAccess lets Prometheus' token read the node agents' metrics once
// the RBAC API is served (kube-prometheus' rule: get nodes/metrics), next to the default
// system:monitoring binding that covers the control plane's /metrics.
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

/** Creates the ClusterRole and binding that let Prometheus scrape node agents, when RBAC is served. */
export async function ensurePrometheusAccess(admin: KubeClient): Promise<boolean> {
  const groups = await admin.request<{ groups?: Array<{ name: string }> }>('GET', '/apis');
  if (!(groups.groups ?? []).some((g) => g.name === 'rbac.authorization.k8s.io')) return false;
  const create = async (path: string, obj: unknown) => {
    try {
      await admin.request('POST', path, { body: obj });
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 409)) throw err;
    }
  };
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
