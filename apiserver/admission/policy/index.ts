// ValidatingAdmissionPolicies: the policies and bindings followed from storage (policies.ts) and the
// plugin that evaluates them (dispatcher.ts); which requests they reach is ../matching.ts, shared with
// the webhooks.
export { AdmissionPolicies } from './policies';
export { ValidatingAdmissionPolicyAdmission, kindOf } from './dispatcher';
