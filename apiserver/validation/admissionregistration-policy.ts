// admissionregistration.k8s.io/v1 validation of ValidatingAdmissionPolicies and their bindings, as kube's
// pkg/apis/admissionregistration/validation (ValidateValidatingAdmissionPolicy,
// ValidateValidatingAdmissionPolicyBinding, ValidateValidatingAdmissionPolicyStatusUpdate) with its field
// paths, messages and order. Rules and matchConditions are checked as the webhooks' are
// (admissionregistration.ts). CEL expressions are compiled for their syntax only (crd/cel.ts has no type
// checker): kube's type errors (an undeclared reference, a validation that is no bool, a messageExpression
// that is no string) are not reported. Updates are held to the create rules (kube's relaxations for
// expressions stored by older servers are left out), as for the webhook configurations.
import type {
  AuditAnnotation,
  MatchResources,
  ParamKind,
  ParamRef,
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
  ValidatingAdmissionPolicyStatus,
  Validation,
  Variable,
} from 'kubernetes-types/admissionregistration/v1';
import type { Condition } from 'kubernetes-types/meta/v1';
import { compileJsonPath } from '../../lib/api/jsonpath';
import { validateQualifiedName } from '../../lib/api/selectors';
import { celCompileError } from '../crd/cel';
import { failurePolicies, matchPolicies, type NamedRule, validateMatchConditions, validateRule } from './admissionregistration';
import {
  at,
  dns1035Label,
  dns1123Subdomain,
  duplicate,
  type FieldCause,
  forbidden,
  goStrings,
  idx,
  invalid,
  invalidPrinted,
  notSupported,
  pathSegmentName,
  required,
  tooLong,
  validateLabelSelector,
} from './common';

/** MatchResources with the rules as the API has them (kubernetes-types leaves out their inlined Rule). */
type Match = Omit<MatchResources, 'resourceRules' | 'excludeResourceRules'> & { resourceRules?: NamedRule[]; excludeResourceRules?: NamedRule[] };

// The supported values in kube's order: sets.String.List (sorted), or the list kube writes out.
const validationReasons = ['Forbidden', 'Invalid', 'RequestEntityTooLarge'];
const validationActions = ['Audit', 'Deny', 'Warn'];
const parameterNotFoundActions = ['Deny', 'Allow'];
const conditionStatuses = ['False', 'True', 'Unknown'];
const maxAuditAnnotations = 20;
const maxAuditAnnotationValueExpressionLength = 5 * 1024;
const maxConditionReasonLength = 1024;
const maxConditionMessageLength = 32 * 1024;

/** A CEL expression's compile error as kube's convertCELErrorToValidationError reports it. */
function compiled(field: string, expression: string, reported = expression): FieldCause[] {
  const error = celCompileError(expression);
  return error ? [invalid(field, reported, `compilation failed: ${error}`)] : [];
}

const celIdentifier = /^[_a-zA-Z][_a-zA-Z0-9]*$/;
const celReserved = new Set(['true', 'false', 'null', 'in', 'as', 'break', 'const', 'continue', 'else', 'for', 'function', 'if', 'import', 'let', 'loop', 'package', 'namespace', 'return', 'var', 'void', 'while']);
const isCelIdentifier = (name: string): boolean => celIdentifier.test(name) && !celReserved.has(name);

const hasNewlines = (s: string): boolean => /[\n\r]/.test(s);

/** Go's %#v of the audit annotations kube prints when there are too many. */
function goAuditAnnotations(list: readonly AuditAnnotation[]): string {
  const item = (a: AuditAnnotation): string => `admissionregistration.AuditAnnotation{Key:${JSON.stringify(a.key ?? '')}, ValueExpression:${JSON.stringify(a.valueExpression ?? '')}}`;
  return `[]admissionregistration.AuditAnnotation{${list.map(item).join(', ')}}`;
}

// ---- parts shared by policies and bindings ----

/** parseGroupVersion: "", "/" and "v1" have no group; more than one '/' is an error. */
function parseGroupVersion(gv: string): { group: string; version: string } | string {
  if (gv === '' || gv === '/') return { group: '', version: '' };
  const slashes = gv.split('/').length - 1;
  if (slashes === 0) return { group: '', version: gv };
  if (slashes === 1) return { group: gv.slice(0, gv.indexOf('/')), version: gv.slice(gv.indexOf('/') + 1) };
  return `unexpected GroupVersion string: ${gv}`;
}

