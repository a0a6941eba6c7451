// Label and field selectors, as Kubernetes parses and matches them (apimachinery's labels and fields
// packages): the apiserver filters lists and watches with them, informers, controllers, the scheduler
// and the CLI match objects with them. Pure, no I/O.
import type { LabelSelector } from 'kubernetes-types/meta/v1';

export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

/** Kubernetes' selection operators, spelled as in apimachinery's `selection.Operator`. */
export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  /** One value for =, ==, !=, gt, lt; one or more for in/notin; none for exists and !. */
  values: string[];
}

export type FieldOperator = '=' | '!=';

export interface FieldRequirement {
  field: string;
  operator: FieldOperator; // '==' is read as '='
  value: string;
  /** The resource (plural) the field belongs to; decides defaults like nodes' spec.unschedulable "false". */
  resource?: string;
}

// ---- label key and value syntax (apimachinery validation.IsQualifiedName / IsValidLabelValue) ----

const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const qualifiedNameRe = new RegExp(`^${qualifiedNameFmt}$`);
const labelValueRe = new RegExp(`^(${qualifiedNameFmt})?$`);
const dns1123LabelRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const qualifiedNameMaxLength = 63;
const labelValueMaxLength = 63;
const dns1123SubdomainMaxLength = 253;

/** Kubernetes' "must be no more than N characters" message. */
export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

/** Errors (Kubernetes' wording) for a DNS-1123 subdomain such as a label-key prefix; [] when valid. */
export function validateDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > dns1123SubdomainMaxLength) errs.push(maxLenError(dns1123SubdomainMaxLength));
  // Label by label: equivalent to the subdomain regex, without its backtracking on long input.
  if (!value.split('.').every((label) => dns1123LabelRe.test(label))) {
    errs.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must " +
        "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
  }
  return errs;
}

