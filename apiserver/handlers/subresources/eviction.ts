// pods/eviction: POST an Eviction to delete a pod with the grace period and preconditions of its
// deleteOptions (steer has no PodDisruptionBudgets to refuse it).
import { errors } from '../../errors';
import { isPlainObject } from '../../registry/objects';
import type { DeleteOptions } from '../../registry/registry';
import { parseBody, sendCreatedStatus, writeContext } from '../request';
import type { ObjectRequest } from '.';

export async function serveEviction({ req, res, registry, rt, namespace, name }: ObjectRequest): Promise<void> {
  if (req.method !== 'POST') throw errors.methodNotAllowed(req.method, 'pods/eviction');
  const ctx = writeContext(req, res);
  const body = parseBody(req);
  const delOpts = isPlainObject(body) && isPlainObject(body.deleteOptions) ? (body.deleteOptions as DeleteOptions) : {};
  await registry.delete(rt, namespace, name, { gracePeriodSeconds: delOpts.gracePeriodSeconds, preconditions: delOpts.preconditions }, ctx);
  return sendCreatedStatus(res);
}