/** validateParamKind: an apiVersion as an APIService's group and version, a kind of any case. */
function validateParamKind(pk: ParamKind, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const apiVersion = pk.apiVersion ?? '';
  const avField = at(field, 'apiVersion');
  if (apiVersion === '') causes.push(required(avField));
  else {
    const gv = parseGroupVersion(apiVersion);
    if (typeof gv === 'string') causes.push(invalid(avField, apiVersion, gv));
    else {
      if (gv.group !== '') {
        const errs = dns1123Subdomain(gv.group);
        if (errs.length) causes.push(invalid(avField, gv.group, errs.join(',')));
      }
      if (gv.version === '') causes.push(invalid(avField, apiVersion, 'version must be specified'));
      else {
        const errs = dns1035Label(gv.version);
        if (errs.length) causes.push(invalid(avField, gv.version, errs.join(',')));
      }
    }
  }
  const kind = pk.kind ?? '';
  if (kind === '') causes.push(required(at(field, 'kind')));
  else {
    const errs = dns1035Label(kind.toLowerCase());
    if (errs.length) causes.push(invalid(at(field, 'kind'), kind, `may have mixed case, but should otherwise match: ${errs.join(',')}`));
  }
  return causes;
}

/** validateNamedRuleWithOperations: resourceNames that are path segments, once each; then the rule. */
function validateNamedRule(rule: NamedRule, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const seen = new Set<string>();
  (rule.resourceNames ?? []).forEach((name, i) => {
    const f = idx(at(field, 'resourceNames'), i);
    for (const msg of pathSegmentName(name)) causes.push(invalid(f, name, msg));
    if (seen.has(name)) causes.push(duplicate(f, name));
    else seen.add(name);
  });
  causes.push(...validateRule(rule, field));
  return causes;
}

/** validateMatchResources: the fields v1 defaults are required; selectors strict; each rule. */
function validateMatchResources(match: Match | undefined, field: string): FieldCause[] {
  if (!match) return [];
  const causes: FieldCause[] = [];
  if (match.matchPolicy === undefined) causes.push(required(at(field, 'matchPolicy')));
  else if (!matchPolicies.includes(match.matchPolicy)) causes.push(notSupported(at(field, 'matchPolicy'), match.matchPolicy, matchPolicies));
  if (match.namespaceSelector === undefined) causes.push(required(at(field, 'namespaceSelector')));
  else causes.push(...validateLabelSelector(at(field, 'namespaceSelector'), match.namespaceSelector));
  if (match.objectSelector === undefined) causes.push(required(at(field, 'objectSelector')));
  else causes.push(...validateLabelSelector(at(field, 'objectSelector'), match.objectSelector));
  (match.resourceRules ?? []).forEach((rule, i) => causes.push(...validateNamedRule(rule, idx(at(field, 'resourceRules'), i))));
  (match.excludeResourceRules ?? []).forEach((rule, i) => causes.push(...validateNamedRule(rule, idx(at(field, 'excludeResourceRules'), i))));
  return causes;
}

// ---- ValidatingAdmissionPolicy ----

function validateVariable(v: Variable, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const name = v.name ?? '';
  if (name.trim() === '') causes.push(required(at(field, 'name'), 'name is not specified'));
  else if (!isCelIdentifier(name)) causes.push(invalid(at(field, 'name'), name, 'name is not a valid CEL identifier'));
  const expression = v.expression ?? '';
  if (expression.trim() === '') causes.push(required(at(field, 'expression'), 'expression is not specified'));
  else causes.push(...compiled(at(field, 'expression'), expression));
  return causes;
}

function validateValidation(v: Validation, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const expression = v.expression ?? '';
  if (expression.trim() === '') causes.push(required(at(field, 'expression'), 'expression is not specified'));
  else causes.push(...compiled(at(field, 'expression'), expression));
  const messageExpression = v.messageExpression ?? '';
  if (messageExpression !== '' && messageExpression.trim() === '') causes.push(invalid(at(field, 'messageExpression'), messageExpression, 'must be non-empty if specified'));
  // Compiled untrimmed, so that the error's column is where the user wrote it.
  else if (messageExpression.trim() !== '') causes.push(...compiled(at(field, 'messageExpression'), messageExpression));
  const message = v.message ?? '';
  if (message !== '' && message.trim() === '') causes.push(invalid(at(field, 'message'), message, 'message must be non-empty if specified'));
  else if (hasNewlines(message.trim())) causes.push(invalid(at(field, 'message'), message, 'message must not contain line breaks'));
  if (v.reason !== undefined && !validationReasons.includes(v.reason)) causes.push(notSupported(at(field, 'reason'), v.reason, validationReasons));
  return causes;
}

