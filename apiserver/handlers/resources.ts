// The resource endpoints: parses /api/v1/... and /apis/<group>/<version>/... paths into a resource,
// namespace, name and subresource, and maps each HTTP verb to the registry.
import type { NextFunction, Request, Response } from 'express';
import { allResources, groupVersion, ResourceType } from '../../lib/api/resources';
import { labelSelectorToString } from '../../lib/api/selectors';
import { toTable } from '../tables';
import { ApiStatusError, errors, successStatus } from '../errors';
import { strategyFor } from '../kinds';
import { isPlainObject, Json } from '../registry/objects';
import { compileSelectors, DeleteOptions, FieldValidation, Registry, WriteContext } from '../registry/registry';
import type { KObj, StoredObject } from '../storage/types';
import { sendStoredList } from './list-body';
import { serveLogs } from './log';
import { applyPatch, parsePatch, patchKind } from './patch';
import { mediaType, parseBody, qBool, qInt, qs, rawText, sendJSON, sendRaw, tableIncludeObject, wantsTable } from './request';
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

function writeContext(req: Request, res: Response): WriteContext {
  const dryRun = qs(req, 'dryRun');
  if (dryRun !== undefined && dryRun !== '' && dryRun !== 'All') throw errors.badRequest(`Invalid dryRun value: ${JSON.stringify(dryRun)}: supported value is "All"`);
  const fv = qs(req, 'fieldValidation');
  let fieldValidation: FieldValidation | undefined;
  if (fv === 'Strict' || fv === 'Warn' || fv === 'Ignore') fieldValidation = fv;
  else if (fv) throw errors.badRequest(`fieldValidation must be one of "Ignore", "Warn", "Strict" (got ${JSON.stringify(fv)})`);
  const warnings: string[] = [];
  res.locals.warnings = warnings;
  return { dryRun: dryRun === 'All', fieldValidation, warnings };
}

function flushWarnings(res: Response): void {
  const w = res.locals.warnings as string[] | undefined;
  if (w?.length) res.setHeader('Warning', w.slice(0, 20).map((m) => `299 - ${JSON.stringify(m)}`));
}

function sendObject(req: Request, res: Response, rt: ResourceType, code: number, stored: StoredObject): void {
  flushWarnings(res);
  if (wantsTable(req)) {
    const table = toTable(rt, [stored.obj], { now: Date.now(), includeColumnDefinitions: true, includeObject: tableIncludeObject(req) });
    if (table) {
      table.metadata = { resourceVersion: String(stored.rev) };
      return sendJSON(res, code, table);
    }
  }
  sendRaw(res, code, stored.bytes);
}

function sendList(req: Request, res: Response, rt: ResourceType, items: StoredObject[], meta: { resourceVersion: string; continue?: string; remainingItemCount?: number }): Promise<void> | void {
  const metadata: Json = { resourceVersion: meta.resourceVersion };
  if (meta.continue) metadata.continue = meta.continue;
  if (meta.remainingItemCount !== undefined) metadata.remainingItemCount = meta.remainingItemCount;
  if (wantsTable(req)) {
    const table = toTable(rt, items.map((s) => s.obj), { now: Date.now(), includeColumnDefinitions: true, includeObject: tableIncludeObject(req) });
    if (table) {
      table.metadata = metadata as typeof table.metadata;
      return sendJSON(res, 200, table);
    }
  }
  // Items are already serialized: their bytes are spliced into the body, not re-encoded.
  return sendStoredList(res, `{"kind":"${rt.listKind}","apiVersion":"${groupVersion(rt)}","metadata":${JSON.stringify(metadata)},"items":[`, items);
}

function deleteOptions(req: Request): DeleteOptions {
  const opts: DeleteOptions = {};
  const pp = qs(req, 'propagationPolicy');
  if (pp) opts.propagationPolicy = pp;
  const grace = qInt(req, 'gracePeriodSeconds');
  if (grace !== undefined) opts.gracePeriodSeconds = grace;
  const orphan = qs(req, 'orphanDependents');
  if (orphan !== undefined) opts.orphanDependents = orphan === 'true';
  const body = parseBody(req, { allowEmpty: true });
  if (body !== undefined) {
    if (!isPlainObject(body)) throw errors.badRequest('the DeleteOptions body must be a JSON object');
    if (body.propagationPolicy !== undefined) {
      if (typeof body.propagationPolicy !== 'string') throw errors.badRequest('propagationPolicy must be a string');
      opts.propagationPolicy = body.propagationPolicy;
    }
    if (body.gracePeriodSeconds !== undefined && body.gracePeriodSeconds !== null) {
      if (typeof body.gracePeriodSeconds !== 'number' || !Number.isInteger(body.gracePeriodSeconds)) throw errors.badRequest('gracePeriodSeconds must be an integer');
      opts.gracePeriodSeconds = body.gracePeriodSeconds;
    }
    if (typeof body.orphanDependents === 'boolean') opts.orphanDependents = body.orphanDependents;
    if (body.preconditions !== undefined && body.preconditions !== null) {
      const p = body.preconditions;
      if (!isPlainObject(p) || (p.uid !== undefined && typeof p.uid !== 'string') || (p.resourceVersion !== undefined && typeof p.resourceVersion !== 'string')) {
        throw errors.badRequest('preconditions must hold string uid and resourceVersion');
      }
      opts.preconditions = { uid: p.uid as string | undefined, resourceVersion: p.resourceVersion as string | undefined };
    }
  }
  return opts;
}

