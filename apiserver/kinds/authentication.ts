// The strategies of authentication.k8s.io/v1's create-only reviews, answered and never stored
// (pkg/registry/authentication): TokenReview runs the apiserver's own token authenticators on a token a
// delegating component was shown (the node agent's and the schedulers' webhook token authentication);
// SelfSubjectReview tells the caller who the apiserver takes them for (`kubectl auth whoami`).
import type { SelfSubjectReview, TokenReview } from 'kubernetes-types/authentication/v1';
import { Resources } from '../../lib/api/resources';
import { reviewToken } from '../auth/token-review';
import type { UserInfo } from '../auth/types';
import { errors } from '../errors';
import type { KObj } from '../storage/types';
import { defineKind, KindStrategy } from './strategy';

/** user.Info as authentication/v1 UserInfo (username, uid, groups, extra; empty fields left out). */
function userInfoJSON(u: UserInfo): NonNullable<NonNullable<TokenReview['status']>['user']> {
  return {
    username: u.name,
    ...(u.uid ? { uid: u.uid } : {}),
    ...(u.groups.length ? { groups: [...u.groups] } : {}),
    ...(u.extra && Object.keys(u.extra).length ? { extra: u.extra } : {}),
  };
}

/** A review's answer: the request's spec with the status filled in, metadata as Kubernetes echoes it. */
function answer(obj: KObj, status: unknown): KObj {
  return { ...obj, metadata: { ...obj.metadata, creationTimestamp: null }, status } as KObj;
}

export const authenticationKinds: KindStrategy[] = [
  defineKind<TokenReview>(Resources.tokenreviews, {
    async create(registry, obj) {
      const review = obj as unknown as TokenReview;
      const token = review.spec?.token ?? '';
      if (!token) throw errors.badRequest('token is required for TokenReview in authentication');
      const r = await reviewToken(registry, token, review.spec?.audiences);
      const status: NonNullable<TokenReview['status']> = r.authenticated && r.user
        ? { authenticated: true, user: userInfoJSON(r.user), ...(r.audiences?.length ? { audiences: r.audiences } : {}) }
        : { user: {}, ...(r.error ? { error: r.error } : {}) };
      return answer(obj, status);
    },
  }),
  defineKind<SelfSubjectReview>(Resources.selfsubjectreviews, {
    async create(_registry, obj, ctx) {
      // Internal callers have no request user; a review always comes over HTTP with one.
      const user = ctx.user ?? { name: '', groups: [] };
      return answer(obj, { userInfo: userInfoJSON(user) } satisfies SelfSubjectReview['status']);
    },
  }),
];
