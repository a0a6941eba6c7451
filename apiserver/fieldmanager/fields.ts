// Field sets in Kubernetes' FieldsV1 form (what metadata.managedFields[].fieldsV1 holds): a tree whose
// keys are `f:<field>`, `k:{"<key>":<value>}` (an element of a list keyed by merge keys), `v:<value>`
// (an element of a set) and `.` (the element itself), leaves being `{}`. Built from objects with the
// list semantics of their schema; printed as structured-merge-diff prints paths
// (`.spec.containers[name="nginx"].image`) in conflict messages.
import { patchMetaForKind, type PatchMeta } from '../../lib/api/patch-meta';
import { deepEqual } from '../../lib/api/json';

export type FieldsTree = { [key: string]: FieldsTree };

/** How a list merges: keyed by fields (an associative list), as a set of scalars, or as a whole. */
export type ListType = { type: 'map'; keys: string[] } | { type: 'set' } | { type: 'atomic' };

/**
 * The schema node of a field, for list semantics. Today from the patch metadata of built-in kinds
 * (lib/api/patch-meta.ts); a schema with `x-kubernetes-list-type` (custom resources) plugs in here.
 */
export interface SchemaNode {
  child(field: string): SchemaNode | undefined;
  /** The schema of a list's elements. */
  item(): SchemaNode | undefined;
  listType(): ListType;
}

function patchMetaNode(meta: PatchMeta | undefined): SchemaNode | undefined {
  if (!meta) return undefined;
  return {
    child: (field) => patchMetaNode(meta.fields?.[field]),
    item: () => patchMetaNode(meta.items),
    listType: () => (meta.mergeKey ? { type: 'map', keys: [meta.mergeKey] } : meta.set ? { type: 'set' } : { type: 'atomic' }),
  };
}

/** The one place list semantics are looked up: the kind's schema root. */
export function schemaForKind(kind: string): SchemaNode | undefined {
  return patchMetaNode(patchMetaForKind(kind));
}

const listTypeOf = (schema: SchemaNode | undefined): ListType => schema?.listType() ?? { type: 'atomic' };

type Json = Record<string, unknown>;
export const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `k:{"name":"x"}` for an element of a keyed list (undefined when the element lacks a key). */
export function elementKey(el: unknown, keys: string[]): string | undefined {
  if (!isObj(el)) return undefined;
  const parts: string[] = [];
  for (const k of [...keys].sort()) {
    if (el[k] === undefined) return undefined;
    parts.push(`${JSON.stringify(k)}:${JSON.stringify(el[k])}`);
  }
  return `k:{${parts.join(',')}}`;
}

/** Fields of built-in kinds that are Go maps (kube marks a new map with `.` in Update field sets). */
const MAP_FIELDS = new Set(['f:labels', 'f:annotations', 'f:matchLabels', 'f:nodeSelector', 'f:data', 'f:stringData', 'f:binaryData', 'f:limits', 'f:requests', 'f:capacity', 'f:allocatable', 'f:hard', 'f:used']);

/** The field set of a value: every leaf, and `.` for each list element. */
export function fieldsOf(value: unknown, schema: SchemaNode | undefined): FieldsTree {
  const out: FieldsTree = {};
  if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[`f:${k}`] = isLeaf(v, schema?.child(k)) ? {} : fieldsOf(v, schema?.child(k));
    }
  } else if (Array.isArray(value)) {
    const lt = listTypeOf(schema);
    for (const el of value) {
      if (lt.type === 'map') {
        const key = elementKey(el, lt.keys);
        if (key) out[key] = { '.': {}, ...fieldsOf(el, schema?.item()) };
      } else if (lt.type === 'set') out[`v:${JSON.stringify(el)}`] = {};
    }
  }
  return out;
}

/** A value owned as a whole: a scalar, an empty map, or an atomic list. */
function isLeaf(v: unknown, schema: SchemaNode | undefined): boolean {
  if (isObj(v)) return Object.keys(v).length === 0;
  if (Array.isArray(v)) return listTypeOf(schema).type === 'atomic' || v.length === 0;
  return true;
}

/** The paths of a tree's leaves (each a list of keys; `.` nodes included as their own leaves). */
export function leaves(tree: FieldsTree, prefix: string[] = [], out: string[][] = []): string[][] {
  for (const [k, sub] of Object.entries(tree)) {
    const p = [...prefix, k];
    if (Object.keys(sub).length === 0) out.push(p);
    else leaves(sub, p, out);
  }
  return out;
}

export function hasPath(tree: FieldsTree, path: string[]): boolean {
  let t: FieldsTree | undefined = tree;
  for (const k of path) {
    t = t[k];
    if (!t) return false;
  }
  return true;
}

/** Adds a path (its last key a leaf unless it already has children). */
export function addPath(tree: FieldsTree, path: string[]): void {
  let t = tree;
  for (const k of path) t = t[k] ??= {};
}

