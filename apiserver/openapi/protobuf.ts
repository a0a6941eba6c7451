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

/** The encoded openapi.v2.Document of a swagger 2.0 document's info and definitions. */
export function encodeOpenApiV2(doc: { swagger: string; info: { title: string; version: string }; definitions: Record<string, OpenApiSchema> }): Buffer {
  const info = Buffer.concat([str(1, doc.info.title), str(2, doc.info.version)]);
  const defs = Object.entries(doc.definitions).map(([name, s]) => bytesField(1, Buffer.concat([str(1, name), bytesField(2, schema(s))])));
  return Buffer.concat([str(1, doc.swagger), bytesField(2, info), bytesField(8, Buffer.alloc(0)), bytesField(9, Buffer.concat(defs))]);
}
