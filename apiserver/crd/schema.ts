// Structural OpenAPI v3 schemas of CustomResourceDefinitions (apiextensions-apiserver's
// pkg/apiserver/schema): pruning of fields the schema does not name, defaulting from `default`, and
// validation with kube-openapi's messages (types, formats, required, enum, pattern, bounds, lengths,
// list types and map keys, int-or-string, preserve-unknown-fields, embedded resources), each as a
// field cause of a 422. Pure: no I/O; CEL rules are in cel.ts.
import { at, duplicate, type FieldCause, formatValue, idx, invalid, invalidPrinted, notSupported, required } from '../validation/common';

/** apiextensions.k8s.io/v1 JSONSchemaProps: the parts a structural schema may use. */
export interface JSONSchemaProps {
  type?: string;
  format?: string;
  description?: string;
  title?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  nullable?: boolean;
  default?: unknown;
  allOf?: JSONSchemaProps[];
  anyOf?: JSONSchemaProps[];
  oneOf?: JSONSchemaProps[];
  not?: JSONSchemaProps;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: Array<{ rule: string; message?: string; messageExpression?: string; reason?: string; fieldPath?: string }>;
}

type Json = Record<string, unknown>;

function isMap(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// ---- pruning ----------------------------------------------------------------------------------------

/**
 * Removes, in place, the fields the schema does not specify (unless x-kubernetes-preserve-unknown-fields
 * says to keep them) and returns their paths. apiVersion, kind and metadata of the root and of embedded
 * resources are always kept (metadata is the ObjectMeta's business).
 */
export function prune(obj: unknown, schema: JSONSchemaProps, isRoot = true): string[] {
  const removed: string[] = [];
  pruneValue(obj, schema, '', isRoot, removed);
  return removed;
}

function pruneValue(v: unknown, s: JSONSchemaProps | undefined, path: string, isResource: boolean, removed: string[]): void {
  if (!s) return;
  if (Array.isArray(v)) {
    if (s.items) v.forEach((item, i) => pruneValue(item, s.items, idx(path, i), !!s.items!['x-kubernetes-embedded-resource'], removed));
    return;
  }
  if (!isMap(v)) return;
  const props = s.properties;
  const additional = s.additionalProperties;
  for (const key of Object.keys(v)) {
    if (isResource && (key === 'apiVersion' || key === 'kind' || key === 'metadata')) {
      if (key === 'metadata' && !path) continue;
      if (key === 'metadata' && isMap(v.metadata)) pruneEmbeddedMetadata(v.metadata);
      continue;
    }
    const child = props?.[key] ?? (isMap(additional) ? additional : undefined);
    if (child) pruneValue(v[key], child, at(path, key), !!child['x-kubernetes-embedded-resource'], removed);
    else if (!s['x-kubernetes-preserve-unknown-fields'] && additional !== true) {
      removed.push(at(path, key));
      delete v[key];
    }
  }
}

/** An embedded resource's metadata keeps only what ObjectMeta has that a client may set. */
const embeddedMetaFields = new Set(['name', 'namespace', 'generateName', 'labels', 'annotations', 'finalizers', 'ownerReferences', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink']);
function pruneEmbeddedMetadata(md: Json): void {
  for (const k of Object.keys(md)) if (!embeddedMetaFields.has(k)) delete md[k];
}

// ---- defaulting ------------------------------------------------------------------------------------

/** Sets the schema's defaults of missing fields (and of nulls of non-nullable fields), in place. */
export function applySchemaDefaults(v: unknown, s: JSONSchemaProps | undefined): void {
  if (!s) return;
  if (Array.isArray(v)) {
    if (s.items) for (const item of v) applySchemaDefaults(item, s.items);
    return;
  }
  if (!isMap(v)) return;
  if (s.properties) {
    for (const [key, child] of Object.entries(s.properties)) {
      if ((v[key] === undefined || (v[key] === null && !child.nullable)) && child.default !== undefined) v[key] = structuredClone(child.default);
      applySchemaDefaults(v[key], child);
    }
  }
  if (isMap(s.additionalProperties)) {
    for (const key of Object.keys(v)) if (!s.properties?.[key]) applySchemaDefaults(v[key], s.additionalProperties);
  }
}

// ---- validation ------------------------------------------------------------------------------------

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const formats: Record<string, (s: string) => boolean> = {
  'date-time': (s) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s.replace(' ', 'T'))),
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)),
  byte: (s) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s),
  uuid: (s) => /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/.test(s),
  ipv4: (s) => /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s),
  email: (s) => /^[^@\s]+@[^@\s]+$/.test(s),
  hostname: (s) => s.length <= 255 && /^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*$/.test(s),
};

const patternCache = new Map<string, RegExp | null>();
function compilePattern(p: string): RegExp | null {
  let re = patternCache.get(p);
  if (re === undefined) {
    try {
      re = new RegExp(p, 'u');
    } catch {
      re = null;
    }
    patternCache.set(p, re);
  }
  return re;
}

