// Defaulting of admissionregistration.k8s.io/v1 webhook configurations (kube's
// pkg/apis/admissionregistration/v1/defaults.go): every webhook fails closed (failurePolicy Fail), matches
// equivalent versions of its resources (matchPolicy Equivalent), selects every namespace and object
// (empty selectors) and waits 10 s; a mutating one is not called again (reinvocationPolicy Never); every
// rule covers both scopes (`*`); a service is reached on port 443. v1 leaves sideEffects and
// admissionReviewVersions to the client (v1beta1 defaulted them): validation requires them.
//
// ValidatingAdmissionPolicies and their bindings (zz_generated.defaults.go's SetObjectDefaults_*): a
// policy fails closed (failurePolicy Fail; its spec is a Go struct, so even a policy without one gets
// it); MatchResources (a policy's matchConstraints, a binding's matchResources) match equivalent
// versions and every namespace and object, and their rules, included and excluded, both scopes. v1 gives
// a binding's paramRef no parameterNotFoundAction (only v1alpha1 defaulted it to Deny): validation
// requires it.
import { existingMap, type JsonMap, mapAt, mapsIn, setDefault } from './common';

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

/** SetDefaults_MatchResources, and SetDefaults_Rule on each of its rules. */
function defaultMatchResources(match: JsonMap | undefined): void {
  if (!match) return;
  setDefault(match, 'matchPolicy', 'Equivalent');
  setDefault(match, 'namespaceSelector', {});
  setDefault(match, 'objectSelector', {});
  for (const rule of [...mapsIn(match, 'resourceRules'), ...mapsIn(match, 'excludeResourceRules')]) setDefault(rule, 'scope', '*');
}

export function defaultValidatingAdmissionPolicy(obj: JsonMap): void {
  const spec = mapAt(obj, 'spec');
  if (!spec) return;
  setDefault(spec, 'failurePolicy', 'Fail');
  defaultMatchResources(existingMap(spec, 'matchConstraints'));
}

export function defaultValidatingAdmissionPolicyBinding(obj: JsonMap): void {
  defaultMatchResources(existingMap(existingMap(obj, 'spec') ?? {}, 'matchResources'));
}
