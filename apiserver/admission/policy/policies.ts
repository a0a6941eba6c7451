// ValidatingAdmissionPolicies and their bindings, in memory from the apiserver's own storage
// (../stored-objects.ts), each binding with its policy's CEL compiled once per policy version: the
// validations (with their messageExpressions), the audit annotations, the variables and the match
// conditions. A binding naming no existing policy does nothing, as in kube.
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from 'kubernetes-types/admissionregistration/v1';
import { Resources } from '../../../lib/api/resources';
import { compileCel } from '../../crd/cel';
import type { Storage } from '../../storage/types';
import { compileConditions, type CelProgram, type CompiledCondition } from '../cel';
import { StoredObjects } from '../stored-objects';

export interface CompiledValidation {
  expression: string;
  program: CelProgram;
  message?: string;
  messageExpression?: CelProgram;
  reason?: string;
}

export interface CompiledPolicy {
  policy: ValidatingAdmissionPolicy;
  validations: CompiledValidation[];
  auditAnnotations: Array<{ key: string; program: CelProgram }>;
  variables: Array<{ name: string; program: CelProgram }>;
  conditions: CompiledCondition[];
}

/** A binding and the policy it binds. */
export interface ActiveBinding {
  binding: ValidatingAdmissionPolicyBinding;
  policy: CompiledPolicy;
}

function compilePolicy(policy: ValidatingAdmissionPolicy): CompiledPolicy {
  const spec = policy.spec ?? {};
  return {
    policy,
    validations: (spec.validations ?? []).map((v) => ({
      expression: v.expression,
      program: compileCel(v.expression),
      message: v.message,
      messageExpression: v.messageExpression ? compileCel(v.messageExpression) : undefined,
      reason: v.reason,
    })),
    auditAnnotations: (spec.auditAnnotations ?? []).map((x) => ({ key: x.key, program: compileCel(x.valueExpression) })),
    variables: (spec.variables ?? []).map((x) => ({ name: x.name, program: compileCel(x.expression) })),
    conditions: compileConditions(spec.matchConditions),
  };
}

export class AdmissionPolicies {
  /** Bindings in name order, each with its policy. */
  bindings: readonly ActiveBinding[] = [];
  private readonly stored: StoredObjects;
  private readonly compiled = new Map<string, { resourceVersion: unknown; policy: CompiledPolicy }>();

  constructor(storage: Storage) {
    this.stored = new StoredObjects(storage, [Resources.validatingadmissionpolicies, Resources.validatingadmissionpolicybindings], () => this.rebuild());
  }

  start(): Promise<void> {
    return this.stored.start();
  }

  stop(): void {
    this.stored.stop();
  }

  private rebuild(): void {
    const policies = new Map<string, CompiledPolicy>();
    for (const obj of this.stored.list(Resources.validatingadmissionpolicies)) {
      const name = String(obj.metadata.name);
      let entry = this.compiled.get(name);
      if (!entry || entry.resourceVersion !== obj.metadata.resourceVersion) {
        entry = { resourceVersion: obj.metadata.resourceVersion, policy: compilePolicy(obj as unknown as ValidatingAdmissionPolicy) };
        this.compiled.set(name, entry);
      }
      policies.set(name, entry.policy);
    }
    for (const name of this.compiled.keys()) if (!policies.has(name)) this.compiled.delete(name);
    const bindings: ActiveBinding[] = [];
    for (const obj of this.stored.list(Resources.validatingadmissionpolicybindings)) {
      const binding = obj as unknown as ValidatingAdmissionPolicyBinding;
      const policy = policies.get(binding.spec?.policyName ?? '');
      if (policy) bindings.push({ binding, policy });
    }
    this.bindings = bindings;
  }
}
