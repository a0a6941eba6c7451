// Kubernetes' protobuf wire (application/vnd.kubernetes.protobuf,
// k8s.io/apimachinery/pkg/runtime/serializer/protobuf) for every built-in kind, both ways. The message
// definitions are Kubernetes' own generated.proto files (proto/, copied by scripts/k8s-protos.js) loaded
// with protobufjs at first use; go-fields.json says what the .proto files cannot: each Go field's JSON
// name, whether it is a pointer, omitempty, or inlined. Objects cross as the JSON the rest of the server
// handles: a body is the magic `k8s\0` and a runtime.Unknown {typeMeta {apiVersion, kind}, raw}, raw
// being the object's message; the types Go serializes specially (Time, MicroTime, Duration, IntOrString,
// Quantity, RawExtension, FieldsV1, string-list wrappers such as ExtraValue) are converted here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import { Encoder } from './encode';
import { formatGoDuration, formatTime, num, parseGoDuration, parseTime } from './go-values';

export { formatGoDuration, parseGoDuration };

export const ProtobufMediaType = 'application/vnd.kubernetes.protobuf';
export const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** How one Go struct field serializes to JSON (from its `json:` tag and type). */
interface GoField {
  json?: string;
  ptr?: boolean;
  omit?: boolean;
  inline?: boolean;
}

type Json = Record<string, unknown>;

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
/** The most apiVersion/kind lookups Codec.typeOf remembers (the built-in kinds need a few hundred). */
export const MAX_KINDS_CACHED = 1024;
const SPECIAL = {
  time: `${META}.Time`,
  microTime: `${META}.MicroTime`,
  duration: `${META}.Duration`,
  fieldsV1: `${META}.FieldsV1`,
  intOrString: 'k8s.io.apimachinery.pkg.util.intstr.IntOrString',
  quantity: 'k8s.io.apimachinery.pkg.api.resource.Quantity',
  rawExtension: 'k8s.io.apimachinery.pkg.runtime.RawExtension',
} as const;

/** The proto/ folder beside this file in the source tree; compiled code runs from dist/. */
function protoDir(): string {
  const candidates = [path.join(__dirname, 'proto'), path.resolve(__dirname, '../../../apiserver/protobuf/proto')];
  for (const p of candidates) if (fs.existsSync(path.join(p, 'go-fields.json'))) return p;
  throw new Error(`the Kubernetes .proto files were not found (looked in ${candidates.join(', ')}); run scripts/k8s-protos.js`);
}

/** One loaded set of message definitions, with the per-message conversion plans. */
class Codec {
  readonly root: protobuf.Root;
  private readonly goFields: Record<string, Record<string, GoField>>;
  private readonly plans = new Map<protobuf.Type, MessagePlan>();
  /** By apiVersion, then kind (no key string made per lookup: every answer and body looks its kind up). */
  private readonly byKind = new Map<string, Map<string, protobuf.Type | null>>();
  /** Entries of byKind: bounded, since clients name any apiVersion and kind they like. */
  private kindsCached = 0;
  private readonly unknown: protobuf.Type;
  /** The one-pass encoder of answers (encode.ts). */
  readonly encoder: Encoder;

  constructor() {
    const dir = protoDir();
    const files = JSON.parse(fs.readFileSync(path.join(dir, 'files.json'), 'utf8')) as string[];
    this.goFields = (JSON.parse(fs.readFileSync(path.join(dir, 'go-fields.json'), 'utf8')) as { messages: Record<string, Record<string, GoField>> }).messages;
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => path.join(dir, target);
    root.loadSync([`k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto`, ...files], { keepCase: true });
    root.resolveAll();
    this.root = root;
    this.unknown = root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
    this.encoder = new Encoder(this);
  }

