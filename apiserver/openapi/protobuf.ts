// The OpenAPI v2 document as protobuf (gnostic's openapi.v2.Document), which kubectl 1.20 asks for
// with `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf` and reads nothing else
// (a JSON body fails with "unexpected EOF"). Only the messages the document uses are written: Document,
// Info, Definitions, NamedSchema, Schema, TypeItem, ItemsItem, Properties, AdditionalPropertiesItem,
// NamedAny and Any (extension and enum values go in Any.yaml, as YAML — here JSON, which is YAML).
import type { OpenApiSchema } from './models';

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}

const tag = (field: number, wire: number): Buffer => varint((field << 3) | wire);
const bytesField = (field: number, b: Buffer): Buffer => Buffer.concat([tag(field, 2), varint(b.length), b]);
const str = (field: number, s: string): Buffer => bytesField(field, Buffer.from(s, 'utf8'));
const bool = (field: number, v: boolean): Buffer => (v ? Buffer.concat([tag(field, 0), varint(1)]) : Buffer.alloc(0));
const int = (field: number, v: number): Buffer => Buffer.concat([tag(field, 0), varint(v)]);
function dbl(field: number, v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return Buffer.concat([tag(field, 1), b]);
}

/** gnostic Any: the value as YAML text (field 2). */
const anyOf = (value: unknown): Buffer => str(2, JSON.stringify(value));
const namedAny = (name: string, value: unknown): Buffer => Buffer.concat([str(1, name), bytesField(2, anyOf(value))]);

function schema(s: OpenApiSchema): Buffer {
  const parts: Buffer[] = [];
  const num = (k: string): number | undefined => (typeof s[k] === 'number' ? (s[k] as number) : undefined);
  if (s.$ref) parts.push(str(1, s.$ref));
  if (typeof s.format === 'string') parts.push(str(2, s.format));
  if (typeof s.title === 'string') parts.push(str(3, s.title));
  if (typeof s.description === 'string') parts.push(str(4, s.description));
  if (s.default !== undefined) parts.push(bytesField(5, anyOf(s.default)));
  const doubles: Array<[string, number]> = [['multipleOf', 6], ['maximum', 7], ['minimum', 9]];
  for (const [k, f] of doubles) if (num(k) !== undefined) parts.push(dbl(f, num(k)!));
  if (s.exclusiveMaximum === true) parts.push(bool(8, true));
  if (s.exclusiveMinimum === true) parts.push(bool(10, true));
  const ints: Array<[string, number]> = [['maxLength', 11], ['minLength', 12], ['maxItems', 14], ['minItems', 15], ['maxProperties', 17], ['minProperties', 18]];
  for (const [k, f] of ints) if (num(k) !== undefined) parts.push(int(f, num(k)!));
  if (typeof s.pattern === 'string') parts.push(str(13, s.pattern));
  if (s.uniqueItems === true) parts.push(bool(16, true));
  for (const r of s.required ?? []) parts.push(str(19, r));
  for (const e of Array.isArray(s.enum) ? s.enum : []) parts.push(bytesField(20, anyOf(e)));
  if (s.additionalProperties !== undefined) {
    const ap = typeof s.additionalProperties === 'boolean' ? bool(2, s.additionalProperties) : bytesField(1, schema(s.additionalProperties));
    parts.push(bytesField(21, ap));
  }
  if (s.type) parts.push(bytesField(22, str(1, s.type)));
  if (s.items) parts.push(bytesField(23, bytesField(1, schema(s.items))));
  if (s.properties) {
    const props = Object.entries(s.properties).map(([name, p]) => bytesField(1, Buffer.concat([str(1, name), bytesField(2, schema(p))])));
    parts.push(bytesField(25, Buffer.concat(props)));
  }
  for (const [k, v] of Object.entries(s)) if (k.startsWith('x-') && v !== undefined) parts.push(bytesField(31, namedAny(k, v)));
  return Buffer.concat(parts);
}

type Json = Record<string, unknown>;

