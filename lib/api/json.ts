// Structural comparison and stable serialization of JSON values (objects as they come off the wire or
// out of the cache). Key order never matters; members whose value is undefined are absent.

type JsonMap = Record<string, unknown>;

function isMap(v: unknown): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A copy with every object's keys sorted (members set to undefined dropped): for stable printing. */
export function sortKeysDeep<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => sortKeysDeep(x)) as T;
  if (isMap(v)) {
    const out: JsonMap = {};
    for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = sortKeysDeep(v[k]);
    return out as T;
  }
  return v;
}

/** JSON text with sorted keys: equal values give equal text however their keys were ordered. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (isMap(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Deep equality of JSON values: key order ignored, undefined members the same as missing ones. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (!isMap(a) || !isMap(b)) return false;
  const ak = Object.keys(a).filter((k) => a[k] !== undefined);
  const bk = Object.keys(b).filter((k) => b[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual(a[k], b[k]));
}

/** Whether a JSON value decodes to Go's zero value: null, "", 0, false, an empty list, an object of such members. */
function isGoZero(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (!isMap(v)) return false;
  for (const k in v) if (!isGoZero(v[k])) return false;
  return true;
}

/**
 * Deep equality as Go compares the typed values both sides decode to (apimachinery's semantic
 * equality): a member left out equals one holding its zero value. The apiserver writes the fields Go
 * always writes (`"imageID":""`, `"lastState":{}`, `"currentMetrics":null`), which a status built
 * here leaves out: the two say the same, and a controller must not rewrite it on every sync.
 */
export function goValueEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => goValueEqual(x, b[i]));
  if (isMap(a) && isMap(b)) {
    for (const k in a) if (!goValueEqual(a[k], b[k])) return false;
    for (const k in b) if (!(k in a) && !isGoZero(b[k])) return false;
    return true;
  }
  return isGoZero(a) && isGoZero(b);
}

function isEmptyValue(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isMap(v) && Object.keys(v).length === 0;
}

/**
 * Stable JSON without null, undefined or empty members, so that equal templates give equal text
 * whether empty maps and lists were sent or left out (Kubernetes' semantic equality treats nil and
 * empty maps and slices as equal).
 */
export function semanticJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map((x) => semanticJson(x)).join(',')}]`;
  if (isMap(v)) {
    const parts: string[] = [];
    for (const k of Object.keys(v).sort()) {
      if (isEmptyValue(v[k])) continue;
      parts.push(`${JSON.stringify(k)}:${semanticJson(v[k])}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(v);
}

/** apimachinery's equality.Semantic.DeepEqual on JSON: empty and missing are the same. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return semanticJson(a) === semanticJson(b);
}
