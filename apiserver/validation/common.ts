// Building blocks of validation: field errors in Kubernetes' wording (k8s.io/apimachinery/pkg/util/
// validation/field), name and value syntax checks, and the object-metadata and label-selector rules
// every kind shares.
import { isIP } from 'node:net';
import type { LabelSelector, ObjectMeta } from 'kubernetes-types/meta/v1';
import {
  matchesLabels,
  maxLenError,
  selectorFromLabelSelector,
  validateDNS1123Subdomain,
  validateLabelValue,
  validateQualifiedName,
} from '../../lib/api/selectors';

export type CauseReason =
  | 'FieldValueInvalid'
  | 'FieldValueRequired'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueForbidden'
  | 'FieldValueNotFound';

/** One entry of a 422 Status's details.causes. */
export interface FieldCause {
  reason: CauseReason;
  message: string;
  field: string;
}

/** A value as Kubernetes prints it in a field error: strings quoted, numbers bare, the rest as JSON. */
export function formatValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'null';
  return JSON.stringify(v) ?? String(v);
}

export function invalid(field: string, value: unknown, detail: string): FieldCause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${formatValue(value)}: ${detail}` };
}
/** An Invalid cause whose value is already printed (e.g. as Go would print a map). */
export function invalidPrinted(field: string, printed: string, detail: string): FieldCause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${printed}: ${detail}` };
}
/** An Invalid cause without its value (Go's field.OmitValueType): `Invalid value: <detail>`. */
export function invalidOmitValue(field: string, detail: string): FieldCause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${detail}` };
}
export function required(field: string, detail = ''): FieldCause {
  return { reason: 'FieldValueRequired', field, message: detail ? `Required value: ${detail}` : 'Required value' };
}
export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldCause {
  const list = supported.map((s) => JSON.stringify(s)).join(', ');
  return { reason: 'FieldValueNotSupported', field, message: `Unsupported value: ${formatValue(value)}: supported values: ${list}` };
}
export function duplicate(field: string, value: unknown): FieldCause {
  return { reason: 'FieldValueDuplicate', field, message: `Duplicate value: ${formatValue(value)}` };
}
export function tooLong(field: string, max: number): FieldCause {
  return { reason: 'FieldValueTooLong', field, message: `Too long: must have at most ${max} bytes` };
}
/** field.TooMany: a list longer than its limit. */
export function tooMany(field: string, actual: number, max: number): FieldCause {
  return { reason: 'FieldValueTooMany', field, message: `Too many: ${actual}: must have at most ${max} ${max === 1 ? 'item' : 'items'}` };
}
export function forbidden(field: string, detail: string): FieldCause {
  return { reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` };
}
export function notFound(field: string, value: unknown): FieldCause {
  return { reason: 'FieldValueNotFound', field, message: `Not found: ${formatValue(value)}` };
}

/** `base.child`, `base[3]`, `base[key]`. */
export const at = (base: string, child: string): string => (base ? `${base}.${child}` : child);
export const idx = (base: string, i: number): string => `${base}[${i}]`;
export const key = (base: string, k: string): string => `${base}[${k}]`;

// ---- syntax checks: each returns the reasons a value is invalid, [] when it is fine ----

const dns1123LabelRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1035LabelRe = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export function dns1123Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLenError(63));
  if (!dns1123LabelRe.test(v)) {
    errs.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and " +
        "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is " +
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    );
  }
  return errs;
}

export function dns1035Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push(maxLenError(63));
  if (!dns1035LabelRe.test(v)) {
    errs.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic " +
        "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for " +
        "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    );
  }
  return errs;
}

export const dns1123Subdomain = validateDNS1123Subdomain;

