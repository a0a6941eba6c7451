// The RBAC authorizer (plugin/pkg/auth/authorizer/rbac): a request is allowed when a rule of a binding
// of its user or one of its groups allows it; otherwise it has no opinion (RBAC never denies outright),
// with the errors met resolving roles as its reason. Allowed requests carry kube's reason
// (`RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to Group "z"`), which audit records.
import type { Attributes, AuthorizationResult, Authorizer, UserInfo } from '../types';
import type { RuleResolver, RulesForResult } from '../rule-resolver';
import { aggregateMessage, describeSource, type RbacPolicy, type RuleSource } from './policy';
import { ruleAllows } from './rules';

export class RbacAuthorizer implements Authorizer, RuleResolver {
  constructor(readonly policy: RbacPolicy) {}

  authorize(a: Attributes): AuthorizationResult {
    let allowedBy: RuleSource | undefined;
    let errors: Error[] | undefined;
    this.policy.visitRulesFor(a.user, a.namespace, (source, rule, err) => {
      if (rule && source && ruleAllows(a, rule)) {
        allowedBy = source;
        return false;
      }
      if (err) (errors ??= []).push(err);
      return true;
    });
    if (allowedBy) return { decision: 'allow', reason: `RBAC: allowed by ${describeSource(allowedBy)}` };
    return { decision: 'noOpinion', reason: errors ? `RBAC: ${aggregateMessage(errors)}` : undefined };
  }

  rulesFor(user: UserInfo, namespace: string): RulesForResult {
    const { rules, errors } = this.policy.rulesFor(user, namespace);
    return {
      resourceRules: rules.filter((r) => r.resources?.length).map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups, resources: r.resources, resourceNames: r.resourceNames })),
      nonResourceRules: rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs })),
      incomplete: false,
      error: errors.length ? aggregateMessage(errors) : undefined,
    };
  }
}
