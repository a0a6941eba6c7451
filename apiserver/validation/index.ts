// Validation of objects before they are stored, in Kubernetes' terms: a list of field causes (reason,
// message, field) that the apiserver returns as a 422 Invalid Status. First the JSON types of known
// fields (Kubernetes refuses those while decoding), then metadata and each kind's rules.
import type { DaemonSet, Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Lease } from 'kubernetes-types/coordination/v1';
import type { ConfigMap, Endpoints, Event, Namespace, Node, Pod, Secret, Service } from 'kubernetes-types/core/v1';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';
import type { ResourceType } from '../../lib/api/resources';
import { typeMismatches } from '../schema';
import { type FieldCause, type NameRule, invalid, invalidPrinted, validateObjectMeta } from './common';
import { validateDaemonSet, validateDeployment, validateReplicaSet } from './apps';
import { validateJob } from './batch';
import {
  validateConfigMap,
  validateEndpoints,
  validateEvent,
  validateLease,
  validateNamespace,
  validateNode,
  validateSecret,
  validateService,
} from './core';
import { validatePod } from './pod';

export type { CauseReason, FieldCause } from './common';
export { pruneUnknownFields } from '../schema';

// The name syntax each kind requires (Kubernetes' ValidateXName functions).
const nameRules: Record<string, NameRule> = {
  Namespace: 'label',
  Service: 'dns1035',
};

function isMap(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The value without the null-valued fields of maps; the same reference when it has none. */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const item = withoutNulls(v[i]);
      if (item !== v[i]) (out ??= v.slice())[i] = item;
    }
    return out ?? v;
  }
  if (!isMap(v)) return v;
  let out: Record<string, unknown> | undefined;
  for (const [k, val] of Object.entries(v)) {
    if (val === null) {
      out ??= { ...v };
      delete out[k];
      continue;
    }
    const cleaned = withoutNulls(val);
    if (cleaned !== val) (out ??= { ...v })[k] = cleaned;
  }
  return out ?? v;
}

/**
 * Validates an object of a resource; with `old`, as an update of that stored object. Returns [] when
 * the object is valid. Never throws on malformed input: wrong JSON types come back as causes.
 */
export function validate(resource: ResourceType, obj: unknown, old?: unknown): FieldCause[] {
  try {
    return validateObject(resource, obj, old);
  } catch (err) {
    // Absurdly deep JSON exhausts the stack: report it as invalid input rather than fail.
    if (err instanceof RangeError) return [invalidPrinted('<root>', '{…}', 'object is nested too deeply')];
    throw err;
  }
}

function validateObject(resource: ResourceType, obj: unknown, old?: unknown): FieldCause[] {
  const mismatches = typeMismatches(resource, obj);
  if (mismatches.length > 0) {
    return mismatches.map((m) => {
      const field = m.path || '<root>';
      if (m.detail) return invalid(field, m.value, m.detail);
      // kube-openapi's wording: `spec.replicas in body must be of type integer: "string"`.
      return invalidPrinted(field, JSON.stringify(m.actual), `${field} in body must be of type ${m.expected}: ${JSON.stringify(m.actual)}`);
    });
  }
  // From here on a null field is the same as an absent one, as in Kubernetes' Go types.
  const o = withoutNulls(obj) as Record<string, unknown>;
  // Only trust `old` when it is a well-formed stored object.
  const prev = isMap(old) && typeMismatches(resource, old).length === 0 ? (withoutNulls(old) as Record<string, unknown>) : undefined;
  const causes = validateObjectMeta(
    o.metadata as ObjectMeta | undefined,
    { namespaced: resource.namespaced, nameRule: nameRules[resource.kind] ?? 'subdomain' },
    prev?.metadata as ObjectMeta | undefined,
  );
  causes.push(...validateKind(resource, o, prev));
  return causes;
}

function validateKind(resource: ResourceType, obj: Record<string, unknown>, old: Record<string, unknown> | undefined): FieldCause[] {
  switch (`${resource.group}/${resource.kind}`) {
    case '/Pod':
      return validatePod(obj as Pod, old as Pod | undefined);
    case 'apps/Deployment':
      return validateDeployment(obj as Deployment, old as Deployment | undefined);
    case 'apps/ReplicaSet':
      return validateReplicaSet(obj as ReplicaSet, old as ReplicaSet | undefined);
    case 'apps/DaemonSet':
      return validateDaemonSet(obj as DaemonSet, old as DaemonSet | undefined);
    case 'batch/Job':
      return validateJob(obj as Job, old as Job | undefined);
    case '/Service':
      return validateService(obj as Service, old as Service | undefined);
    case '/Node':
      return validateNode(obj as Node);
    case '/Namespace':
      return validateNamespace(obj as Namespace);
    case '/ConfigMap':
      return validateConfigMap(obj as ConfigMap, old as ConfigMap | undefined);
    case '/Secret':
      return validateSecret(obj as Secret, old as Secret | undefined);
    case '/Endpoints':
      return validateEndpoints(obj as Endpoints);
    case '/Event':
      return validateEvent(obj as unknown as Event);
    case 'coordination.k8s.io/Lease':
      return validateLease(obj as Lease);
    default:
      return []; // ServiceAccount: metadata only
  }
}

/** Kubernetes' one-line summary of causes: `spec.replicas: Invalid value: -1: must be …, spec.x: …`. */
export function causesToMessage(causes: FieldCause[]): string {
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  return parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
}
