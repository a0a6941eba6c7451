// The Kubernetes schema of each kind, read at run time from @kubernetes/client-node's generated models
// (each model class carries a static `attributeTypeMap`: JSON field name, type name, format). Used to
// find fields a kind does not have (pruning, `fieldValidation=Strict`) and values of the wrong JSON type
// (`replicas: "three"`, `containers: {}`), which Kubernetes refuses before any semantic validation.
// Only the models' attribute records (model-attributes.ts), not the model classes, in a built server.
import { modelAttributes, type ModelAttribute } from './model-attributes';
import type { ResourceType } from '../lib/api/resources';

type Attribute = ModelAttribute;

/** A value whose JSON type is not the one the schema wants. */
export interface TypeMismatch {
  path: string;
  value: unknown;
  /** The OpenAPI type wanted: 'string', 'integer', 'number', 'boolean', 'array', 'object', 'string or integer'. */
  expected: string;
  /** The JSON type found: 'string', 'integer', 'number', 'boolean', 'array', 'object'. */
  actual: string;
  /** Set for a string in the wrong format (base64, quantity): what is wrong with it. */
  detail?: string;
}

const fieldCache = new Map<string, Map<string, Attribute> | null>();

function fieldsOf(modelName: string): Map<string, Attribute> | undefined {
  let fields = fieldCache.get(modelName);
  if (fields === undefined) {
    const attrs = modelAttributes(modelName);
    fields = attrs ? new Map(attrs.map((a) => [a.baseName, a])) : null;
    fieldCache.set(modelName, fields);
  }
  return fields ?? undefined;
}

/** The client-node model class name for a resource: 'V1Pod', 'V1Deployment', 'CoreV1Event', 'EventsV1Event'. */
export function modelNameFor(resource: Pick<ResourceType, 'version' | 'kind'> & { group?: string }): string | undefined {
  const title = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  const version = title(resource.version);
  // A kind two groups share is named after its group (events.k8s.io: 'Events'; the core group: 'Core').
  const group = title(resource.group?.split('.')[0] || 'core');
  for (const name of [`${version}${resource.kind}`, `${group}${version}${resource.kind}`]) {
    if (fieldsOf(name)) return name;
  }
  return undefined;
}

// Fields that hold resource.Quantity values: the generated models call them strings, but Kubernetes
// also accepts JSON numbers there (`cpu: 1`).
const quantityFields = new Set([
  'V1ResourceRequirements.limits',
  'V1ResourceRequirements.requests',
  'V1NodeStatus.capacity',
  'V1NodeStatus.allocatable',
  'V1PodSpec.overhead',
  'V1EmptyDirVolumeSource.sizeLimit',
  'V1ContainerStatus.allocatedResources',
  'V1PodStatus.allocatedResources',
]);

const arrayRe = /^Array<(.+)>$/;
const mapRe = /^\{ \[key: string\]: (.+); \}$/;
const base64Re = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A type name compiled once into what a value of it must look like. */
type Desc =
  | { kind: 'string'; byte: boolean; quantity: boolean }
  | { kind: 'date' | 'boolean' | 'integer' | 'number' | 'intOrString' | 'any' }
  | { kind: 'array'; item: Desc }
  | { kind: 'map'; value: Desc }
  | { kind: 'model'; name: string };

const descCache = new Map<string, Desc>();
const modelFieldCache = new Map<string, Map<string, Desc> | null>();

function describeType(type: string, format: string, quantity: boolean): Desc {
  const cacheKey = `${type}|${format}|${quantity}`;
  let desc = descCache.get(cacheKey);
  if (desc) return desc;
  const array = arrayRe.exec(type);
  const map = mapRe.exec(type);
  if (type === 'string') desc = { kind: 'string', byte: format === 'byte', quantity };
  else if (type === 'Date') desc = { kind: 'date' };
  else if (type === 'boolean') desc = { kind: 'boolean' };
  else if (type === 'number') desc = { kind: format === 'int32' || format === 'int64' ? 'integer' : 'number' };
  else if (type === 'IntOrString') desc = { kind: 'intOrString' };
  else if (array) desc = { kind: 'array', item: describeType(array[1], '', quantity) };
  else if (map) desc = { kind: 'map', value: describeType(map[1], format, quantity) };
  else if (fieldsOf(type)) desc = { kind: 'model', name: type };
  else desc = { kind: 'any' }; // 'any', or a type this table does not know: accept anything
  descCache.set(cacheKey, desc);
  return desc;
}