  /** The message of `apiVersion`'s `kind` (a group's own kinds, then meta/v1's, registered in every group). */
  typeOf(apiVersion: string, kind: string): protobuf.Type | undefined {
    // Any group whose first label names a package finds its types (apps.example/v1), and misses are
    // remembered too: past the bound the cache starts again rather than grow with what clients send.
    if (this.kindsCached >= MAX_KINDS_CACHED) {
      this.byKind.clear();
      this.kindsCached = 0;
    }
    let kinds = this.byKind.get(apiVersion);
    if (!kinds) this.byKind.set(apiVersion, (kinds = new Map()));
    let t = kinds.get(kind);
    if (t === undefined) {
      t = null;
      const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
      // Group names map to packages by their first label: apps → apps, rbac.authorization.k8s.io → rbac.
      const pkg = group === '' ? 'core' : group.split('.')[0];
      for (const name of [`k8s.io.api.${pkg}.${version}.${kind}`, `${META}.${kind}`]) {
        const found = this.root.lookup(name);
        if (found instanceof protobuf.Type) {
          t = found;
          break;
        }
      }
      kinds.set(kind, t);
      this.kindsCached++;
    }
    return t ?? undefined;
  }

  /** How many apiVersion/kind lookups are remembered (tests). */
  cachedKinds(): number {
    return this.kindsCached;
  }

  plan(type: protobuf.Type): MessagePlan {
    let p = this.plans.get(type);
    if (!p) {
      const go = this.goFields[type.fullName.slice(1)] ?? {};
      const fields = type.fieldsArray.map((f): FieldPlan => {
        f.resolve();
        const g = go[f.name] ?? { json: f.name, omit: true };
        const message = f.resolvedType instanceof protobuf.Type ? f.resolvedType : undefined;
        return { field: f, name: f.name, json: g.inline ? undefined : (g.json ?? f.name), go: g, message, special: message ? specialOf(message) : undefined, stringList: !!message && isStringListWrapper(message), repeated: f.repeated, map: f.map };
      });
      p = {
        byName: new Map(fields.map((f) => [f.name, f])),
        byJson: new Map(fields.filter((f) => f.json !== undefined).map((f) => [f.json!, f])),
        inline: fields.filter((f) => f.go.inline && f.message),
        byId: new Map(fields.map((f) => [f.field.id, f])),
      };
      this.plans.set(type, p);
    }
    return p;
  }

  /** The message decoded into the JSON Go's encoding/json would write for it. */
  toJSON(type: protobuf.Type, msg: protobuf.Message, out: Json = {}): Json {
    const m = msg as unknown as Json;
    const plan = this.plan(type);
    // A decoded message holds the fields present on the wire as own properties (and every repeated field).
    for (const key of Object.keys(m)) {
      const f = plan.byName.get(key);
      if (!f) continue;
      const v = m[key];
      if (v === null || v === undefined) continue;
      if (f.map) {
        const entries = Object.entries(v as Json);
        if (!entries.length) continue;
        const obj: Json = {};
        // A zero Time in a map is Go's null.
        for (const [k, x] of entries) obj[k] = this.valueToJSON(f, x) ?? null;
        out[f.json!] = obj;
        continue;
      }
      if (f.repeated) {
        const arr = v as unknown[];
        if (!arr.length) continue;
        out[f.json!] = arr.map((x) => this.valueToJSON(f, x));
        continue;
      }
      if (f.go.inline && f.message) {
        this.toJSON(f.message, v as protobuf.Message, out);
        continue;
      }
      const value = this.valueToJSON(f, v);
      if (value === undefined) continue;
      // Go's omitempty drops zero values of value (non-pointer) fields; a pointer's zero is meaningful.
      if (!f.go.ptr && f.go.omit && (value === '' || value === 0 || value === false)) continue;
      out[f.json!] = value;
    }
    return out;
  }

  private valueToJSON(f: FieldPlan, v: unknown): unknown {
    if (f.special) return specialToJSON(f.special, v as Json);
    if (f.message) {
      if (isStringListWrapper(f.message)) return [...(((v as Json).items as string[] | undefined) ?? [])];
      return this.toJSON(f.message, v as protobuf.Message);
    }
    if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    if (typeof v === 'object' && v !== null && 'low' in v) return protobuf.util.LongBits.from(v as protobuf.Long).toNumber(false);
    return v;
  }

