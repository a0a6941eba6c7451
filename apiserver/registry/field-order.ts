// The field order of kube-apiserver's JSON answers, at every depth. Go's encoding/json writes a struct's
// fields in declaration order (inlined structs spliced in place), a map's keys sorted (byte order),
// a FieldsV1 as structured-merge-diff printed it (`.` first, then fields, keys, values, indexes, each
// sorted), and a RawExtension as it came. So a built-in kind's object reads `kind`, `apiVersion`
// (the inlined TypeMeta), `metadata` (ObjectMeta's order: name … managedFields), then its fields as
// its Go type declares them, down to every container and probe. A custom resource is an unstructured
// map[string]interface{} in kube: every object in it, metadata included, has its keys sorted.
//
// The Go order comes from go-fields.json (written by scripts/k8s-protos.js from k8s.io/api's types.go
// files) and each field's type from the .proto files beside it, read once (a few ms) at first use; a
// plan per message is made on first use. Objects are put in order when written, so stored bytes,
// reads, LISTs and watches are already in kube's order and cost nothing more.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResourceType } from '../../lib/api/resources';

type Json = Record<string, unknown>;

/** How one value is ordered: a Go struct, a Go map, a slice, a FieldsV1 tree, or all keys sorted (unstructured). */
export type Shape =
  | { t: 'struct'; plan: () => StructPlan }
  | { t: 'map'; value: Shape | undefined }
  | { t: 'list'; item: Shape }
  | { t: 'fields' }
  | { t: 'sorted' };

export interface StructPlan {
  /** Each JSON field's place and the shape of its value (objects, maps or lists of them); fields the plan lacks go after the known ones, as they came. */
  fields: Map<string, FieldPlace>;
  /**
   * Fields Go writes even when unset, as `null`: a metav1.Time held by value (ObjectMeta's
   * creationTimestamp) is a struct, which `omitempty` never drops, and its MarshalJSON writes a zero
   * time as null: an embedded ObjectMeta's creationTimestamp (a pod template's), a condition's
   * lastProbeTime, an Event's eventTime, a running container's startedAt.
   */
  nullWhenAbsent?: readonly string[];
  /** A nested ObjectMeta held by value (a pod template's metadata): Go writes it even when unset. */
  metaWhenAbsent?: string;
}

interface FieldPlace {
  rank: number;
  shape: Shape | undefined;
}

interface ProtoField {
  name: string;
  type: string;
  repeated: boolean;
  /** The value type of a `map<string, T>`. */
  mapValue?: string;
}

interface GoField {
  json?: string;
  inline?: boolean;
  ptr?: boolean;
}

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
/** Messages Go writes as a scalar (their own MarshalJSON), or as raw bytes kept as they came. */
const OPAQUE = new Set([
  `${META}.Time`,
  `${META}.MicroTime`,
  `${META}.Duration`,
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString',
  'k8s.io.apimachinery.pkg.api.resource.Quantity',
  'k8s.io.apimachinery.pkg.runtime.RawExtension',
]);
const FIELDS_V1 = `${META}.FieldsV1`;
const OBJECT_META = `${META}.ObjectMeta`;
const SCALARS = new Set(['string', 'bytes', 'bool', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'double', 'float']);

let catalog: { proto: Map<string, ProtoField[]>; go: Record<string, Record<string, GoField>> } | undefined;

function protoDir(): string | undefined {
  const candidates = [path.join(__dirname, '..', 'protobuf', 'proto'), path.resolve(__dirname, '../../../apiserver/protobuf/proto')];
  return candidates.find((p) => fs.existsSync(path.join(p, 'go-fields.json')));
}

function protoFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...protoFiles(p));
    else if (e.name.endsWith('.proto')) out.push(p);
  }
  return out;
}

/** Each message's fields and their types, from the .proto files (flat messages, one field a line). */
function parseProto(text: string, into: Map<string, ProtoField[]>): void {
  const pkg = /^package\s+([\w.]+);/m.exec(text)?.[1] ?? '';
  // `.a.b.C` is fully qualified; a bare name is of this package.
  const qualify = (t: string): string => (t.startsWith('.') ? t.slice(1) : SCALARS.has(t) || t.includes('.') ? t : `${pkg}.${t}`);
  let fields: ProtoField[] | undefined;
  for (const line of text.split('\n')) {
    const start = /^message\s+(\w+)\s*\{/.exec(line);
    if (start) {
      fields = [];
      into.set(`${pkg}.${start[1]}`, fields);
      continue;
    }
    if (!fields) continue;
    if (/^\}/.test(line)) {
      fields = undefined;
      continue;
    }
    const map = /^\s*map<\s*string\s*,\s*(\.?[\w.]+)\s*>\s+(\w+)\s*=/.exec(line);
    if (map) {
      fields.push({ name: map[2], type: 'map', repeated: false, mapValue: qualify(map[1]) });
      continue;
    }
    const f = /^\s*(optional|repeated)\s+(\.?[\w.]+)\s+(\w+)\s*=/.exec(line);
    if (f) fields.push({ name: f[3], type: qualify(f[2]), repeated: f[1] === 'repeated' });
  }
}