/** The schema's causes for a value; `path` is the field path ('' for the root object). */
export function validateValue(v: unknown, s: JSONSchemaProps, path: string, isRoot = true): FieldCause[] {
  const out: FieldCause[] = [];
  check(v, s, path, out, isRoot);
  return out;
}

function typeError(path: string, v: unknown, expected: string, out: FieldCause[]): void {
  const actual = jsonType(v);
  out.push(invalidPrinted(path, JSON.stringify(actual), `${path} in body must be of type ${expected}: ${JSON.stringify(actual)}`));
}

function check(v: unknown, s: JSONSchemaProps, path: string, out: FieldCause[], isResource: boolean): void {
  const name = path || '<root>';
  if (v === null) {
    if (!s.nullable && (s.type || s['x-kubernetes-int-or-string'])) typeError(name, v, s['x-kubernetes-int-or-string'] ? 'string or integer' : s.type!, out);
    return;
  }
  const t = jsonType(v);
  if (s['x-kubernetes-int-or-string']) {
    if (t !== 'string' && t !== 'integer') return typeError(name, v, 'string or integer', out);
  } else if (s.type) {
    const fits = s.type === t || (s.type === 'number' && t === 'integer');
    if (!fits) return typeError(name, v, s.type, out);
  }
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    out.push(notSupported(name, v, s.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)))));
  }
  if (typeof v === 'string') checkString(v, s, name, out);
  else if (typeof v === 'number') checkNumber(v, s, name, out);
  else if (Array.isArray(v)) checkArray(v, s, path, out);
  else if (isMap(v)) checkObject(v, s, path, out, isResource);
  for (const sub of s.allOf ?? []) check(v, sub, path, out, false);
  if (s.anyOf && !s.anyOf.some((sub) => validateValue(v, sub, path, false).length === 0)) out.push(invalid(name, v, `${name} in body must match at least one schema in anyOf`));
  if (s.oneOf && s.oneOf.filter((sub) => validateValue(v, sub, path, false).length === 0).length !== 1) out.push(invalid(name, v, `${name} in body must match exactly one schema in oneOf`));
  if (s.not && validateValue(v, s.not, path, false).length === 0) out.push(invalid(name, v, `${name} in body must not validate the schema (not)`));
}

function checkString(v: string, s: JSONSchemaProps, name: string, out: FieldCause[]): void {
  const len = [...v].length;
  if (s.maxLength !== undefined && len > s.maxLength) out.push({ reason: 'FieldValueTooLong', field: name, message: `Too long: may not be longer than ${s.maxLength}` });
  if (s.minLength !== undefined && len < s.minLength) out.push(invalid(name, v, `${name} in body should be at least ${s.minLength} chars long`));
  if (s.pattern !== undefined) {
    const re = compilePattern(s.pattern);
    if (re && !re.test(v)) out.push(invalid(name, v, `${name} in body should match '${s.pattern}'`));
  }
  if (s.format && formats[s.format] && !formats[s.format](v)) out.push(invalid(name, v, `${name} in body must be of type ${s.format}: ${JSON.stringify(v)}`));
}

function checkNumber(v: number, s: JSONSchemaProps, name: string, out: FieldCause[]): void {
  if (s.maximum !== undefined && (s.exclusiveMaximum ? v >= s.maximum : v > s.maximum)) {
    out.push(invalid(name, v, `${name} in body should be less than ${s.exclusiveMaximum ? '' : 'or equal to '}${s.maximum}`));
  }
  if (s.minimum !== undefined && (s.exclusiveMinimum ? v <= s.minimum : v < s.minimum)) {
    out.push(invalid(name, v, `${name} in body should be greater than ${s.exclusiveMinimum ? '' : 'or equal to '}${s.minimum}`));
  }
  if (s.multipleOf !== undefined && s.multipleOf > 0 && Math.abs(v / s.multipleOf - Math.round(v / s.multipleOf)) > 1e-9) {
    out.push(invalid(name, v, `${name} in body should be a multiple of ${s.multipleOf}`));
  }
}

function checkArray(v: unknown[], s: JSONSchemaProps, path: string, out: FieldCause[]): void {
  const name = path || '<root>';
  if (s.maxItems !== undefined && v.length > s.maxItems) out.push({ reason: 'FieldValueTooMany', field: name, message: `Too many: ${v.length}: must have at most ${s.maxItems} items` });
  if (s.minItems !== undefined && v.length < s.minItems) out.push(invalid(name, v.length, `${name} in body should have at least ${s.minItems} items`));
  if (s.uniqueItems && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) out.push(invalid(name, v, `${name} in body shouldn't contain duplicates`));
  if (s.items) v.forEach((item, i) => check(item, s.items!, idx(path, i), out, !!s.items!['x-kubernetes-embedded-resource']));
  const listType = s['x-kubernetes-list-type'];
  if (listType === 'set') {
    const seen = new Set<string>();
    v.forEach((item, i) => {
      const k = JSON.stringify(item);
      if (seen.has(k)) out.push(duplicate(idx(path, i), item));
      seen.add(k);
    });
  } else if (listType === 'map') {
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    v.forEach((item, i) => {
      if (!isMap(item)) return;
      const keyValues = keys.map((k) => item[k] ?? s.items?.properties?.[k]?.default ?? null);
      const k = JSON.stringify(keyValues);
      if (seen.has(k)) out.push({ reason: 'FieldValueDuplicate', field: idx(path, i), message: `Duplicate value: ${formatValue(Object.fromEntries(keys.map((kk, j) => [kk, keyValues[j]])))}` });
      seen.add(k);
    });
  }
}