  /** The JSON object as the plain object protobufjs' fromObject takes (proto field names). */
  fromJSON(type: protobuf.Type, obj: Json): Json {
    const out: Json = {};
    const plan = this.plan(type);
    for (const f of plan.inline) {
      const inner = this.fromJSON(f.message!, obj);
      if (Object.keys(inner).length) out[f.name] = inner;
    }
    for (const key of Object.keys(obj)) {
      const f = plan.byJson.get(key);
      if (!f) continue;
      const v = obj[key];
      if (v === null || v === undefined) continue;
      if (f.map) {
        if (typeof v !== 'object' || Array.isArray(v)) continue;
        const m: Json = {};
        for (const [k, x] of Object.entries(v as Json)) {
          // null in a map of Times is the zero Time.
          if (x === undefined || (x === null && !f.special)) continue;
          m[k] = this.valueFromJSON(f, x);
        }
        out[f.name] = m;
      } else if (f.repeated) {
        if (!Array.isArray(v)) continue;
        out[f.name] = v.filter((x) => x !== null && x !== undefined).map((x) => this.valueFromJSON(f, x));
      } else {
        out[f.name] = this.valueFromJSON(f, v);
      }
    }
    return out;
  }

  private valueFromJSON(f: FieldPlan, v: unknown): unknown {
    if (f.special) return specialFromJSON(f.special, v);
    if (f.message) {
      if (isStringListWrapper(f.message)) return { items: Array.isArray(v) ? v.map(String) : [] };
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? this.fromJSON(f.message, v as Json) : {};
    }
    if (f.field.type === 'bytes') return typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.alloc(0);
    if (f.field.type === 'string') return typeof v === 'string' ? v : String(v);
    if (f.field.type === 'bool') return v === true;
    return typeof v === 'number' ? v : Number(v);
  }

  /**
   * The message at the reader's position up to `end`, straight into the JSON Go's encoding/json would
   * write (what toJSON makes of a decoded message, without the message objects in between). Inlined
   * fields write into `out`, their parent's object.
   */
  readJSON(type: protobuf.Type, r: protobuf.Reader, end: number, out: Json = {}): Json {
    const plan = this.plan(type);
    let lists: Map<FieldPlan, unknown[]> | undefined;
    while (r.pos < end) {
      const tag = r.uint32();
      const f = plan.byId.get(tag >>> 3);
      const wire = tag & 7;
      if (!f) {
        r.skipType(wire);
        continue;
      }
      if (f.map) {
        const entryEnd = r.uint32() + r.pos;
        let key = '';
        let value: unknown;
        while (r.pos < entryEnd) {
          const t = r.uint32();
          if (t >>> 3 === 1) key = r.string();
          else if (t >>> 3 === 2) value = this.readValue(f, r, t & 7);
          else r.skipType(t & 7);
        }
        const obj = (out[f.json!] as Json | undefined) ?? (out[f.json!] = {});
        // A zero Time in a map is Go's null; a missing value is the value type's zero.
        obj[key] = value === undefined ? (f.message ? (f.special ? null : {}) : scalarZero(f)) : value;
        continue;
      }
      if (f.repeated) {
        lists ??= new Map();
        let list = lists.get(f);
        if (!list) lists.set(f, (list = []));
        if (wire === 2 && !f.message && f.field.type !== 'string' && f.field.type !== 'bytes') {
          const packedEnd = r.uint32() + r.pos;
          while (r.pos < packedEnd) list.push(this.readScalar(f, r));
        } else list.push(this.readValue(f, r, wire) ?? null);
        continue;
      }
      if (f.go.inline && f.message) {
        const len = r.uint32();
        this.readJSON(f.message, r, r.pos + len, out);
        continue;
      }
      const value = this.readValue(f, r, wire);
      if (value === undefined) {
        delete out[f.json!];
        continue;
      }
      // Go's omitempty drops zero values of value (non-pointer) fields; a pointer's zero is meaningful.
      if (!f.go.ptr && f.go.omit && (value === '' || value === 0 || value === false)) {
        delete out[f.json!];
        continue;
      }
      out[f.json!] = value;
    }
    if (lists) for (const [f, list] of lists) out[f.json!] = list;
    return out;
  }