function load(): NonNullable<typeof catalog> {
  if (catalog) return catalog;
  const proto = new Map<string, ProtoField[]>();
  let go: Record<string, Record<string, GoField>> = {};
  const dir = protoDir();
  if (dir) {
    go = (JSON.parse(fs.readFileSync(path.join(dir, 'go-fields.json'), 'utf8')) as { messages: typeof go }).messages;
    for (const file of protoFiles(dir)) parseProto(fs.readFileSync(file, 'utf8'), proto);
  }
  return (catalog = { proto, go });
}

const structShapes = new Map<string, Shape>();

/** The shape of a message's values (undefined: written as a scalar or kept as it came). */
function messageShape(type: string): Shape | undefined {
  if (type === FIELDS_V1) return FIELDS;
  if (OPAQUE.has(type) || SCALARS.has(type) || !load().proto.has(type)) return undefined;
  let s = structShapes.get(type);
  if (!s) {
    let plan: StructPlan | undefined;
    s = { t: 'struct', plan: () => (plan ??= structPlan(type)) };
    structShapes.set(type, s);
  }
  return s;
}

function fieldShape(f: ProtoField): Shape | undefined {
  if (f.mapValue !== undefined) return { t: 'map', value: messageShape(f.mapValue) };
  const s = messageShape(f.type);
  return f.repeated ? (s ? { t: 'list', item: s } : undefined) : s;
}

/** A message's JSON fields in Go order, inlined structs spliced in where Go declares them. */
function goFieldsOf(type: string): Array<{ json: string; shape: Shape | undefined; type?: string; ptr?: boolean }> {
  const { proto, go } = load();
  const fields = proto.get(type) ?? [];
  const byName = new Map(fields.map((f) => [f.name, f]));
  const declared = go[type] ?? {};
  // Go order first (go-fields.json's key order is the struct's), then anything only the .proto has.
  const names = [...Object.keys(declared), ...fields.map((f) => f.name).filter((n) => !(n in declared))];
  const out: Array<{ json: string; shape: Shape | undefined; type?: string; ptr?: boolean }> = [];
  for (const name of names) {
    const f = byName.get(name);
    const g = declared[name] ?? {};
    if (g.inline && f && !f.repeated && f.mapValue === undefined && proto.has(f.type)) {
      out.push(...goFieldsOf(f.type));
      continue;
    }
    out.push({ json: g.json ?? name, shape: f ? fieldShape(f) : undefined, type: f && !f.repeated && f.mapValue === undefined ? f.type : undefined, ptr: g.ptr });
  }
  return out;
}

function structPlan(type: string): StructPlan {
  const fields = new Map<string, FieldPlace>();
  const plan: StructPlan = { fields };
  for (const f of goFieldsOf(type)) {
    if (fields.has(f.json)) continue;
    fields.set(f.json, { rank: fields.size, shape: f.shape });
    if (f.ptr) continue;
    if (f.type === `${META}.Time` || f.type === `${META}.MicroTime`) plan.nullWhenAbsent = [...(plan.nullWhenAbsent ?? []), f.json];
    if (f.type === OBJECT_META && f.json === 'metadata') plan.metaWhenAbsent = f.json;
  }
  return plan;
}

const FIELDS: Shape = { t: 'fields' };
/** A kind's own ObjectMeta: ObjectMeta's order, without the nested one's filled-in fields. */
let topMetaPlan: StructPlan | undefined;
const TOP_META: Shape = {
  t: 'struct',
  plan: () => {
    if (!topMetaPlan) {
      const meta = messageShape(OBJECT_META);
      topMetaPlan = { fields: meta?.t === 'struct' ? meta.plan().fields : new Map<string, FieldPlace>() };
    }
    return topMetaPlan;
  },
};
const SORTED: Shape = { t: 'sorted' };

// ---- the shape of a kind's objects --------------------------------------------------------------

const byKind = new Map<string, Shape>();

/** The message of a built-in kind (group names map to packages by their first label). */
function kindMessage(group: string, version: string, kind: string): string | undefined {
  const pkg = group === '' ? 'core' : group.split('.')[0];
  for (const name of [`k8s.io.api.${pkg}.${version}.${kind}`, `${META}.${kind}`]) if (load().proto.has(name)) return name;
  return undefined;
}

