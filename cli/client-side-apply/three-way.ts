// kubectl's client-side apply patch: the three-way strategic merge patch computed from the
// last-applied configuration (original), the file being applied (modified) and the live object
// (current), as apimachinery's CreateThreeWayMergePatch does it:
//   delta     = what makes current look like modified, ignoring deletions;
//   deletions = what was in original but is gone from modified (set to null / `$patch: delete` /
//               `$deleteFromPrimitiveList`), ignoring changes and additions;
//   patch     = deletions merged with delta.
// Fields the server or other writers added (never in original) are therefore left alone, while fields
// removed from the file are removed from the object. Pure: inputs are not mutated.
import { PatchMeta } from '../../lib/api/patch-meta';
import { deepEqual } from '../../lib/api/json';

export type Json = null | boolean | number | string | Json[] | JsonMap;
export interface JsonMap {
  [key: string]: Json;
}

const setElementOrderPrefix = '$setElementOrder/';
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList/';

interface DiffOptions {
  ignoreDeletions: boolean;
  ignoreChangesAndAdditions: boolean;
}

function isMap(v: unknown): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}


function kindOfValue(v: unknown): 'map' | 'list' | 'scalar' | 'null' {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'list';
  if (isMap(v)) return 'map';
  return 'scalar';
}

function diffMaps(original: JsonMap, modified: JsonMap, meta: PatchMeta | undefined, o: DiffOptions): JsonMap {
  const patch: JsonMap = {};
  for (const [key, modValue] of Object.entries(modified)) {
    if (!Object.prototype.hasOwnProperty.call(original, key)) {
      if (!o.ignoreChangesAndAdditions) patch[key] = modValue;
      continue;
    }
    const origValue = original[key];
    const fieldMeta = meta?.fields?.[key];
    const ko = kindOfValue(origValue);
    const km = kindOfValue(modValue);
    if (ko !== km) {
      if (!o.ignoreChangesAndAdditions) patch[key] = modValue;
      continue;
    }
    if (km === 'map') {
      const sub = diffMaps(origValue as JsonMap, modValue as JsonMap, fieldMeta, o);
      if (Object.keys(sub).length > 0) patch[key] = sub;
    } else if (km === 'list') {
      diffListField(patch, key, origValue as Json[], modValue as Json[], fieldMeta, o);
    } else if (!deepEqual(origValue, modValue) && !o.ignoreChangesAndAdditions) {
      patch[key] = modValue;
    }
  }
  if (!o.ignoreDeletions) {
    for (const key of Object.keys(original)) {
      if (!Object.prototype.hasOwnProperty.call(modified, key)) patch[key] = null;
    }
  }
  return patch;
}

function diffListField(patch: JsonMap, key: string, original: Json[], modified: Json[], meta: PatchMeta | undefined, o: DiffOptions): void {
  if (meta?.mergeKey && modified.concat(original).every(isMap)) {
    diffListsOfMaps(patch, key, original as JsonMap[], modified as JsonMap[], meta.mergeKey, meta.items, o);
  } else if (meta?.set && modified.concat(original).every((v) => kindOfValue(v) === 'scalar')) {
    diffListsOfScalars(patch, key, original, modified, o);
  } else if (!deepEqual(original, modified) && !o.ignoreChangesAndAdditions) {
    // Atomic list: replaced as a whole.
    patch[key] = modified;
  }
}

function sameOrder(a: Json[], b: Json[], keyOf: (v: Json) => Json): boolean {
  return a.length === b.length && a.every((v, i) => deepEqual(keyOf(v), keyOf(b[i])));
}

