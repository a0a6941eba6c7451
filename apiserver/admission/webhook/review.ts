// The AdmissionReview a webhook is sent and the checks on its answer (k8s.io/apiserver's
// pkg/admission/plugin/webhook/request): the request in the first version of admissionReviewVersions
// steer speaks (admission.k8s.io/v1 or v1beta1), the answer verified as kube-apiserver verifies it
// (v1: its apiVersion, kind and uid must match; a validating webhook may not patch; a patch needs
// patchType JSONPatch). Pure: no I/O.
import type { UserInfo } from '../../auth/types';
import { acceptedReviewVersions } from '../../validation/admissionregistration';

export type ReviewVersion = (typeof acceptedReviewVersions)[number];

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}
export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

/** admission.k8s.io AdmissionRequest, as JSON. */
export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource?: string;
  requestKind: GroupVersionKind;
  requestResource: GroupVersionResource;
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: string;
  userInfo: { username: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  object: unknown;
  oldObject: unknown;
  dryRun: boolean;
  options: unknown;
}

export interface RequestInput {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subresource: string;
  name: string;
  namespace: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  user: UserInfo;
  object: unknown;
  oldObject: unknown;
  dryRun: boolean;
  fieldManager?: string;
}

/** The first of the webhook's versions steer speaks; undefined when it names none (the call then fails). */
export function chooseReviewVersion(accepted: readonly string[] | undefined): ReviewVersion | undefined {
  return (accepted ?? []).find((v): v is ReviewVersion => (acceptedReviewVersions as readonly string[]).includes(v));
}

/** The options object of the operation, as kube sends it (CreateOptions, UpdateOptions, DeleteOptions). */
function operationOptions(r: RequestInput): unknown {
  const dryRun = r.dryRun ? { dryRun: ['All'] } : {};
  switch (r.operation) {
    case 'CREATE':
      return { kind: 'CreateOptions', apiVersion: 'meta.k8s.io/v1', ...dryRun, ...(r.fieldManager ? { fieldManager: r.fieldManager } : {}) };
    case 'UPDATE':
      return { kind: 'UpdateOptions', apiVersion: 'meta.k8s.io/v1', ...dryRun, ...(r.fieldManager ? { fieldManager: r.fieldManager } : {}) };
    case 'DELETE':
      return { kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', ...dryRun };
    default:
      return null;
  }
}

export function admissionRequest(r: RequestInput): AdmissionRequest {
  const user = { username: r.user.name, ...(r.user.uid ? { uid: r.user.uid } : {}), ...(r.user.groups?.length ? { groups: r.user.groups } : {}), ...(r.user.extra && Object.keys(r.user.extra).length ? { extra: r.user.extra } : {}) };
  return {
    uid: r.uid,
    kind: r.kind,
    resource: r.resource,
    ...(r.subresource ? { subResource: r.subresource } : {}),
    requestKind: r.kind,
    requestResource: r.resource,
    ...(r.subresource ? { requestSubResource: r.subresource } : {}),
    ...(r.name ? { name: r.name } : {}),
    ...(r.namespace ? { namespace: r.namespace } : {}),
    operation: r.operation,
    userInfo: user,
    object: r.object ?? null,
    oldObject: r.oldObject ?? null,
    dryRun: r.dryRun,
    options: operationOptions(r),
  };
}

export function admissionReview(version: ReviewVersion, request: AdmissionRequest): { apiVersion: string; kind: 'AdmissionReview'; request: AdmissionRequest } {
  return { apiVersion: `admission.k8s.io/${version}`, kind: 'AdmissionReview', request };
}

/** The parts of a webhook's answer the dispatcher acts on. */
export interface AdmissionResult {
  allowed: boolean;
  /** The refusal's status: code, reason, message, details as the webhook gave them. */
  status?: { code?: number; reason?: string; message?: string; details?: unknown };
  /** RFC 6902 operations (mutating webhooks only). */
  patch?: unknown[];
  warnings: string[];
  auditAnnotations: Record<string, string>;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Verifies a webhook's answer (kube's VerifyAdmissionResponse); a thrown Error's message is what follows
 * "received invalid webhook response: ".
 */
export function verifyAdmissionResponse(version: ReviewVersion, uid: string, mutating: boolean, body: unknown): AdmissionResult {
  if (!isMap(body)) throw new Error('the response is not a JSON object');
  const expected = `admission.k8s.io/${version}`;
  if (version === 'v1' && (body.apiVersion !== expected || body.kind !== 'AdmissionReview')) {
    const [g, v] = typeof body.apiVersion === 'string' && body.apiVersion.includes('/') ? body.apiVersion.split('/') : ['', String(body.apiVersion ?? '')];
    throw new Error(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${g}/${v}, Kind=${String(body.kind ?? '')}`);
  }
  const response = body.response;
  if (!isMap(response)) throw new Error('webhook response was absent');
  if (version === 'v1' && response.uid !== uid) throw new Error(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(response.uid ?? '')}`);
  const result: AdmissionResult = { allowed: response.allowed === true, warnings: [], auditAnnotations: {} };
  if (isMap(response.status)) {
    const s = response.status;
    result.status = {
      ...(typeof s.code === 'number' ? { code: s.code } : {}),
      ...(typeof s.reason === 'string' ? { reason: s.reason } : {}),
      ...(typeof s.message === 'string' ? { message: s.message } : {}),
      ...(s.details !== undefined ? { details: s.details } : {}),
    };
  }
  if (Array.isArray(response.warnings)) result.warnings = response.warnings.filter((w): w is string => typeof w === 'string');
  if (isMap(response.auditAnnotations)) {
    for (const [k, v] of Object.entries(response.auditAnnotations)) if (typeof v === 'string') result.auditAnnotations[k] = v;
  }
  const patch = response.patch;
  const patchType = response.patchType;
  if (version === 'v1') {
    if (!mutating && (patch !== undefined || patchType !== undefined)) throw new Error('validating webhooks may not return patches or patch types');
    if (patch !== undefined && patchType === undefined) throw new Error('webhook returned response.patch but not response.patchType');
    if (patch === undefined && patchType !== undefined) throw new Error('webhook returned response.patchType but not response.patch');
  }
  if (patchType !== undefined && patchType !== 'JSONPatch') throw new Error(`webhook returned invalid response.patchType of ${JSON.stringify(patchType)}`);
  if (mutating && patch !== undefined && patch !== null && patch !== '') {
    if (typeof patch !== 'string') throw new Error('response.patch is not base64 data');
    let ops: unknown;
    try {
      ops = JSON.parse(Buffer.from(patch, 'base64').toString('utf8'));
    } catch (err) {
      throw new Error(`response.patch is not a JSON patch: ${(err as Error).message}`);
    }
    if (!Array.isArray(ops)) throw new Error('response.patch is not a JSON patch: not a list of operations');
    result.patch = ops;
  }
  return result;
}