/**
 * The order of a kind's objects. `unstructured` (custom resources): every key sorted, as kube encodes a
 * map[string]interface{}. A built-in kind without a message here (apiextensions, apiregistration):
 * TypeMeta, ObjectMeta's order, then its fields as they came, `status` last.
 */
export function shapeOfKind(rt: ResourceType, kind = rt.kind, unstructured = false): Shape {
  if (unstructured) return SORTED;
  const key = `${rt.group}/${rt.version}/${kind}`;
  let s = byKind.get(key);
  if (!s) {
    const message = kindMessage(rt.group, rt.version, kind);
    const fields = message ? goFieldsOf(message) : [{ json: 'metadata', shape: messageShape(`${META}.ObjectMeta`) }];
    const places = new Map<string, FieldPlace>([
      ['kind', { rank: 0, shape: undefined }],
      ['apiVersion', { rank: 1, shape: undefined }],
    ]);
    // An object's own metadata always has its creationTimestamp once stored: none is filled in there.
    for (const { json, shape } of fields) if (!places.has(json)) places.set(json, { rank: places.size, shape: json === 'metadata' ? TOP_META : shape });
    // Without a message, whatever else the kind has comes before its status.
    if (!message) places.set('status', { rank: Number.MAX_SAFE_INTEGER, shape: undefined });
    const plan: StructPlan = { fields: places };
    // The kind's own unset times held by value (an Event's eventTime) are written as null too.
    const times = message ? goFieldsOf(message).filter((f) => !f.ptr && (f.type === `${META}.Time` || f.type === `${META}.MicroTime`)).map((f) => f.json) : [];
    if (times.length) plan.nullWhenAbsent = times;
    s = { t: 'struct', plan: () => plan };
    byKind.set(key, s);
  }
  return s;
}

/** The top-level field order of a kind (TypeMeta, metadata, then its Go fields). */
export function topLevelOrder(rt: ResourceType, kind = rt.kind): readonly string[] {
  const s = shapeOfKind(rt, kind);
  return s.t === 'struct' ? [...s.plan().fields.keys()] : [];
}

// ---- ordering ------------------------------------------------------------------------------------

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go's string order (UTF-8 bytes): UTF-16 code units, except that surrogates sort after U+E000–U+FFFF. */
export function goStringCompare(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // A surrogate's code point (≥ U+10000) has bigger UTF-8 bytes than any BMP character.
      if (x < 0xe000) x += 0x2000;
      else if (x >= 0xe000) x -= 0x800;
      if (y < 0xe000) y += 0x2000;
      else if (y >= 0xe000) y -= 0x800;
    }
    return x - y;
  }
  return a.length - b.length;
}

function sortedKeys(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (goStringCompare(keys[i - 1], keys[i]) > 0) return false;
  return true;
}

function rebuilt(obj: Json, keys: string[]): Json {
  const out: Json = {};
  for (const k of keys) out[k] = obj[k];
  return out;
}

/** Orders a struct's fields (children first); returns obj itself when already in order, else a new object. */
function orderStruct(obj: Json, plan: StructPlan): Json {
  const fields = plan.fields;
  if (plan.metaWhenAbsent !== undefined && !(plan.metaWhenAbsent in obj)) obj[plan.metaWhenAbsent] = {};
  if (plan.nullWhenAbsent) for (const k of plan.nullWhenAbsent) if (!(k in obj)) obj[k] = null;
  const unknownRank = fields.size;
  let last = -1;
  let inOrder = true;
  for (const k in obj) {
    const place = fields.get(k);
    let r = unknownRank;
    if (place) {
      r = place.rank;
      if (place.shape) {
        const v = obj[k];
        if (typeof v === 'object' && v !== null) {
          const ordered = orderValue(v, place.shape);
          if (ordered !== v) obj[k] = ordered;
        }
      }
    }
    if (r < last) inOrder = false;
    else last = r;
  }
  if (inOrder) return obj;
  const ranked = Object.keys(obj).map((k, i) => ({ k, i, r: fields.get(k)?.rank ?? unknownRank }));
  ranked.sort((a, b) => a.r - b.r || a.i - b.i);
  return rebuilt(
    obj,
    ranked.map((x) => x.k),
  );
}

function orderMap(obj: Json, value: Shape | undefined): Json {
  const keys = Object.keys(obj);
  if (value) {
    for (const k of keys) {
      const v = obj[k];
      const ordered = orderValue(v, value);
      if (ordered !== v) obj[k] = ordered;
    }
  }
  return sortedKeys(keys) ? obj : rebuilt(obj, keys.sort(goStringCompare));
}