function diffListsOfMaps(
  patch: JsonMap,
  key: string,
  original: JsonMap[],
  modified: JsonMap[],
  mergeKey: string,
  itemMeta: PatchMeta | undefined,
  o: DiffOptions,
): void {
  const list: Json[] = [];
  const find = (items: JsonMap[], value: Json) => items.find((e) => deepEqual(e[mergeKey], value));
  // In the order of the modified list, as apimachinery's normalizeSliceOrder leaves it.
  for (const mod of modified) {
    const orig = find(original, mod[mergeKey]);
    if (!orig) {
      if (!o.ignoreChangesAndAdditions) list.push(mod);
      continue;
    }
    const sub = diffMaps(orig, mod, itemMeta, o);
    if (Object.keys(sub).length > 0) list.push({ ...sub, [mergeKey]: mod[mergeKey] });
  }
  if (!o.ignoreDeletions) {
    for (const orig of original) {
      if (!find(modified, orig[mergeKey])) list.push({ [mergeKey]: orig[mergeKey], $patch: 'delete' });
    }
  }
  if (list.length > 0) patch[key] = list;
  const orderChanged = !sameOrder(original, modified, (v) => (isMap(v) ? v[mergeKey] : v));
  if ((!o.ignoreDeletions && orderChanged) || (!o.ignoreChangesAndAdditions && list.length > 0)) {
    patch[setElementOrderPrefix + key] = modified.map((m) => ({ [mergeKey]: m[mergeKey] }));
  }
}

function diffListsOfScalars(patch: JsonMap, key: string, original: Json[], modified: Json[], o: DiffOptions): void {
  const has = (items: Json[], v: Json) => items.some((x) => deepEqual(x, v));
  const additions = o.ignoreChangesAndAdditions ? [] : modified.filter((v) => !has(original, v));
  const deletions = o.ignoreDeletions ? [] : original.filter((v) => !has(modified, v));
  if (additions.length > 0) patch[key] = additions;
  if (deletions.length > 0) patch[deleteFromPrimitiveListPrefix + key] = deletions;
  const orderChanged = !sameOrder(original, modified, (v) => v);
  if ((!o.ignoreDeletions && orderChanged) || (!o.ignoreChangesAndAdditions && additions.length > 0)) {
    patch[setElementOrderPrefix + key] = modified;
  }
}

/** Merges two patches into one (deletions first, then delta on top), merging keyed lists element-wise. */
function mergePatches(base: JsonMap, top: JsonMap, meta: PatchMeta | undefined): JsonMap {
  const out: JsonMap = { ...base };
  for (const [key, topValue] of Object.entries(top)) {
    const baseValue = out[key];
    const fieldMeta = meta?.fields?.[key];
    if (isMap(baseValue) && isMap(topValue)) {
      out[key] = mergePatches(baseValue, topValue, fieldMeta);
    } else if (key.startsWith(deleteFromPrimitiveListPrefix) && Array.isArray(baseValue) && Array.isArray(topValue)) {
      out[key] = [...baseValue, ...topValue.filter((v) => !baseValue.some((b) => deepEqual(b, v)))];
    } else if (fieldMeta?.mergeKey && Array.isArray(baseValue) && Array.isArray(topValue)) {
      const mk = fieldMeta.mergeKey;
      const merged: Json[] = [...baseValue];
      for (const item of topValue) {
        const i = merged.findIndex((m) => isMap(m) && isMap(item) && deepEqual(m[mk], item[mk]));
        if (i >= 0 && isMap(merged[i]) && isMap(item)) merged[i] = mergePatches(merged[i] as JsonMap, item, fieldMeta.items);
        else merged.push(item);
      }
      out[key] = merged;
    } else {
      out[key] = topValue;
    }
  }
  return out;
}

/**
 * The strategic merge patch that takes `current` to `modified` while deleting what was removed since
 * `original` (the last-applied configuration; null when the object has none). `{}` means unchanged.
 */
export function threeWayMergePatch(original: JsonMap | null, modified: JsonMap, current: JsonMap, meta: PatchMeta): JsonMap {
  const delta = diffMaps(current, modified, meta, { ignoreDeletions: true, ignoreChangesAndAdditions: false });
  const deletions = original
    ? diffMaps(original, modified, meta, { ignoreDeletions: false, ignoreChangesAndAdditions: true })
    : {};
  return mergePatches(deletions, delta, meta);
}