/** The fields of a model, each compiled; built on first use so that recursive types are fine. */
function modelFields(name: string): Map<string, Desc> | undefined {
  let fields = modelFieldCache.get(name);
  if (fields === undefined) {
    const attrs = fieldsOf(name);
    fields = attrs
      ? new Map([...attrs.values()].map((a) => [a.baseName, describeType(a.type, a.format, quantityFields.has(`${name}.${a.baseName}`))]))
      : null;
    modelFieldCache.set(name, fields);
  }
  return fields ?? undefined;
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Where the walk is, as segments: a schema field's name, an array index, or a map key already written
 * `[key]` (schema field names never start with '['). The path string is built only for a field that is
 * reported: the walk visits every field of every write, and building each path allocated more than the
 * rest of the walk.
 */
type PathSegments = Array<string | number>;

function pathString(segs: PathSegments, key?: string): string {
  let out = '';
  for (const seg of segs) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (seg.charCodeAt(0) === 91 /* [ */) out += seg;
    else out += out ? `.${seg}` : seg;
  }
  if (key === undefined) return out;
  return out ? `${out}.${key}` : key;
}

interface Walker {
  /** A field the schema does not have. */
  unknown?(path: string, parent: Record<string, unknown>, key: string): void;
  mismatch?(m: TypeMismatch): void;
}

/** The OpenAPI name of a type, for messages. */
function expectedName(desc: Desc): string {
  switch (desc.kind) {
    case 'string':
    case 'date':
      return 'string';
    case 'intOrString':
      return 'string or integer';
    case 'map':
    case 'model':
    case 'any':
      return 'object';
    default:
      return desc.kind;
  }
}

/** Whether a (non-null) value has the JSON type a scalar type wants. */
function scalarFits(desc: Desc, value: unknown): boolean {
  switch (desc.kind) {
    case 'string':
      return typeof value === 'string' || (desc.quantity && typeof value === 'number');
    case 'date':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'intOrString':
      return typeof value === 'string' || Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    default:
      return isMap(value);
  }
}

/**
 * Walks a value against a type. A null field is accepted (Kubernetes reads it as unset); a value of the
 * wrong type is reported and not walked into.
 */
function walk(value: unknown, desc: Desc, segs: PathSegments, w: Walker, inCollection = false): void {
  if (value === undefined || desc.kind === 'any') return;
  if (value === null) {
    // A null field is unset; a null list element or map value has no sensible meaning: refuse it.
    if (inCollection) w.mismatch?.({ path: pathString(segs), value, expected: expectedName(desc), actual: 'null' });
    return;
  }
  if (!scalarFits(desc, value)) {
    w.mismatch?.({ path: pathString(segs), value, expected: expectedName(desc), actual: jsonType(value) });
    return;
  }
  switch (desc.kind) {
    case 'string':
      if (desc.byte && typeof value === 'string' && !base64Re.test(value)) {
        w.mismatch?.({ path: pathString(segs), value, expected: 'string', actual: 'string', detail: 'illegal base64 data' });
      }
      return;
    case 'array': {
      const list = value as unknown[];
      for (let i = 0; i < list.length; i++) {
        segs.push(i);
        walk(list[i], desc.item, segs, w, true);
        segs.pop();
      }
      return;
    }
    case 'map': {
      const obj = value as Record<string, unknown>;
      for (const k in obj) {
        if (!Object.prototype.hasOwnProperty.call(obj, k)) continue;
        segs.push(`[${k}]`);
        walk(obj[k], desc.value, segs, w, true);
        segs.pop();
      }
      return;
    }
    case 'model': {
      const fields = modelFields(desc.name);
      if (!fields) return;
      const obj = value as Record<string, unknown>;
      // for…in rather than Object.keys: no key array per object visited (JSON objects have no inherited keys).
      for (const key in obj) {
        if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
        const fieldDesc = fields.get(key);
        if (fieldDesc) {
          segs.push(key);
          walk(obj[key], fieldDesc, segs, w);
          segs.pop();
        } else w.unknown?.(pathString(segs, key), obj, key);
      }
      return;
    }
    default:
      return;
  }
}

/**
 * Removes the fields the kind's schema does not have, in place, and returns their paths
 * (`spec.template.spec.containers[0].imagee`). Values of the wrong type are left for validation.
 */
export function pruneUnknownFields(resource: Pick<ResourceType, 'version' | 'kind'>, obj: Record<string, unknown>): string[] {
  const model = modelNameFor(resource);
  if (!model || !isMap(obj)) return [];
  const removed: string[] = [];
  walk(obj, describeType(model, '', false), [], {
    unknown(path, parent, key) {
      removed.push(path);
      delete parent[key];
    },
  });
  return removed;
}

/** The values whose JSON type does not match the kind's schema. */
export function typeMismatches(resource: ResourceType, obj: unknown): TypeMismatch[] {
  const model = modelNameFor(resource);
  const found: TypeMismatch[] = [];
  if (!model) return found;
  if (!isMap(obj)) {
    found.push({ path: '', value: obj, expected: 'object', actual: jsonType(obj) });
    return found;
  }
  walk(obj, describeType(model, '', false), [], { mismatch: (m) => found.push(m) });
  return found;
}
