// namespaces/finalize: PUT replaces a namespace's spec.finalizers (what the namespace controller
// clears before the namespace can go).
import { errors } from '../../errors';
import { isPlainObject } from '../../registry/objects';
import { parseBody, sendObject, writeContext } from '../request';
import type { ObjectRequest } from '.';

export async function serveFinalize({ req, res, registry, rt, name }: ObjectRequest): Promise<void> {
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
