// Structural checks of metadata that the registry relies on before anything else looks at an object:
// wrong types here would otherwise crash selector matching or key building. Semantic validation
// (name formats, required fields) is the validation module's job.
import type { StatusCause } from 'kubernetes-types/meta/v1';
import { isPlainObject, Json } from './objects';

function stringMap(v: unknown, field: string, causes: StatusCause[]): void {
  if (v === undefined || v === null) return;
  if (!isPlainObject(v)) {
    causes.push({ reason: 'FieldValueInvalid', field, message: 'Invalid value: must be a map of string keys to string values' });
    return;
  }
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') causes.push({ reason: 'FieldValueInvalid', field: `${field}.${k}`, message: `Invalid value: ${JSON.stringify(val)}: must be a string` });
  }
}

export function checkMetadataTypes(obj: Json): StatusCause[] {
  const causes: StatusCause[] = [];
  const md = obj.metadata;
  if (md === undefined || md === null) return causes;
  if (!isPlainObject(md)) return [{ reason: 'FieldValueInvalid', field: 'metadata', message: 'Invalid value: must be an object' }];
  for (const f of ['name', 'generateName', 'namespace', 'resourceVersion', 'uid']) {
    if (md[f] !== undefined && md[f] !== null && typeof md[f] !== 'string') {
      causes.push({ reason: 'FieldValueInvalid', field: `metadata.${f}`, message: `Invalid value: ${JSON.stringify(md[f])}: must be a string` });
    }
  }
  stringMap(md.labels, 'metadata.labels', causes);
  stringMap(md.annotations, 'metadata.annotations', causes);
  if (md.finalizers !== undefined && md.finalizers !== null && (!Array.isArray(md.finalizers) || md.finalizers.some((f) => typeof f !== 'string'))) {
    causes.push({ reason: 'FieldValueInvalid', field: 'metadata.finalizers', message: 'Invalid value: must be a list of strings' });
  }
  if (md.ownerReferences !== undefined && md.ownerReferences !== null) {
    if (!Array.isArray(md.ownerReferences) || md.ownerReferences.some((r) => !isPlainObject(r))) {
      causes.push({ reason: 'FieldValueInvalid', field: 'metadata.ownerReferences', message: 'Invalid value: must be a list of owner references' });
    }
  }
  return causes;
}
