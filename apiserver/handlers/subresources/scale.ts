// The scale subresource (autoscaling/v1 Scale) of Deployments, ReplicaSets and ReplicationControllers: GET, PUT and PATCH of
// spec.replicas, with the Scale's resourceVersion as a precondition.
import type { ResourceType } from '../../../lib/api/resources';
import { labelSelectorToString } from '../../../lib/api/selectors';
import { ApiStatusError, errors } from '../../errors';
import { isPlainObject, Json } from '../../registry/objects';
import type { Registry, WriteContext } from '../../registry/registry';
import type { StoredObject } from '../../storage/types';
import { applyPatch, parsePatch, patchKind } from '../patch';
import { mediaType, parseBody, rawText, sendJSON, writeContext } from '../request';
import type { ObjectRequest } from '.';

/** The autoscaling/v1 Scale of a Deployment or ReplicaSet. */
function toScale(stored: StoredObject): Json {
  const obj = stored.obj;
  const spec = isPlainObject(obj.spec) ? obj.spec : {};
  const status = isPlainObject(obj.status) ? obj.status : {};
  const md = obj.metadata;
  // A ReplicationController's selector is a plain label map, not a LabelSelector.
  const labelSelector = obj.kind === 'ReplicationController' ? { matchLabels: spec.selector } : spec.selector;
  const selector = isPlainObject(spec.selector) ? labelSelectorToString(labelSelector as Parameters<typeof labelSelectorToString>[0]) : '';
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: md.name, namespace: md.namespace, uid: md.uid, resourceVersion: md.resourceVersion, creationTimestamp: md.creationTimestamp },
    spec: { replicas: typeof spec.replicas === 'number' ? spec.replicas : 1 },
    status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, ...(selector ? { selector } : {}) },
  };
}

function scaleReplicas(name: string, scale: unknown): number {
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

/** Sets spec.replicas from a requested Scale; explicitRV gives the resourceVersion precondition, if any. */
async function writeScale(registry: Registry, rt: ResourceType, ns: string | undefined, name: string, makeScale: (current: StoredObject) => unknown, ctx: WriteContext, explicitRV: (scale: unknown, current: StoredObject) => number | undefined): Promise<StoredObject> {
  let requestedRV: number | undefined;
  return registry.guaranteedUpdate(
    rt,
    ns,
    name,
    (copy, current) => {
      const scale = makeScale(current);
      requestedRV = explicitRV(scale, current);
      const replicas = scaleReplicas(name, scale);
      if (!isPlainObject(copy.spec)) copy.spec = {};
      (copy.spec as Json).replicas = replicas;
      return copy;
    },
    ctx,
    undefined,
    () => requestedRV,
  );
}

export async function serveScale({ req, res, registry, rt, namespace: ns, name }: ObjectRequest): Promise<void> {
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