function checkObject(v: Json, s: JSONSchemaProps, path: string, out: FieldCause[], isResource: boolean): void {
  const name = path || '<root>';
  const n = Object.keys(v).length;
  if (s.maxProperties !== undefined && n > s.maxProperties) out.push({ reason: 'FieldValueTooMany', field: name, message: `Too many: ${n}: must have at most ${s.maxProperties} items` });
  if (s.minProperties !== undefined && n < s.minProperties) out.push(invalid(name, n, `${name} in body should have at least ${s.minProperties} properties`));
  for (const r of s.required ?? []) if (v[r] === undefined) out.push(required(at(path, r)));
  if (isResource && path) {
    // An embedded resource needs its kind and apiVersion (unless it may be left out entirely).
    if (!s['x-kubernetes-preserve-unknown-fields'] || n > 0) {
      if (typeof v.apiVersion !== 'string' || v.apiVersion === '') out.push(required(at(path, 'apiVersion'), 'must not be empty'));
      if (typeof v.kind !== 'string' || v.kind === '') out.push(required(at(path, 'kind'), 'must not be empty'));
    }
  }
  for (const [key, val] of Object.entries(v)) {
    if (isResource && (key === 'metadata' || key === 'apiVersion' || key === 'kind') && !s.properties?.[key]) continue;
    const child = s.properties?.[key] ?? (isMap(s.additionalProperties) ? s.additionalProperties : undefined);
    if (child) check(val, child, at(path, key), out, !!child['x-kubernetes-embedded-resource']);
  }
}

// ---- the schema itself ----------------------------------------------------------------------------

/**
 * Whether a CRD version's schema is structural (apiextensions' structural schema rules, the ones a
 * hand-written CRD meets or misses): every node has a type unless int-or-string or preserve-unknown
 * fields says otherwise, and the logical junctors (allOf, anyOf, oneOf, not) add no types or
 * properties of their own. Returns the violations as field causes under `field`.
 */
export function structuralViolations(s: JSONSchemaProps, field: string, isRoot = true): FieldCause[] {
  const out: FieldCause[] = [];
  const walk = (n: JSONSchemaProps, f: string, root: boolean): void => {
    if (!n || typeof n !== 'object' || Array.isArray(n)) return;
    if (!n.type && !n['x-kubernetes-int-or-string'] && !n['x-kubernetes-preserve-unknown-fields'] && !root) out.push(required(at(f, 'type'), 'must not be empty for specified object fields'));
    if (root && n.type !== 'object') out.push(invalid(at(f, 'type'), n.type ?? '', 'must be object at the root'));
    if (n.type && !['object', 'array', 'string', 'integer', 'number', 'boolean'].includes(n.type)) {
      out.push(notSupported(at(f, 'type'), n.type, ['array', 'boolean', 'integer', 'number', 'object', 'string']));
    }
    if (n.type === 'array' && !n.items) out.push(required(at(f, 'items'), 'must be specified'));
    if (n.properties && isMap(n.additionalProperties)) out.push(forbiddenBoth(f));
    if (n.pattern !== undefined && !compilePattern(n.pattern)) out.push(invalid(at(f, 'pattern'), n.pattern, 'must be a valid regular expression'));
    if (n['x-kubernetes-list-type'] === 'map' && !(n['x-kubernetes-list-map-keys']?.length)) out.push(required(at(f, 'x-kubernetes-list-map-keys'), 'must not be empty if x-kubernetes-list-type is map'));
    for (const [k, child] of Object.entries(n.properties ?? {})) walk(child, `${f}.properties[${k}]`, false);
    if (isMap(n.additionalProperties)) walk(n.additionalProperties, `${f}.additionalProperties`, false);
    if (n.items) walk(n.items, `${f}.items`, false);
  };
  walk(s, field, isRoot);
  return out;
}

function forbiddenBoth(f: string): FieldCause {
  return { reason: 'FieldValueForbidden', field: at(f, 'additionalProperties'), message: 'Forbidden: additionalProperties and properties are mutual exclusive' };
}

/** The schema node at a dotted JSONPath-like path ('.spec.replicas'); undefined when the schema lacks it. */
export function schemaAt(s: JSONSchemaProps | undefined, path: string[]): JSONSchemaProps | undefined {
  let cur = s;
  for (const p of path) {
    if (!cur) return undefined;
    cur = cur.properties?.[p] ?? (isMap(cur.additionalProperties) ? cur.additionalProperties : undefined);
  }
  return cur;
}
