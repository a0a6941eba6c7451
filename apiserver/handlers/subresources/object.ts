// The object itself (GET, PUT, PATCH, DELETE), its status subresource (GET, PUT, PATCH of status
// alone), a pod's ephemeralcontainers (GET, PUT, PATCH of spec.ephemeralContainers alone: kubectl
// debug) and a CertificateSigningRequest's approval (its conditions alone: kubectl certificate approve): the registry's get, update, guaranteedUpdate with a patch, and delete.
import { errors, successStatus } from '../../errors';
import { strategyFor } from '../../kinds';
import { isPlainObject } from '../../registry/objects';
import type { KObj } from '../../storage/types';
import { patchKind, requestPatcher } from '../patch';
import { deleteOptions, flushWarnings, mediaType, parseBody, qs, sendJSON, sendObject, sendRaw, writeContext } from '../request';
import type { ObjectRequest } from '.';
import { ApplyPatchMediaType, serveApply } from './apply';

export async function serveObject({ req, res, registry, rt, namespace: ns, name, subresource }: ObjectRequest): Promise<void> {
  const scope = subresource === 'status' || subresource === 'ephemeralcontainers' || subresource === 'approval' ? subresource : undefined;
  switch (req.method) {
    case 'GET':
      return sendObject(req, res, rt, 200, await registry.get(rt, ns, name, { resourceVersion: qs(req, 'resourceVersion') }));
    case 'PUT': {
      const ctx = writeContext(req, res);
      const { stored, created } = await registry.update(rt, ns, name, parseBody(req), ctx, scope);
      return sendObject(req, res, rt, created ? 201 : 200, stored);
    }
    case 'PATCH': {
      const ctx = writeContext(req, res);
      const ct = mediaType(req);
      if (ct === ApplyPatchMediaType) return serveApply({ req, res, registry, rt, namespace: ns, name, subresource }, ctx);
      if (qs(req, 'force') !== undefined) throw errors.badRequest('force: Forbidden: may not be specified for non-apply patch');
      const kind = patchKind(ct, strategyFor(rt).strategicMerge !== false);
      const patchWith = requestPatcher(req, kind, ctx.fieldValidation);
      const stored = await registry.guaranteedUpdate(
        rt,
        ns,
        name,
        (copy) => {
          const patched = patchWith(copy, rt.kind);
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
      if (scope) throw errors.methodNotAllowed('DELETE', `${rt.resource}/${scope}`);
      const ctx = writeContext(req, res);
      const result = await registry.delete(rt, ns, name, deleteOptions(req), ctx);
      flushWarnings(res);
      if (result.removed && !strategyFor(rt).returnDeletedObject) return sendJSON(res, 200, successStatus(rt, name, result.object.obj.metadata.uid as string | undefined));
      return sendRaw(res, 200, result.object.bytes);
    }
    default:
      throw errors.methodNotAllowed(req.method, rt.resource);
  }
}
