// The strategies of admissionregistration.k8s.io/v1 (kube's pkg/registry/admissionregistration):
// webhook configurations ({mutating,validating}webhookconfiguration): cluster-scoped, no status;
// generation starts at 1 and counts changes of `webhooks` (they have no spec). The apiserver calls the
// webhooks they register on the writes their rules match (admission/webhook/).
// ValidatingAdmissionPolicies (validatingadmissionpolicy): cluster-scoped, generation counted on spec;
// the status (the type checker's warnings, conditions) is written only through /status: a create starts
// with an empty one, an update keeps the stored one, and /status changes nothing else (the registry's
// rules for kinds with a status subresource). Their bindings (validatingadmissionpolicybinding):
// cluster-scoped, generation counted on spec, no status. The ValidatingAdmissionPolicy plugin evaluates
// them (admission/policy/). kube also authorizes a policy's paramKind and a binding's paramRef for the
// writer; steer does not.
import type { MutatingWebhookConfiguration, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding, ValidatingWebhookConfiguration } from 'kubernetes-types/admissionregistration/v1';
import { Resources } from '../../lib/api/resources';
import {
  defaultMutatingWebhookConfiguration,
  defaultValidatingAdmissionPolicy,
  defaultValidatingAdmissionPolicyBinding,
  defaultValidatingWebhookConfiguration,
} from '../defaults/admissionregistration';
import { validatingAdmissionPolicyBindingPrinter, validatingAdmissionPolicyPrinter, webhookConfigurationPrinter } from '../tables/admissionregistration';
import { validateMutatingWebhookConfiguration, validateValidatingWebhookConfiguration } from '../validation/admissionregistration';
import { validateValidatingAdmissionPolicy, validateValidatingAdmissionPolicyBinding } from '../validation/admissionregistration-policy';
import { defineKind, KindStrategy, startWithEmptyStatus } from './strategy';

export const admissionregistrationKinds: KindStrategy[] = [
  defineKind<MutatingWebhookConfiguration>(Resources.mutatingwebhookconfigurations, {
    generationTracked: true,
    generationFields: ['webhooks'],
    defaults: defaultMutatingWebhookConfiguration,
    validate: validateMutatingWebhookConfiguration,
    printer: webhookConfigurationPrinter,
  }),
  defineKind<ValidatingWebhookConfiguration>(Resources.validatingwebhookconfigurations, {
    generationTracked: true,
    generationFields: ['webhooks'],
    defaults: defaultValidatingWebhookConfiguration,
    validate: validateValidatingWebhookConfiguration,
    printer: webhookConfigurationPrinter,
  }),
  defineKind<ValidatingAdmissionPolicy>(Resources.validatingadmissionpolicies, {
    generationTracked: true,
    prepareForCreate: startWithEmptyStatus,
    defaults: defaultValidatingAdmissionPolicy,
    validate: validateValidatingAdmissionPolicy,
    printer: validatingAdmissionPolicyPrinter,
  }),
  defineKind<ValidatingAdmissionPolicyBinding>(Resources.validatingadmissionpolicybindings, {
    generationTracked: true,
    defaults: defaultValidatingAdmissionPolicyBinding,
    validate: validateValidatingAdmissionPolicyBinding,
    printer: validatingAdmissionPolicyBindingPrinter,
  }),
];
