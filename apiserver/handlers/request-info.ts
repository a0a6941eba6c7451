// What a request is about (k8s.io/apiserver's RequestInfo): the resource, namespace, name and
// subresource of /api/v1/... and /apis/<group>/<version>/... paths, parsed once per request before
// authentication, so authorization, the handlers and the request metrics all read the same answer.
import type { ResourceType } from '../../lib/api/resources';
import { KindCatalog } from '../kinds/catalog';
import { queryBool } from './query-bool';

/** What a request is about; also the labels of the request metrics. */
export interface RequestInfo {
  verb: string;
  rt?: ResourceType;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  namespace?: string;
  name?: string;
  watch: boolean;
}

/** Where paths find their resource: a server's catalog (built-in and custom kinds). */
export type ResourceLookup = Pick<KindCatalog, 'lookup' | 'hasGroupVersion'>;

let builtinCatalog: KindCatalog | undefined;

/** Parses a resource path; undefined when it is not one. */
function parseResourcePath(method: string, path: string, watchParam: boolean, kinds: ResourceLookup): RequestInfo | undefined {
  const parts = path.split('/').filter((p) => p !== '').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  let group = '';
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else return undefined;
  const gv = group ? `${group}/${version}` : version;
  if (!kinds.hasGroupVersion(gv)) return undefined;
  let watch = watchParam;
  if (rest[0] === 'watch') {
    watch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && kinds.lookup(gv, rest[2])?.namespaced) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const rt = kinds.lookup(gv, rest[0]);
  // A proxy subresource's path goes on past it: the path on the target.
  if (!rt || (rest.length > 3 && rest[2] !== 'proxy')) return undefined;
  const name = rest[1];
  const subresource = rest[2] ?? '';
  let verb: string;
  if (name === undefined) {
    verb = method === 'GET' ? (watch ? 'WATCH' : 'LIST') : method === 'DELETE' ? 'DELETECOLLECTION' : method;
  } else verb = method === 'GET' && watch && !subresource ? 'WATCH' : method;
  return { verb, rt, group, version, resource: rt.resource, subresource, namespace, name, watch };
}


const legacyBindingPath = /^\/api\/v1\/namespaces\/([^/]+)\/bindings\/?$/;

/** The request's RequestInfo; undefined for non-resource paths (discovery, /metrics, /healthz, ...). */
export function parseRequestInfo(method: string, path: string, query: Record<string, unknown>, kinds: ResourceLookup = (builtinCatalog ??= new KindCatalog())): RequestInfo | undefined {
  const legacyBinding = method === 'POST' ? legacyBindingPath.exec(path) : null;
  if (legacyBinding) {
    let namespace = legacyBinding[1];
    try {
      namespace = decodeURIComponent(namespace);
    } catch {
      /* keep it as sent */
    }
    // The pre-subresource bindings collection: authorized as create on pods/binding.
    return { verb: 'POST', group: '', version: 'v1', resource: 'bindings', subresource: '', namespace, watch: false };
  }
  const w = Array.isArray(query.watch) ? query.watch[0] : query.watch;
  return parseResourcePath(method, path, queryBool(typeof w === 'string' ? w : undefined), kinds);
}