/** A parameter (ParametersItem.parameter): a body one, or a query or path one (NonBodyParameter). */
function parameter(p: Json): Buffer {
  if (p.in === 'body') {
    const b = Buffer.concat([
      ...(typeof p.description === 'string' && p.description ? [str(1, p.description)] : []),
      str(2, String(p.name)),
      str(3, 'body'),
      bool(4, p.required === true),
      ...(p.schema ? [bytesField(5, schema(p.schema as OpenApiSchema))] : []),
    ]);
    return bytesField(1, bytesField(1, b));
  }
  // QueryParameterSubSchema and PathParameterSubSchema share fields 1-4; type and uniqueItems differ.
  const query = p.in === 'query';
  const sub = Buffer.concat([
    bool(1, p.required === true),
    str(2, String(p.in)),
    ...(typeof p.description === 'string' ? [str(3, p.description)] : []),
    str(4, String(p.name)),
    ...(typeof p.type === 'string' ? [str(query ? 6 : 5, p.type)] : []),
    bool(query ? 20 : 19, p.uniqueItems === true),
  ]);
  return bytesField(1, bytesField(2, bytesField(query ? 3 : 4, sub)));
}

const extensions = (o: Json, field: number): Buffer[] => Object.entries(o).filter(([k, v]) => k.startsWith('x-') && v !== undefined).map(([k, v]) => bytesField(field, namedAny(k, v)));

function operation(o: Json): Buffer {
  const parts: Buffer[] = [];
  for (const t of (o.tags as string[] | undefined) ?? []) parts.push(str(1, t));
  if (typeof o.description === 'string') parts.push(str(3, o.description));
  if (typeof o.operationId === 'string') parts.push(str(5, o.operationId));
  for (const m of (o.produces as string[] | undefined) ?? []) parts.push(str(6, m));
  for (const m of (o.consumes as string[] | undefined) ?? []) parts.push(str(7, m));
  for (const p of (o.parameters as Json[] | undefined) ?? []) parts.push(bytesField(8, parameter(p)));
  const responses = Object.entries((o.responses as Record<string, Json> | undefined) ?? {}).map(([code, r]) => {
    const response = Buffer.concat([str(1, String(r.description ?? '')), ...(r.schema ? [bytesField(2, bytesField(1, schema(r.schema as OpenApiSchema)))] : [])]);
    return bytesField(1, Buffer.concat([str(1, code), bytesField(2, bytesField(1, response))]));
  });
  parts.push(bytesField(9, Buffer.concat(responses)));
  for (const s of (o.schemes as string[] | undefined) ?? []) parts.push(str(10, s));
  parts.push(...extensions(o, 13));
  return Buffer.concat(parts);
}

const methodFields: Record<string, number> = { get: 2, put: 3, post: 4, delete: 5, options: 6, head: 7, patch: 8 };

/** openapi.v2.Paths of swagger 2.0 paths. */
function paths(ps: Record<string, Json>): Buffer {
  const items = Object.entries(ps).map(([name, item]) => {
    const parts: Buffer[] = [];
    for (const [method, field] of Object.entries(methodFields)) if (item[method]) parts.push(bytesField(field, operation(item[method] as Json)));
    for (const p of (item.parameters as Json[] | undefined) ?? []) parts.push(bytesField(9, parameter(p)));
    parts.push(...extensions(item, 10));
    return bytesField(2, Buffer.concat([str(1, name), bytesField(2, Buffer.concat(parts))]));
  });
  return Buffer.concat(items);
}

/**
 * The encoded openapi.v2.Document of a swagger 2.0 document's info, paths and definitions. Without
 * swagger and info it is a fragment: appended to an encoded document, protobuf's merge of repeated and
 * embedded fields adds its paths and definitions to the document's (how CRDs join the built-in kinds).
 */
export function encodeOpenApiV2(doc: { swagger?: string; info?: { title: string; version: string }; paths?: Record<string, unknown>; definitions: Record<string, OpenApiSchema> }): Buffer {
  const parts: Buffer[] = [];
  if (doc.swagger) parts.push(str(1, doc.swagger));
  if (doc.info) parts.push(bytesField(2, Buffer.concat([str(1, doc.info.title), str(2, doc.info.version)])));
  parts.push(bytesField(8, paths((doc.paths ?? {}) as Record<string, Json>)));
  const defs = Object.entries(doc.definitions).map(([name, s]) => bytesField(1, Buffer.concat([str(1, name), bytesField(2, schema(s))])));
  parts.push(bytesField(9, Buffer.concat(defs)));
  return Buffer.concat(parts);
}
