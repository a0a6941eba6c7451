// Which admission webhooks and policies a request reaches, as k8s.io/apiserver decides it
// (pkg/admission/plugin/webhook/predicates, shared by the policy plugins): the rules (operation, group,
// version, resource with subresource, scope), the namespace selector (the namespace's labels; a
// Namespace's own labels when it is the object written) and the object selector (the new or the old
// object's labels). The requests neither ever see: the admission configurations themselves, and the
// apiserver's own writes.
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import { Resources } from '../../lib/api/resources';
import type { AdmissionAttributes } from '../auth/types';
import { bucketOf } from '../registry/keys';
import type { Storage } from '../storage/types';
import type { Rule } from '../validation/admissionregistration';
import { selectorMatches } from '../validation/common';

/** A request as the matchers see it: the resource in the version the object is handed to webhooks in. */
export interface WebhookRequestFacts {
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  group: string;
  version: string;
  resource: string;
  subresource: string;
  /** The request's namespace: a Namespace's own name when the Namespace is the object; '' for other cluster-scoped objects. */
  namespace: string;
}

const all = (values: readonly string[] | undefined, v: string): boolean => !!values && values.some((x) => x === '*' || x === v);

/** kube's rules.Matcher: every part of one rule matches the request. */
export function ruleMatches(rule: Rule, r: WebhookRequestFacts): boolean {
  if (!all(rule.operations, r.operation) || !all(rule.apiGroups, r.group) || !all(rule.apiVersions, r.version)) return false;
  const resourceMatches = (rule.resources ?? []).some((entry) => {
    const slash = entry.indexOf('/');
    const res = slash < 0 ? entry : entry.slice(0, slash);
    const sub = slash < 0 ? '' : entry.slice(slash + 1);
    return (res === '*' || res === r.resource) && (sub === '*' || sub === r.subresource);
  });
  if (!resourceMatches) return false;
  switch (rule.scope ?? '*') {
    case 'Namespaced':
      return r.resource !== 'namespaces' && r.namespace !== '';
    case 'Cluster':
      return r.resource === 'namespaces' || r.namespace === '';
    default:
      return true;
  }
}

export const rulesMatch = (rules: readonly Rule[] | undefined, r: WebhookRequestFacts): boolean => (rules ?? []).some((rule) => ruleMatches(rule, r));

const emptySelector = (s: LabelSelector | undefined): boolean => !s || (!Object.keys(s.matchLabels ?? {}).length && !(s.matchExpressions ?? []).length);

/**
 * Whether the namespace selector lets the request through: a cluster-scoped object other than a
 * Namespace always passes; so does any request when the selector is empty (no labels are read).
 * `labels` gives the namespace's labels only when they are needed.
 */
export async function namespaceSelectorMatches(sel: LabelSelector | undefined, r: WebhookRequestFacts, labels: () => Promise<Record<string, string> | undefined>): Promise<boolean> {
  if (r.namespace === '' && r.resource !== 'namespaces') return true;
  if (emptySelector(sel)) return true;
  return selectorMatches(sel!, (await labels()) ?? {});
}

type Labelled = { metadata?: Record<string, unknown> } | undefined;

/** kube's object.Matcher: the new object's labels or the old object's labels match (either is enough). */
export function objectSelectorMatches(sel: LabelSelector | undefined, object: Labelled, oldObject: Labelled): boolean {
  if (emptySelector(sel)) return true;
  return [object, oldObject].some((o) => !!o && selectorMatches(sel!, (o.metadata?.labels ?? {}) as Record<string, string>));
}

/** The request's facts; a Namespace is its own namespace in a request, as kube's RequestInfo has it. */
export function requestFacts(a: AdmissionAttributes): WebhookRequestFacts {
  const namespace = a.rt.resource === 'namespaces' ? a.name : a.namespace;
  return { operation: a.operation, group: a.rt.group, version: a.rt.version, resource: a.rt.resource, subresource: a.subresource, namespace };
}

/**
 * Requests no webhook or policy sees: the admission configurations (webhook configurations, policies and
 * bindings, as in kube) and the apiserver's own writes (steer's choice: a webhook that is down must not
 * stop the apiserver's leases).
 */
export function exemptFromAdmissionConfiguration(a: AdmissionAttributes): boolean {
  return a.rt.group === 'admissionregistration.k8s.io' || !!a.internal;
}

/** The labels of the request's namespace: the object's own when a Namespace is written, else the stored namespace's. */
export function namespaceLabelsOf(storage: Storage, a: AdmissionAttributes, facts: WebhookRequestFacts): () => Promise<Record<string, string> | undefined> {
  return async () => {
    if (a.rt.resource === 'namespaces' && !a.subresource && (a.operation === 'CREATE' || a.operation === 'UPDATE')) return a.object?.metadata.labels as Record<string, string> | undefined;
    return (await storage.get(bucketOf(Resources.namespaces), facts.namespace))?.obj.metadata.labels as Record<string, string> | undefined;
  };
}
