// metav1.Status errors: every failure the API server reports is one of these, with the HTTP code,
// reason and details Kubernetes uses, so kubectl and client-node print what their users expect.
import type { Status, StatusCause } from 'kubernetes-types/meta/v1';
import type { ResourceType } from '../lib/api/resources';

export class ApiStatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Status['details'],
  ) {
    super(message);
  }

  toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      // Go omits an empty reason (a webhook's refusal may have none).
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** "deployments.apps" or "pods": how Kubernetes names a resource in messages. */
export function qualifiedResource(rt: ResourceType): string {
  return rt.group ? `${rt.resource}.${rt.group}` : rt.resource;
}

function details(rt: ResourceType, name: string, kind = rt.resource): Status['details'] {
  return { name, ...(rt.group ? { group: rt.group } : {}), kind };
}

export const errors = {
  badRequest: (message: string) => new ApiStatusError(400, 'BadRequest', message),
  unauthorized: () => new ApiStatusError(401, 'Unauthorized', 'Unauthorized'),
  notFound: (rt: ResourceType, name: string) =>
    new ApiStatusError(404, 'NotFound', `${qualifiedResource(rt)} "${name}" not found`, details(rt, name)),
  // Empty details, as kube's NewNotFound(GroupResource{}, "") has: clients tell a missing path (a
  // subresource this server lacks) from a missing object by them (kubectl debug reads details.name).
  pathNotFound: () => new ApiStatusError(404, 'NotFound', 'the server could not find the requested resource', {}),
  methodNotAllowed: (verb: string, what: string) =>
    new ApiStatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${verb} ${what})`),
  alreadyExists: (rt: ResourceType, name: string) =>
    new ApiStatusError(409, 'AlreadyExists', `${qualifiedResource(rt)} "${name}" already exists`, details(rt, name)),
  conflict: (rt: ResourceType, name: string, why: string) =>
    new ApiStatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(rt)} "${name}": ${why}`, details(rt, name)),
  modified: (rt: ResourceType, name: string) =>
    errors.conflict(rt, name, 'the object has been modified; please apply your changes to the latest version and try again'),
  gone: (message: string) => new ApiStatusError(410, 'Expired', message),
  tooLarge: (limit: number) => new ApiStatusError(413, 'RequestEntityTooLarge', `the request body is larger than the limit of ${limit} bytes`),
  unsupportedMediaType: (ct: string) => new ApiStatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${JSON.stringify(ct)})`),
  invalid: (rt: ResourceType, name: string, causes: StatusCause[]) => {
    const kind = rt.group ? `${rt.kind}.${rt.group}` : rt.kind;
    const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ');
    const msg = `${kind} "${name}" is invalid: ${causes.length > 1 ? `[${summary}]` : summary}`;
    return new ApiStatusError(422, 'Invalid', msg, { ...details(rt, name, rt.kind), causes });
  },
  /**
   * A patch whose result does not decode (kube's patch handler: NewInvalid with no kind or name, the
   * `patch` field holding the patched object, or the strategic patch as Go prints it).
   */
  invalidPatch: (value: string, detail: string) => {
    const cause = { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${detail}`, field: 'patch' };
    return new ApiStatusError(422, 'Invalid', ` "" is invalid: patch: ${cause.message}`, { causes: [cause] });
  },
  forbidden: (rt: ResourceType, name: string, why: string) =>
    new ApiStatusError(403, 'Forbidden', `${qualifiedResource(rt)} "${name}" is forbidden: ${why}`, details(rt, name)),
  serviceUnavailable: (message: string) => new ApiStatusError(503, 'ServiceUnavailable', message),
  internal: (message: string) => new ApiStatusError(500, 'InternalError', `Internal error occurred: ${message}`),
};

export function successStatus(rt: ResourceType, name: string, uid?: string): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name, ...(rt.group ? { group: rt.group } : {}), kind: rt.resource, ...(uid ? { uid } : {}) },
  };
}
