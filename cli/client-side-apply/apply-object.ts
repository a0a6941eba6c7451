// Client-side apply of one object, as kubectl does it (the engine behind the `steer apply` verb in
// cli/verbs/apply.ts): create with the last-applied annotation when the object is absent, otherwise
// send the three-way strategic merge patch of three-way.ts (or nothing when it is empty).
import { KubeClient, KubeObject, isNotFound } from '../../lib/client/client';
import { ResourceType, resourcePath } from '../../lib/api/resources';
import { patchMetaForKind } from '../../lib/api/patch-meta';
import { Json, JsonMap, threeWayMergePatch } from './three-way';
import { sortKeysDeep } from '../../lib/api/json';

export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

export type ApplyResult = 'created' | 'configured' | 'unchanged';


/**
 * JSON as Go's encoding/json Encoder writes it (what kubectl stores): compact, map keys sorted, `<`,
 * `>`, `&`, U+2028 and U+2029 escaped, and a trailing newline — so steer and kubectl write
 * byte-identical annotations and see each other's applies as unchanged.
 */
export function goJson(v: Json): string {
  const text = JSON.stringify(sortKeysDeep(v))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `${text}\n`;
}

function metadataOf(obj: JsonMap): JsonMap {
  const md = obj.metadata;
  return md && typeof md === 'object' && !Array.isArray(md) ? md : {};
}

/**
 * The object to send, with the last-applied annotation set to the object itself (serialized with that
 * annotation removed and `metadata.annotations` present, as kubectl's GetModifiedConfiguration does).
 */
export function withLastApplied(obj: JsonMap): JsonMap {
  const md = metadataOf(obj);
  const annotations: Record<string, Json> = { ...((md.annotations as JsonMap | undefined) || {}) };
  delete annotations[lastAppliedAnnotation];
  const bare: JsonMap = { ...obj, metadata: { ...md, annotations } };
  const annotated: JsonMap = {
    ...obj,
    metadata: { ...md, annotations: { ...annotations, [lastAppliedAnnotation]: goJson(bare) } },
  };
  return annotated;
}

/** The last-applied configuration stored on a live object, or null when absent or unreadable. */
export function readLastApplied(live: JsonMap): JsonMap | null {
  const annotations = metadataOf(live).annotations;
  if (!annotations || typeof annotations !== 'object' || Array.isArray(annotations)) return null;
  const text = annotations[lastAppliedAnnotation];
  if (typeof text !== 'string' || !text) return null;
  try {
    const parsed = JSON.parse(text) as Json;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

/** The patch apply would send for `desired` against `live`; `{}` when nothing would change. */
export function applyPatchFor(desired: JsonMap, live: JsonMap): JsonMap {
  const modified = withLastApplied(desired);
  return threeWayMergePatch(readLastApplied(live), modified, live, patchMetaForKind(desired.kind as string | undefined));
}

/** Applies one object (its namespace already set for namespaced kinds). */
export async function applyObject(client: KubeClient, r: ResourceType, obj: JsonMap): Promise<ApplyResult> {
  const md = metadataOf(obj);
  const name = md.name as string;
  const namespace = r.namespaced ? (md.namespace as string) : undefined;
  let live: JsonMap;
  try {
    live = await client.get<JsonMap>(r, namespace, name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await client.request<KubeObject>('POST', resourcePath(r, { namespace }), {
      body: withLastApplied(obj),
      query: { fieldManager: 'kubectl-client-side-apply' },
    });
    return 'created';
  }
  const patch = applyPatchFor(obj, live);
  if (Object.keys(patch).length === 0) return 'unchanged';
  await client.request<KubeObject>('PATCH', resourcePath(r, { namespace, name }), {
    body: patch,
    contentType: 'application/strategic-merge-patch+json',
    query: { fieldManager: 'kubectl-client-side-apply' },
  });
  return 'configured';
}
