// The strategies of admissionregistration.k8s.io/v1 webhook configurations (kube's
// pkg/registry/admissionregistration/{mutating,validating}webhookconfiguration): cluster-scoped, no
// status; generation starts at 1 and counts changes of `webhooks` (they have no spec). The apiserver calls
// the webhooks they register on the writes their rules match (admission/webhook/).
import type { MutatingWebhookConfiguration, ValidatingWebhookConfiguration } from 'kubernetes-types/admissionregistration/v1';
import { Resources } from '../../lib/api/resources';
import { defaultMutatingWebhookConfiguration, defaultValidatingWebhookConfiguration } from '../defaults/admissionregistration';
import { webhookConfigurationPrinter } from '../tables/admissionregistration';
import { validateMutatingWebhookConfiguration, validateValidatingWebhookConfiguration } from '../validation/admissionregistration';
import { defineKind, KindStrategy } from './strategy';

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
];
