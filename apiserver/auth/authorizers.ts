// Authorizers that are not RBAC: the union that asks each in turn (kube-apiserver's
// --authorization-mode=Node,RBAC is such a chain), AlwaysAllow for clusters that do not authorize, and
// the system:masters short-circuit (k8s.io/apiserver's privileged group authorizer).
import { SystemPrivilegedGroup, type Attributes, type AuthorizationResult, type Authorizer } from './types';

export const alwaysAllow: Authorizer = { authorize: () => ({ decision: 'allow' }) };

/** Members of system:masters may do anything, whatever RBAC says. */
export const privilegedGroups: Authorizer = {
  authorize: (a) => ({ decision: a.user.groups.includes(SystemPrivilegedGroup) ? 'allow' : 'noOpinion' }),
};

/** The first authorizer with an opinion decides; none: denied, with every reason given. */
export function unionAuthorizer(authorizers: Authorizer[]): Authorizer {
  return {
    async authorize(a: Attributes): Promise<AuthorizationResult> {
      const reasons: string[] = [];
      for (const z of authorizers) {
        const r = await z.authorize(a);
        if (r.decision !== 'noOpinion') return r;
        if (r.reason) reasons.push(r.reason);
      }
      // kube's union joins the reasons with newlines.
      return { decision: 'noOpinion', reason: reasons.join('\n') || undefined };
    },
  };
}
