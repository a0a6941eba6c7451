// Defaulting of admissionregistration.k8s.io/v1 webhook configurations (kube's
// pkg/apis/admissionregistration/v1/defaults.go): every webhook fails closed (failurePolicy Fail), matches
// equivalent versions of its resources (matchPolicy Equivalent), selects every namespace and object
// (empty selectors) and waits 10 s; a mutating one is not called again (reinvocationPolicy Never); every
// rule covers both scopes (`*`); a service is reached on port 443. v1 leaves sideEffects and
// admissionReviewVersions to the client (v1beta1 defaulted them): validation requires them.
import { existingMap, type JsonMap, mapsIn, setDefault } from './common';

function defaultWebhook(hook: JsonMap): void {
  setDefault(hook, 'failurePolicy', 'Fail');
  setDefault(hook, 'matchPolicy', 'Equivalent');
  setDefault(hook, 'namespaceSelector', {});
  setDefault(hook, 'objectSelector', {});
  setDefault(hook, 'timeoutSeconds', 10);
  for (const rule of mapsIn(hook, 'rules')) setDefault(rule, 'scope', '*');
  const service = existingMap(existingMap(hook, 'clientConfig') ?? {}, 'service');
  if (service) setDefault(service, 'port', 443);
}

export function defaultValidatingWebhookConfiguration(obj: JsonMap): void {
  for (const hook of mapsIn(obj, 'webhooks')) defaultWebhook(hook);
}

export function defaultMutatingWebhookConfiguration(obj: JsonMap): void {
  for (const hook of mapsIn(obj, 'webhooks')) {
    defaultWebhook(hook);
    setDefault(hook, 'reinvocationPolicy', 'Never');
  }
}
