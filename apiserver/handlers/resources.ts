// The resource endpoints: parses /api/v1/... and /apis/<group>/<version>/... paths into a resource,
// namespace, name and subresource; serves collections (list, watch, create, delete) here and hands a
// request for one object or its subresource to the subresource table (subresources/).
import type { NextFunction, Request, Response } from 'express';
import { allResources, groupVersion, ResourceType } from '../../lib/api/resources';
import { errors } from '../errors';
import type { Json } from '../registry/objects';
import { compileSelectors, Registry } from '../registry/registry';
import type { StoredObject } from '../storage/types';
import { toTable } from '../tables';
import { sendStoredList } from './list-body';
import { deleteOptions, parseBody, qBool, qInt, qs, sendJSON, sendObject, tableIncludeObject, wantsTable, writeContext } from './request';
import { serveLegacyBinding } from './subresources/binding';
import { subresourceHandler } from './subresources';
import { serveWatch, WatchHooks } from './watch';

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

const byGV = new Map<string, Map<string, ResourceType>>();
for (const rt of allResources) {
  const gv = groupVersion(rt);
  if (!byGV.has(gv)) byGV.set(gv, new Map());
  byGV.get(gv)!.set(rt.resource, rt);
}

/** Parses a resource path; undefined when it is not one. */
export function parseResourcePath(method: string, path: string, watchParam: boolean): RequestInfo | undefined {
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
  const table = byGV.get(group ? `${group}/${version}` : version);
  if (!table) return undefined;
  let watch = watchParam;
  if (rest[0] === 'watch') {
    watch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && table.get(rest[2])?.namespaced) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const rt = table.get(rest[0]);
  if (!rt || rest.length > 3) return undefined;
  const name = rest[1];
  const subresource = rest[2] ?? '';
  let verb: string;
  if (name === undefined) {
    verb = method === 'GET' ? (watch ? 'WATCH' : 'LIST') : method === 'DELETE' ? 'DELETECOLLECTION' : method;
  } else verb = method === 'GET' && watch && !subresource ? 'WATCH' : method;
  return { verb, rt, group, version, resource: rt.resource, subresource, namespace, name, watch };
}

function sendList(req: Request, res: Response, rt: ResourceType, items: StoredObject[], meta: { resourceVersion: string; continue?: string; remainingItemCount?: number }): Promise<void> | void {
  const metadata: Json = { resourceVersion: meta.resourceVersion };
  if (meta.continue) metadata.continue = meta.continue;
  if (meta.remainingItemCount !== undefined) metadata.remainingItemCount = meta.remainingItemCount;
  if (wantsTable(req)) {
    const table = toTable(rt, items.map((s) => s.obj), { now: Date.now(), includeColumnDefinitions: true, includeObject: tableIncludeObject(req) });
    table.metadata = metadata as typeof table.metadata;
    return sendJSON(res, 200, table);
  }
  // Items are already serialized: their bytes are spliced into the body, not re-encoded.
  return sendStoredList(res, `{"kind":"${rt.listKind}","apiVersion":"${groupVersion(rt)}","metadata":${JSON.stringify(metadata)},"items":[`, items);
}

// ---- the handler ------------------------------------------------------------------------------------

export function resourceHandler(registry: Registry, watchHooks: WatchHooks) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const legacyBinding = /^\/api\/v1\/namespaces\/([^/]+)\/bindings\/?$/.exec(req.path);
    if (legacyBinding && req.method === 'POST') {
      res.locals.requestInfo = { verb: 'POST', group: '', version: 'v1', resource: 'bindings', subresource: '', watch: false } satisfies RequestInfo;
      return serveLegacyBinding(req, res, registry, decodeURIComponent(legacyBinding[1]));
    }
    const info = parseResourcePath(req.method, req.path, qBool(req, 'watch'));
    if (!info || !info.rt) return next();
    res.locals.requestInfo = info;
    const { rt, namespace, name, subresource } = info;
    if (rt.namespaced && info.verb === 'POST' && !namespace && !subresource) throw errors.pathNotFound();
    if (subresource && !rt.subresources.includes(subresource)) throw errors.pathNotFound();
    const ns = rt.namespaced ? namespace : undefined;

    if (name === undefined) {
      switch (req.method) {
        case 'GET': {
          const sel = compileSelectors(rt, qs(req, 'labelSelector'), qs(req, 'fieldSelector'));
          if (info.watch) return serveWatch(req, res, registry, rt, ns, sel, watchHooks);
          const limit = qInt(req, 'limit');
          if (limit !== undefined && limit < 0) throw errors.badRequest('limit must be a non-negative integer');
          const page = await registry.list(rt, ns, { labelSelector: qs(req, 'labelSelector'), fieldSelector: qs(req, 'fieldSelector'), limit, continue: qs(req, 'continue') });
          return sendList(req, res, rt, page.items, { resourceVersion: String(page.rev), continue: page.continue, remainingItemCount: page.remainingItemCount });
        }
        case 'POST': {
          const ctx = writeContext(req, res);
          const stored = await registry.create(rt, ns, parseBody(req), ctx);
          return sendObject(req, res, rt, 201, stored);
        }
        case 'DELETE': {
          const ctx = writeContext(req, res);
          const opts = deleteOptions(req);
          const items = await registry.deleteCollection(rt, ns, { labelSelector: qs(req, 'labelSelector'), fieldSelector: qs(req, 'fieldSelector') }, opts, ctx);
          return sendList(req, res, rt, items, { resourceVersion: String(registry.storage.currentRevision()) });
        }
        default:
          throw errors.methodNotAllowed(req.method, rt.resource);
      }
    }

    if (info.verb === 'WATCH') {
      // A watch of one object (/watch/.../pods/NAME or ?watch=1 on the object): a name field selector.
      const fields = [qs(req, 'fieldSelector'), `metadata.name=${name}`].filter(Boolean).join(',');
      return serveWatch(req, res, registry, rt, ns, compileSelectors(rt, qs(req, 'labelSelector'), fields), watchHooks);
    }
    const handler = subresourceHandler(subresource);
    if (!handler) throw errors.methodNotAllowed(req.method, `${rt.resource}/${subresource}`);
    return handler({ req, res, registry, rt, namespace: ns, name, subresource });
  };
}

