// The JSON object → Kubernetes protobuf encoder of the answers (objects, lists, watch events), in one
// pass: each message is written straight from the JSON object, backwards (writer.ts), with no
// intermediate message object and no length computed ahead. It writes the bytes the reference path
// writes (codec.ts's fromJSON, then protobufjs' generated encoder: fields by number, maps in their keys'
// order), which `encode.test.ts` checks on every fixture; it costs a fraction of it (issue 17: a
// protobuf create answered 1.11× a JSON one, which sends the stored bytes).
import * as protobuf from 'protobufjs';
import type { FieldPlan, MessagePlan, Special } from './codec';
import { num, parseGoDuration, parseTime } from './go-values';
import { ReverseWriter } from './writer';

type Json = Record<string, unknown>;

/** What the encoder reads from the codec. */
export interface EncoderSource {
  plan(type: protobuf.Type): MessagePlan;
  root: protobuf.Root;
}

// How a scalar is written (protobufjs' Writer method of the same name, written backwards).
const enum Scalar {
  String,
  Bytes,
  Bool,
  Int32,
  Uint32,
  Sint32,
  Int64,
  Sint64,
  Fixed32,
  Fixed64,
  Double,
  Float,
}

const SCALARS: Record<string, Scalar> = {
  string: Scalar.String,
  bytes: Scalar.Bytes,
  bool: Scalar.Bool,
  int32: Scalar.Int32,
  uint32: Scalar.Uint32,
  sint32: Scalar.Sint32,
  int64: Scalar.Int64,
  uint64: Scalar.Int64,
  sint64: Scalar.Sint64,
  fixed32: Scalar.Fixed32,
  sfixed32: Scalar.Fixed32,
  fixed64: Scalar.Fixed64,
  sfixed64: Scalar.Fixed64,
  double: Scalar.Double,
  float: Scalar.Float,
};

const WIRE: Record<Scalar, number> = {
  [Scalar.String]: 2,
  [Scalar.Bytes]: 2,
  [Scalar.Bool]: 0,
  [Scalar.Int32]: 0,
  [Scalar.Uint32]: 0,
  [Scalar.Sint32]: 0,
  [Scalar.Int64]: 0,
  [Scalar.Sint64]: 0,
  [Scalar.Fixed32]: 5,
  [Scalar.Fixed64]: 1,
  [Scalar.Double]: 1,
  [Scalar.Float]: 5,
};

const enum Kind {
  Scalar,
  Message,
  /** A Go named []string (ExtraValue): a JSON list, a message with one repeated string. */
  StringList,
  Special,
}

/** One field of a message as the encoder writes it. */
interface EncField {
  id: number;
  /** The JSON name; undefined for a message Go inlines into its parent (read from the same object). */
  json: string | undefined;
  /** The JSON name is also a property of Object.prototype: only an own property counts. */
  ownOnly: boolean;
  kind: Kind;
  scalar: Scalar;
  special: Special | undefined;
  /** The message type (Kind.Message, inlined fields); its encoder plan is looked up at first use. */
  type: protobuf.Type | undefined;
  message: EncMessage | undefined;
  /** The tag before each value; in a map, the entry's value tag (field 2). */
  tag: number;
  repeated: boolean;
  packed: boolean;
  /** A string list's tag of each string (its message's one repeated field). */
  itemsTag: number;
  /** The tag of the whole field: a packed list's, or each map entry's. */
  outerTag: number;
  map: boolean;
}

interface EncMessage {
  /** Highest field number first: written backwards, they come out in number order. */
  fields: EncField[];
}

