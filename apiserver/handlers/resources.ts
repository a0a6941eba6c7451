// The resource endpoints: parses /api/v1/... and /apis/<group>/<version>/... paths into a resource,
// namespace, name and subresource; serves collections (list, watch, create, delete) here and hands a
// request for one object or its subresource to the subresource table (subresources/).
import type { NextFunction, Request, Response } from 'express';
import { groupVersion, ResourceType } from '../../lib/api/resources';
import { errors } from '../errors';
import type { Json } from '../registry/objects';
import { compileSelectors, Registry } from '../registry/registry';
import { goJSONText, type StoredObject } from '../storage/types';
import { strategyFor } from '../kinds';
import { toTable } from '../tables';
import { sendStoredList } from './list-body';
import { protobufBody, wantsProtobuf } from './protobuf';
import type { RequestInfo } from './request-info';
import { kubeVerb } from '../auth/request-attributes';
import { deleteOptions, parseBody, qInt, qs, sendJSON, sendObject, sendProtobuf, tableIncludeObject, wantsTable, writeContext } from './request';
import { serveLegacyBinding } from './subresources/binding';
import { subresourceHandler } from './subresources';
import { serveWatch, WatchHooks } from './watch';

function sendList(req: Request, res: Response, rt: ResourceType, items: StoredObject[], meta: { resourceVersion: string; continue?: string; remainingItemCount?: number }): Promise<void> | void {
  const metadata: Json = { resourceVersion: meta.resourceVersion };
  if (meta.continue) metadata.continue = meta.continue;
  if (meta.remainingItemCount !== undefined) metadata.remainingItemCount = meta.remainingItemCount;
  if (wantsTable(req)) {
    const table = toTable(rt, items.map((s) => s.obj), { now: Date.now(), includeColumnDefinitions: true, includeObject: tableIncludeObject(req) });
    table.metadata = metadata as typeof table.metadata;
    return sendJSON(res, 200, table);
  }
  if (wantsProtobuf(req)) {
    const pb = protobufBody({ apiVersion: groupVersion(rt), kind: rt.listKind, metadata, items: items.map((s) => s.obj) });
    if (pb) return sendProtobuf(res, 200, pb);
  }
  // Items are already serialized: their bytes are spliced into the body, not re-encoded.
  if (strategyFor(rt).unstructured) {
    // kube writes a custom resource's list unstructured, a map: keys sorted (apiVersion, items, kind,
    // metadata), the list metadata's too (continue, remainingItemCount, resourceVersion).
    const sortedMeta: Json = {};
    for (const k of Object.keys(metadata).sort()) sortedMeta[k] = metadata[k];
    return sendStoredList(res, `{"apiVersion":"${groupVersion(rt)}","items":[`, items, undefined, `],"kind":"${rt.listKind}","metadata":${goJSONText(sortedMeta)}}\n`);
  }
  return sendStoredList(res, `{"kind":"${rt.listKind}","apiVersion":"${groupVersion(rt)}","metadata":${goJSONText(metadata)},"items":[`, items);
}

// ---- the handler ------------------------------------------------------------------------------------

export function resourceHandler(registry: Registry, watchHooks: WatchHooks) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const info = res.locals.requestInfo as RequestInfo | undefined;
    if (info?.resource === 'bindings' && !info.rt && info.namespace !== undefined) return serveLegacyBinding(req, res, registry, info.namespace);
    if (!info || !info.rt) return next();
    const { rt, namespace, name, subresource } = info;
    if (rt.namespaced && info.verb === 'POST' && !namespace && !subresource) throw errors.pathNotFound();
    if (subresource && !rt.subresources.includes(subresource)) throw errors.pathNotFound();
    // Kinds that serve only some verbs (create-only reviews) refuse the others.
    if (rt.verbs && !subresource && !rt.verbs.includes(kubeVerb(req.method, info))) {
      throw errors.methodNotAllowed(req.method, rt.resource);
    }
    const ns = rt.namespaced ? namespace : undefined;

    if (name === undefined) {
      switch (req.method) {
        case 'GET': {
          const sel = compileSelectors(rt, qs(req, 'labelSelector'), qs(req, 'fieldSelector'));
          if (info.watch) return serveWatch(req, res, registry, rt, ns, sel, watchHooks);
          const limit = qInt(req, 'limit');
          if (limit !== undefined && limit < 0) throw errors.badRequest('limit must be a non-negative integer');
          const page = await registry.list(rt, ns, { labelSelector: qs(req, 'labelSelector'), fieldSelector: qs(req, 'fieldSelector'), limit, continue: qs(req, 'continue'), resourceVersion: qs(req, 'resourceVersion') });
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

