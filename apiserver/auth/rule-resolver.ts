// What a user may do in a namespace, as a list of rules (k8s.io/apiserver authorizer.RuleResolver): the
// answer of a SelfSubjectRulesReview (`kubectl auth can-i --list`). The authorizers that can enumerate
// their rules (RBAC, AlwaysAllow) implement it; the union asks each and marks the answer incomplete when
// one cannot (the Node authorizer).
import type { UserInfo } from './types';

/** authorization/v1 ResourceRule (kubernetes-types' own lacks verbs and resources). */
export interface ResourceRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
}

/** authorization/v1 NonResourceRule. */
export interface NonResourceRule {
  verbs: string[];
  nonResourceURLs?: string[];
}

export interface RulesForResult {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  /** Some authorizer's rules could not be listed: the user may be able to do more. */
  incomplete: boolean;
  /** Errors met while listing (a binding to a missing role). */
  error?: string;
}

export interface RuleResolver {
  rulesFor(user: UserInfo, namespace: string): RulesForResult;
}

/** AlwaysAllow's rules: everything. */
export const alwaysAllowRules: RuleResolver = {
  rulesFor: () => ({
    resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
    nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
    incomplete: false,
  }),
};

/** An authorizer whose rules cannot be listed: nothing, incomplete. */
export const unknownRules: RuleResolver = {
  rulesFor: () => ({ resourceRules: [], nonResourceRules: [], incomplete: true }),
};

/** The union of resolvers, in the order of the authorizer chain. */
export function unionRuleResolver(resolvers: RuleResolver[]): RuleResolver {
  return {
    rulesFor(user, namespace) {
      const out: RulesForResult = { resourceRules: [], nonResourceRules: [], incomplete: false };
      const errors: string[] = [];
      for (const r of resolvers) {
        const one = r.rulesFor(user, namespace);
        out.resourceRules.push(...one.resourceRules);
        out.nonResourceRules.push(...one.nonResourceRules);
        if (one.incomplete) out.incomplete = true;
        if (one.error) errors.push(one.error);
      }
      if (errors.length) out.error = errors.length === 1 ? errors[0] : `[${[...new Set(errors)].join(', ')}]`;
      return out;
    },
  };
}
