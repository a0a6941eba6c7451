// CEL in admission (match conditions of webhooks and policies, a policy's validations, variables and
// audit annotations), evaluated with @marcbachmann/cel-js over kube's variables: `object`, `oldObject`,
// `request`, `params`, `namespaceObject`, `variables`. JSON integers are CEL ints (BigInt), as Kubernetes'
// typed objects give int64s, so `object.spec.replicas > 2` compares ints.
import { compileCel } from '../crd/cel';
import { isPlainObject } from '../registry/objects';

export type CelProgram = ReturnType<typeof compileCel>;
export type CompiledCondition = { name: string; program: CelProgram };

/** A JSON value as CEL sees it. */
export function celValue(v: unknown): unknown {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(celValue);
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = celValue(x);
    return out;
  }
  return v;
}

export function compileConditions(conditions: ReadonlyArray<{ name: string; expression: string }> | undefined): CompiledCondition[] {
  return (conditions ?? []).map((c) => ({ name: c.name, program: compileCel(c.expression) }));
}

/** Runs a program; an Error when it does not compile or fails to evaluate. */
export function evaluate(program: CelProgram, vars: Record<string, unknown>): unknown {
  if (program instanceof Error) return program;
  try {
    return program(vars);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/**
 * kube's match conditions: false as soon as one is false; otherwise an error when one failed to evaluate
 * (or gave no bool); otherwise true.
 */
export function matchConditions(conditions: readonly CompiledCondition[], vars: Record<string, unknown>): true | false | { error: string } {
  let failure: string | undefined;
  for (const c of conditions) {
    const value = evaluate(c.program, vars);
    if (value === false) return false;
    if (value instanceof Error) failure ??= `matchCondition ${JSON.stringify(c.name)}: ${value.message}`;
    else if (value !== true) failure ??= `matchCondition ${JSON.stringify(c.name)}: expression must evaluate to bool, got ${typeof value}`;
  }
  return failure ? { error: failure } : true;
}
