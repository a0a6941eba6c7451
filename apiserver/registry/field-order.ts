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
   * Fields Go writes even when unset, with the value Go writes for their zero (`zeroFields`): a field
   * without `omitempty` (a string as "", a number as 0, a bool as false, a pointer, slice or map as
   * null), and every struct held by value whatever its tag says (`omitempty` never drops a struct): as
   * `{}` with its own always-written fields, or, for a metav1.Time/MicroTime or a RawExtension, as
   * their MarshalJSON writes a zero value: null.
   */
  zeroWhenAbsent?: ReadonlyArray<readonly [string, ZeroValue]>;
}

/** What Go writes for an unset field it always writes. */
export type ZeroValue = 'null' | 'string' | 'number' | 'bool' | 'struct';

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
  /** `omitempty` in its JSON tag. */
  omit?: boolean;
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
/** Opaque messages held by value whose MarshalJSON writes a zero value as null. */
const NULL_WHEN_ZERO = new Set([`${META}.Time`, `${META}.MicroTime`, 'k8s.io.apimachinery.pkg.runtime.RawExtension']);
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

/** One JSON field of a message in Go order: its shape, and what Go writes when it is unset (none: left out). */
interface GoJsonField {
  json: string;
  shape: Shape | undefined;
  zero?: ZeroValue;
}

const NUMBERS = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'double', 'float']);

/**
 * What Go's encoding/json writes for a field left unset (its zero value), or undefined when it leaves
 * it out. `omitempty` drops "", 0, false, nil pointers, empty slices and maps, never a struct held by
 * value. IntOrString, Quantity and Duration held by value are left out: kube defaults every such field.
 */
function zeroOf(f: ProtoField, g: GoField): ZeroValue | undefined {
  if (f.repeated || f.mapValue !== undefined) return g.omit ? undefined : 'null';
  if (g.ptr) return g.omit ? undefined : 'null';
  if (NULL_WHEN_ZERO.has(f.type)) return 'null';
  if (load().proto.has(f.type)) return OPAQUE.has(f.type) || f.type === FIELDS_V1 ? undefined : 'struct';
  if (g.omit) return undefined;
  if (f.type === 'string') return 'string';
  if (f.type === 'bool') return 'bool';
  if (f.type === 'bytes') return 'null';
  return NUMBERS.has(f.type) ? 'number' : undefined;
}

/** A message's JSON fields in Go order, inlined structs spliced in where Go declares them. */
function goFieldsOf(type: string): GoJsonField[] {
  const { proto, go } = load();
  const fields = proto.get(type) ?? [];
  const byName = new Map(fields.map((f) => [f.name, f]));
  const declared = go[type] ?? {};
  // Go order first (go-fields.json's key order is the struct's), then anything only the .proto has.
  const names = [...Object.keys(declared), ...fields.map((f) => f.name).filter((n) => !(n in declared))];
  const out: GoJsonField[] = [];
  for (const name of names) {
    const f = byName.get(name);
    const g = declared[name];
    if (g?.inline && f && !f.repeated && f.mapValue === undefined && proto.has(f.type)) {
      out.push(...goFieldsOf(f.type));
      continue;
    }
    // Only a field go-fields.json knows has a known tag: one only the .proto has is never filled in.
    out.push({ json: g?.json ?? name, shape: f ? fieldShape(f) : undefined, zero: f && g ? zeroOf(f, g) : undefined });
  }
  return out;
}

function structPlan(type: string, skip?: ReadonlySet<string>): StructPlan {
  const fields = new Map<string, FieldPlace>();
  const zeros: Array<readonly [string, ZeroValue]> = [];
  for (const f of goFieldsOf(type)) {
    if (fields.has(f.json) || skip?.has(f.json)) continue;
    fields.set(f.json, { rank: fields.size, shape: f.shape });
    if (f.zero) zeros.push([f.json, f.zero]);
  }
  return zeros.length ? { fields, zeroWhenAbsent: zeros } : { fields };
}

const FIELDS: Shape = { t: 'fields' };
const SORTED: Shape = { t: 'sorted' };

// ---- the shape of a kind's objects --------------------------------------------------------------

const byKind = new Map<string, Shape>();
const TYPE_META: ReadonlySet<string> = new Set(['kind', 'apiVersion']);

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
    const plan: StructPlan = message ? structPlan(message, TYPE_META) : { fields: new Map([['metadata', { rank: 0, shape: messageShape(OBJECT_META) }]]) };
    // TypeMeta first (inlined, its fields are omitempty); the rest after, in Go order.
    const places = new Map<string, FieldPlace>([
      ['kind', { rank: 0, shape: undefined }],
      ['apiVersion', { rank: 1, shape: undefined }],
    ]);
    for (const [json, place] of plan.fields) places.set(json, { rank: places.size, shape: place.shape });
    // Without a message, whatever else the kind has comes before its status.
    if (!message) places.set('status', { rank: Number.MAX_SAFE_INTEGER, shape: undefined });
    plan.fields = places;
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

function zeroValue(zero: ZeroValue): unknown {
  switch (zero) {
    case 'null':
      return null;
    case 'string':
      return '';
    case 'number':
      return 0;
    case 'bool':
      return false;
    case 'struct':
      // Filled in with its own always-written fields as it is ordered, just after.
      return {};
  }
}

/** Orders a struct's fields (children first); returns obj itself when already in order, else a new object. */
function orderStruct(obj: Json, plan: StructPlan): Json {
  const fields = plan.fields;
  if (plan.zeroWhenAbsent) for (const [k, zero] of plan.zeroWhenAbsent) if (!(k in obj)) obj[k] = zeroValue(zero);
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
