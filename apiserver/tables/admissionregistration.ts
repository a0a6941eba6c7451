// The admissionregistration.k8s.io printers, as kubectl prints them (kube's
// pkg/printers/internalversion/printers.go): webhook configurations NAME, WEBHOOKS (how many the
// configuration holds), AGE; ValidatingAdmissionPolicies NAME, VALIDATIONS, PARAMKIND, AGE; their
// bindings NAME, POLICYNAME, PARAMREF, AGE.
import type { ParamRef, ValidatingAdmissionPolicyBindingSpec, ValidatingAdmissionPolicySpec } from 'kubernetes-types/admissionregistration/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { age, ageCol, col, meta, nameCol, type Printer } from './common';

export const webhookConfigurationPrinter: Printer = {
  columns: [nameCol, col('Webhooks', 'Webhooks indicates the number of webhooks registered in this configuration', 0, 'integer'), ageCol],
  cells(obj, now) {
    const webhooks = obj.webhooks;
    return [meta(obj).name ?? '', Array.isArray(webhooks) ? webhooks.length : 0, age(obj, now)];
  },
};

const unset = '<unset>';

function specOf<T>(obj: Record<string, unknown>): T {
  const spec = obj.spec;
  return (spec !== null && typeof spec === 'object' && !Array.isArray(spec) ? spec : {}) as T;
}

/** printValidatingAdmissionPolicy: the number of validations and the paramKind as `<apiVersion>/<kind>`. */
export const validatingAdmissionPolicyPrinter: Printer = {
  columns: [
    nameCol,
    col('Validations', 'Validations indicates the number of validation rules defined in this configuration', 0, 'integer'),
    col('ParamKind', 'ParamKind specifies the kind of resources used to parameterize this policy'),
    ageCol,
  ],
  cells(obj, now) {
    const spec = specOf<ValidatingAdmissionPolicySpec>(obj);
    const paramKind = spec.paramKind ? `${spec.paramKind.apiVersion ?? ''}/${spec.paramKind.kind ?? ''}` : unset;
    return [meta(obj).name ?? '', Array.isArray(spec.validations) ? spec.validations.length : 0, paramKind, age(obj, now)];
  },
};

/**
 * A label selector as Go's (gogo-protobuf generated) *LabelSelector.String() writes it, which kube's
 * binding printer shows for a paramRef by selector:
 * `&LabelSelector{MatchLabels:map[string]string{env: prod,},MatchExpressions:[]LabelSelectorRequirement{},}`.
 */
export function goLabelSelectorString(sel: LabelSelector): string {
  const labels = sel.matchLabels ?? {};
  const matchLabels = Object.keys(labels)
    .sort()
    .map((k) => `${k}: ${labels[k]},`)
    .join('');
  const expressions = (sel.matchExpressions ?? []).map((e) => `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(' ')}],},`).join('');
  return `&LabelSelector{MatchLabels:map[string]string{${matchLabels}},MatchExpressions:[]LabelSelectorRequirement{${expressions}},}`;
}

/** The PARAMREF cell: `<namespace>/<name>`, `*\/<name>` without a namespace, the selector, or `<unset>`. */
function paramRefCell(pr: ParamRef | undefined): string {
  if (!pr) return unset;
  if (pr.name) return pr.namespace ? `${pr.namespace}/${pr.name}` : `*/${pr.name}`;
  if (pr.selector) return goLabelSelectorString(pr.selector);
  return unset;
}

/** printValidatingAdmissionPolicyBinding. */
export const validatingAdmissionPolicyBindingPrinter: Printer = {
  columns: [
    nameCol,
    col('PolicyName', 'PolicyName indicates the policy definition which the policy binding binded to'),
    col('ParamRef', 'ParamRef indicates the param resource which sets the configration param'),
    ageCol,
  ],
  cells(obj, now) {
    const spec = specOf<ValidatingAdmissionPolicyBindingSpec>(obj);
    return [meta(obj).name ?? '', spec.policyName ?? '', paramRefCell(spec.paramRef), age(obj, now)];
  },
};
