// The scale subresource (autoscaling/v1 Scale) of Deployments, ReplicaSets, ReplicationControllers and
// custom resources whose CRD declares one: GET, PUT and PATCH of the replicas field (spec.replicas, or
// the CRD's specReplicasPath), with the Scale's resourceVersion as a precondition.
import type { ResourceType } from '../../../lib/api/resources';
import { strategyFor } from '../../kinds';
import type { ScalePaths } from '../../kinds/strategy';
import { labelSelectorToString } from '../../../lib/api/selectors';
import { ApiStatusError, errors } from '../../errors';
import { isPlainObject, Json } from '../../registry/objects';
import { strictDecoding, type Registry, type WriteContext } from '../../registry/registry';
import { pruneUnknownFields } from '../../schema';
import type { StoredObject } from '../../storage/types';
import { patchKind, requestPatcher } from '../patch';
import { flushWarnings, mediaType, parseBody, qs, sendJSON, writeContext } from '../request';
import type { ObjectRequest } from '.';

function valueAt(obj: unknown, path: readonly string[]): unknown {
  let cur = obj;
  for (const p of path) cur = isPlainObject(cur) ? cur[p] : undefined;
  return cur;
}

/** The autoscaling/v1 Scale of an object; `paths` undefined: a built-in kind's spec.replicas and spec.selector. */
function scaleOf(stored: StoredObject, paths: ScalePaths | undefined): Json {
  const obj = stored.obj;
  const md = obj.metadata;
  let specReplicas: unknown;
  let statusReplicas: unknown;
  let selector = '';
  if (paths) {
    specReplicas = valueAt(obj, paths.specReplicas) ?? 0;
    statusReplicas = valueAt(obj, paths.statusReplicas);
    const sel = paths.labelSelector ? valueAt(obj, paths.labelSelector) : undefined;
    selector = typeof sel === 'string' ? sel : '';
  } else {
    const spec = isPlainObject(obj.spec) ? obj.spec : {};
    specReplicas = typeof spec.replicas === 'number' ? spec.replicas : 1;
    statusReplicas = isPlainObject(obj.status) ? obj.status.replicas : undefined;
    // A ReplicationController's selector is a plain label map, not a LabelSelector.
    const labelSelector = obj.kind === 'ReplicationController' ? { matchLabels: spec.selector } : spec.selector;
    selector = isPlainObject(spec.selector) ? labelSelectorToString(labelSelector as Parameters<typeof labelSelectorToString>[0]) : '';
  }
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: md.name, namespace: md.namespace, uid: md.uid, resourceVersion: md.resourceVersion, creationTimestamp: md.creationTimestamp },
    spec: { replicas: typeof specReplicas === 'number' ? specReplicas : 0 },
    status: { replicas: typeof statusReplicas === 'number' ? statusReplicas : 0, ...(selector ? { selector } : {}) },
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

const ScaleType = { version: 'v1', kind: 'Scale' };

/** kube decodes a Scale strictly, as any body: its unknown fields, and the repeated ones its parser noted. */
function strictScale(scale: unknown, ctx: WriteContext): void {
  if (isPlainObject(scale)) strictDecoding(scale, ctx, () => pruneUnknownFields(ScaleType, scale));
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
      // Sets the replicas field, making the objects on its path where they are missing.
      const path = strategyFor(rt).scale?.specReplicas ?? ['spec', 'replicas'];
      let parent = copy as Json;
      for (const p of path.slice(0, -1)) {
        if (!isPlainObject(parent[p])) parent[p] = {};
        parent = parent[p] as Json;
      }
      parent[path[path.length - 1]] = replicas;
      return copy;
    },
    ctx,
    undefined,
    () => requestedRV,
  );
}

export async function serveScale({ req, res, registry, rt, namespace: ns, name }: ObjectRequest): Promise<void> {
  const ctx = writeContext(req, res);
  const paths = strategyFor(rt).scale;
  const toScale = (stored: StoredObject): Json => scaleOf(stored, paths);
  switch (req.method) {
    case 'GET':
      return sendJSON(res, 200, toScale(await registry.get(rt, ns, name, { resourceVersion: qs(req, 'resourceVersion') })));
    case 'PUT': {
      const body = parseBody(req);
      strictScale(body, ctx);
      const stored = await writeScale(registry, rt, ns, name, () => body, ctx, (scale) => scaleRV(scale));
      flushWarnings(res);
      return sendJSON(res, 200, toScale(stored));
    }
    case 'PATCH': {
      const kind = patchKind(mediaType(req));
      const patchWith = requestPatcher(req, kind, ctx.fieldValidation);
      const stored = await writeScale(
        registry,
        rt,
        ns,
        name,
        (current) => {
          const patched = patchWith(toScale(current), 'Scale');
          strictScale(patched, ctx);
          return patched;
        },
        ctx,
        (scale, current) => {
          const rv = scaleRV(scale);
          return rv !== undefined && rv !== current.rev ? rv : undefined;
        },
      );
      flushWarnings(res);
      return sendJSON(res, 200, toScale(stored));
    }
    default:
      throw errors.methodNotAllowed(req.method, `${rt.resource}/scale`);
  }
}