/** IANA service names, used for named ports (IsValidPortName). */
export function portName(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(v)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(v)) errs.push('must contain at least one letter (a-z)');
  if (v.includes('--')) errs.push('must not contain consecutive hyphens');
  if (v.startsWith('-') || v.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

export const portRangeMessage = 'must be between 1 and 65535, inclusive';

export function isPortNumber(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
}

/** Environment variable names: printable ASCII but '=' (Kubernetes' relaxed rule, the default since 1.32). */
export function envVarName(v: string): string[] {
  if (v.length === 0 || !/^[\x20-\x3c\x3e-\x7e]+$/.test(v)) {
    return ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
  }
  return [];
}

/** Keys of ConfigMap and Secret data (IsConfigMapKey). */
export function configMapKey(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push(maxLenError(253));
  if (!/^[-._a-zA-Z0-9]+$/.test(v)) {
    errs.push(
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or " +
        "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    );
  }
  if (v === '.') errs.push("must not be '.'");
  else if (v === '..') errs.push("must not be '..'");
  else if (v.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

export const ipMessage = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
export function isIPAddress(v: string): boolean {
  return isIP(v) !== 0;
}
export function isCIDR(v: string): boolean {
  const slash = v.indexOf('/');
  if (slash < 0) return false;
  const ip = v.slice(0, slash);
  const bits = v.slice(slash + 1);
  const family = isIP(ip);
  if (!family || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

// ---- numbers ----

export function nonNegative(field: string, v: unknown): FieldCause[] {
  return typeof v === 'number' && v < 0 ? [invalid(field, v, 'must be greater than or equal to 0')] : [];
}
export function positive(field: string, v: unknown): FieldCause[] {
  return typeof v === 'number' && v <= 0 ? [invalid(field, v, 'must be greater than 0')] : [];
}

// ---- metadata ----

/**
 * How a kind's metadata.name is checked: a DNS subdomain, a DNS label, a DNS-1035 label, a path segment
 * (RBAC's roles and bindings: `system:node` is a valid name), or 'none' for the create-only reviews,
 * which carry no name at all.
 */
export type NameRule = 'subdomain' | 'label' | 'dns1035' | 'path' | 'none';

/** IsValidPathSegmentName: what a name that becomes one URL path segment may not be or contain. */
export function pathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

function nameErrors(rule: NameRule, name: string): string[] {
  switch (rule) {
    case 'path':
      return pathSegmentName(name);
    case 'none':
      return [];
    case 'subdomain':
      return dns1123Subdomain(name);
    case 'label':
      return dns1123Label(name);
    case 'dns1035':
      return dns1035Label(name);
  }
}

/** The `metadata.labels` (or any label map) rules: qualified-name keys, label values. */
export function validateLabels(field: string, labels: Record<string, string> | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of validateQualifiedName(k)) causes.push(invalid(field, k, msg));
    if (typeof v === 'string') for (const msg of validateLabelValue(v)) causes.push(invalid(field, v, msg));
  }
  return causes;
}

export const totalAnnotationSizeLimit = 256 * 1024;

export function validateAnnotations(field: string, annotations: Record<string, string> | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of validateQualifiedName(k.toLowerCase())) causes.push(invalid(field, k, msg));
    size += Buffer.byteLength(k) + Buffer.byteLength(String(v ?? ''));
  }
  if (size > totalAnnotationSizeLimit) causes.push(tooLong(field, totalAnnotationSizeLimit));
  return causes;
}

/** Labels and annotations only: what a pod template's metadata is held to. */
export function validateTemplateMeta(field: string, meta: ObjectMeta | undefined): FieldCause[] {
  if (!meta) return [];
  return [
    ...validateLabels(at(field, 'labels'), meta.labels),
    ...validateAnnotations(at(field, 'annotations'), meta.annotations),
  ];
}

// generateName may end in '-': validate it as if that dash were a letter.
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
}

/** ValidateObjectMeta (+ ValidateObjectMetaUpdate when `old` is given). */
export function validateObjectMeta(
  meta: ObjectMeta | undefined,
  opts: { namespaced: boolean; nameRule: NameRule },
  old?: ObjectMeta,
): FieldCause[] {
  const causes: FieldCause[] = [];
  const m = meta ?? {};
  if (!m.name && !m.generateName && opts.nameRule !== 'none') {
    causes.push(required('metadata.name', 'name or generateName is required'));
  }
  if (m.generateName) {
    for (const msg of nameErrors(opts.nameRule, maskTrailingDash(m.generateName))) {
      causes.push(invalid('metadata.generateName', m.generateName, msg));
    }
  }
  if (m.name) {
    for (const msg of nameErrors(opts.nameRule, m.name)) causes.push(invalid('metadata.name', m.name, msg));
  }
  if (opts.namespaced) {
    if (!m.namespace) causes.push(required('metadata.namespace'));
    else for (const msg of dns1123Label(m.namespace)) causes.push(invalid('metadata.namespace', m.namespace, msg));
  } else if (m.namespace) {
    causes.push(forbidden('metadata.namespace', 'not allowed on this type'));
  }
  causes.push(...validateLabels('metadata.labels', m.labels));
  causes.push(...validateAnnotations('metadata.annotations', m.annotations));
  (m.finalizers ?? []).forEach((f, i) => {
    for (const msg of validateQualifiedName(f)) causes.push(invalid(idx('metadata.finalizers', i), f, msg));
  });
  const controllers: string[] = [];
  (m.ownerReferences ?? []).forEach((ref, i) => {
    const base = idx('metadata.ownerReferences', i);
    if (!ref.apiVersion) causes.push(invalid(at(base, 'apiVersion'), ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) causes.push(invalid(at(base, 'kind'), ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) causes.push(invalid(at(base, 'name'), ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) causes.push(invalid(at(base, 'uid'), ref.uid ?? '', 'uid must not be empty'));
    if (ref.controller) controllers.push(`${ref.kind}/${ref.name}`);
  });
  if (controllers.length > 1) {
    causes.push(
      invalid(
        'metadata.ownerReferences',
        controllers,
        `Only one reference can have Controller set to true. Found "true" in references for ${controllers.join(' and ')}`,
      ),
    );
  }
  for (const f of ['generation', 'deletionGracePeriodSeconds'] as const) causes.push(...nonNegative(`metadata.${f}`, m[f]));
  if (old) {
    const o = old;
    if (o.name && m.name !== o.name) causes.push(invalid('metadata.name', m.name ?? '', 'field is immutable'));
    if ((o.namespace ?? '') !== (m.namespace ?? '')) {
      causes.push(invalid('metadata.namespace', m.namespace ?? '', 'field is immutable'));
    }
    if (o.uid && m.uid && o.uid !== m.uid) causes.push(invalid('metadata.uid', m.uid, 'field is immutable'));
  }
  return causes;
}

// ---- label selectors ----

const selectorOperators = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** ValidateLabelSelector: keys, values and operators of a metav1.LabelSelector. */
export function validateLabelSelector(field: string, sel: LabelSelector | undefined): FieldCause[] {
  if (!sel) return [];
  const causes: FieldCause[] = [...validateLabels(at(field, 'matchLabels'), sel.matchLabels)];
  (sel.matchExpressions ?? []).forEach((expr, i) => {
    const base = idx(at(field, 'matchExpressions'), i);
    const values = expr.values ?? [];
    if (!selectorOperators.includes(expr.operator)) {
      causes.push(invalid(at(base, 'operator'), expr.operator, 'not a valid selector operator'));
    } else if ((expr.operator === 'In' || expr.operator === 'NotIn') && values.length === 0) {
      causes.push(required(at(base, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if ((expr.operator === 'Exists' || expr.operator === 'DoesNotExist') && values.length > 0) {
      causes.push(forbidden(at(base, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    }
    for (const msg of validateQualifiedName(expr.key ?? '')) causes.push(invalid(at(base, 'key'), expr.key ?? '', msg));
    values.forEach((v, j) => {
      for (const msg of validateLabelValue(v)) causes.push(invalid(idx(at(base, 'values'), j), v, msg));
    });
  });
  return causes;
}

/** Whether a (valid) selector selects the labels; false when the selector cannot be built. */
export function selectorMatches(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  try {
    return matchesLabels(selectorFromLabelSelector(sel), labels ?? {});
  } catch {
    return false;
  }
}

/**
 * Go's `%#v` of a string slice, as field errors print a list value: `[]string{"a", "b"}`, a named
 * element type as its Go name (`[]admissionregistration.OperationType{"*"}`), nil as `[]string(nil)`.
 */
export function goStrings(type: string, v: readonly string[] | undefined): string {
  return v === undefined ? `${type}(nil)` : `${type}{${v.map((s) => JSON.stringify(s)).join(', ')}}`;
}

/** Go's %v of a map[string]string, as Kubernetes prints template labels: map[string]string{"a":"b"}. */
export function goStringMap(m: Record<string, string> | undefined): string {
  const entries = Object.keys(m ?? {})
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify((m ?? {})[k])}`);
  return `map[string]string{${entries.join(', ')}}`;
}