/** Errors for a qualified name (`prefix/name` or `name`): label keys, annotation keys; [] when valid. */
export function validateQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const [prefix] = parts;
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...validateDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " +
        "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is " +
        `'${qualifiedNameFmt}') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > qualifiedNameMaxLength) errs.push(`name part ${maxLenError(qualifiedNameMaxLength)}`);
  if (name.length > 0 && !qualifiedNameRe.test(name)) {
    errs.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " +
        "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is " +
        `'${qualifiedNameFmt}')`,
    );
  }
  return errs;
}

/** Errors for a label value; [] when valid. */
export function validateLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > labelValueMaxLength) errs.push(maxLenError(labelValueMaxLength));
  if (!labelValueRe.test(value)) {
    errs.push(
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must " +
        "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used " +
        `for validation is '(${qualifiedNameFmt})?')`,
    );
  }
  return errs;
}

// ---- label selectors ----

function checkKey(key: string): void {
  const errs = validateQualifiedName(key);
  if (errs.length) throw new SelectorError(`invalid label key "${key}": ${errs.join('; ')}`);
}

function checkValue(value: string): void {
  const errs = validateLabelValue(value);
  if (errs.length) throw new SelectorError(`invalid label value: "${value}": ${errs.join('; ')}`);
}

/** Builds a requirement, checking it as apimachinery's labels.NewRequirement does. */
export function newRequirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  checkKey(key);
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) throw new SelectorError("for 'in', 'notin' operators, values set can't be empty");
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) throw new SelectorError("exact-match compatibility requires one single value");
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) throw new SelectorError("values set must be empty for exists and does not exist");
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) throw new SelectorError("for 'Gt', 'Lt' operators, exactly one value is required");
      if (!/^-?\d+$/.test(values[0])) {
        throw new SelectorError("for 'Gt', 'Lt' operators, the value must be an integer");
      }
      return { key, operator, values: [...values] };
    default:
      throw new SelectorError(`operator '${String(operator)}' is not recognized`);
  }
  for (const v of values) checkValue(v);
  return { key, operator, values: [...values] };
}

type Token =
  | { kind: 'id'; text: string }
  | { kind: 'op'; text: '=' | '==' | '!=' | '!' | '<' | '>' }
  | { kind: 'in' | 'notin' | '(' | ')' | ',' | 'end' };

const whitespaceRe = /\s+/y;
const identifierRe = /[^\s!=(),<>]+/y;

function tokenize(s: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < s.length) {
    whitespaceRe.lastIndex = i;
    if (whitespaceRe.test(s)) {
      i = whitespaceRe.lastIndex;
      continue;
    }
    const c = s[i];
    const next = s[i + 1];
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: c });
      i++;
    } else if (c === '=' || c === '!') {
      const two = next === '=';
      tokens.push({ kind: 'op', text: c === '=' ? (two ? '==' : '=') : two ? '!=' : '!' });
      i += two ? 2 : 1;
    } else if (c === '<' || c === '>') {
      tokens.push({ kind: 'op', text: c });
      i++;
    } else {
      identifierRe.lastIndex = i;
      identifierRe.test(s);
      const text = s.slice(i, identifierRe.lastIndex);
      if (text === 'in' || text === 'notin') tokens.push({ kind: text });
      else tokens.push({ kind: 'id', text });
      i = identifierRe.lastIndex;
    }
  }
  tokens.push({ kind: 'end' });
  return tokens;
}

function describe(t: Token): string {
  if (t.kind === 'id' || t.kind === 'op') return t.text;
  if (t.kind === 'end') return 'end of string';
  return t.kind;
}

/**
 * Parses a label selector string ("app=web,tier in (a,b),!canary"). An empty string selects everything.
 * Throws SelectorError with the reason when the syntax or a key/value is invalid.
 */
export function parseLabelSelector(s: string): LabelRequirement[] {
  const tokens = tokenize(s);
  let pos = 0;
  const peek = (): Token => tokens[pos];
  const next = (): Token => tokens[pos++];
  const fail = (what: string): never => {
    throw new SelectorError(`unable to parse requirement: ${what} in label selector "${s}"`);
  };
  const reqs: LabelRequirement[] = [];
  if (peek().kind === 'end') return reqs;

  const parseValues = (): string[] => {
    if (next().kind !== '(') fail(`found '${describe(tokens[pos - 1])}', expected: '('`);
    const values: string[] = [];
    // "in ()" and "in (a,)" follow apimachinery: empty entries are empty strings.
    if (peek().kind === ')') {
      next();
      return values;
    }
    for (;;) {
      const t = peek();
      if (t.kind === 'id') {
        values.push(t.text);
        next();
      } else if (t.kind === ',' || t.kind === ')') {
        values.push('');
      } else {
        fail(`found '${describe(t)}', expected: ',', ')' or identifier`);
      }
      const sep = next();
      if (sep.kind === ')') return values;
      if (sep.kind !== ',') fail(`found '${describe(sep)}', expected: ',' or ')'`);
    }
  };

  for (;;) {
    let t = next();
    if (t.kind === 'op' && t.text === '!') {
      const key = next();
      if (key.kind !== 'id') fail(`found '${describe(key)}', expected: identifier after '!'`);
      reqs.push(newRequirement((key as { text: string }).text, '!', []));
    } else if (t.kind === 'id') {
      const key = t.text;
      const op = peek();
      if (op.kind === ',' || op.kind === 'end') {
        reqs.push(newRequirement(key, 'exists', []));
      } else if (op.kind === 'in' || op.kind === 'notin') {
        next();
        reqs.push(newRequirement(key, op.kind, parseValues()));
      } else if (op.kind === 'op' && op.text !== '!') {
        next();
        const v = peek();
        let value = '';
        if (v.kind === 'id') {
          value = v.text;
          next();
        } else if (v.kind !== ',' && v.kind !== 'end') {
          fail(`found '${describe(v)}', expected: identifier`);
        }
        const operator: LabelOperator = op.text === '<' ? 'lt' : op.text === '>' ? 'gt' : op.text;
        reqs.push(newRequirement(key, operator, [value]));
      } else {
        fail(`found '${describe(op)}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    } else {
      fail(`found '${describe(t)}', expected: !, identifier, or 'end of string'`);
    }
    t = next();
    if (t.kind === 'end') break;
    if (t.kind !== ',') fail(`found '${describe(t)}', expected: ',' or 'end of string'`);
    if (peek().kind === 'end') fail("found 'end of string', expected: identifier after ','");
  }
  return reqs;
}

/** Whether one requirement holds for a label set. */
export function matchesRequirement(req: LabelRequirement, labels: Record<string, string> = {}): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, req.key);
  const value = has ? labels[req.key] : undefined;
  switch (req.operator) {
    case '=':
    case '==':
    case 'in':
      return has && req.values.includes(value as string);
    case '!=':
    case 'notin':
      return !has || !req.values.includes(value as string);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^-?\d+$/.test(value as string)) return false;
      const actual = Number(value);
      const bound = Number(req.values[0]);
      return req.operator === 'gt' ? actual > bound : actual < bound;
    }
  }
}

/** Whether every requirement holds (an empty list matches everything). */
export function matchesLabels(reqs: LabelRequirement[], labels?: Record<string, string>): boolean {
  return reqs.every((r) => matchesRequirement(r, labels ?? {}));
}

