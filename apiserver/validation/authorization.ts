// Validation of authorization.k8s.io/v1 access reviews (pkg/apis/authorization/validation): exactly one
// of resourceAttributes and nonResourceAttributes, a user or group to check for a SubjectAccessReview,
// no metadata but a LocalSubjectAccessReview's namespace, which the attributes must match.
import type { LocalSubjectAccessReview, SelfSubjectAccessReview, SelfSubjectRulesReview, SubjectAccessReview } from 'kubernetes-types/authorization/v1';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import { type FieldCause, invalid, invalidPrinted } from './common';

type Attrs = { resourceAttributes?: object; nonResourceAttributes?: object };

function exactlyOne(spec: Attrs | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  if (spec?.resourceAttributes && spec.nonResourceAttributes) {
    causes.push(invalidPrinted('spec.nonResourceAttributes', JSON.stringify(spec.nonResourceAttributes), 'cannot be specified in combination with resourceAttributes'));
  }
  if (!spec?.resourceAttributes && !spec?.nonResourceAttributes) {
    causes.push(invalidPrinted('spec.resourceAttributes', 'null', 'exactly one of nonResourceAttributes or resourceAttributes must be specified'));
  }
  return causes;
}

/** A Go-like print of the metadata fields that were set. */
function metaString(m: ObjectMeta): string {
  return `v1.ObjectMeta{${Object.entries(m).map(([k, v]) => `${k.charAt(0).toUpperCase()}${k.slice(1)}:${JSON.stringify(v)}`).join(', ')}}`;
}

function emptyMeta(m: ObjectMeta | undefined, allowNamespace: boolean): FieldCause[] {
  const rest: Record<string, unknown> = { ...(m ?? {}) };
  delete rest.managedFields;
  delete rest.creationTimestamp; // sent as null by kubectl; a zero time is no metadata
  if (allowNamespace) delete rest.namespace;
  if (Object.keys(rest).length === 0) return [];
  return [invalidPrinted('metadata', metaString(m ?? {}), allowNamespace ? 'must be empty except for namespace' : 'must be empty')];
}

function subjectSpec(spec: SubjectAccessReview['spec'] | undefined): FieldCause[] {
  const causes = exactlyOne(spec);
  if (!spec?.user && !spec?.groups?.length) causes.push(invalid('spec.user', spec?.user ?? '', 'at least one of user or group must be specified'));
  return causes;
}

export function validateSubjectAccessReview(sar: SubjectAccessReview): FieldCause[] {
  return [...subjectSpec(sar.spec), ...emptyMeta(sar.metadata, false)];
}

export function validateLocalSubjectAccessReview(sar: LocalSubjectAccessReview): FieldCause[] {
  const causes = [...subjectSpec(sar.spec), ...emptyMeta(sar.metadata, true)];
  const ra = sar.spec?.resourceAttributes;
  if (ra && (ra.namespace ?? '') !== (sar.metadata?.namespace ?? '')) {
    causes.push(invalid('spec.resourceAttributes.namespace', ra.namespace ?? '', 'must match metadata.namespace'));
  }
  if (sar.spec?.nonResourceAttributes) {
    causes.push(invalidPrinted('spec.nonResourceAttributes', JSON.stringify(sar.spec.nonResourceAttributes), 'disallowed on this kind of request'));
  }
  return causes;
}

export function validateSelfSubjectAccessReview(sar: SelfSubjectAccessReview): FieldCause[] {
  return exactlyOne(sar.spec);
}

export function validateSelfSubjectRulesReview(_r: SelfSubjectRulesReview): FieldCause[] {
  return [];
}