  private readValue(f: FieldPlan, r: protobuf.Reader, wire: number): unknown {
    if (!f.message) return this.readScalar(f, r);
    if (wire !== 2) {
      r.skipType(wire);
      return undefined;
    }
    const len = r.uint32();
    if (f.special) return specialToJSON(f.special, f.message.decode(r, len) as unknown as Json);
    if (isStringListWrapper(f.message)) return [...(((f.message.decode(r, len) as unknown as Json).items as string[] | undefined) ?? [])];
    return this.readJSON(f.message, r, r.pos + len);
  }

  private readScalar(f: FieldPlan, r: protobuf.Reader): unknown {
    switch (f.field.type) {
      case 'string':
        return r.string();
      case 'bytes':
        return Buffer.from(r.bytes()).toString('base64');
      case 'bool':
        return r.bool();
      case 'int32':
        return r.int32();
      case 'uint32':
        return r.uint32();
      case 'sint32':
        return r.sint32();
      case 'fixed32':
        return r.fixed32();
      case 'sfixed32':
        return r.sfixed32();
      case 'int64':
        return num(r.int64());
      case 'uint64':
        return num(r.uint64());
      case 'sint64':
        return num(r.sint64());
      case 'fixed64':
        return num(r.fixed64());
      case 'sfixed64':
        return num(r.sfixed64());
      case 'double':
        return r.double();
      case 'float':
        return r.float();
      default:
        return r.int32(); // an enum
    }
  }

  /** `k8s\0` + runtime.Unknown → {apiVersion, kind, raw}. */
  openEnvelope(body: Buffer): { apiVersion: string; kind: string; raw: Buffer } {
    const unk = this.unknown.decode(body.subarray(4)) as unknown as { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Uint8Array };
    return { apiVersion: unk.typeMeta?.apiVersion ?? '', kind: unk.typeMeta?.kind ?? '', raw: Buffer.from(unk.raw ?? []) };
  }

  envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
    const unk = this.unknown.encode({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' }).finish();
    return Buffer.concat([MAGIC, unk]);
  }
}

/** How a message's fields are found: by proto name (decoding), by JSON name (encoding), and the inlined ones. */
export interface MessagePlan {
  byName: Map<string, FieldPlan>;
  byJson: Map<string, FieldPlan>;
  inline: FieldPlan[];
  /** By field number (the direct decoder). */
  byId: Map<number, FieldPlan>;
}

export interface FieldPlan {
  field: protobuf.Field;
  /** The proto field name. */
  name: string;
  /** The JSON name (undefined for a field Go inlines into its parent). */
  json?: string;
  go: GoField;
  message?: protobuf.Type;
  special?: Special;
  /** The message is a Go named []string (ExtraValue, Verbs): a list in JSON. */
  stringList: boolean;
  repeated: boolean;
  map: boolean;
}

export type Special = keyof typeof SPECIAL;

function specialOf(t: protobuf.Type): Special | undefined {
  const name = t.fullName.slice(1);
  for (const [k, v] of Object.entries(SPECIAL)) if (v === name) return k as Special;
  return undefined;
}

/** A Go named []string type (ExtraValue, Verbs): a message with one repeated string `items`, a list in JSON. */
function isStringListWrapper(t: protobuf.Type): boolean {
  const fs = t.fieldsArray;
  return fs.length === 1 && fs[0].name === 'items' && fs[0].repeated && fs[0].type === 'string';
}

/** A map value's zero when the entry has none (Go writes no value for "", 0, false). */
function scalarZero(f: FieldPlan): unknown {
  switch (f.field.type) {
    case 'string':
    case 'bytes':
      return '';
    case 'bool':
      return false;
    default:
      return 0;
  }
}

function specialToJSON(kind: Special, v: Json): unknown {
  switch (kind) {
    case 'time':
    case 'microTime': {
      const seconds = num(v.seconds);
      const nanos = num(v.nanos);
      if (seconds === 0 && nanos === 0) return undefined;
      return formatTime(seconds, nanos, kind === 'microTime');
    }
    case 'duration':
      return formatGoDuration(num(v.duration));
    case 'intOrString':
      return num(v.type) === 1 ? String(v.strVal ?? '') : num(v.intVal);
    case 'quantity':
      return String(v.string ?? '');
    case 'rawExtension':
    case 'fieldsV1': {
      const raw = Buffer.from(((kind === 'rawExtension' ? v.raw : v.Raw) as Uint8Array | undefined) ?? []);
      if (!raw.length) return kind === 'fieldsV1' ? {} : undefined;
      try {
        return JSON.parse(raw.toString('utf8'));
      } catch {
        // An embedded object in protobuf (k8s\0…) cannot be shown as JSON without its kind's message.
        return protobufEmbedded(raw);
      }
    }
  }
}

/** An object embedded in a RawExtension as protobuf: decoded when its kind is known. */
function protobufEmbedded(raw: Buffer): unknown {
  if (raw.length >= 4 && raw.subarray(0, 4).equals(MAGIC)) return decodeObject(raw);
  return raw.toString('base64');
}

function specialFromJSON(kind: Special, v: unknown): unknown {
  switch (kind) {
    case 'time':
    case 'microTime':
      return parseTime(v) ?? {};
    case 'duration':
      return { duration: typeof v === 'string' ? parseGoDuration(v) : num(v) };
    case 'intOrString':
      return typeof v === 'string' ? { type: 1, strVal: v } : { type: 0, intVal: num(v) };
    case 'quantity':
      return { string: String(v) };
    case 'rawExtension':
      return { raw: Buffer.from(JSON.stringify(v)) };
    case 'fieldsV1':
      return { Raw: Buffer.from(JSON.stringify(v)) };
  }
}

let codec: Codec | undefined;

/** The loaded definitions (parsed once, at the first protobuf request or at server start). */
export function protobufCodec(): Codec {
  codec ??= new Codec();
  return codec;
}

export class ProtobufKindError extends Error {
  constructor(readonly apiVersion: string, readonly kind: string) {
    super(`no protobuf message for ${apiVersion}/${kind}`);
  }
}

/**
 * A `k8s\0` body → the object as JSON (apiVersion and kind first): the envelope read in place and the
 * message decoded straight into JSON (readJSON), without copying `raw` or making message objects.
 */
export function decodeObject(body: Buffer): Json {
  const c = protobufCodec();
  const r = protobuf.Reader.create(body);
  r.pos = 4;
  let apiVersion = '';
  let kind = '';
  let rawStart = 0;
  let rawEnd = 0;
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === 10) {
      const end = r.uint32() + r.pos;
      while (r.pos < end) {
        const t = r.uint32();
        if (t === 10) apiVersion = r.string();
        else if (t === 18) kind = r.string();
        else r.skipType(t & 7);
      }
    } else if (tag === 18) {
      const len = r.uint32();
      rawStart = r.pos;
      rawEnd = r.pos + len;
      r.skip(len);
    } else r.skipType(tag & 7);
  }
  const type = c.typeOf(apiVersion, kind);
  if (!type) throw new ProtobufKindError(apiVersion, kind);
  if (rawEnd > r.len) throw new Error('index out of range');
  r.pos = rawStart;
  const out: Json = { apiVersion, kind };
  c.readJSON(type, r, rawEnd, out);
  // The message may not set apiVersion or kind of its own: the envelope's stand.
  out.apiVersion = apiVersion;
  out.kind = kind;
  return out;
}

