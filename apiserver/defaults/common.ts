// The small tools every kind's defaulting uses: "set when absent" with Go's nil semantics (undefined or
// null), maps created on demand, and lists read leniently, so that defaulting never fails on malformed
// input (a field of the wrong JSON type is left alone for validation to report). Also the Allocator that
// hands Services their ClusterIPs and NodePorts.
export type JsonMap = Record<string, unknown>;

export interface Allocator {
  /** A free ClusterIP from the service range. */
  clusterIP(): string;
  /** A free NodePort from 30000-32767. */
  nodePort(): number;
}

export function isMap(v: unknown): v is JsonMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function missing(v: unknown): boolean {
  return v === undefined || v === null;
}

/** Sets obj[key] when absent (undefined or null, as Go's nil). */
export function setDefault(obj: JsonMap, key: string, value: unknown): void {
  if (missing(obj[key])) obj[key] = value;
}

/** The map at obj[key], created when absent; undefined when the field holds something else. */
export function mapAt(obj: JsonMap, key: string): JsonMap | undefined {
  if (missing(obj[key])) obj[key] = {};
  const v = obj[key];
  return isMap(v) ? v : undefined;
}

/** The map at obj[key] only if present. */
export function existingMap(obj: JsonMap, key: string): JsonMap | undefined {
  const v = obj[key];
  return isMap(v) ? v : undefined;
}

/** The maps of the list at obj[key] (non-map elements skipped), or [] when it is not a list. */
export function mapsIn(obj: JsonMap, key: string): JsonMap[] {
  const v = obj[key];
  return Array.isArray(v) ? v.filter(isMap) : [];
}