const EMPTY = Buffer.alloc(0);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Encoder {
  private readonly w = new ReverseWriter();
  private readonly messages = new Map<protobuf.Type, EncMessage>();

  constructor(private readonly source: EncoderSource) {
    // The messages written here by hand must be as this code expects them.
    expectFields(source.root, 'k8s.io.apimachinery.pkg.runtime.Unknown', { typeMeta: 1, raw: 2, contentEncoding: 3, contentType: 4 });
    expectFields(source.root, 'k8s.io.apimachinery.pkg.runtime.TypeMeta', { apiVersion: 1, kind: 2 });
    expectFields(source.root, 'k8s.io.apimachinery.pkg.apis.meta.v1.WatchEvent', { type: 1, object: 2 });
    expectFields(source.root, 'k8s.io.apimachinery.pkg.runtime.RawExtension', { raw: 1 });
    expectFields(source.root, 'k8s.io.apimachinery.pkg.apis.meta.v1.Time', { seconds: 1, nanos: 2 });
    expectFields(source.root, 'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime', { seconds: 1, nanos: 2 });
    expectFields(source.root, 'k8s.io.apimachinery.pkg.apis.meta.v1.Duration', { duration: 1 });
    expectFields(source.root, 'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1', { Raw: 1 });
    expectFields(source.root, 'k8s.io.apimachinery.pkg.util.intstr.IntOrString', { type: 1, intVal: 2, strVal: 3 });
    expectFields(source.root, 'k8s.io.apimachinery.pkg.api.resource.Quantity', { string: 1 });
  }

  /** `k8s\0` + runtime.Unknown {typeMeta, raw: the object's message, contentEncoding "", contentType ""}. */
  object(type: protobuf.Type, obj: Json, apiVersion: string, kind: string, magic: Uint8Array): Buffer {
    this.w.reset();
    this.envelope(type, obj, apiVersion, kind, magic);
    return this.w.finish();
  }

  /**
   * A watch event's frame payload: metav1.WatchEvent {type, object: RawExtension {raw}} as bare protobuf
   * (kube-apiserver's stream serializer is the raw one: no `k8s\0`, no envelope), raw being the
   * object's own envelope (`type` given) or its JSON.
   */
  watchEvent(eventType: string, objType: protobuf.Type | undefined, obj: Json, apiVersion: string, kind: string, magic: Uint8Array): Buffer {
    const w = this.w;
    w.reset();
    // The event, its object, the object's RawExtension and its raw bytes all end here.
    const end = w.mark();
    if (objType) {
      this.envelope(objType, obj, apiVersion, kind, magic);
      w.varint32(w.since(end));
    } else w.string(JSON.stringify(obj));
    w.varint32((1 << 3) | 2); // RawExtension.raw
    w.varint32(w.since(end));
    w.varint32((2 << 3) | 2); // WatchEvent.object
    w.string(eventType);
    w.varint32((1 << 3) | 2); // WatchEvent.type
    return w.finish();
  }

  private envelope(type: protobuf.Type, obj: Json, apiVersion: string, kind: string, magic: Uint8Array): void {
    const w = this.w;
    emptyString(w, (4 << 3) | 2); // contentType
    emptyString(w, (3 << 3) | 2); // contentEncoding
    const end = w.mark();
    this.fields(this.messageOf(type), obj);
    w.varint32(w.since(end));
    w.varint32((2 << 3) | 2); // raw
    this.typeMeta(apiVersion, kind);
    w.raw(magic);
  }

  private typeMeta(apiVersion: string, kind: string): void {
    const w = this.w;
    const end = w.mark();
    w.string(kind);
    w.varint32((2 << 3) | 2);
    w.string(apiVersion);
    w.varint32((1 << 3) | 2);
    w.varint32(w.since(end));
    w.varint32((1 << 3) | 2);
  }

  /**
   * Writes the fields `obj` sets of message `m`; returns how many it sets (what codec.ts's fromJSON
   * would have put in its object: an empty list or map counts, though it writes nothing).
   */
  private fields(m: EncMessage, obj: Json): number {
    const w = this.w;
    const fields = m.fields;
    let set = 0;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      if (f.json === undefined) {
        // An inlined struct: its fields are the parent's in JSON, a nested message on the wire.
        const end = w.mark();
        if (this.fields(this.fieldMessage(f), obj) > 0) {
          w.varint32(w.since(end));
          w.varint32(f.tag);
          set++;
        }
        continue;
      }
      const v = f.ownOnly && !Object.hasOwn(obj, f.json) ? undefined : obj[f.json];
      if (v === undefined || v === null) continue;
      if (f.map) {
        if (!isObject(v)) continue;
        this.map(f, v);
      } else if (f.repeated) {
        if (!Array.isArray(v)) continue;
        this.list(f, v);
      } else this.value(f, v);
      set++;
    }
    return set;
  }

  private list(f: EncField, items: unknown[]): void {
    const w = this.w;
    if (f.packed) {
      const end = w.mark();
      for (let j = items.length - 1; j >= 0; j--) if (items[j] !== null && items[j] !== undefined) this.scalar(f.scalar, items[j]);
      if (w.since(end) > 0) {
        w.varint32(w.since(end));
        w.varint32(f.outerTag);
      }
      return;
    }
    for (let j = items.length - 1; j >= 0; j--) {
      const x = items[j];
      if (x !== null && x !== undefined) this.value(f, x);
    }
  }

  private map(f: EncField, m: Json): void {
    const w = this.w;
    const keys = Object.keys(m);
    for (let j = keys.length - 1; j >= 0; j--) {
      const k = keys[j];
      const x = m[k];
      // null in a map of Times is the zero Time; elsewhere an entry without a value is left out.
      if (x === undefined || (x === null && f.kind !== Kind.Special)) continue;
      const end = w.mark();
      this.value(f, x);
      w.string(k);
      w.varint32((1 << 3) | 2);
      w.varint32(w.since(end));
      w.varint32(f.outerTag);
    }
  }

  /** One value of field `f`, then its tag. */
  private value(f: EncField, v: unknown): void {
    const w = this.w;
    switch (f.kind) {
      case Kind.Scalar:
        this.scalar(f.scalar, v);
        break;
      case Kind.Message: {
        const end = w.mark();
        if (isObject(v)) this.fields(this.fieldMessage(f), v);
        w.varint32(w.since(end));
        break;
      }
      case Kind.StringList: {
        const end = w.mark();
        if (Array.isArray(v)) {
          for (let j = v.length - 1; j >= 0; j--) {
            w.string(String(v[j]));
            w.varint32(f.itemsTag);
          }
        }
        w.varint32(w.since(end));
        break;
      }
      case Kind.Special: {
        const end = w.mark();
        this.special(f.special!, v);
        w.varint32(w.since(end));
        break;
      }
    }
    w.varint32(f.tag);
  }

  private scalar(s: Scalar, v: unknown): void {
    const w = this.w;
    switch (s) {
      case Scalar.String:
        w.string(typeof v === 'string' ? v : String(v));
        return;
      case Scalar.Bytes:
        w.bytes(typeof v === 'string' ? Buffer.from(v, 'base64') : EMPTY);
        return;
      case Scalar.Bool:
        w.varint32(v === true ? 1 : 0);
        return;
    }
    const n = typeof v === 'number' ? v : Number(v);
    switch (s) {
      case Scalar.Int32: {
        // Truncated to 32 bits; a negative int32 is a 10-byte varint, as its sign-extended 64-bit value.
        const i = n | 0;
        if (i < 0) w.varint64({ lo: i >>> 0, hi: 0xffffffff });
        else w.varint32(i);
        return;
      }
      case Scalar.Uint32:
        w.varint32(n);
        return;
      case Scalar.Sint32:
        w.varint32(((n << 1) ^ (n >> 31)) >>> 0);
        return;
      case Scalar.Int64:
        if (n >= 0 && n < 0x100000000) w.varint32(n);
        else w.varint64(protobuf.util.LongBits.fromNumber(n));
        return;
      case Scalar.Sint64:
        w.varint64(protobuf.util.LongBits.fromNumber(n).zzEncode());
        return;
      case Scalar.Fixed32:
        w.fixed32(n);
        return;
      case Scalar.Fixed64: {
        const bits = protobuf.util.LongBits.fromNumber(n);
        w.fixed32(bits.hi);
        w.fixed32(bits.lo);
        return;
      }
      case Scalar.Double:
        w.double(n);
        return;
      case Scalar.Float:
        w.float(n);
        return;
    }
  }

  /** The message of a value Go serializes specially, from its JSON form (codec.ts's specialFromJSON). */
  private special(kind: Special, v: unknown): void {
    const w = this.w;
    switch (kind) {
      case 'time':
      case 'microTime': {
        const t = parseTime(v);
        if (!t) return; // the zero Time: an empty message
        this.scalar(Scalar.Int32, t.nanos);
        w.varint32((2 << 3) | 0);
        this.scalar(Scalar.Int64, t.seconds);
        w.varint32((1 << 3) | 0);
        return;
      }
      case 'duration':
        this.scalar(Scalar.Int64, typeof v === 'string' ? parseGoDuration(v) : num(v));
        w.varint32((1 << 3) | 0);
        return;
      case 'intOrString':
        if (typeof v === 'string') {
          w.string(v);
          w.varint32((3 << 3) | 2);
          w.varint32(1);
        } else {
          this.scalar(Scalar.Int32, num(v));
          w.varint32((2 << 3) | 0);
          w.varint32(0);
        }
        w.varint32((1 << 3) | 0);
        return;
      case 'quantity':
        w.string(String(v));
        w.varint32((1 << 3) | 2);
        return;
      case 'rawExtension':
      case 'fieldsV1':
        w.string(JSON.stringify(v));
        w.varint32((1 << 3) | 2);
        return;
    }
  }

  private fieldMessage(f: EncField): EncMessage {
    return (f.message ??= this.messageOf(f.type!));
  }

  private messageOf(type: protobuf.Type): EncMessage {
    let m = this.messages.get(type);
    if (!m) {
      const plan = this.source.plan(type);
      const fields: EncField[] = [];
      for (const p of plan.byName.values()) {
        const f = encField(p);
        if (f) fields.push(f);
      }
      fields.sort((a, b) => b.id - a.id);
      m = { fields };
      this.messages.set(type, m);
    }
    return m;
  }
}