/** Removes a path and prunes the parents it leaves empty. */
export function removePath(tree: FieldsTree, path: string[]): void {
  const stack: Array<[FieldsTree, string]> = [];
  let t: FieldsTree | undefined = tree;
  for (const k of path) {
    if (!t[k]) return;
    stack.push([t, k]);
    t = t[k];
  }
  const [parent, last] = stack.pop()!;
  delete parent[last];
  while (stack.length) {
    const [p, k] = stack.pop()!;
    if (Object.keys(p[k]).length > 0) break;
    delete p[k];
  }
}

export function union(a: FieldsTree, b: FieldsTree): FieldsTree {
  const out: FieldsTree = structuredClone(a);
  for (const p of leaves(b)) addPath(out, p);
  return out;
}

export const isEmpty = (t: FieldsTree): boolean => Object.keys(t).length === 0;

/** The value at a FieldsV1 path in an object (undefined when absent). */
export function valueAt(obj: unknown, path: string[], schema: SchemaNode | undefined): unknown {
  let v: unknown = obj;
  let s = schema;
  for (const k of path) {
    if (k === '.') continue;
    if (k.startsWith('f:')) {
      if (!isObj(v)) return undefined;
      const f = k.slice(2);
      v = v[f];
      s = s?.child(f);
    } else if (k.startsWith('k:')) {
      if (!Array.isArray(v)) return undefined;
      const lt = listTypeOf(s);
      const keys = lt.type === 'map' ? lt.keys : [];
      v = v.find((el) => elementKey(el, keys) === k);
      s = s?.item();
    } else if (k.startsWith('v:')) {
      if (!Array.isArray(v)) return undefined;
      const want = k.slice(2);
      v = v.find((el) => JSON.stringify(el) === want);
    } else return undefined;
    if (v === undefined) return undefined;
  }
  return v;
}

/** structured-merge-diff's path text: `.spec.containers[name="nginx"].image`, `.metadata.finalizers[="x"]`. */
export function pathString(path: string[]): string {
  let s = '';
  for (const k of path) {
    if (k === '.') continue;
    if (k.startsWith('f:')) s += `.${k.slice(2)}`;
    else if (k.startsWith('k:')) {
      const obj = JSON.parse(k.slice(2)) as Json;
      s += `[${Object.entries(obj).map(([f, v]) => `${f}=${JSON.stringify(v)}`).join(',')}]`;
    } else if (k.startsWith('v:')) s += `[=${k.slice(2)}]`;
  }
  return s;
}

/**
 * The leaves of `next` that differ from `old` (added or changed), with `.` for elements and maps that
 * are new: what an Update operation takes ownership of. Removed leaves come back in `removed`.
 */
export function changedFields(old: unknown, next: unknown, schema: SchemaNode | undefined): { changed: FieldsTree; removed: string[][] } {
  const changed: FieldsTree = {};
  const removed: string[][] = [];
  const walk = (o: unknown, n: unknown, s: SchemaNode | undefined, path: string[]): void => {
    if (isObj(n) && !isLeaf(n, s)) {
      const om = isObj(o) ? o : undefined;
      // A new map (labels, annotations, ...) is owned as such; struct fields are not marked.
      if (!om && MAP_FIELDS.has(path[path.length - 1])) addPath(changed, [...path, '.']);
      for (const [k, v] of Object.entries(n)) if (v !== undefined) walk(om?.[k], v, s?.child(k), [...path, `f:${k}`]);
      if (om) for (const k of Object.keys(om)) if (n[k] === undefined && om[k] !== undefined) removed.push([...path, `f:${k}`]);
      return;
    }
    if (Array.isArray(n) && !isLeaf(n, s)) {
      const lt = listTypeOf(s);
      const oldList = Array.isArray(o) ? o : [];
      if (lt.type === 'map') {
        const oldByKey = new Map(oldList.map((el) => [elementKey(el, lt.keys), el]));
        const seen = new Set<string>();
        for (const el of n) {
          const key = elementKey(el, lt.keys);
          if (!key) continue;
          seen.add(key);
          const prev = oldByKey.get(key);
          if (prev === undefined) addPath(changed, [...path, key, '.']);
          walk(prev, el, s?.item(), [...path, key]);
        }
        for (const key of oldByKey.keys()) if (key && !seen.has(key)) removed.push([...path, key]);
      } else {
        const before = new Set(oldList.map((el) => JSON.stringify(el)));
        const after = new Set(n.map((el) => JSON.stringify(el)));
        for (const v of after) if (!before.has(v)) addPath(changed, [...path, `v:${v}`]);
        for (const v of before) if (!after.has(v)) removed.push([...path, `v:${v}`]);
      }
      return;
    }
    if (!deepEqual(o, n)) addPath(changed, path);
  };
  walk(old, next, schema, []);
  return { changed, removed };
}
