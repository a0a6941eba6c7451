// The strategies of authorization.k8s.io/v1: access reviews, create-only and never stored
// (pkg/registry/authorization/*). Each is answered by the instance's authorizer chain — the same one
// every request goes through — for the attributes it names: SubjectAccessReview and
// LocalSubjectAccessReview for any user (the node agent's delegated authorization asks this way),
// SelfSubjectAccessReview for the caller (`kubectl auth can-i`), and SelfSubjectRulesReview lists the
// caller's rules in a namespace (`kubectl auth can-i --list`).
import type {
  LocalSubjectAccessReview,
  NonResourceAttributes,
  ResourceAttributes,
  SelfSubjectAccessReview,
  SelfSubjectRulesReview,
  SubjectAccessReview,
  SubjectAccessReviewStatus,
} from 'kubernetes-types/authorization/v1';
import { Resources } from '../../lib/api/resources';
import { apiserverUser } from '../auth/admission';
import { authorizationOf } from '../auth/server-authorization';
import type { Attributes, UserInfo } from '../auth/types';
import { errors } from '../errors';
import type { Registry, WriteContext } from '../registry/registry';
import type { KObj } from '../storage/types';
import {
  validateLocalSubjectAccessReview,
  validateSelfSubjectAccessReview,
  validateSelfSubjectRulesReview,
  validateSubjectAccessReview,
} from '../validation/authorization';
import { defineKind, KindStrategy } from './strategy';

/** ResourceAttributesFrom / NonResourceAttributesFrom of k8s.io/kubernetes/pkg/registry/authorization/util. */
export function reviewAttributes(user: UserInfo, spec: { resourceAttributes?: ResourceAttributes; nonResourceAttributes?: NonResourceAttributes }): Attributes {
  const ra = spec.resourceAttributes;
  if (ra) {
    return {
      user,
      verb: ra.verb ?? '',
      resourceRequest: true,
      path: '',
      namespace: ra.namespace ?? '',
      apiGroup: ra.group ?? '',
      apiVersion: ra.version || '*',
      resource: ra.resource ?? '',
      subresource: ra.subresource ?? '',
      name: ra.name ?? '',
    };
  }
  const nra = spec.nonResourceAttributes ?? {};
  return { user, verb: nra.verb ?? '', resourceRequest: false, path: nra.path ?? '', namespace: '', apiGroup: '', apiVersion: '', resource: '', subresource: '', name: '' };
}

/** The review's status: allowed, denied (an authorizer's explicit deny), the reason, an evaluation error. */
async function decide(registry: Registry, attrs: Attributes): Promise<SubjectAccessReviewStatus> {
  try {
    const r = await authorizationOf(registry).authorizer.authorize(attrs);
    return { allowed: r.decision === 'allow', ...(r.decision === 'deny' ? { denied: true } : {}), ...(r.reason ? { reason: r.reason } : {}) };
  } catch (err) {
    return { allowed: false, evaluationError: (err as Error)?.message ?? String(err) };
  }
}

/** The user a SubjectAccessReview asks about: spec.user, groups, uid and extra, as sent. */
function specUser(spec: SubjectAccessReview['spec']): UserInfo {
  return { name: spec.user ?? '', groups: spec.groups ?? [], ...(spec.uid ? { uid: spec.uid } : {}), ...(spec.extra ? { extra: spec.extra } : {}) };
}

const caller = (ctx: WriteContext): UserInfo => ctx.user ?? apiserverUser;

async function subjectAccessReview(registry: Registry, obj: KObj): Promise<KObj> {
  const sar = obj as unknown as SubjectAccessReview;
  return { ...obj, status: await decide(registry, reviewAttributes(specUser(sar.spec), sar.spec)) };
}

async function selfSubjectAccessReview(registry: Registry, obj: KObj, ctx: WriteContext): Promise<KObj> {
  const review = obj as unknown as SelfSubjectAccessReview;
  return { ...obj, status: await decide(registry, reviewAttributes(caller(ctx), review.spec)) };
}

async function selfSubjectRulesReview(registry: Registry, obj: KObj, ctx: WriteContext): Promise<KObj> {
  const review = obj as unknown as SelfSubjectRulesReview;
  const namespace = review.spec?.namespace ?? '';
  if (!namespace) throw errors.badRequest('no namespace on request');
  const r = authorizationOf(registry).ruleResolver.rulesFor(caller(ctx), namespace);
  // kube answers with an empty spec: only the status says anything.
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: obj.metadata,
    spec: {},
    status: { resourceRules: r.resourceRules, nonResourceRules: r.nonResourceRules, incomplete: r.incomplete, ...(r.error ? { evaluationError: r.error } : {}) },
  };
}

export const authorizationKinds: KindStrategy[] = [
  defineKind<SelfSubjectAccessReview>(Resources.selfsubjectaccessreviews, { nameRule: 'none', validate: validateSelfSubjectAccessReview, create: (r, o, c) => selfSubjectAccessReview(r, o, c) }),
  defineKind<SelfSubjectRulesReview>(Resources.selfsubjectrulesreviews, { nameRule: 'none', validate: validateSelfSubjectRulesReview, create: (r, o, c) => selfSubjectRulesReview(r, o, c) }),
  defineKind<SubjectAccessReview>(Resources.subjectaccessreviews, { nameRule: 'none', validate: validateSubjectAccessReview, create: (r, o) => subjectAccessReview(r, o) }),
  defineKind<LocalSubjectAccessReview>(Resources.localsubjectaccessreviews, { nameRule: 'none', validate: validateLocalSubjectAccessReview, create: (r, o) => subjectAccessReview(r, o) }),
];