/**
 * The requirements that select nothing: what a null/undefined metav1.LabelSelector means. (An `in` with
 * no values never matches; only selectorFromLabelSelector builds one, parse refuses it.)
 */
export const selectNothing: readonly LabelRequirement[] = Object.freeze([
  Object.freeze({ key: '', operator: 'in', values: [] as string[] }) as LabelRequirement,
]);

/** Whether a requirement list is the one that selects nothing. */
export function selectsNothing(reqs: readonly LabelRequirement[]): boolean {
  return reqs.some((r) => (r.operator === 'in' || r.operator === '=' || r.operator === '==') && r.values.length === 0);
}

/**
 * metav1.LabelSelector → requirements, like apimachinery's LabelSelectorAsSelector: an empty selector
 * matches everything, null/undefined matches nothing. Throws SelectorError on invalid content.
 */
export function selectorFromLabelSelector(sel: LabelSelector | null | undefined): LabelRequirement[] {
  if (sel === null || sel === undefined) return [...selectNothing];
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    reqs.push(newRequirement(key, '=', [String(value)]));
  }
  for (const expr of sel.matchExpressions ?? []) {
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
        reqs.push(newRequirement(expr.key, 'in', values));
        break;
      case 'NotIn':
        reqs.push(newRequirement(expr.key, 'notin', values));
        break;
      case 'Exists':
        reqs.push(newRequirement(expr.key, 'exists', values));
        break;
      case 'DoesNotExist':
        reqs.push(newRequirement(expr.key, '!', values));
        break;
      default:
        throw new SelectorError(`"${expr.operator}" is not a valid label selector operator`);
    }
  }
  return sortRequirements(reqs);
}

function sortRequirements(reqs: LabelRequirement[]): LabelRequirement[] {
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** One requirement as Kubernetes prints it: "a=b", "a!=b", "a in (x,y)", "a", "!a", "a>3". */
export function requirementToString(r: LabelRequirement): string {
  switch (r.operator) {
    case '!':
      return `!${r.key}`;
    case 'exists':
      return r.key;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${[...r.values].sort().join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    default:
      return `${r.key}${r.operator}${r.values[0] ?? ''}`;
  }
}

/** Requirements → selector string (parseable back by parseLabelSelector). */
export function labelRequirementsToString(reqs: readonly LabelRequirement[]): string {
  if (selectsNothing(reqs)) return '';
  return reqs.map(requirementToString).join(',');
}

/**
 * metav1.LabelSelector → "app=nginx,tier in (a,b)" (sorted by key, as Kubernetes prints it; Scale
 * status.selector, `kubectl describe`). Empty and null selectors give "". Never throws: content that
 * would not validate is printed as it is.
 */
export function labelSelectorToString(sel: LabelSelector | null | undefined): string {
  if (!sel) return '';
  const operators: Record<string, LabelOperator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };
  const reqs: LabelRequirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, value]) => ({
    key,
    operator: '=' as LabelOperator,
    values: [String(value)],
  }));
  for (const expr of sel.matchExpressions ?? []) {
    const operator = operators[expr.operator];
    if (operator) reqs.push({ key: expr.key, operator, values: operator === 'exists' || operator === '!' ? [] : [...(expr.values ?? [])] });
    else reqs.push({ key: expr.key, operator: 'in', values: [`<invalid operator ${expr.operator}>`] });
  }
  return sortRequirements(reqs).map(requirementToString).join(',');
}

// ---- field selectors ----

type FieldGetter = (obj: Record<string, unknown>) => string;

function pathGetter(path: string, missing = ''): FieldGetter {
  const parts = path.split('.');
  return (obj) => {
    let cur: unknown = obj;
    for (const p of parts) {
      if (cur === null || typeof cur !== 'object') return missing;
      cur = (cur as Record<string, unknown>)[p];
    }
    if (cur === undefined || cur === null) return missing;
    if (typeof cur === 'string') return cur;
    if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
    return missing;
  };
}

const commonFields: Record<string, FieldGetter> = {
  'metadata.name': pathGetter('metadata.name'),
  'metadata.namespace': pathGetter('metadata.namespace'),
};

