// The ValidatingAdmissionPolicy plugin (k8s.io/apiserver's pkg/admission/plugin/policy/validating): for
// every binding whose policy's matchConstraints and own matchResources take the request (rules with
// resource names, excluded rules, namespace and object selectors) and whose match conditions hold, the
// policy's validations are evaluated in CEL over `object`, `oldObject`, `request`, `params` (each object
// the binding's paramRef selects, of the policy's paramKind), `namespaceObject` and `variables`. A failed
// validation is acted on as the binding says: Deny refuses the request (the validation's reason, Invalid
// by default, and kube's message), Warn sends a warning, Audit records an audit annotation. A validation
// that cannot be evaluated, a missing param kind or a bad paramRef follow the policy's failurePolicy.
import type { MatchResources, ValidatingAdmissionPolicyBinding } from 'kubernetes-types/admissionregistration/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import type { ResourceType } from '../../../lib/api/resources';
import { Resources } from '../../../lib/api/resources';
import type { AdmissionAttributes, AdmissionPlugin } from '../../auth/types';
import { ApiStatusError, qualifiedResource } from '../../errors';
import { bucketOf, keyOf, namespacePrefix } from '../../registry/keys';
import type { KObj, Storage } from '../../storage/types';
import type { NamedRule } from '../../validation/admissionregistration';
import { selectorMatches } from '../../validation/common';
import { celValue, evaluate, matchConditions } from '../cel';
import { exemptFromAdmissionConfiguration, namespaceLabelsOf, namespaceSelectorMatches, objectSelectorMatches, requestFacts, ruleMatches, type WebhookRequestFacts } from '../matching';
import { admissionRequest } from '../webhook/review';
import type { ActiveBinding, AdmissionPolicies, CompiledPolicy } from './policies';

export interface PolicyDispatcherDeps {
  policies: AdmissionPolicies;
  storage: Storage;
  /** The served kind of a paramKind (built-in or a CRD's), once the apiserver knows its kinds. */
  findKind(apiVersion: string, kind: string): ResourceType | undefined;
}

/** One failed validation, or a failure the policy's failurePolicy turned into one. */
interface Failure {
  message: string;
  reason?: string;
  expressionIndex?: number;
}

/** kube's reasonToCode: the HTTP code of a refusal's reason. */
function codeOf(reason: string): number {
  switch (reason) {
    case 'Forbidden':
      return 403;
    case 'Unauthorized':
      return 401;
    case 'RequestEntityTooLarge':
      return 413;
    default:
      return 422;
  }
}

export class ValidatingAdmissionPolicyAdmission implements AdmissionPlugin {
  readonly name = 'ValidatingAdmissionPolicy';

  constructor(private readonly deps: PolicyDispatcherDeps) {}

  async validate(a: AdmissionAttributes): Promise<void> {
    const bindings = this.deps.policies.bindings;
    if (!bindings.length || exemptFromAdmissionConfiguration(a)) return;
    const facts = requestFacts(a);
    for (const ab of bindings) {
      const { binding, policy } = ab;
      if (!(await this.matches(policy.policy.spec?.matchConstraints, a, facts, true))) continue;
      if (binding.spec?.matchResources && !(await this.matches(binding.spec.matchResources, a, facts, false))) continue;
      const failures = await this.evaluateBinding(ab, a, facts);
      if (failures.length) this.act(ab, a, failures);
    }
  }

  /** matchConstraints (a policy's: resourceRules required) or a binding's matchResources. */
  private async matches(mr: MatchResources | undefined, a: AdmissionAttributes, facts: WebhookRequestFacts, rulesRequired: boolean): Promise<boolean> {
    if (!mr) return !rulesRequired;
    if (!(await namespaceSelectorMatches(mr.namespaceSelector, facts, namespaceLabelsOf(this.deps.storage, a, facts)))) return false;
    if (!objectSelectorMatches(mr.objectSelector, a.object, a.oldObject)) return false;
    const named = (rule: NamedRule) => ruleMatches(rule, facts) && (!rule.resourceNames?.length || rule.resourceNames.includes(a.name));
    if (((mr.excludeResourceRules ?? []) as NamedRule[]).some(named)) return false;
    const rules = (mr.resourceRules ?? []) as NamedRule[];
    return rules.length ? rules.some(named) : !rulesRequired;
  }

