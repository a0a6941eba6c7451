// kube-apiserver's --authorization-mode: the authorizer chain an apiserver instance runs, built from the
// modes in order after the system:masters short-circuit (privilegedGroups → Node → RBAC for
// ['Node', 'RBAC']), with what each mode brings along: RBAC its policy kept from storage, the escalation
// check on RBAC writes and the default roles reconciled at start; Node the pod graph and the
// NodeRestriction admission plugin.
import { Resources } from '../../lib/api/resources';
import { bucketOf, keyOf } from '../registry/keys';
import type { Registry } from '../registry/registry';
import type { Storage } from '../storage/types';
import { alwaysAllow, privilegedGroups, unionAuthorizer } from './authorizers';
import { NodeAuthorizer } from './node/authorizer';
import { NodeGraph } from './node/graph';
import { nodeRestrictionPlugin } from './node/restriction';
import { RbacAuthorizer } from './rbac/authorizer';
import { rbacEscalationPlugin } from './rbac/escalation';
import { RbacPolicy } from './rbac/policy';
import { ensureBootstrapPolicy } from './rbac/reconcile';
import { alwaysAllowRules, type RuleResolver, unionRuleResolver } from './rule-resolver';
import type { AdmissionPlugin, Authorizer } from './types';

export const authorizationModes = ['AlwaysAllow', 'AlwaysDeny', 'Node', 'RBAC'] as const;
export type AuthorizationMode = (typeof authorizationModes)[number];

const alwaysDeny: Authorizer & RuleResolver = {
  authorize: () => ({ decision: 'deny' }),
  rulesFor: () => ({ resourceRules: [], nonResourceRules: [], incomplete: false }),
};

export interface Authorization {
  authorizer: Authorizer;
  ruleResolver: RuleResolver;
  /** Admission plugins that run before the caller's own (NodeRestriction). */
  admissionFirst: AdmissionPlugin[];
  /** Admission plugins that run after them (RBAC escalation checks, where kube checks in storage). */
  admissionLast: AdmissionPlugin[];
  /** The RBAC policy in memory (undefined without RBAC). */
  policy?: RbacPolicy;
  /** Creates and reconciles the default roles and bindings (RBAC only); once the registry is up. */
  bootstrap(registry: Registry, log?: (m: string) => void): Promise<void>;
  stop(): void;
}

/** Parses `Node,RBAC` (the flag's form) into modes; throws on an unknown or repeated mode. */
export function parseAuthorizationModes(value: string | readonly string[]): AuthorizationMode[] {
  const modes = (typeof value === 'string' ? value.split(',') : [...value]).map((m) => m.trim()).filter(Boolean);
  if (modes.length === 0) throw new Error('at least one authorization-mode must be passed');
  const seen = new Set<string>();
  for (const m of modes) {
    if (!(authorizationModes as readonly string[]).includes(m)) throw new Error(`authorization-mode ${JSON.stringify(m)} is not a valid mode (${authorizationModes.join(', ')})`);
    if (seen.has(m)) throw new Error(`authorization-mode ${JSON.stringify(modes.join(','))} has mode specified more than once`);
    seen.add(m);
  }
  return modes as AuthorizationMode[];
}

export interface AuthorizationSetupOptions {
  /** Run NodeRestriction (default: when the Node mode is on, as kubeadm enables it). */
  nodeRestriction?: boolean;
}

/** Builds the chain for the modes, loading RBAC's policy and the node graph from storage. */
export async function setupAuthorization(modes: readonly AuthorizationMode[], storage: Storage, o: AuthorizationSetupOptions = {}): Promise<Authorization> {
  parseAuthorizationModes(modes);
  const authorizers: Authorizer[] = [privilegedGroups];
  const resolvers: RuleResolver[] = [];
  const admissionFirst: AdmissionPlugin[] = [];
  const admissionLast: AdmissionPlugin[] = [];
  const stops: Array<() => void> = [];
  let policy: RbacPolicy | undefined;
  let chain: Authorizer | undefined;
  for (const mode of modes) {
    switch (mode) {
      case 'AlwaysAllow':
        authorizers.push(alwaysAllow);
        resolvers.push(alwaysAllowRules);
        break;
      case 'AlwaysDeny':
        authorizers.push(alwaysDeny);
        resolvers.push(alwaysDeny);
        break;
      case 'Node': {
        const graph = await NodeGraph.load(storage);
        stops.push(() => graph.stop());
        const node = new NodeAuthorizer(graph);
        authorizers.push(node);
        resolvers.push(node);
        if (o.nodeRestriction ?? true) {
          const pods = Resources.pods;
          admissionFirst.push(nodeRestrictionPlugin({ getPod: async (ns, name) => (await storage.get(bucketOf(pods), keyOf(pods, ns, name)))?.obj }));
        }
        break;
      }
      case 'RBAC': {
        policy = await RbacPolicy.load(storage);
        const p = policy;
        stops.push(() => p.stop());
        const rbac = new RbacAuthorizer(policy);
        authorizers.push(rbac);
        resolvers.push(rbac);
        admissionLast.push(rbacEscalationPlugin({ authorizer: () => chain!, policy }));
        break;
      }
    }
  }
  chain = unionAuthorizer(authorizers);
  const rbacPolicy = policy;
  return {
    authorizer: chain,
    ruleResolver: unionRuleResolver(resolvers),
    admissionFirst,
    admissionLast,
    policy,
    async bootstrap(registry, log) {
      if (rbacPolicy) await ensureBootstrapPolicy(registry, log);
    },
    stop() {
      for (const s of stops) s();
    },
  };
}
