// pods/binding (POST a Binding: the scheduler's way to put a pod on a node) and the legacy core/v1
// "bindings" collection, where the Binding's metadata.name names the pod.
import type { Request, Response } from 'express';
import { errors } from '../../errors';
import { isPlainObject } from '../../registry/objects';
import type { Registry } from '../../registry/registry';
import { parseBody, sendCreatedStatus, writeContext } from '../request';
import type { ObjectRequest } from '.';

export async function serveBinding({ req, res, registry, namespace, name }: ObjectRequest): Promise<void> {
  if (req.method !== 'POST') throw errors.methodNotAllowed(req.method, 'pods/binding');
  const ctx = writeContext(req, res);
  await registry.bind(namespace!, name, parseBody(req), ctx);
  return sendCreatedStatus(res);
}

/** POST /api/v1/namespaces/NS/bindings. */
export async function serveLegacyBinding(req: Request, res: Response, registry: Registry, namespace: string): Promise<void> {
  const ctx = writeContext(req, res);
  const body = parseBody(req);
  const podName = isPlainObject(body) && isPlainObject(body.metadata) ? body.metadata.name : undefined;
  if (typeof podName !== 'string' || !podName) throw errors.badRequest('the Binding needs metadata.name (the pod to bind)');
  await registry.bind(namespace, podName, body, ctx);
  return sendCreatedStatus(res);
}