// ---- scale subresource ------------------------------------------------------------------------------

function toScale(stored: StoredObject): Json {
  const obj = stored.obj;
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const status = isPlainObject(obj.status) ? obj.status : {};
  const md = obj.metadata;
  const selector = isPlainObject(spec.selector) ? labelSelectorToString(spec.selector) : '';
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: md.name, namespace: md.namespace, uid: md.uid, resourceVersion: md.resourceVersion, creationTimestamp: md.creationTimestamp },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, ...(selector ? { selector } : {}) },
  };
}

function scaleReplicas(rt: ResourceType, name: string, scale: unknown): number {
  if (!isPlainObject(scale)) throw errors.badRequest("Object 'Scale' is missing or is not a JSON object");
  if (scale.kind !== undefined && scale.kind !== 'Scale') throw errors.badRequest(`${String(scale.kind)} in the request body does not match Scale`);
  const replicas = isPlainObject(scale.spec) ? scale.spec.replicas : undefined;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw new ApiStatusError(422, 'Invalid', `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`, {
      name,
      group: 'autoscaling',
      kind: 'Scale',
      causes: [{ reason: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0` }],
    });
  }
  return replicas;
}

function scaleRV(scale: unknown): number | undefined {
  const rv = isPlainObject(scale) && isPlainObject(scale.metadata) ? scale.metadata.resourceVersion : undefined;
  if (rv === undefined || rv === '' || rv === null) return undefined;
  if (typeof rv !== 'string' || !/^\d+$/.test(rv)) throw errors.badRequest(`invalid resourceVersion ${JSON.stringify(rv)}`);
  return Number(rv);
}

async function writeScale(registry: Registry, rt: ResourceType, ns: string | undefined, name: string, makeScale: (current: StoredObject) => unknown, ctx: WriteContext, explicitRV: (scale: unknown, current: StoredObject) => number | undefined): Promise<StoredObject> {
  let requestedRV: number | undefined;
  return registry.guaranteedUpdate(
    rt,
    ns,
    name,
    (copy, current) => {
      const scale = makeScale(current);
      requestedRV = explicitRV(scale, current);
      const replicas = scaleReplicas(rt, name, scale);
      if (!isPlainObject(copy.spec)) copy.spec = {};
      (copy.spec as Json).replicas = replicas;
      return copy;
    },
    ctx,
    undefined,
    () => requestedRV,
  );
}

// ---- the handler ------------------------------------------------------------------------------------

export function resourceHandler(registry: Registry, watchHooks: WatchHooks) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const legacyBinding = /^\/api\/v1\/namespaces\/([^/]+)\/bindings\/?$/.exec(req.path);
    if (legacyBinding && req.method === 'POST') {
      // The legacy core/v1 "bindings" collection: the pod is named by the Binding's metadata.name.
      res.locals.requestInfo = { verb: 'POST', group: '', version: 'v1', resource: 'bindings', subresource: '', watch: false } satisfies RequestInfo;
      const ctx = writeContext(req, res);
      const body = parseBody(req);
      const podName = isPlainObject(body) && isPlainObject(body.metadata) ? body.metadata.name : undefined;
      if (typeof podName !== 'string' || !podName) throw errors.badRequest('the Binding needs metadata.name (the pod to bind)');
      await registry.bind(decodeURIComponent(legacyBinding[1]), podName, body, ctx);
      return sendJSON(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
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
    if (subresource === 'log' && req.method === 'GET') return serveLogs(req, res, registry, ns!, name);
    if (subresource === 'binding') {
      if (req.method !== 'POST') throw errors.methodNotAllowed(req.method, 'pods/binding');
      const ctx = writeContext(req, res);
      await registry.bind(ns!, name, parseBody(req), ctx);
      return sendJSON(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    }
    if (subresource === 'eviction') {
      if (req.method !== 'POST') throw errors.methodNotAllowed(req.method, 'pods/eviction');
      const ctx = writeContext(req, res);
      const body = parseBody(req);
      const delOpts = isPlainObject(body) && isPlainObject(body.deleteOptions) ? (body.deleteOptions as DeleteOptions) : {};
      await registry.delete(rt, ns, name, { gracePeriodSeconds: delOpts.gracePeriodSeconds, preconditions: delOpts.preconditions }, ctx);
      return sendJSON(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    }
    if (subresource === 'scale') {
      const ctx = writeContext(req, res);
      switch (req.method) {
        case 'GET':
          return sendJSON(res, 200, toScale(await registry.get(rt, ns, name)));
        case 'PUT': {
          const body = parseBody(req);
          const stored = await writeScale(registry, rt, ns, name, () => body, ctx, (scale) => scaleRV(scale));
          return sendJSON(res, 200, toScale(stored));
        }
        case 'PATCH': {
          const kind = patchKind(mediaType(req));
          const patch = parsePatch(kind, rawText(req));
          const stored = await writeScale(
            registry,
            rt,
            ns,
            name,
            (current) => applyPatch(kind, toScale(current), patch, 'Scale'),
            ctx,
            (scale, current) => {
              const rv = scaleRV(scale);
              return rv !== undefined && rv !== current.rev ? rv : undefined;
            },
          );
          return sendJSON(res, 200, toScale(stored));
        }
        default:
          throw errors.methodNotAllowed(req.method, `${rt.resource}/scale`);
      }
    }
    if (subresource === 'finalize') {
      if (req.method !== 'PUT') throw errors.methodNotAllowed(req.method, 'namespaces/finalize');
      const ctx = writeContext(req, res);
      const body = parseBody(req);
      const finalizers = isPlainObject(body) && isPlainObject(body.spec) ? body.spec.finalizers : undefined;
      const stored = await registry.guaranteedUpdate(rt, undefined, name, (copy) => {
        copy.spec = { ...(isPlainObject(copy.spec) ? copy.spec : {}), finalizers: Array.isArray(finalizers) ? finalizers : [] };
        return copy;
      }, ctx, 'all');
      return sendObject(req, res, rt, 200, stored);
    }
    if (subresource !== '' && subresource !== 'status') throw errors.methodNotAllowed(req.method, `${rt.resource}/${subresource}`);
    const scope = subresource === 'status' ? 'status' : undefined;
    switch (req.method) {
      case 'GET':
        return sendObject(req, res, rt, 200, await registry.get(rt, ns, name));
      case 'PUT': {
        const ctx = writeContext(req, res);
        const { stored, created } = await registry.update(rt, ns, name, parseBody(req), ctx, scope);
        return sendObject(req, res, rt, created ? 201 : 200, stored);
      }
      case 'PATCH': {
        const ctx = writeContext(req, res);
        const ct = mediaType(req);
        const kind = patchKind(ct);
        const patch = parsePatch(kind, rawText(req));
        const stored = await registry.guaranteedUpdate(
          rt,
          ns,
          name,
          (copy) => {
            const patched = applyPatch(kind, copy, patch, rt.kind);
            if (!isPlainObject(patched)) throw errors.badRequest('the patched object is not a JSON object');
            return patched as KObj;
          },
          ctx,
          scope,
          (requested, current) => {
            // A resourceVersion the patch itself sets is a precondition (409 when stale).
            const rv = isPlainObject(requested.metadata) ? requested.metadata.resourceVersion : undefined;
            if (rv === undefined || rv === null || rv === current.obj.metadata.resourceVersion) return undefined;
            if (typeof rv !== 'string' || !/^\d+$/.test(rv)) throw errors.badRequest(`invalid resourceVersion ${JSON.stringify(rv)}`);
            return Number(rv);
          },
        );
        return sendObject(req, res, rt, 200, stored);
      }
      case 'DELETE': {
        if (scope) throw errors.methodNotAllowed('DELETE', `${rt.resource}/status`);
        const ctx = writeContext(req, res);
        const result = await registry.delete(rt, ns, name, deleteOptions(req), ctx);
        flushWarnings(res);
        if (result.removed && !strategyFor(rt).returnDeletedObject) return sendJSON(res, 200, successStatus(rt, name, result.object.obj.metadata.uid as string | undefined));
        return sendRaw(res, 200, result.object.bytes);
      }
      default:
        throw errors.methodNotAllowed(req.method, rt.resource);
    }
  };
}