/** A field's encoding; undefined for a field codec.ts's fromJSON never sets (an inlined scalar). */
function encField(p: FieldPlan): EncField | undefined {
  const id = p.field.id;
  if (p.json === undefined && !p.message) return undefined;
  let kind: Kind;
  let scalar = Scalar.Int32;
  if (p.special) kind = Kind.Special;
  else if (p.message) kind = p.stringList ? Kind.StringList : Kind.Message;
  else {
    kind = Kind.Scalar;
    // An enum is written as an int32.
    scalar = SCALARS[p.field.type] ?? Scalar.Int32;
  }
  if (p.field instanceof protobuf.MapField && p.field.keyType !== 'string') throw new Error(`protobuf encoder: map ${p.field.fullName} has ${p.field.keyType} keys`);
  const wire = kind === Kind.Scalar ? WIRE[scalar] : 2;
  const packed = p.repeated && !p.map && kind === Kind.Scalar && p.field.packed && wire !== 2;
  return {
    id,
    json: p.json,
    ownOnly: p.json !== undefined && p.json in Object.prototype,
    kind,
    scalar,
    special: p.special,
    type: p.message,
    message: undefined,
    // In a map entry the value is field 2; the entry itself carries the field's number.
    tag: p.map ? (2 << 3) | wire : (id << 3) | wire,
    itemsTag: kind === Kind.StringList ? (p.message!.fieldsArray[0].id << 3) | 2 : 0,
    repeated: p.repeated,
    packed,
    outerTag: (id << 3) | 2,
    map: p.map,
  };
}

function emptyString(w: ReverseWriter, tag: number): void {
  w.varint32(0);
  w.varint32(tag);
}

function expectFields(root: protobuf.Root, name: string, ids: Record<string, number>): void {
  const t = root.lookupType(name);
  for (const [field, id] of Object.entries(ids)) {
    if (t.fields[field]?.id !== id) throw new Error(`protobuf encoder: ${name}.${field} is not field ${id}`);
  }
}
