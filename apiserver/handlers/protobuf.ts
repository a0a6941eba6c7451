// Request bodies in Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf,
// k8s.io/apimachinery/pkg/runtime/serializer/protobuf): the current kubectl's typed clients send them —
// `kubectl auth can-i` (SelfSubjectAccessReview, SelfSubjectRulesReview), `kubectl create rolebinding`
// and its siblings, `kubectl create token` (TokenRequest), `kubectl auth whoami` (SelfSubjectReview) —
// while accepting JSON back. A body is the magic `k8s\0` and a runtime.Unknown
// {typeMeta {apiVersion, kind}, raw}, raw being the object in the field numbers of k8s.io/api's
// generated.proto. Decoding is driven by a table of those messages for the kinds listed here; the
// result is the object as JSON would carry it (zero values left out, as Go's omitempty does), so the
// rest of the server never knows. A kind without a table entry is refused with 415, as before.
import { ApiStatusError } from '../errors';

export const ProtobufMediaType = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type FieldType = 'string' | 'int64' | 'int32' | 'bool' | 'bytes' | 'time' | 'stringMap' | { message: string } | { mapOf: string };

interface Field {
  name: string;
  type: FieldType;
  repeated?: boolean;
}

type MessageSchema = Record<number, Field>;

const s = (name: string): Field => ({ name, type: 'string' });
const ss = (name: string): Field => ({ name, type: 'string', repeated: true });
const m = (name: string, message: string, repeated = false): Field => ({ name, type: { message }, repeated });

/** The messages of generated.proto that the kinds below need (field number → JSON field). */
const messages: Record<string, MessageSchema> = {
  // k8s.io/apimachinery/pkg/apis/meta/v1
  ObjectMeta: {
    1: s('name'),
    2: s('generateName'),
    3: s('namespace'),
    4: s('selfLink'),
    5: s('uid'),
    6: s('resourceVersion'),
    7: { name: 'generation', type: 'int64' },
    8: { name: 'creationTimestamp', type: 'time' },
    9: { name: 'deletionTimestamp', type: 'time' },
    10: { name: 'deletionGracePeriodSeconds', type: 'int64' },
    11: { name: 'labels', type: 'stringMap' },
    12: { name: 'annotations', type: 'stringMap' },
    13: m('ownerReferences', 'OwnerReference', true),
    14: ss('finalizers'),
  },
  OwnerReference: { 1: s('kind'), 3: s('name'), 4: s('uid'), 5: s('apiVersion'), 6: { name: 'controller', type: 'bool' }, 7: { name: 'blockOwnerDeletion', type: 'bool' } },
  LabelSelector: { 1: { name: 'matchLabels', type: 'stringMap' }, 2: m('matchExpressions', 'LabelSelectorRequirement', true) },
  LabelSelectorRequirement: { 1: s('key'), 2: s('operator'), 3: ss('values') },
  // k8s.io/api/authorization/v1
  SelfSubjectAccessReview: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'SelfSubjectAccessReviewSpec'), 3: m('status', 'SubjectAccessReviewStatus') },
  SelfSubjectAccessReviewSpec: { 1: m('resourceAttributes', 'ResourceAttributes'), 2: m('nonResourceAttributes', 'NonResourceAttributes') },
  SubjectAccessReview: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'SubjectAccessReviewSpec'), 3: m('status', 'SubjectAccessReviewStatus') },
  SubjectAccessReviewSpec: {
    1: m('resourceAttributes', 'ResourceAttributes'),
    2: m('nonResourceAttributes', 'NonResourceAttributes'),
    3: s('user'),
    4: ss('groups'),
    5: { name: 'extra', type: { mapOf: 'ExtraValue' } },
    6: s('uid'),
  },
  ExtraValue: { 1: ss('items') },
  ResourceAttributes: { 1: s('namespace'), 2: s('verb'), 3: s('group'), 4: s('version'), 5: s('resource'), 6: s('subresource'), 7: s('name') },
  NonResourceAttributes: { 1: s('path'), 2: s('verb') },
  SubjectAccessReviewStatus: { 1: { name: 'allowed', type: 'bool' }, 2: s('reason'), 3: s('evaluationError'), 4: { name: 'denied', type: 'bool' } },
  SelfSubjectRulesReview: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'SelfSubjectRulesReviewSpec') },
  SelfSubjectRulesReviewSpec: { 1: s('namespace') },
  // k8s.io/api/authentication/v1 (`kubectl create token`, `kubectl auth whoami`, delegated authentication)
  TokenRequest: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'TokenRequestSpec') },
  TokenRequestSpec: { 1: ss('audiences'), 3: m('boundObjectRef', 'BoundObjectReference'), 4: { name: 'expirationSeconds', type: 'int64' } },
  BoundObjectReference: { 1: s('kind'), 2: s('apiVersion'), 3: s('name'), 4: s('uid') },
  TokenReview: { 1: m('metadata', 'ObjectMeta'), 2: m('spec', 'TokenReviewSpec') },
  TokenReviewSpec: { 1: s('token'), 2: ss('audiences') },
  SelfSubjectReview: { 1: m('metadata', 'ObjectMeta') },
  // k8s.io/api/rbac/v1
  Role: { 1: m('metadata', 'ObjectMeta'), 2: m('rules', 'PolicyRule', true) },
  ClusterRole: { 1: m('metadata', 'ObjectMeta'), 2: m('rules', 'PolicyRule', true), 3: m('aggregationRule', 'AggregationRule') },
  AggregationRule: { 1: m('clusterRoleSelectors', 'LabelSelector', true) },
  PolicyRule: { 1: ss('verbs'), 2: ss('apiGroups'), 3: ss('resources'), 4: ss('resourceNames'), 5: ss('nonResourceURLs') },
  RoleBinding: { 1: m('metadata', 'ObjectMeta'), 2: m('subjects', 'Subject', true), 3: m('roleRef', 'RoleRef') },
  ClusterRoleBinding: { 1: m('metadata', 'ObjectMeta'), 2: m('subjects', 'Subject', true), 3: m('roleRef', 'RoleRef') },
  Subject: { 1: s('kind'), 2: s('apiGroup'), 3: s('name'), 4: s('namespace') },
  RoleRef: { 1: s('apiGroup'), 2: s('kind'), 3: s('name') },
};

