// The handlers of one object and its subresources, as a table {subresource → handler}: '' is the
// object itself. resourceHandler (../resources.ts) has already checked that the kind has the
// subresource (lib/api/resources.ts lists each kind's); a new subresource is one entry here and one
// file beside this one.
import type { Request, Response } from 'express';
import type { ResourceType } from '../../../lib/api/resources';
import type { Registry } from '../../registry/registry';
import { serveBinding } from './binding';
import { serveEviction } from './eviction';
import { serveFinalize } from './finalize';
import { serveLog } from './log';
import { serveObject } from './object';
import { serveScale } from './scale';

/** A request for one object or one of its subresources: what every handler of the table gets. */
export interface ObjectRequest {
  req: Request;
  res: Response;
  registry: Registry;
  rt: ResourceType;
  /** undefined for cluster-scoped kinds. */
  namespace: string | undefined;
  name: string;
  /** '' for the object itself. */
  subresource: string;
}

export type SubresourceHandler = (call: ObjectRequest) => Promise<void>;

const handlers: Record<string, SubresourceHandler> = {
  '': serveObject,
  status: serveObject,
  binding: serveBinding,
  eviction: serveEviction,
  scale: serveScale,
  finalize: serveFinalize,
  log: serveLog,
};

/** The handler of a subresource ('' for the object itself); undefined when steer has none. */
export function subresourceHandler(subresource: string): SubresourceHandler | undefined {
  return Object.hasOwn(handlers, subresource) ? handlers[subresource] : undefined;
}
