// The handlers of one object and its subresources, as a table {subresource → handler}: '' is the
// object itself. resourceHandler (../resources.ts) has already checked that the kind has the
// subresource (lib/api/resources.ts lists each kind's); a new subresource is one entry here and one
// file beside this one.
import type { Request, Response } from 'express';
import type { ResourceType } from '../../../lib/api/resources';
import type { Registry } from '../../registry/registry';
import { serveBinding } from './binding';
import { serveConnect } from './connect';
import { serveEviction } from './eviction';
import { serveFinalize } from './finalize';
import { serveLog } from './log';
import { serveObject } from './object';
import { serveProxy } from './proxy';
import { serveScale } from './scale';
import { serveToken } from './token';

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

/** How discovery lists a subresource (its APIResource entry): the kind it takes or answers, its verbs. */
export interface SubresourceDiscovery {
  kind: string;
  verbs: string[];
  group?: string;
  version?: string;
}

interface Subresource {
  serve: SubresourceHandler;
  /** undefined: not listed in discovery (the object itself). */
  discovery?: (rt: ResourceType) => SubresourceDiscovery;
}

const subresources: Record<string, Subresource> = {
  '': { serve: serveObject },
  status: { serve: serveObject, discovery: (rt) => ({ kind: rt.kind, verbs: ['get', 'patch', 'update'] }) },
  ephemeralcontainers: { serve: serveObject, discovery: () => ({ kind: 'Pod', verbs: ['get', 'patch', 'update'] }) },
  approval: { serve: serveObject, discovery: () => ({ kind: 'CertificateSigningRequest', verbs: ['get', 'patch', 'update'] }) },
  binding: { serve: serveBinding, discovery: () => ({ kind: 'Binding', verbs: ['create'] }) },
  eviction: { serve: serveEviction, discovery: () => ({ kind: 'Eviction', verbs: ['create'], group: 'policy', version: 'v1' }) },
  scale: { serve: serveScale, discovery: () => ({ kind: 'Scale', verbs: ['get', 'patch', 'update'], group: 'autoscaling', version: 'v1' }) },
  finalize: { serve: serveFinalize, discovery: () => ({ kind: 'Namespace', verbs: ['update'] }) },
  log: { serve: serveLog, discovery: () => ({ kind: 'Pod', verbs: ['get'] }) },
  // Connect subresources: POST (SPDY) and GET (WebSocket) upgrades, proxied to the node agent.
  exec: { serve: serveConnect, discovery: () => ({ kind: 'PodExecOptions', verbs: ['create', 'get'] }) },
  attach: { serve: serveConnect, discovery: () => ({ kind: 'PodAttachOptions', verbs: ['create', 'get'] }) },
  portforward: { serve: serveConnect, discovery: () => ({ kind: 'PodPortForwardOptions', verbs: ['create', 'get'] }) },
  // Any method, passed on to the pod, a Service's endpoint or the node (kube's ProxyREST).
  proxy: { serve: serveProxy, discovery: (rt) => ({ kind: `${rt.kind}ProxyOptions`, verbs: ['create', 'delete', 'get', 'patch', 'update'] }) },
  token: { serve: serveToken, discovery: () => ({ kind: 'TokenRequest', verbs: ['create'], group: 'authentication.k8s.io', version: 'v1' }) },
};

/** The handler of a subresource ('' for the object itself); undefined when steer has none. */
export function subresourceHandler(subresource: string): SubresourceHandler | undefined {
  return Object.hasOwn(subresources, subresource) ? subresources[subresource].serve : undefined;
}

/** The discovery entry of a kind's subresource; undefined when it is not listed. */
export function subresourceDiscovery(rt: ResourceType, subresource: string): SubresourceDiscovery | undefined {
  return Object.hasOwn(subresources, subresource) ? subresources[subresource].discovery?.(rt) : undefined;
}
