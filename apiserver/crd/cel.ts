// CEL validation rules of CRD schemas (`x-kubernetes-validations`), evaluated with
// @marcbachmann/cel-js: `self` is the value at the rule's node, `oldSelf` the stored value on an update
// (a rule that names oldSelf is a transition rule, checked only when there is an old value). Integers
// of the schema become CEL ints (BigInt) so `self.replicas <= 10` compares ints as in Kubernetes.
// A failed rule is a field cause at the node (or its fieldPath) with the rule's message and reason; a
// `messageExpression` (a CEL expression over the same variables giving a string) takes the message's
// place, and as in Kubernetes falls back to `message` when it fails, gives no text or spans lines.
import { parse, ParseError } from '@marcbachmann/cel-js';
import { at, type CauseReason, type FieldCause, idx } from '../validation/common';
import type { JSONSchemaProps } from './schema';

type Compiled = ReturnType<typeof parse>;
const compiled = new Map<string, Compiled | Error>();

/** A CEL expression compiled once and kept (the same text compiles to the same program); an Error when it does not compile. */
export function compileCel(rule: string): Compiled | Error {
  let c = compiled.get(rule);
  if (!c) {
    try {
      c = parse(rule);
    } catch (err) {
      c = err instanceof Error ? err : new Error(String(err));
    }
    compiled.set(rule, c);
  }
  return c;
}

/**
 * Why an expression does not compile, in cel-go's words where the parser says where
 * (`ERROR: <input>:1:24: Syntax error: Unexpected token: EOF`), or undefined when it compiles. Only the
 * syntax is checked: cel-js has no declarations of Kubernetes' variables and libraries to type-check with.
 */