/** The top-level kinds a protobuf body may carry: `apiVersion/kind` → message. */
const kinds: Record<string, string> = {
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'SelfSubjectRulesReview',
  'authorization.k8s.io/v1/SubjectAccessReview': 'SubjectAccessReview',
  'authorization.k8s.io/v1/LocalSubjectAccessReview': 'SubjectAccessReview',
  'authentication.k8s.io/v1/TokenRequest': 'TokenRequest',
  'authentication.k8s.io/v1/TokenReview': 'TokenReview',
  'authentication.k8s.io/v1/SelfSubjectReview': 'SelfSubjectReview',
  'rbac.authorization.k8s.io/v1/Role': 'Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'ClusterRoleBinding',
};

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  }

  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }

  /** Each field: its number, wire type, and a reader positioned at its value. */
  *fields(): Generator<[number, number]> {
    while (!this.done) {
      const tag = Number(this.varint());
      yield [tag >>> 3, tag & 7];
    }
  }
}

/** metav1.Time {seconds, nanos} as RFC 3339; undefined for the zero time. */
function decodeTime(buf: Buffer): string | undefined {
  const r = new Reader(buf);
  let seconds = 0n;
  for (const [no, wire] of r.fields()) {
    if (no === 1 && wire === 0) seconds = BigInt.asIntN(64, r.varint());
    else r.skip(wire);
  }
  if (seconds === 0n) return undefined;
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A map entry message {1: key, 2: value}. */
function decodeEntry(buf: Buffer, value: (b: Buffer) => unknown): [string, unknown] {
  const r = new Reader(buf);
  let key = '';
  let val: unknown;
  for (const [no, wire] of r.fields()) {
    if (no === 1 && wire === 2) key = r.bytes().toString('utf8');
    else if (no === 2 && wire === 2) val = value(r.bytes());
    else r.skip(wire);
  }
  return [key, val];
}

function decodeMessage(name: string, buf: Buffer): Record<string, unknown> {
  const schema = messages[name];
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  for (const [no, wire] of r.fields()) {
    const f = schema[no];
    if (!f) {
      r.skip(wire);
      continue;
    }
    let value: unknown;
    const t = f.type;
    if (t === 'bool' || t === 'int64' || t === 'int32') {
      if (wire !== 0) throw new Error(`${name}.${f.name}: wire type ${wire}`);
      const v = BigInt.asIntN(64, r.varint());
      value = t === 'bool' ? v !== 0n : Number(v);
    } else {
      if (wire !== 2) throw new Error(`${name}.${f.name}: wire type ${wire}`);
      const b = r.bytes();
      if (t === 'string') value = b.toString('utf8');
      else if (t === 'bytes') value = b.toString('base64');
      else if (t === 'time') value = decodeTime(b);
      else if (t === 'stringMap') {
        const [k, v] = decodeEntry(b, (x) => x.toString('utf8'));
        const map = (out[f.name] ??= {}) as Record<string, unknown>;
        map[k] = v ?? '';
        continue;
      } else if ('mapOf' in t) {
        const [k, v] = decodeEntry(b, (x) => decodeMessage(t.mapOf, x));
        const map = (out[f.name] ??= {}) as Record<string, unknown>;
        // ExtraValue is a list in JSON.
        map[k] = t.mapOf === 'ExtraValue' ? ((v as { items?: string[] } | undefined)?.items ?? []) : v;
        continue;
      } else value = decodeMessage(t.message, b);
    }
    if (f.repeated) ((out[f.name] ??= []) as unknown[]).push(value);
    else out[f.name] = value;
  }
  // Go's omitempty: zero values are not in the JSON.
  for (const [k, v] of Object.entries(out)) {
    if (v === undefined || v === '' || v === 0 || v === false) delete out[k];
  }
  return out;
}

/** Decodes a protobuf request body into the JSON object it stands for; 415 for a kind without a table. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw new ApiStatusError(400, 'BadRequest', 'provided object is not a Kubernetes protobuf message (no k8s\\0 prefix)');
  try {
    const r = new Reader(body.subarray(4));
    let apiVersion = '';
    let kind = '';
    let raw: Buffer | undefined;
    for (const [no, wire] of r.fields()) {
      if (no === 1 && wire === 2) {
        const tm = new Reader(r.bytes());
        for (const [tno, twire] of tm.fields()) {
          if (tno === 1 && twire === 2) apiVersion = tm.bytes().toString('utf8');
          else if (tno === 2 && twire === 2) kind = tm.bytes().toString('utf8');
          else tm.skip(twire);
        }
      } else if (no === 2 && wire === 2) raw = r.bytes();
      else r.skip(wire);
    }
    const message = kinds[`${apiVersion}/${kind}`];
    if (!message) {
      throw new ApiStatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - steer decodes ${ProtobufMediaType} only for ${Object.keys(kinds).join(', ')} (got ${apiVersion}/${kind}); send application/json`);
    }
    return { apiVersion, kind, ...decodeMessage(message, raw ?? Buffer.alloc(0)) };
  } catch (err) {
    if (err instanceof ApiStatusError) throw err;
    throw new ApiStatusError(400, 'BadRequest', `unable to decode the protobuf body: ${(err as Error).message}`);
  }
}