/** validateAuditAnnotation: `<policy name>/<key>` a qualified name; a valueExpression of at most 5 KiB. */
function validateAuditAnnotation(policyName: string, a: AuditAnnotation, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const key = a.key ?? '';
  if (policyName !== '') {
    const qualified = `${policyName}/${key}`;
    for (const msg of validateQualifiedName(qualified)) causes.push(invalid(at(field, 'key'), qualified, msg));
  } else causes.push(invalid(at(field, 'key'), key, 'requires metadata.name be non-empty'));
  const value = (a.valueExpression ?? '').trim();
  const valueField = at(field, 'valueExpression');
  if (value === '') causes.push(required(valueField, 'valueExpression is not specified'));
  else if (Buffer.byteLength(value) > maxAuditAnnotationValueExpressionLength) causes.push(required(valueField, `must not exceed ${maxAuditAnnotationValueExpressionLength} bytes in length`));
  // kube compiles the trimmed expression and reports the one given.
  else causes.push(...compiled(valueField, value, a.valueExpression));
  return causes;
}

function validatePolicySpec(policy: ValidatingAdmissionPolicy): FieldCause[] {
  const spec = policy.spec ?? {};
  const causes: FieldCause[] = [];
  if (spec.failurePolicy === undefined) causes.push(required('spec.failurePolicy'));
  else if (!failurePolicies.includes(spec.failurePolicy)) causes.push(notSupported('spec.failurePolicy', spec.failurePolicy, failurePolicies));
  if (spec.paramKind) causes.push(...validateParamKind(spec.paramKind, 'spec.paramKind'));
  const match = spec.matchConstraints as Match | undefined;
  if (!match) causes.push(required('spec.matchConstraints'));
  else {
    causes.push(...validateMatchResources(match, 'spec.matchConstraints'));
    // At least one resource rule, to give the expressions' object a type.
    if (!match.resourceRules?.length) causes.push(required('spec.matchConstraints.resourceRules'));
  }
  causes.push(...validateMatchConditions(spec.matchConditions ?? [], 'spec.matchConditions'));
  (spec.variables ?? []).forEach((v, i) => causes.push(...validateVariable(v, idx('spec.variables', i))));
  const validations = spec.validations ?? [];
  const annotations = spec.auditAnnotations ?? [];
  if (validations.length === 0 && annotations.length === 0) {
    causes.push(required('spec.validations', 'validations or auditAnnotations must contain at least one item'));
    causes.push(required('spec.auditAnnotations', 'validations or auditAnnotations must contain at least one item'));
    return causes;
  }
  validations.forEach((v, i) => causes.push(...validateValidation(v, idx('spec.validations', i))));
  if (annotations.length > maxAuditAnnotations) causes.push(invalidPrinted('spec.auditAnnotations', goAuditAnnotations(annotations), `must not have more than ${maxAuditAnnotations} auditAnnotations`));
  const keys = new Set<string>();
  annotations.forEach((a, i) => {
    const field = idx('spec.auditAnnotations', i);
    causes.push(...validateAuditAnnotation(policy.metadata?.name ?? '', a, field));
    const key = a.key ?? '';
    if (keys.has(key)) causes.push(duplicate(at(field, 'key'), key));
    keys.add(key);
  });
  return causes;
}

const conditionReason = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const conditionReasonMessage =
  "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' " +
  "(e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')";

/** metav1validation.ValidateConditions: metav1.Conditions, one of each type. */
export function validateConditions(conditions: readonly Condition[], field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const types = new Set<string>();
  conditions.forEach((c, i) => {
    const f = idx(field, i);
    const type = c.type ?? '';
    if (types.has(type)) causes.push(duplicate(at(f, 'type'), type));
    else types.add(type);
    for (const msg of validateQualifiedName(type)) causes.push(invalid(at(f, 'type'), type, msg));
    if (!conditionStatuses.includes(c.status ?? '')) causes.push(notSupported(at(f, 'status'), c.status ?? '', conditionStatuses));
    if ((c.observedGeneration ?? 0) < 0) causes.push(invalid(at(f, 'observedGeneration'), c.observedGeneration, 'must be greater than or equal to zero'));
    if (!c.lastTransitionTime) causes.push(required(at(f, 'lastTransitionTime'), 'must be set'));
    const reason = c.reason ?? '';
    if (reason === '') causes.push(required(at(f, 'reason'), 'must be set'));
    else {
      if (!conditionReason.test(reason)) causes.push(invalid(at(f, 'reason'), reason, conditionReasonMessage));
      if (reason.length > maxConditionReasonLength) causes.push(tooLong(at(f, 'reason'), maxConditionReasonLength));
    }
    if ((c.message ?? '').length > maxConditionMessageLength) causes.push(tooLong(at(f, 'message'), maxConditionMessageLength));
  });
  return causes;
}

