// The Kubernetes schema of each kind, read at run time from @kubernetes/client-node's generated models
// (each model class carries a static `attributeTypeMap`: JSON field name, type name, format). Used to
// find fields a kind does not have (pruning, `fieldValidation=Strict`) and values of the wrong JSON type
// (`replicas: "three"`, `containers: {}`), which Kubernetes refuses before any semantic validation.
import * as k8s from '@kubernetes/client-node';
import type { ResourceType } from '../lib/resources';

interface Attribute {
  name: string;
  baseName: string; // the JSON field name
  type: string; // 'string', 'number', 'V1PodSpec', 'Array<V1Container>', '{ [key: string]: string; }', …
  format: string; // 'int32', 'int64', 'double', 'byte', 'date-time', 'int-or-string', ''
}

interface ModelClass {
  attributeTypeMap?: Attribute[];
}

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

const models = k8s as unknown as Record<string, ModelClass | undefined>;
const fieldCache = new Map<string, Map<string, Attribute> | null>();

function fieldsOf(modelName: string): Map<string, Attribute> | undefined {
  let fields = fieldCache.get(modelName);
  if (fields === undefined) {
    const attrs = models[modelName]?.attributeTypeMap;
    fields = attrs ? new Map(attrs.map((a) => [a.baseName, a])) : null;
    fieldCache.set(modelName, fields);
  }
  return fields ?? undefined;
}

/** The client-node model class name for a resource: 'V1Pod', 'V1Deployment', 'CoreV1Event'. */
export function modelNameFor(resource: Pick<ResourceType, 'version' | 'kind'>): string | undefined {
  const version = resource.version.charAt(0).toUpperCase() + resource.version.slice(1);
  for (const name of [`${version}${resource.kind}`, `Core${version}${resource.kind}`]) {
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

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function child(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

interface Walker {
  /** A field the schema does not have. */
  unknown?(path: string, parent: Record<string, unknown>, key: string): void;
  mismatch?(m: TypeMismatch): void;
}

/** The OpenAPI name of a type, for messages. */
function expectedName(type: string, format: string): string {
  if (type === 'string' || type === 'Date') return 'string';
  if (type === 'boolean') return 'boolean';
  if (type === 'number') return format === 'int32' || format === 'int64' ? 'integer' : 'number';
  if (type === 'IntOrString') return 'string or integer';
  if (arrayRe.test(type)) return 'array';
  return 'object';
}

/**
 * Walks a value against a type. A null field is accepted (Kubernetes reads it as unset); a value of the
 * wrong type is reported and not walked into.
 */
function walk(value: unknown, type: string, format: string, path: string, w: Walker, quantity = false, inCollection = false): void {
  if (value === undefined || type === 'any') return;
  if (value === null) {
    // A null field is unset; a null list element or map value has no sensible meaning: refuse it.
    if (inCollection) w.mismatch?.({ path, value, expected: expectedName(type, format), actual: 'null' });
    return;
  }
  const actual = jsonType(value);
  const mismatch = (expected: string, detail?: string): void => w.mismatch?.({ path, value, expected, actual, detail });

  switch (type) {
    case 'string':
      if (quantity && (actual === 'integer' || actual === 'number')) return;
      if (actual !== 'string') return mismatch('string');
      if (format === 'byte' && !base64Re.test(value as string)) mismatch('string', 'illegal base64 data');
      return;
    case 'Date':
      if (actual !== 'string') mismatch('string');
      return;
    case 'boolean':
      if (actual !== 'boolean') mismatch('boolean');
      return;
    case 'number':
      if (format === 'int32' || format === 'int64') {
        if (actual !== 'integer') mismatch('integer');
      } else if (actual !== 'integer' && actual !== 'number') {
        mismatch('number');
      }
      return;
    case 'IntOrString':
      if (actual !== 'integer' && actual !== 'string') mismatch('string or integer');
      return;
  }

  const array = arrayRe.exec(type);
  if (array) {
    if (actual !== 'array') return mismatch('array');
    (value as unknown[]).forEach((item, i) => walk(item, array[1], '', `${path}[${i}]`, w, quantity, true));
    return;
  }
  const map = mapRe.exec(type);
  if (map) {
    if (actual !== 'object') return mismatch('object');
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      walk(v, map[1], format, `${path}[${k}]`, w, quantity, true);
    }
    return;
  }
  const fields = fieldsOf(type);
  if (!fields) return; // a type this table does not know: accept anything
  if (actual !== 'object') return mismatch('object');
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    const attr = fields.get(key);
    if (!attr) {
      w.unknown?.(child(path, key), obj, key);
      continue;
    }
    walk(obj[key], attr.type, attr.format, child(path, key), w, quantityFields.has(`${type}.${key}`));
  }
}

/**
 * Removes the fields the kind's schema does not have, in place, and returns their paths
 * (`spec.template.spec.containers[0].imagee`). Values of the wrong type are left for validation.
 */
export function pruneUnknownFields(resource: ResourceType, obj: Record<string, unknown>): string[] {
  const model = modelNameFor(resource);
  if (!model || !isMap(obj)) return [];
  const removed: string[] = [];
  walk(obj, model, '', '', {
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
  walk(obj, model, '', '', { mismatch: (m) => found.push(m) });
  return found;
}