function orderSorted(v: unknown): unknown {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const o = orderSorted(v[i]);
      if (o !== v[i]) v[i] = o;
    }
    return v;
  }
  if (!isObject(v)) return v;
  return orderMap(v, SORTED);
}

// FieldsV1: structured-merge-diff's PathElement order.

/** structured-merge-diff's value order: numbers, strings, booleans, lists, maps, null. */
function smdValueCompare(a: unknown, b: unknown): number {
  const rank = (v: unknown): number => (typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : typeof v === 'boolean' ? 2 : Array.isArray(v) ? 3 : v === null ? 5 : 4);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number') return a - (b as number);
  if (typeof a === 'string') return goStringCompare(a, b as string);
  if (typeof a === 'boolean') return Number(a) - Number(b as boolean);
  if (Array.isArray(a)) {
    const bl = b as unknown[];
    for (let i = 0; i < Math.min(a.length, bl.length); i++) {
      const c = smdValueCompare(a[i], bl[i]);
      if (c) return c;
    }
    return a.length - bl.length;
  }
  if (isObject(a)) return smdFieldListCompare(a, b as Json);
  return 0;
}

function smdFieldListCompare(a: Json, b: Json): number {
  const ak = Object.keys(a).sort(goStringCompare);
  const bk = Object.keys(b).sort(goStringCompare);
  for (let i = 0; ; i++) {
    if (i >= ak.length && i >= bk.length) return 0;
    if (i >= ak.length) return -1;
    if (i >= bk.length) return 1;
    const c = goStringCompare(ak[i], bk[i]) || smdValueCompare(a[ak[i]], b[bk[i]]);
    if (c) return c;
  }
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The kind rank of a FieldsV1 key by its first letter (`f:`, `k:`, `v:`, `i:`), `.` before all. */
function fieldsKeyKind(key: string): number {
  switch (key.charCodeAt(0)) {
    case 0x2e: // .
      return key.length === 1 ? -1 : 4;
    case 0x66: // f
      return 0;
    case 0x6b: // k
      return 1;
    case 0x76: // v
      return 2;
    case 0x69: // i
      return 3;
    default:
      return 4;
  }
}

function fieldsKeyCompare(a: string, b: string): number {
  const ra = fieldsKeyKind(a);
  const rb = fieldsKeyKind(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0: // same prefix: the names compare as the whole keys do
    case 4:
      return goStringCompare(a, b);
    case 1: {
      const kx = parsed(a.slice(2));
      const ky = parsed(b.slice(2));
      return isObject(kx) && isObject(ky) ? smdFieldListCompare(kx, ky) : goStringCompare(a, b);
    }
    case 2:
      return smdValueCompare(parsed(a.slice(2)), parsed(b.slice(2)));
    case 3:
      return Number(a.slice(2)) - Number(b.slice(2));
    default:
      return 0;
  }
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

function orderFields(v: unknown): unknown {
  if (!isObject(v)) return v;
  let prev: string | undefined;
  let inOrder = true;
  for (const k in v) {
    const c = v[k];
    // Most nodes are leaves (`{}`): nothing to walk.
    if (typeof c === 'object' && c !== null && hasKeys(c)) {
      const o = orderFields(c);
      if (o !== c) v[k] = o;
    }
    if (inOrder && prev !== undefined && fieldsKeyCompare(prev, k) > 0) inOrder = false;
    prev = k;
  }
  return inOrder ? v : rebuilt(v, Object.keys(v).sort(fieldsKeyCompare));
}

/** A value in its shape's order: the value itself when already in order (its children fixed in place), else a new one. */
export function orderValue(v: unknown, shape: Shape): unknown {
  switch (shape.t) {
    case 'struct':
      return isObject(v) ? orderStruct(v, shape.plan()) : v;
    case 'map':
      return isObject(v) ? orderMap(v, shape.value) : v;
    case 'list':
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const o = orderValue(v[i], shape.item);
          if (o !== v[i]) v[i] = o;
        }
      }
      return v;
    case 'fields':
      return orderFields(v);
    case 'sorted':
      return orderSorted(v);
  }
}

/** Puts an object in its shape's order at every depth, in place (the caller keeps its reference). */
export function orderObject(obj: Json, shape: Shape): void {
  const ordered = orderValue(obj, shape);
  if (ordered === obj || !isObject(ordered)) return;
  const keys = Object.keys(ordered);
  for (const k of keys) delete obj[k];
  for (const k of keys) obj[k] = ordered[k];
}
