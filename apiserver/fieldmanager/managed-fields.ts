// metadata.managedFields as kube-apiserver keeps them: every write records, per field manager and
// operation, the fields it set (Update: the fields a write changed, taken from whoever owned them;
// Apply: the fields of the applied configuration), and server-side apply merges a configuration into
// the live object with conflicts (409 naming managers and fields), force (ownership taken), shared
// ownership (same value, both keep it) and removal of fields no longer applied by their only manager.
import { groupVersion, type ResourceType } from '../../lib/api/resources';
import { deepEqual } from '../../lib/api/json';
import { rfc3339 } from '../../lib/api/time';
import { ApiStatusError } from '../errors';
import type { KObj } from '../storage/types';
import { addPath, changedFields, elementKey, fieldsOf, type FieldsTree, hasPath, isEmpty, isObj, leaves, pathString, removePath, schemaForKind, type SchemaNode, valueAt } from './fields';

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: FieldsTree;
  subresource?: string;
}

type Json = Record<string, unknown>;

/** Metadata the server owns: never part of a field set (structured-merge-diff's stripped fields). */
const SERVER_METADATA = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink'];

/** The part of an object a write through `subresource` may own: status alone, or all but status. */
function ownable(rt: ResourceType, obj: Json | undefined, subresource: string | undefined): Json | undefined {
  if (!obj) return undefined;
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    // A CertificateSigningRequest's /approval writes its status (the conditions) too.
    if (subresource === 'status' || subresource === 'approval' ? k !== 'status' : k === 'status' && rt.subresources.includes('status')) continue;
    if (k === 'metadata' && isObj(v)) {
      const md: Json = {};
      for (const [mk, mv] of Object.entries(v)) if (!SERVER_METADATA.includes(mk)) md[mk] = mv;
      if (Object.keys(md).length) out.metadata = md;
      continue;
    }
    out[k] = v;
  }
  return out;
}

/** The managedFields of a stored object, as entries (malformed ones dropped). */
export function entriesOf(obj: KObj | undefined): ManagedFieldsEntry[] {
  const mf = obj?.metadata.managedFields;
  if (!Array.isArray(mf)) return [];
  return mf.filter((e): e is ManagedFieldsEntry => isObj(e) && typeof e.manager === 'string' && (e.operation === 'Apply' || e.operation === 'Update')).map((e) => ({ ...e, fieldsV1: structuredClone(isObj(e.fieldsV1) ? (e.fieldsV1 as FieldsTree) : {}) }));
}

const sameEntry = (e: ManagedFieldsEntry, manager: string, operation: string, subresource: string | undefined) =>
  e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');

function entry(rt: ResourceType, manager: string, operation: 'Apply' | 'Update', subresource: string | undefined, fields: FieldsTree): ManagedFieldsEntry {
  const e: ManagedFieldsEntry = { manager, operation, apiVersion: groupVersion(rt), time: rfc3339(), fieldsType: 'FieldsV1', fieldsV1: fields };
  if (subresource) e.subresource = subresource;
  return e;
}

/** Validates managedFields a client wrote itself (kube takes them as given, e.g. kubectl's apply migration). */
export function checkRequestedManagedFields(mf: unknown): string | undefined {
  if (!Array.isArray(mf)) return 'must be a list';
  for (const [i, e] of mf.entries()) {
    if (!isObj(e)) return `[${i}]: must be an object`;
    if (e.operation !== 'Apply' && e.operation !== 'Update') return `[${i}].operation: Unsupported value: ${JSON.stringify(e.operation)}: supported values: "Apply", "Update"`;
    if (e.fieldsType !== undefined && e.fieldsType !== 'FieldsV1') return `[${i}].fieldsType: Unsupported value: ${JSON.stringify(e.fieldsType)}: supported values: "FieldsV1"`;
  }
  return undefined;
}

/** Entries compared without the time format (client-node sends times back with milliseconds). */
export function sameManagedFields(a: unknown, b: unknown): boolean {
  const norm = (x: unknown) => (Array.isArray(x) ? x.map((e) => (isObj(e) ? { ...e, time: typeof e.time === 'string' ? Date.parse(e.time) : e.time } : e)) : x);
  return deepEqual(norm(a), norm(b));
}

