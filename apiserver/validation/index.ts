// Validation of objects before they are stored, in Kubernetes' terms: a list of field causes (reason,
// message, field) that the apiserver returns as a 422 Invalid Status. First the JSON types of known
// fields (Kubernetes refuses those while decoding), then metadata and each kind's rules: the files of
// this folder, one per API group, named by each kind's strategy (apiserver/kinds/).
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import type { ResourceType } from '../../lib/api/resources';
import { strategyFor } from '../kinds';
import { typeMismatches } from '../schema';
import { type FieldCause, invalid, invalidPrinted, validateObjectMeta } from './common';

export type { CauseReason, FieldCause } from './common';
export { pruneUnknownFields } from '../schema';

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The value without the null-valued fields of maps; the same reference when it has none. */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const item = withoutNulls(v[i]);
      if (item !== v[i]) (out ??= v.slice())[i] = item;
    }
    return out ?? v;
  }
  if (!isMap(v)) return v;
  let out: Record<string, unknown> | undefined;
  // for…in rather than Object.entries: every write walks its whole object here, and entries() built a
  // pair per field (JSON objects have no inherited keys).
  for (const k in v) {
    if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
    const val = v[k];
    if (val === null) {
      out ??= { ...v };
      delete out[k];
      continue;
    }
    const cleaned = withoutNulls(val);
    if (cleaned !== val) (out ??= { ...v })[k] = cleaned;
  }
  return out ?? v;
}

/**
 * Validates an object of a resource; with `old`, as an update of that stored object. Returns [] when
 * the object is valid. Never throws on malformed input: wrong JSON types come back as causes.
 */
export function validate(resource: ResourceType, obj: unknown, old?: unknown, subresource?: string): FieldCause[] {
  try {
    return validateObject(resource, obj, old, subresource);
  } catch (err) {
    // Absurdly deep JSON exhausts the stack: report it as invalid input rather than fail.
    if (err instanceof RangeError) return [invalidPrinted('<root>', '{…}', 'object is nested too deeply')];
    throw err;
  }
}

function validateObject(resource: ResourceType, obj: unknown, old?: unknown, subresource?: string): FieldCause[] {
  const mismatches = typeMismatches(resource, obj);
  if (mismatches.length > 0) {
    return mismatches.map((m) => {
      const field = m.path || '<root>';
      if (m.detail) return invalid(field, m.value, m.detail);
      // kube-openapi's wording: `spec.replicas in body must be of type integer: "string"`.
      return invalidPrinted(field, JSON.stringify(m.actual), `${field} in body must be of type ${m.expected}: ${JSON.stringify(m.actual)}`);
    });
  }
  // From here on a null field is the same as an absent one, as in Kubernetes' Go types.
  const o = withoutNulls(obj) as Record<string, unknown>;
  // Only trust `old` when it is a well-formed stored object.
  const prev = isMap(old) && typeMismatches(resource, old).length === 0 ? (withoutNulls(old) as Record<string, unknown>) : undefined;
  const strategy = strategyFor(resource);
  // Create-only reviews are answered, never stored: Kubernetes does not validate their metadata (no name).
  const causes = strategy.create
    ? []
    : validateObjectMeta(o.metadata as ObjectMeta | undefined, { namespaced: resource.namespaced, nameRule: strategy.nameRule }, prev?.metadata as ObjectMeta | undefined);
  if (strategy.validate) causes.push(...strategy.validate(o, prev, subresource));
  return causes;
}

/** Kubernetes' one-line summary of causes: `spec.replicas: Invalid value: -1: must be …, spec.x: …`. */
export function causesToMessage(causes: FieldCause[]): string {
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  return parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
}
