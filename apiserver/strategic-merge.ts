// Strategic merge patch (application/strategic-merge-patch+json), as Kubernetes applies it: maps merge
// recursively, `null` deletes a key, lists merge by the merge key the Kubernetes type declares
// (patchMergeKey tags) or are replaced; the directives `$patch`, `$retainKeys`, `$setElementOrder/…` and
// `$deleteFromPrimitiveList/…` are honoured and never reach storage. Pure: inputs are not mutated.

import { PatchMeta, patchMetaForKind } from '../lib/api/patch-meta';

export class PatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PatchError';
  }
}

type JsonMap = Record<string, unknown>;

const patchDirective = '$patch';
const retainKeysDirective = '$retainKeys';
const setElementOrderPrefix = '$setElementOrder/';
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList/';

function isMap(v: unknown): v is JsonMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function describeJson(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

/**
 * Applies a strategic merge patch to an object of the given kind ('Deployment', 'Pod', …; unknown kinds
 * merge maps and replace lists). Returns the patched copy; throws PatchError for a malformed patch.
 */
export function strategicMergePatch(original: unknown, patch: unknown, kind: string): unknown {
  if (!isMap(patch)) throw new PatchError(`patch must be a JSON object, got ${describeJson(patch)}`);
  const directive = patch[patchDirective];
  if (directive === 'delete') throw new PatchError('cannot delete the whole object with "$patch": "delete"');
  try {
    const base = isMap(original) ? clone(original) : {};
    return mergeMap(base, patch, patchMetaForKind(kind));
  } catch (err) {
    // Absurdly deep JSON exhausts the stack: that is bad input, not a server fault.
    if (err instanceof RangeError) throw new PatchError('patch or object is nested too deeply');
    throw err;
  }
}

function checkDirective(value: unknown): 'replace' | 'delete' | 'merge' | undefined {
  if (value === undefined) return undefined;
  if (value === 'replace' || value === 'delete' || value === 'merge') return value;
  throw new PatchError(`Unknown patch type: ${describeJson(value)}`);
}

function stringList(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new PatchError(`invalid ${name}: expected a list of strings, got ${describeJson(value)}`);
  }
  return value as string[];
}

/** Merges a patch map into `original` (a private copy, mutated and returned). */
function mergeMap(original: JsonMap, patch: JsonMap, schema: PatchMeta | undefined): JsonMap {
  const directive = checkDirective(patch[patchDirective]);
  if (directive === 'replace') return cleanMap(patch, schema);

  if (patch[retainKeysDirective] !== undefined) {
    const retain = new Set(stringList(patch[retainKeysDirective], retainKeysDirective));
    for (const key of Object.keys(original)) if (!retain.has(key)) delete original[key];
  }

  // $deleteFromPrimitiveList/<field> first, then the field's own patch, then $setElementOrder/<field>.
  for (const [key, value] of Object.entries(patch)) {
    if (!key.startsWith(deleteFromPrimitiveListPrefix)) continue;
    const field = key.slice(deleteFromPrimitiveListPrefix.length);
    if (!Array.isArray(value)) throw new PatchError(`invalid ${key}: expected a list, got ${describeJson(value)}`);
    const current = original[field];
    if (Array.isArray(current)) {
      original[field] = current.filter((item) => !value.some((d) => scalarEqual(d, item)));
    }
  }

  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    const fieldSchema = schema?.fields?.[key];
    if (value === null) {
      delete original[key];
    } else if (isMap(value)) {
      const sub = checkDirective(value[patchDirective]);
      if (sub === 'delete') delete original[key];
      else if (isMap(original[key])) original[key] = mergeMap(original[key] as JsonMap, value, fieldSchema);
      else original[key] = cleanMap(value, fieldSchema);
    } else if (Array.isArray(value)) {
      original[key] = mergeList(original[key], value, fieldSchema, key);
    } else {
      original[key] = value;
    }
  }

  for (const [key, value] of Object.entries(patch)) {
    if (!key.startsWith(setElementOrderPrefix)) continue;
    const field = key.slice(setElementOrderPrefix.length);
    if (!Array.isArray(value)) throw new PatchError(`invalid ${key}: expected a list, got ${describeJson(value)}`);
    const current = original[field];
    if (Array.isArray(current)) original[field] = reorder(current, value, schema?.fields?.[field]?.mergeKey);
  }
  return original;
}