/**
 * The managedFields after an Update operation (create, PUT, non-apply PATCH) by `manager`: it owns
 * what it changed, which no one else owns any more; removed fields are owned by no one.
 */
export function trackUpdate(rt: ResourceType, old: KObj | undefined, next: KObj, manager: string, subresource?: string): ManagedFieldsEntry[] {
  const schema = schemaForKind(rt.kind);
  const entries = entriesOf(old);
  const { changed, removed } = changedFields(ownable(rt, old, subresource), ownable(rt, next, subresource), schema);
  const changedLeaves = leaves(changed);
  for (const e of entries) {
    if (sameEntry(e, manager, 'Update', subresource)) continue;
    for (const p of changedLeaves) removePath(e.fieldsV1, p);
  }
  for (const e of entries) for (const p of removed) removePath(e.fieldsV1, p);
  let mine = entries.find((e) => sameEntry(e, manager, 'Update', subresource));
  if (!isEmpty(changed)) {
    if (!mine) entries.push((mine = entry(rt, manager, 'Update', subresource, {})));
    for (const p of changedLeaves) addPath(mine.fieldsV1, p);
    mine.time = rfc3339();
  }
  return entries.filter((e) => !isEmpty(e.fieldsV1));
}

/** kube's text for a manager in conflict messages: `"kubectl" using apps/v1` for Update entries. */
function printManager(e: ManagedFieldsEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
  return s;
}

interface Conflict {
  entry: ManagedFieldsEntry;
  path: string[];
}