/** The parser's error for `{fieldRef}` as client-go's jsonpath.Parse gives it (the wrapping kubectl adds taken off). */
function jsonPathParseError(fieldRef: string): string | undefined {
  const parse = (template: string): string | undefined => {
    try {
      compileJsonPath(template);
      return undefined;
    } catch (err) {
      return (err as Error).message.replace(/^error parsing jsonpath .*?, /s, '');
    }
  };
  const error = parse(`{${fieldRef}}`);
  // Go's parser takes a leading bare name (the `spec` of kube's own `spec.validations[0].expression`) as
  // an identifier and fails on it only when executed; lib/api/jsonpath.ts refuses it while parsing. Such
  // a path is parsed as the field it names.
  if (error?.startsWith('unrecognized identifier ')) return parse(`{.${fieldRef}}`);
  return error;
}

/** validateValidatingAdmissionPolicyStatus: the type checker's warnings and the conditions. */
function validatePolicyStatus(status: ValidatingAdmissionPolicyStatus): FieldCause[] {
  const causes: FieldCause[] = [];
  (status.typeChecking?.expressionWarnings ?? []).forEach((w, i) => {
    const f = idx('status.typeChecking.expressionWarnings', i);
    if (!w.warning) causes.push(required(at(f, 'warning')));
    const fieldRef = (w.fieldRef ?? '').trim();
    if (fieldRef === '') causes.push(required(at(f, 'fieldRef')));
    else {
      const error = jsonPathParseError(fieldRef);
      if (error) causes.push(invalid(at(f, 'fieldRef'), fieldRef, `invalid JSONPath: ${error}`));
    }
  });
  causes.push(...validateConditions(status.conditions ?? [], 'status.conditions'));
  return causes;
}

/** ValidateValidatingAdmissionPolicy(Update), or on /status ValidateValidatingAdmissionPolicyStatusUpdate. */
export function validateValidatingAdmissionPolicy(policy: ValidatingAdmissionPolicy, _old: ValidatingAdmissionPolicy | undefined, subresource?: string): FieldCause[] {
  if (subresource === 'status') return validatePolicyStatus(policy.status ?? {});
  return validatePolicySpec(policy);
}

// ---- ValidatingAdmissionPolicyBinding ----

/** validateParamRef: a name or a selector, never both; what to do when the parameter is missing. */
function validateParamRef(pr: ParamRef | undefined, field: string): FieldCause[] {
  if (!pr) return [];
  const causes: FieldCause[] = [];
  const name = pr.name ?? '';
  const exclusive = 'name and selector are mutually exclusive';
  if (name !== '') {
    for (const msg of pathSegmentName(name)) causes.push(invalid(at(field, 'name'), name, msg));
    if (pr.selector) causes.push(forbidden(at(field, 'name'), exclusive));
  }
  if (pr.selector) {
    causes.push(...validateLabelSelector(at(field, 'selector'), pr.selector));
    if (name !== '') causes.push(forbidden(at(field, 'selector'), exclusive));
  }
  if (name === '' && !pr.selector) causes.push(required(field, 'one of name or selector must be specified'));
  const action = pr.parameterNotFoundAction ?? '';
  if (action === '') causes.push(required(at(field, 'parameterNotFoundAction')));
  else if (!parameterNotFoundActions.includes(action)) causes.push(notSupported(at(field, 'parameterNotFoundAction'), action, parameterNotFoundActions));
  return causes;
}

/** validateValidationActions: Audit, Deny, Warn, each once, at least one, not both Deny and Warn. */
function validateValidationActions(actions: readonly string[], field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const seen = new Set<string>();
  actions.forEach((action, i) => {
    if (!validationActions.includes(action)) causes.push(notSupported(idx(field, i), action, validationActions));
    if (seen.has(action)) causes.push(duplicate(idx(field, i), action));
    seen.add(action);
  });
  if (seen.has('Deny') && seen.has('Warn')) {
    const message = 'must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)';
    causes.push(invalidPrinted(field, goStrings('[]admissionregistration.ValidationAction', actions), message));
  }
  if (seen.size === 0) causes.push(required(field, 'at least one validation action is required'));
  return causes;
}

/** ValidateValidatingAdmissionPolicyBinding (and its Update, the same rules). */
export function validateValidatingAdmissionPolicyBinding(binding: ValidatingAdmissionPolicyBinding): FieldCause[] {
  const spec = binding.spec ?? {};
  const causes: FieldCause[] = [];
  const policyName = spec.policyName ?? '';
  if (policyName === '') causes.push(required('spec.policyName'));
  else for (const msg of dns1123Subdomain(policyName)) causes.push(invalid('spec.policyName', policyName, msg));
  causes.push(...validateParamRef(spec.paramRef, 'spec.paramRef'));
  causes.push(...validateMatchResources(spec.matchResources as Match | undefined, 'spec.matchResources'));
  causes.push(...validateValidationActions(spec.validationActions ?? [], 'spec.validationActions'));
  return causes;
}
