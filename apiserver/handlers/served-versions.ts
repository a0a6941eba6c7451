// Other served versions of a stored kind (kube-apiserver serves every version of a kind from one stored
// version, converting at the edge): autoscaling/v1 HorizontalPodAutoscalers (hpa-v1.ts) and batch/v1beta1
// CronJobs (cronjob-v1beta1.ts), stored as autoscaling/v2 and batch/v1. GET, LIST (also as a Table),
// WATCH, POST, PUT (and status), PATCH and DELETE; each object converted on the way in and out.
import type { NextFunction, Request, Response } from 'express';
import { groupVersion, type ResourceType } from '../../lib/api/resources';
import { errors } from '../errors';
import { isPlainObject } from '../registry/objects';
import { compileSelectors, strictDecoding, type Registry, type WriteContext } from '../registry/registry';
import { orderObject, shapeOfKind } from '../registry/field-order';
import { pruneUnknownFields } from '../schema';
import type { KObj } from '../storage/types';
import type { FieldCause } from '../validation/common';
import type { StatusCause } from 'kubernetes-types/meta/v1';
import { toTable } from '../tables';
import { patchKind, requestPatcher } from './patch';
import type { RequestInfo } from './request-info';
import { deleteOptions, flushWarnings, mediaType, parseBody, qs, sendJSON, tableIncludeObject, wantsTable, writeContext } from './request';
import { serveWatch, type WatchHooks } from './watch';

/** One served version: its resource and the conversions to and from the stored version. */
export interface VersionConversion {
  /** The served version's resource (same group, resource and kind as the stored one). */
  served: ResourceType;
  stored: ResourceType;
  /**
   * The resource whose schema (client-node's model) the served version's objects are checked against
   * for unknown fields, when the served version has no model of its own (default: `served`).
   */
  schema?: Pick<ResourceType, 'version' | 'kind'>;
  toServed(stored: KObj): unknown;
  /** A decoded body of the served version → the stored version; `current` is the stored object on an update. */
  toStored(body: Record<string, unknown>, current?: KObj): KObj;
  /** Rules of the served version beyond the stored kind's (a body of a create, or of an update of `current`). */
  validate?(body: Record<string, unknown>, current?: KObj): FieldCause[];
  /** Field selector labels of the served version that the stored kind names otherwise (events.k8s.io's regarding.name). */
  fieldLabels?: Record<string, string>;
}

/** A field selector with the served version's labels turned into the stored kind's. */
export function convertFieldSelector(selector: string | undefined, labels: Record<string, string> | undefined): string | undefined {
  if (!selector || !labels) return selector;
  return selector
    .split(/(?<!\\),/)
    .map((term) => term.replace(/^(\s*)([^=!\s]+)/, (all, space: string, key: string) => (Object.hasOwn(labels, key) ? space + labels[key] : all)))
    .join(',');
}

/** The body of a write, checked as kube-apiserver's decoder does. */
function decode(conv: VersionConversion, body: unknown): Record<string, unknown> {
  const kind = conv.served.kind;
  if (!isPlainObject(body)) throw errors.badRequest(`Object '${kind}' is missing or is not a JSON object`);
  const gv = groupVersion(conv.served);
  if (body.apiVersion !== undefined && body.apiVersion !== gv) throw errors.badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${gv})`);
  if (body.kind !== undefined && body.kind !== kind) throw errors.badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (${kind})`);
  return body;
}