function conflictError(conflicts: Conflict[]): ApiStatusError {
  let message: string;
  if (conflicts.length === 1) message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].entry)}: ${pathString(conflicts[0].path)}`;
  else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const m = printManager(c.entry);
      byManager.set(m, [...(byManager.get(m) ?? []), pathString(c.path)]);
    }
    const lines: string[] = [];
    for (const m of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${m}:`);
      for (const p of byManager.get(m)!) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiStatusError(409, 'Conflict', message, {
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.entry)}`, field: pathString(c.path) })),
  });
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * kube-apiserver's upgrade from client-side apply: for the manager `kubectl` (kubectl apply
 * --server-side), conflicts on fields of the last-applied-configuration annotation whose live value is
 * still the one last applied are not conflicts: the object was applied client-side, and the server-side
 * apply takes those fields over (kubectl then moves the client-side manager's fields to itself).
 */
function conflictsAllowedByLastApplied(rt: ResourceType, live: KObj, schema: SchemaNode | undefined): FieldsTree | undefined {
  const annotations = live.metadata.annotations as Record<string, string> | undefined;
  const text = annotations?.[LAST_APPLIED];
  if (!text) return undefined;
  let lastApplied: unknown;
  try {
    lastApplied = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObj(lastApplied)) return undefined;
  const allowed: FieldsTree = {};
  for (const p of leaves(fieldsOf(ownable(rt, lastApplied, undefined), schema))) {
    if (deepEqual(valueAt(lastApplied, p, schema), valueAt(live, p, schema))) addPath(allowed, p);
  }
  return allowed;
}

/** Merges an applied configuration into the live value with the schema's list semantics. */
function mergeApplied(live: unknown, cfg: unknown, schema: SchemaNode | undefined): unknown {
  if (isObj(cfg) && isObj(live)) {
    const out: Json = { ...live };
    for (const [k, v] of Object.entries(cfg)) out[k] = mergeApplied(live[k], v, schema?.child(k));
    return out;
  }
  if (Array.isArray(cfg) && Array.isArray(live)) {
    const lt = schema?.listType() ?? { type: 'atomic' };
    if (lt.type === 'map') {
      const out = [...live];
      for (const el of cfg) {
        const key = elementKey(el, lt.keys);
        const i = key === undefined ? -1 : out.findIndex((x) => elementKey(x, lt.keys) === key);
        if (i >= 0) out[i] = mergeApplied(out[i], el, schema?.item());
        else out.push(el);
      }
      return out;
    }
    if (lt.type === 'set') {
      const out = [...live];
      for (const el of cfg) if (!out.some((x) => deepEqual(x, el))) out.push(el);
      return out;
    }
  }
  return structuredClone(cfg);
}

/** Removes the field or list element at a FieldsV1 path from an object, in place. */
function removeAt(obj: unknown, path: string[], schema: SchemaNode | undefined): void {
  const p = path[path.length - 1] === '.' ? path.slice(0, -1) : path;
  if (!p.length) return;
  const last = p[p.length - 1];
  let parentSchema = schema;
  const parentPath = p.slice(0, -1);
  for (const k of parentPath) if (k.startsWith('f:')) parentSchema = parentSchema?.child(k.slice(2));
  else if (k.startsWith('k:')) parentSchema = parentSchema?.item();
  const parent = valueAt(obj, parentPath, schema);
  if (last.startsWith('f:') && isObj(parent)) delete parent[last.slice(2)];
  else if (Array.isArray(parent)) {
    const lt = parentSchema?.listType();
    const i = last.startsWith('k:') && lt?.type === 'map' ? parent.findIndex((el) => elementKey(el, lt.keys) === last) : parent.findIndex((el) => `v:${JSON.stringify(el)}` === last);
    if (i >= 0) parent.splice(i, 1);
  }
  // A list or map emptied by the removal goes too (it held only what was removed).
  const emptied = Array.isArray(parent) ? parent.length === 0 : isObj(parent) && Object.keys(parent).length === 0;
  if (emptied && parentPath.length > 1 && parentPath[parentPath.length - 1].startsWith('f:')) removeAt(obj, parentPath, schema);
}

/**
 * Server-side apply of `config` by `manager` over `live` (undefined: the object is created). Returns
 * the object to write (before defaulting) and its managedFields.
 */
export function applyConfiguration(rt: ResourceType, live: KObj | undefined, config: KObj, manager: string, force: boolean, subresource?: string): { object: KObj; managedFields: ManagedFieldsEntry[] } {
  const schema = schemaForKind(rt.kind);
  const applied = fieldsOf(ownable(rt, config, subresource), schema);
  if (!live) return { object: config, managedFields: [entry(rt, manager, 'Apply', subresource, applied)] };
  const entries = entriesOf(live);
  const others = entries.filter((e) => !sameEntry(e, manager, 'Apply', subresource));
  const conflicts: Conflict[] = [];
  for (const p of leaves(applied)) {
    if (p[p.length - 1] === '.') continue;
    if (deepEqual(valueAt(live, p, schema), valueAt(config, p, schema))) continue; // same value: shared
    for (const e of others) if (hasPath(e.fieldsV1, p)) conflicts.push({ entry: e, path: p });
  }
  if (conflicts.length && !force) {
    const allowed = manager === 'kubectl' ? conflictsAllowedByLastApplied(rt, live, schema) : undefined;
    const remaining = allowed ? conflicts.filter((c) => !hasPath(allowed, c.path)) : conflicts;
    if (remaining.length) throw conflictError(remaining);
  }
  for (const c of conflicts) removePath(c.entry.fieldsV1, c.path);

  const object = mergeApplied(structuredClone(live), config, schema) as KObj;
  // Fields this manager applied before and applies no more go away unless someone else owns them.
  const before = entries.find((e) => sameEntry(e, manager, 'Apply', subresource))?.fieldsV1 ?? {};
  const dropped = leaves(before).filter((p) => !hasPath(applied, p) && !others.some((e) => hasPath(e.fieldsV1, p)));
  // Deepest first, so a removed element's own fields go before it.
  for (const p of dropped.sort((a, b) => b.length - a.length)) {
    // `.` marks an element or map: it stays while anything under it is still applied or owned.
    const owner = p[p.length - 1] === '.' ? p.slice(0, -1) : p;
    if (hasPath(applied, owner) || others.some((e) => hasPath(e.fieldsV1, owner))) continue;
    removeAt(object, p, schema);
  }
  object.metadata = { ...object.metadata, managedFields: undefined };
  const kept = others.filter((e) => !isEmpty(e.fieldsV1));
  return { object, managedFields: [...kept, entry(rt, manager, 'Apply', subresource, applied)] };
}