  /** The failures of one binding over each of its params (none when it allows the request). */
  private async evaluateBinding({ binding, policy }: ActiveBinding, a: AdmissionAttributes, facts: WebhookRequestFacts): Promise<Failure[]> {
    const failOpen = policy.policy.spec?.failurePolicy === 'Ignore';
    const misconfigured = (message: string): Failure[] => (failOpen ? [] : [{ message }]);
    let params: Array<KObj | null>;
    try {
      const found = await this.params(policy, binding, facts);
      if (found === 'none') {
        if (binding.spec?.paramRef?.parameterNotFoundAction === 'Allow') return [];
        return [{ message: 'no params found for policy binding with `Deny` parameterNotFoundAction' }];
      }
      params = found;
    } catch (err) {
      return misconfigured((err as Error).message);
    }
    const request = celValue(admissionRequest({ uid: '', kind: { group: a.rt.group, version: a.rt.version, kind: a.rt.kind }, resource: { group: facts.group, version: facts.version, resource: facts.resource }, subresource: a.subresource, name: a.name, namespace: facts.namespace, operation: a.operation, user: a.user, object: null, oldObject: null, dryRun: a.dryRun, fieldManager: a.fieldManager }));
    const namespaceObject = facts.namespace && a.rt.resource !== 'namespaces' ? ((await this.deps.storage.get(bucketOf(Resources.namespaces), facts.namespace))?.obj ?? null) : null;
    const failures: Failure[] = [];
    for (const param of params) {
      const vars: Record<string, unknown> = { object: celValue(a.object ?? null), oldObject: celValue(a.oldObject ?? null), request, params: celValue(param), namespaceObject: celValue(namespaceObject) };
      const matched = matchConditions(policy.conditions, vars);
      if (matched === false) continue;
      if (matched !== true) {
        failures.push(...misconfigured(`failed to evaluate match conditions: ${matched.error}`));
        continue;
      }
      // Variables in order: each sees the ones before it; one that fails fails only the expressions naming it.
      const variables: Record<string, unknown> = {};
      vars.variables = variables;
      for (const v of policy.variables) {
        const value = evaluate(v.program, vars);
        if (!(value instanceof Error)) variables[v.name] = value;
      }
      policy.validations.forEach((v, index) => {
        const result = evaluate(v.program, vars);
        if (result === true) return;
        if (result instanceof Error || typeof result !== 'boolean') {
          const why = result instanceof Error ? result.message : `expected a bool, got ${typeof result}`;
          failures.push(...misconfigured(`expression '${v.expression}' resulted in error: ${why}`).map((f) => ({ ...f, expressionIndex: index })));
          return;
        }
        failures.push({ message: this.messageOf(v, vars), reason: v.reason, expressionIndex: index });
      });
      for (const x of policy.auditAnnotations) {
        const value = evaluate(x.program, vars);
        if (typeof value === 'string' && value !== '') a.auditAnnotations[`${policy.policy.metadata?.name}/${x.key}`] = value;
      }
    }
    return failures;
  }

  private messageOf(v: CompiledPolicy['validations'][number], vars: Record<string, unknown>): string {
    if (v.messageExpression) {
      const text = evaluate(v.messageExpression, vars);
      if (typeof text === 'string' && text.trim() !== '' && !/[\r\n]/.test(text)) return text;
    }
    return v.message || `failed expression: ${v.expression}`;
  }

  /** The params of a binding: [null] without a paramKind; 'none' when its paramRef finds none. */
  private async params(policy: CompiledPolicy, binding: ValidatingAdmissionPolicyBinding, facts: WebhookRequestFacts): Promise<Array<KObj | null> | 'none'> {
    const paramKind = policy.policy.spec?.paramKind;
    if (!paramKind) return [null];
    const rt = this.deps.findKind(paramKind.apiVersion ?? '', paramKind.kind ?? '');
    if (!rt) throw new Error(`failed to find resource referenced by paramKind: '${paramKind.apiVersion}, Kind=${paramKind.kind}'`);
    const ref = binding.spec?.paramRef;
    if (!ref) throw new Error(`policy '${policy.policy.metadata?.name}' has a paramKind but binding '${binding.metadata?.name}' has no paramRef`);
    let namespace: string | undefined;
    if (rt.namespaced) {
      namespace = ref.namespace || facts.namespace;
      if (!namespace) throw new Error('cannot use namespaced paramRef in policy binding that matches cluster-scoped resources');
    }
    const bucket = bucketOf(rt);
    if (ref.name) {
      const found = await this.deps.storage.get(bucket, keyOf(rt, namespace, ref.name));
      return found ? [found.obj] : 'none';
    }
    const list = await this.deps.storage.list(bucket, namespace ? { prefix: namespacePrefix(rt, namespace) } : {});
    const selector = (ref.selector ?? {}) as LabelSelector;
    const matched = list.items.map((i) => i.obj).filter((o) => selectorMatches(selector, (o.metadata.labels ?? {}) as Record<string, string>));
    return matched.length ? matched : 'none';
  }

  /** The binding's validationActions on its failures: Deny refuses, Warn warns, Audit annotates. */
  private act({ binding, policy }: ActiveBinding, a: AdmissionAttributes, failures: Failure[]): void {
    const actions = binding.spec?.validationActions ?? [];
    const policyName = policy.policy.metadata?.name ?? '';
    const bindingName = binding.metadata?.name ?? '';
    if (actions.includes('Audit')) {
      const key = 'validation.policy.admission.k8s.io/validation_failure';
      const earlier = a.auditAnnotations[key] ? (JSON.parse(a.auditAnnotations[key]) as unknown[]) : [];
      a.auditAnnotations[key] = JSON.stringify([...earlier, ...failures.map((f) => ({ message: f.message, policy: policyName, binding: bindingName, expressionIndex: f.expressionIndex ?? 0, validationActions: actions }))]);
    }
    if (actions.includes('Warn')) for (const f of failures) a.warnings.push(`Validation failed for ValidatingAdmissionPolicy '${policyName}' with binding '${bindingName}': ${f.message}`);
    if (actions.includes('Deny')) {
      const f = failures[0];
      const message = `ValidatingAdmissionPolicy '${policyName}' with binding '${bindingName}' denied request: ${f.message}`;
      const reason = f.reason || 'Invalid';
      throw new ApiStatusError(codeOf(reason), reason, `${qualifiedResource(a.rt)} ${JSON.stringify(a.name)} is forbidden: ${message}`, {
        name: a.name,
        ...(a.rt.group ? { group: a.rt.group } : {}),
        kind: a.rt.resource,
        causes: [{ message }],
      });
    }
  }
}

/** A served kind by apiVersion and kind, among the given ones. */
export function kindOf(kinds: readonly ResourceType[], apiVersion: string, kind: string): ResourceType | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  return kinds.find((rt) => rt.group === group && rt.version === version && rt.kind === kind);
}