function scalarEqual(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && typeof b === 'object' && describeJson(a) === describeJson(b));
}

/** Merges a patch list into the original value of a field, by the field's strategy. */
function mergeList(original: unknown, patch: unknown[], schema: PatchMeta | undefined, field: string): unknown[] {
  // A `{"$patch": "replace"}` element replaces the whole list with the other elements.
  const replaceAll = patch.some((e) => isMap(e) && checkDirective(e[patchDirective]) === 'replace');
  const current = Array.isArray(original) ? original : [];

  if (schema?.mergeKey && !replaceAll) {
    const mergeKey = schema.mergeKey;
    const result = current.map((e) => clone(e));
    for (const element of patch) {
      if (!isMap(element)) {
        throw new PatchError(`${field}: expected a map with merge key "${mergeKey}", got ${describeJson(element)}`);
      }
      const directive = checkDirective(element[patchDirective]);
      if (!(mergeKey in element)) {
        throw new PatchError(`map: ${describeJson(element)} does not contain declared merge key: ${mergeKey}`);
      }
      const keyValue = element[mergeKey];
      const index = result.findIndex((e) => isMap(e) && scalarEqual(e[mergeKey], keyValue));
      if (directive === 'delete') {
        if (index >= 0) result.splice(index, 1);
        // Kubernetes deletes every element with the key, duplicates included.
        for (let i = result.length - 1; i >= 0; i--) {
          const e = result[i];
          if (isMap(e) && scalarEqual(e[mergeKey], keyValue)) result.splice(i, 1);
        }
      } else if (index >= 0 && directive !== 'replace') {
        result[index] = mergeMap(result[index] as JsonMap, element, schema.items);
      } else if (index >= 0) {
        result[index] = cleanMap(element, schema.items);
      } else {
        result.push(cleanMap(element, schema.items));
      }
    }
    return result;
  }

  if (schema?.set && !replaceAll) {
    const result = current.map((e) => clone(e));
    for (const item of patch) if (!result.some((e) => scalarEqual(e, item))) result.push(clone(item));
    return result;
  }

  return cleanList(patch, schema);
}

/**
 * Orders a merged list as `$setElementOrder` says. Elements it does not name (present only on the
 * server) keep their place relative to their neighbours: each goes right after the element it followed
 * in the merged list, or first when nothing named preceded it.
 */
function reorder(list: unknown[], order: unknown[], mergeKey: string | undefined): unknown[] {
  const keyOf = (e: unknown): unknown => (mergeKey && isMap(e) ? e[mergeKey] : e);
  const wanted = order.map((o) => (mergeKey && isMap(o) ? o[mergeKey] : o));
  const named = new Set<number>();
  const result: unknown[] = [];
  for (const w of wanted) {
    const i = list.findIndex((e, j) => !named.has(j) && scalarEqual(keyOf(e), w));
    if (i >= 0) {
      named.add(i);
      result.push(list[i]);
    }
  }
  let insertAt = 0;
  for (let j = 0; j < list.length; j++) {
    if (named.has(j)) {
      insertAt = result.indexOf(list[j]) + 1;
      continue;
    }
    result.splice(insertAt, 0, list[j]);
    insertAt++;
  }
  return result;
}

/** A patch map that lands where nothing was: directives and nulls removed, all the way down. */
function cleanMap(patch: JsonMap, schema: PatchMeta | undefined): JsonMap {
  const out: JsonMap = {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$') || value === null) continue;
    const fieldSchema = schema?.fields?.[key];
    if (isMap(value)) {
      if (checkDirective(value[patchDirective]) === 'delete') continue;
      out[key] = cleanMap(value, fieldSchema);
    } else if (Array.isArray(value)) {
      out[key] = cleanList(value, fieldSchema);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function cleanList(list: unknown[], schema: PatchMeta | undefined): unknown[] {
  const out: unknown[] = [];
  for (const element of list) {
    if (isMap(element)) {
      const directive = checkDirective(element[patchDirective]);
      // Marker elements ({"$patch":"replace"}) and deletions of absent elements leave nothing behind.
      if (directive === 'delete') continue;
      if (directive === 'replace' && Object.keys(element).length === 1) continue;
      out.push(cleanMap(element, schema?.items));
    } else if (Array.isArray(element)) {
      out.push(cleanList(element, undefined));
    } else {
      out.push(element);
    }
  }
  return out;
}