/** The reference decoder: protobufjs' message objects, then toJSON (what decodeObject is checked against). */
export function decodeObjectViaMessages(body: Buffer): Json {
  const c = protobufCodec();
  const { apiVersion, kind, raw } = c.openEnvelope(body);
  const type = c.typeOf(apiVersion, kind);
  if (!type) throw new ProtobufKindError(apiVersion, kind);
  return { apiVersion, kind, ...c.toJSON(type, type.decode(raw)) };
}

/**
 * The reference encoder, which encodeObject is checked against: fromJSON builds exactly the field types
 * protobufjs' generated encoder writes, then that encoder writes them (forward, forking per nested
 * message). The one-pass encoder writes the same bytes at a fraction of the cost.
 */
export function encodeObjectViaMessages(obj: Json, apiVersion = String(obj.apiVersion ?? ''), kind = String(obj.kind ?? '')): Buffer {
  const c = protobufCodec();
  const type = c.typeOf(apiVersion, kind);
  if (!type) throw new ProtobufKindError(apiVersion, kind);
  return c.envelope(apiVersion, kind, type.encode(c.fromJSON(type, obj)).finish());
}

/** A JSON object (with apiVersion and kind) → its `k8s\0` body, in one pass (encode.ts). */
export function encodeObject(obj: Json, apiVersion = String(obj.apiVersion ?? ''), kind = String(obj.kind ?? '')): Buffer {
  const c = protobufCodec();
  const type = c.typeOf(apiVersion, kind);
  if (!type) throw new ProtobufKindError(apiVersion, kind);
  return c.encoder.object(type, obj, apiVersion, kind, MAGIC);
}

/**
 * A watch event as kube-apiserver frames it in protobuf (one frame's payload, without the length): a bare
 * metav1.WatchEvent {type, object: RawExtension} — its stream serializer is protobuf's raw one, and
 * client-go decodes each frame straight into a WatchEvent (an envelope there reads as an event of type
 * "") — the object in its own `k8s\0` envelope (JSON bytes for a kind without a message).
 */
export function encodeWatchEvent(type: string, object: Json): Buffer {
  const c = protobufCodec();
  const apiVersion = String(object.apiVersion ?? '');
  const kind = String(object.kind ?? '');
  return c.encoder.watchEvent(type, c.typeOf(apiVersion, kind), object, apiVersion, kind, MAGIC);
}

/** encodeWatchEvent through protobufjs' messages (what it is checked against). */
export function encodeWatchEventViaMessages(type: string, object: Json): Buffer {
  const c = protobufCodec();
  const apiVersion = String(object.apiVersion ?? '');
  const kind = String(object.kind ?? '');
  const raw = c.typeOf(apiVersion, kind) ? encodeObjectViaMessages(object, apiVersion, kind) : Buffer.from(JSON.stringify(object));
  const ev = c.typeOf('v1', 'WatchEvent')!;
  return Buffer.from(ev.encode({ type, object: { raw } }).finish());
}

/** A watch stream's frame payload (encodeWatchEvent's form). */
export function decodeWatchFrame(frame: Buffer): { type: string; object: unknown } {
  const c = protobufCodec();
  const ev = c.typeOf('v1', 'WatchEvent')!;
  return c.toJSON(ev, ev.decode(frame)) as { type: string; object: unknown };
}

/** A WatchEvent as a whole object, in its `k8s\0` envelope (as kube encodes one outside a watch stream). */
export function decodeWatchEvent(body: Buffer): { type: string; object: unknown } {
  return decodeWatchFrame(protobufCodec().openEnvelope(body).raw);
}

/** True when the kind has a protobuf message (every built-in kind; not custom resources). */
export function hasProtobufKind(apiVersion: string, kind: string): boolean {
  return protobufCodec().typeOf(apiVersion, kind) !== undefined;
}