// The selectable fields per resource, as Kubernetes' registries define them (`ToSelectableFields`).
// Booleans and counters print as Go's FormatBool / Itoa would for their zero value when absent.
const resourceFields: Record<string, Record<string, FieldGetter>> = {
  pods: {
    'spec.nodeName': pathGetter('spec.nodeName'),
    'spec.restartPolicy': pathGetter('spec.restartPolicy'),
    'spec.schedulerName': pathGetter('spec.schedulerName'),
    'spec.serviceAccountName': pathGetter('spec.serviceAccountName'),
    'spec.hostNetwork': pathGetter('spec.hostNetwork', 'false'),
    'status.phase': pathGetter('status.phase'),
    'status.podIP': pathGetter('status.podIP'),
    'status.nominatedNodeName': pathGetter('status.nominatedNodeName'),
  },
  events: {
    'involvedObject.kind': pathGetter('involvedObject.kind'),
    'involvedObject.namespace': pathGetter('involvedObject.namespace'),
    'involvedObject.name': pathGetter('involvedObject.name'),
    'involvedObject.uid': pathGetter('involvedObject.uid'),
    'involvedObject.apiVersion': pathGetter('involvedObject.apiVersion'),
    'involvedObject.resourceVersion': pathGetter('involvedObject.resourceVersion'),
    'involvedObject.fieldPath': pathGetter('involvedObject.fieldPath'),
    reason: pathGetter('reason'),
    reportingComponent: pathGetter('reportingComponent'),
    source: pathGetter('source.component'),
    type: pathGetter('type'),
  },
  nodes: { 'spec.unschedulable': pathGetter('spec.unschedulable', 'false') },
  secrets: { type: pathGetter('type') },
  namespaces: { 'status.phase': pathGetter('status.phase') },
  replicasets: { 'status.replicas': pathGetter('status.replicas', '0') },
  certificatesigningrequests: { 'spec.signerName': pathGetter('spec.signerName') },
};

function fieldGetter(resource: string, field: string): FieldGetter | undefined {
  return commonFields[field] ?? resourceFields[resource]?.[field];
}

// Splits on separators not escaped with a backslash (apimachinery fields: `\,` `\=` `\\`).
function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) {
      cur += s[i] + s[i + 1];
      i++;
    } else if (s[i] === sep) {
      parts.push(cur);
      cur = '';
    } else {
      cur += s[i];
    }
  }
  parts.push(cur);
  return parts;
}

function unescapeFieldValue(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== '\\') {
      if (v[i] === ',' || v[i] === '=') {
        throw new SelectorError(`invalid field selector value: unescaped ${v[i] === ',' ? 'comma' : 'equals'}`);
      }
      out += v[i];
      continue;
    }
    const n = v[i + 1];
    if (n === '\\' || n === ',' || n === '=') {
      out += n;
      i++;
    } else {
      throw new SelectorError(`invalid field selector value: invalid escape sequence "\\${n ?? ''}"`);
    }
  }
  return out;
}

/** Escapes a value for a field selector string. */
export function escapeFieldValue(v: string): string {
  return v.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/**
 * Parses a field selector ("spec.nodeName=n1,status.phase!=Failed") for a resource (plural name).
 * Throws SelectorError for bad syntax and for fields the resource does not support.
 */
export function parseFieldSelector(resource: string, s: string): FieldRequirement[] {
  const reqs: FieldRequirement[] = [];
  if (s.trim() === '') return reqs;
  for (const part of splitUnescaped(s, ',')) {
    if (part === '') continue; // "a=b,,c=d" is read as "a=b,c=d", as Kubernetes does
    // The leftmost operator wins, trying "!=" and "==" before "=" at each position.
    let field = '';
    let operator: FieldOperator | undefined;
    let raw = '';
    for (let i = 0; i < part.length && !operator; i++) {
      const rest = part.slice(i);
      const op = rest.startsWith('!=') ? '!=' : rest.startsWith('==') ? '==' : rest.startsWith('=') ? '=' : undefined;
      if (op) {
        operator = op === '!=' ? '!=' : '=';
        field = part.slice(0, i);
        raw = part.slice(i + op.length);
      }
    }
    if (!operator) throw new SelectorError(`invalid selector: '${s}'; can't understand '${part}'`);
    field = field.trim();
    if (!field) throw new SelectorError(`invalid selector: '${s}'; can't understand '${part}'`);
    if (!fieldGetter(resource, field)) throw new SelectorError(`field label not supported: ${field}`);
    reqs.push({ field, operator, value: unescapeFieldValue(raw.trim()), resource });
  }
  return reqs;
}

/** Whether an object satisfies every field requirement; a missing field compares as "". */
export function matchesFields(reqs: FieldRequirement[], obj: unknown): boolean {
  return reqs.every((r) => {
    let actual = '';
    if (obj !== null && typeof obj === 'object') {
      const get = (r.resource && fieldGetter(r.resource, r.field)) || pathGetter(r.field);
      actual = get(obj as Record<string, unknown>);
    }
    return r.operator === '=' ? actual === r.value : actual !== r.value;
  });
}

/** Field requirements → selector string. */
export function fieldRequirementsToString(reqs: FieldRequirement[]): string {
  return reqs.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
}