export function celCompileError(expression: string): string | undefined {
  const c = compileCel(expression);
  if (!(c instanceof Error)) return undefined;
  const where = c instanceof ParseError ? c.node : undefined;
  if (!where || typeof where.pos !== 'number') return c.message.split('\n')[0];
  // cel-go prints lines and columns counting from 1.
  const before = expression.slice(0, where.pos).split('\n');
  const summary = (c as ParseError).summary || c.message.split('\n')[0];
  return `ERROR: <input>:${before.length}:${before[before.length - 1].length + 1}: Syntax error: ${summary}`;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A JSON value as CEL sees it: integers of integer-typed (or int-or-string) nodes as BigInt. */
function toCel(v: unknown, s: JSONSchemaProps | undefined): unknown {
  if (typeof v === 'number' && Number.isInteger(v) && (s?.type === 'integer' || s?.['x-kubernetes-int-or-string'])) return BigInt(v);
  if (Array.isArray(v)) return v.map((x) => toCel(x, s?.items));
  if (isMap(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = toCel(x, s?.properties?.[k] ?? (isMap(s?.additionalProperties) ? (s!.additionalProperties as JSONSchemaProps) : undefined));
    return out;
  }
  return v;
}

const usesOldSelf = (rule: string): boolean => /\boldSelf\b/.test(rule);

/**
 * The text of a rule's messageExpression, or undefined to fall back as kube-apiserver does: an
 * expression that fails to evaluate, gives a non-string, an empty or blank string, or a line break.
 */
function expressionMessage(expression: string | undefined, vars: Record<string, unknown>): string | undefined {
  if (!expression) return undefined;
  const c = compileCel(expression);
  if (c instanceof Error) return undefined;
  let text: unknown;
  try {
    text = c(vars);
  } catch {
    return undefined;
  }
  if (typeof text !== 'string' || text.trim() === '' || /[\r\n]/.test(text)) return undefined;
  return text;
}

function typeName(s: JSONSchemaProps): string {
  return s['x-kubernetes-int-or-string'] ? 'string' : (s.type ?? 'object');
}

/** The causes of the schema's CEL rules that `obj` (and, on an update, `old`) fails. */
export function celViolations(obj: unknown, old: unknown, schema: JSONSchemaProps): FieldCause[] {
  const out: FieldCause[] = [];
  walk(obj, old, schema, '', out);
  return out;
}

function walk(v: unknown, old: unknown, s: JSONSchemaProps | undefined, path: string, out: FieldCause[]): void {
  if (!s || v === undefined || v === null) return;
  for (const r of s['x-kubernetes-validations'] ?? []) {
    const transition = usesOldSelf(r.rule);
    if (transition && (old === undefined || old === null)) continue;
    const c = compileCel(r.rule);
    if (c instanceof Error) continue; // refused when the CRD was written (celRuleViolations)
    let ok: unknown;
    try {
      ok = c({ self: toCel(v, s), ...(transition ? { oldSelf: toCel(old, s) } : {}) });
    } catch (err) {
      ok = err;
    }
    if (ok === true) continue;
    // fieldPath is relative to the node the rule is on.
    const field = r.fieldPath ? `${path}${path ? r.fieldPath : r.fieldPath.replace(/^\./, '')}` : path || '<root>';
    const vars = { self: toCel(v, s), ...(transition ? { oldSelf: toCel(old, s) } : {}) };
    const message = ok instanceof Error ? `${r.rule}: ${ok.message}` : (expressionMessage(r.messageExpression, vars) ?? r.message ?? `failed rule: ${r.rule}`);
    const reason = (r.reason as CauseReason | undefined) ?? 'FieldValueInvalid';
    const label = reason === 'FieldValueRequired' ? 'Required value' : reason === 'FieldValueForbidden' ? 'Forbidden' : reason === 'FieldValueDuplicate' ? 'Duplicate value' : `Invalid value: ${JSON.stringify(typeName(s))}`;
    out.push({ reason, field, message: `${label}: ${message}` });
  }
  if (Array.isArray(v)) {
    v.forEach((item, i) => walk(item, undefined, s.items, idx(path, i), out));
  } else if (isMap(v)) {
    const o = isMap(old) ? old : undefined;
    for (const [k, x] of Object.entries(v)) {
      const child = s.properties?.[k] ?? (isMap(s.additionalProperties) ? (s.additionalProperties as JSONSchemaProps) : undefined);
      walk(x, o?.[k], child, at(path, k), out);
    }
  }
}

/** The rules of a CRD schema that do not compile, as causes under `field` (the CRD is refused). */
export function celRuleViolations(s: JSONSchemaProps, field: string): FieldCause[] {
  const out: FieldCause[] = [];
  const visit = (n: JSONSchemaProps | undefined, f: string): void => {
    if (!n || typeof n !== 'object') return;
    (n['x-kubernetes-validations'] ?? []).forEach((r, i) => {
      const rf = `${idx(at(f, 'x-kubernetes-validations'), i)}.rule`;
      if (typeof r?.rule !== 'string' || r.rule === '') return out.push({ reason: 'FieldValueRequired', field: rf, message: 'Required value' });
      const c = compileCel(r.rule);
      if (c instanceof Error) out.push({ reason: 'FieldValueInvalid', field: rf, message: `Invalid value: ${JSON.stringify(r.rule)}: compilation failed: ${c.message.split('\n')[0]}` });
      if (r.messageExpression !== undefined) {
        const mf = `${idx(at(f, 'x-kubernetes-validations'), i)}.messageExpression`;
        if (typeof r.messageExpression !== 'string' || r.messageExpression.trim() === '') out.push({ reason: 'FieldValueRequired', field: mf, message: 'Required value: must be non-empty if specified' });
        else {
          const m = compileCel(r.messageExpression);
          if (m instanceof Error) out.push({ reason: 'FieldValueInvalid', field: mf, message: `Invalid value: ${JSON.stringify(r.messageExpression)}: messageExpression compilation failed: ${m.message.split('\n')[0]}` });
        }
      }
    });
    for (const [k, child] of Object.entries(n.properties ?? {})) visit(child, `${f}.properties[${k}]`);
    if (isMap(n.additionalProperties)) visit(n.additionalProperties as JSONSchemaProps, `${f}.additionalProperties`);
    visit(n.items, `${f}.items`);
  };
  visit(s, field);
  return out;
}
