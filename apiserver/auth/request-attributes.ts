// RequestInfoFactory's verb mapping: an HTTP request on a resource path becomes authorizer Attributes
// (GET of a collection is list or watch, POST create, PUT update, DELETE of a collection
// deletecollection, ...); anything else is a non-resource request on its path.
import type { RequestInfo } from '../handlers/request-info';
import type { Attributes, UserInfo } from './types';

const objectVerbs: Record<string, string> = { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
const collectionVerbs: Record<string, string> = { GET: 'list', HEAD: 'list', POST: 'create', DELETE: 'deletecollection' };

/** The API verb of a resource request (what RBAC rules name). */
export function kubeVerb(method: string, info: RequestInfo): string {
  if (info.watch && method === 'GET' && !info.subresource) return 'watch';
  if (info.name === undefined) return collectionVerbs[method] ?? method.toLowerCase();
  return objectVerbs[method] ?? method.toLowerCase();
}

export function requestAttributes(user: UserInfo, method: string, path: string, info: RequestInfo | undefined): Attributes {
  if (!info) {
    return { user, verb: method.toLowerCase(), resourceRequest: false, path, namespace: '', apiGroup: '', apiVersion: '', resource: '', subresource: '', name: '' };
  }
  return {
    user,
    verb: kubeVerb(method, info),
    resourceRequest: true,
    path,
    namespace: info.namespace ?? '',
    apiGroup: info.group,
    apiVersion: info.version,
    resource: info.resource,
    subresource: info.subresource,
    name: info.name ?? '',
  };
}

/**
 * The Forbidden message kube-apiserver writes: `User "alice" cannot list resource "pods" in API group ""
 * in the namespace "default"`, or `cannot get path "/metrics"`.
 */
export function forbiddenMessage(a: Attributes, reason?: string): string {
  const who = `User "${a.user.name}"`;
  let what: string;
  if (!a.resourceRequest) what = `${who} cannot ${a.verb} path "${a.path}"`;
  else {
    const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    what = `${who} cannot ${a.verb} resource "${res}" in API group "${a.apiGroup}"`;
    what += a.namespace ? ` in the namespace "${a.namespace}"` : ' at the cluster scope';
  }
  return reason ? `${what}: ${reason}` : what;
}