export function servedVersionsHandler(registry: Registry, watchHooks: WatchHooks, conversions: VersionConversion[]) {
  const byServed = new Map(conversions.map((c) => [c.served, c]));
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const info = res.locals.requestInfo as RequestInfo | undefined;
    const conv = info?.rt && byServed.get(info.rt);
    if (!info || !conv) return next();
    const rt = conv.stored;
    const { name } = info;
    const ns = rt.namespaced ? info.namespace : undefined;
    // Answers in the served type's field order, as kube encodes the converted object.
    const servedShape = shapeOfKind(conv.served);
    const out = (o: KObj) => {
      const served = conv.toServed(o);
      if (isPlainObject(served)) orderObject(served, servedShape);
      return served;
    };
    // kube decodes the served version strictly: its unknown and repeated fields, before conversion drops them.
    const toStored = (body: unknown, ctx: WriteContext, current?: KObj) => {
      const decoded = decode(conv, body);
      strictDecoding(decoded, ctx, () => pruneUnknownFields(conv.schema ?? conv.served, decoded));
      const causes = conv.validate?.(decoded, current) ?? [];
      const md = isPlainObject(decoded.metadata) ? decoded.metadata : {};
      if (causes.length) throw errors.invalid(conv.served, String(md.name ?? md.generateName ?? name ?? ''), causes as StatusCause[]);
      return conv.toStored(decoded, current);
    };
    const fieldSelector = convertFieldSelector(qs(req, 'fieldSelector'), conv.fieldLabels);
    const answer = (code: number, body: unknown) => {
      flushWarnings(res);
      sendJSON(res, code, body);
    };
    if (info.subresource && info.subresource !== 'status') throw errors.pathNotFound();
    if (info.watch) {
      const fields = [fieldSelector, name !== undefined ? `metadata.name=${name}` : ''].filter(Boolean).join(',');
      return serveWatch(req, res, registry, rt, ns, compileSelectors(rt, qs(req, 'labelSelector'), fields), watchHooks, { rt: conv.served, convert: out });
    }
    const ctx = writeContext(req, res);
    if (name === undefined) {
      if (req.method === 'GET') {
        const page = await registry.list(rt, ns, { labelSelector: qs(req, 'labelSelector'), fieldSelector });
        const metadata = { resourceVersion: String(page.rev) };
        if (wantsTable(req)) {
          const table = toTable(rt, page.items.map((s) => s.obj), { now: Date.now(), includeColumnDefinitions: true, includeObject: tableIncludeObject(req) });
          table.metadata = metadata;
          return sendJSON(res, 200, table);
        }
        return sendJSON(res, 200, { kind: rt.listKind, apiVersion: groupVersion(conv.served), metadata, items: page.items.map((s) => out(s.obj)) });
      }
      if (req.method === 'POST') {
        if (!ns && rt.namespaced) throw errors.pathNotFound();
        const stored = await registry.create(rt, ns, toStored(parseBody(req), ctx), ctx);
        return answer(201, out(stored.obj));
      }
      throw errors.methodNotAllowed(req.method, rt.resource);
    }
    const status = info.subresource === 'status' ? 'status' : undefined;
    switch (req.method) {
      case 'GET':
        return sendJSON(res, 200, out((await registry.get(rt, ns, name)).obj));
      case 'PUT': {
        const current = (await registry.get(rt, ns, name)).obj;
        const { stored, created } = await registry.update(rt, ns, name, toStored(parseBody(req), ctx, current), ctx, status);
        return answer(created ? 201 : 200, out(stored.obj));
      }
      case 'PATCH': {
        const kind = patchKind(mediaType(req));
        const patchWith = requestPatcher(req, kind, ctx.fieldValidation);
        const stored = await registry.guaranteedUpdate(
          rt,
          ns,
          name,
          (copy) => toStored(patchWith(out(copy), rt.kind), ctx, copy),
          ctx,
          status,
        );
        return answer(200, out(stored.obj));
      }
      case 'DELETE': {
        const r = await registry.delete(rt, ns, name, deleteOptions(req), ctx);
        return sendJSON(res, 200, r.removed ? { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: conv.served.group, kind: rt.resource, uid: r.object.obj.metadata.uid } } : out(r.object.obj));
      }
      default:
        throw errors.methodNotAllowed(req.method, rt.resource);
    }
  };
}
