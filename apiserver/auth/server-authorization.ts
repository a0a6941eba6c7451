// Which authorizer and rule resolver an apiserver instance runs with, found from its registry: the
// access reviews (kinds/authorization.ts) are strategies shared by every instance in a process, so they
// look the instance's authorization up here rather than hold it. An instance that attached none answers
// as AlwaysAllow, as its open API does.
import { alwaysAllow } from './authorizers';
import { alwaysAllowRules, type RuleResolver } from './rule-resolver';
import type { Authorizer } from './types';

export interface ServerAuthorization {
  /** The whole chain a request goes through (system:masters, Node, RBAC, ...). */
  authorizer: Authorizer;
  /** What SelfSubjectRulesReview lists. */
  ruleResolver: RuleResolver;
}

const byServer = new WeakMap<object, ServerAuthorization>();
const open: ServerAuthorization = { authorizer: alwaysAllow, ruleResolver: alwaysAllowRules };

/** Attaches an instance's authorization to its registry (startApiServer does, before serving). */
export function attachAuthorization(registry: object, authorization: ServerAuthorization): void {
  byServer.set(registry, authorization);
}

export function authorizationOf(registry: object): ServerAuthorization {
  return byServer.get(registry) ?? open;
}
