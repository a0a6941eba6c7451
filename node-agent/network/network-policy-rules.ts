// The network policy enforcer's pure core: from NetworkPolicies, every pod and namespace, the filter
// table chains that make this node's pods obey them (what kube-router's or Calico's policy agent does
// for the kubelet's node), as the input of one `iptables-restore --noflush` of only its own chains.
//
// Layout (kube-router's): FORWARD jumps first to STEER-NP-<tag>-FORWARD, which lets replies of
// accepted connections through and sends a new connection from a pod isolated for egress to that pod's
// egress chain (E-…) and one to a pod isolated for ingress to its ingress chain (I-…). A pod chain marks
// the packet when some rule of some policy selecting the pod allows it, RETURNs marked packets (the rest
// of FORWARD then decides as before: CNI's firewall, the service proxy) and REJECTs the rest, so a
// client learns at once that it is refused. A rule's peers (pods by selector, ipBlocks with their
// except ranges) live in one chain per rule (R-…, B-… per ipBlock) that every pod the policy selects
// jumps to, after its port match; named ports resolve on the selected pod for ingress and on each peer
// pod for egress (N-…). Pods on other nodes are peers only: each node programs its own pods.
// A pod may always reach itself, and traffic from or to the node's own addresses never passes FORWARD,
// so the node's probes are never refused (as Kubernetes requires). IPv4 only.
import type { Namespace, Pod } from 'kubernetes-types/core/v1';
import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from 'kubernetes-types/networking/v1';
import { canonicalIPv4Cidr, isIPv4 } from '../../lib/api/ip';
import { type LabelRequirement, matchesLabels, selectorFromLabelSelector } from '../../lib/api/selectors';
import { objectKey } from '../../lib/client/informer';
import { hashedId, type HookRule } from './proxy-rules';

/** The bit a rule's match sets and a pod chain's end reads (kube-router's; kube-proxy uses 0x4000/0x8000). */
export const AllowMark = '0x10000';

/** The chain names of one instance; all start with `STEER-NP-<tag>-` (at most 28 characters). */
export class PolicyChainNames {
  readonly prefix: string;
  readonly forward: string;

  constructor(readonly tag: string) {
    this.prefix = `STEER-NP-${tag}-`;
    this.forward = `${this.prefix}FORWARD`;
  }

  private hashed(kind: string, id: string): string {
    return `${this.prefix}${kind}-${hashedId(`${this.tag}/${kind}/${id}`, 11)}`;
  }

  /** A pod's ingress (I) or egress (E) chain. */
  pod(direction: Direction, podKey: string): string {
    return this.hashed(direction === 'ingress' ? 'I' : 'E', podKey);
  }

  /** The peers of one rule of a policy. */
  peers(direction: Direction, policyKey: string, rule: number): string {
    return this.hashed('R', `${direction}/${policyKey}/${rule}`);
  }

  /** One ipBlock peer of a rule: its except ranges return before its CIDR marks. */
  block(direction: Direction, policyKey: string, rule: number, peer: number): string {
    return this.hashed('B', `${direction}/${policyKey}/${rule}/${peer}`);
  }

  /** The peer pods of a rule within one /24 (a node's pod CIDR, usually): see groupedPeerRules. */
  peerGroup(direction: Direction, policyKey: string, rule: number, prefix: string): string {
    return this.hashed('G', `${direction}/${policyKey}/${rule}/${prefix}`);
  }

  /** An egress rule's named ports, resolved on each peer pod. */
  namedPorts(policyKey: string, rule: number): string {
    return this.hashed('N', `${policyKey}/${rule}`);
  }
}

export type Direction = 'ingress' | 'egress';

/** The jump from FORWARD; the enforcer keeps it first, before the proxy's and CNI's accepts. */
export function policyHookRule(names: PolicyChainNames): HookRule {
  return { table: 'filter', chain: 'FORWARD', args: ['-m', 'comment', '--comment', 'steer network policies', '-j', names.forward] };
}

export interface PolicyRulesInput {
  policies: NetworkPolicy[];
  /** Every pod of the cluster: peers may run anywhere. */
  pods: Pod[];
  namespaces: Namespace[];
  /** This node: only its pods get chains. */
  nodeName: string;
  tag: string;
}

export interface PolicyRules {
  chains: string[];
  rules: string[];
}

/** A pod as policies see it: its address, or undefined when it has none they could match. */
export function podAddress(pod: Pod): string | undefined {
  if (pod.spec?.hostNetwork) return undefined;
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  const ip = pod.status?.podIP;
  return ip && isIPv4(ip) ? ip : undefined;
}

/** What of a pod the rules read: a change elsewhere (status conditions, restarts) needs no sync. */
export function podFingerprint(pod: Pod): string {
  const ports = (pod.spec?.containers || []).flatMap((c) => (c.ports || []).map((p) => `${p.name ?? ''}/${p.protocol ?? 'TCP'}/${p.containerPort}`));
  return JSON.stringify([podAddress(pod) ?? '', pod.spec?.nodeName ?? '', pod.metadata?.labels ?? {}, ports]);
}

/** The policy types a policy has, defaulted as the apiserver does when unset. */
export function policyTypes(policy: NetworkPolicy): { ingress: boolean; egress: boolean } {
  const types = policy.spec?.policyTypes;
  if (!types || types.length === 0) return { ingress: true, egress: (policy.spec?.egress?.length ?? 0) > 0 };
  return { ingress: types.includes('Ingress'), egress: types.includes('Egress') };
}

interface ResolvedPod {
  pod: Pod;
  key: string;
  ip: string;
  namespace: string;
  labels: Record<string, string>;
}

/** One port match of a rule: `-p proto` with an optional destination port or range. */
interface PortMatch {
  protocol: string;
  port?: string;
}

/** Code-unit order (not locale order): the same objects always give the same text, which the enforcer compares. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, '')}"`;
}

function portMatchArgs(m: PortMatch): string {
  return m.port === undefined ? `-p ${m.protocol}` : `-p ${m.protocol} -m ${m.protocol} --dport ${m.port}`;
}

/** A named port of a pod's containers for this protocol, or undefined. */
function namedPort(pod: Pod, name: string, protocol: string): number | undefined {
  for (const c of pod.spec?.containers || []) {
    for (const p of c.ports || []) if (p.name === name && (p.protocol || 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

function protocolOf(p: NetworkPolicyPort): string {
  return p.protocol || 'TCP';
}

/**
 * A rule's numeric port matches, and its named ports left for the caller. An empty `ports` list
 * matches every port of every protocol: one match without a protocol.
 */
function splitPorts(ports: NetworkPolicyPort[] | undefined): { numeric: PortMatch[]; named: { name: string; protocol: string }[]; any: boolean } {
  if (!ports || ports.length === 0) return { numeric: [], named: [], any: true };
  const numeric: PortMatch[] = [];
  const named: { name: string; protocol: string }[] = [];
  for (const p of ports) {
    const protocol = protocolOf(p);
    if (p.port === undefined) numeric.push({ protocol: protocol.toLowerCase() });
    else if (typeof p.port === 'number') numeric.push({ protocol: protocol.toLowerCase(), port: p.endPort !== undefined && p.endPort >= p.port ? `${p.port}:${p.endPort}` : String(p.port) });
    else if (/^\d+$/.test(p.port)) numeric.push({ protocol: protocol.toLowerCase(), port: p.port });
    else named.push({ name: p.port, protocol });
  }
  return { numeric, named, any: false };
}

class Builder {
  readonly names: PolicyChainNames;
  readonly chains: string[] = [];
  readonly rules: string[] = [];
  private readonly built = new Set<string>();
  private readonly podsByNamespace = new Map<string, ResolvedPod[]>();
  private readonly namespaceLabels = new Map<string, Record<string, string>>();
  private readonly allPods: ResolvedPod[] = [];

  constructor(input: PolicyRulesInput) {
    this.names = new PolicyChainNames(input.tag);
    for (const ns of input.namespaces) this.namespaceLabels.set(ns.metadata?.name ?? '', ns.metadata?.labels ?? {});
    for (const pod of input.pods) {
      const ip = podAddress(pod);
      if (!ip) continue;
      const namespace = pod.metadata?.namespace ?? '';
      const r: ResolvedPod = { pod, key: objectKey(pod), ip, namespace, labels: pod.metadata?.labels ?? {} };
      this.allPods.push(r);
      const list = this.podsByNamespace.get(namespace);
      if (list) list.push(r);
      else this.podsByNamespace.set(namespace, [r]);
    }
    this.allPods.sort((a, b) => compareKeys(a.key, b.key));
    for (const list of this.podsByNamespace.values()) list.sort((a, b) => compareKeys(a.key, b.key));
  }

  chain(name: string): boolean {
    if (this.built.has(name)) return false;
    this.built.add(name);
    this.chains.push(name);
    return true;
  }

  podsOf(namespace: string): ResolvedPod[] {
    return this.podsByNamespace.get(namespace) ?? [];
  }

  /** The pods a peer selects (undefined for an ipBlock peer), in the policy's namespace unless it names namespaces. */
  peerPods(peer: NetworkPolicyPeer, policyNamespace: string): ResolvedPod[] | undefined {
    if (peer.ipBlock) return undefined;
    const podSel: LabelRequirement[] = selectorFromLabelSelector(peer.podSelector ?? {});
    if (!peer.namespaceSelector) return this.podsOf(policyNamespace).filter((p) => matchesLabels(podSel, p.labels));
    const nsSel = selectorFromLabelSelector(peer.namespaceSelector);
    const out: ResolvedPod[] = [];
    for (const p of this.allPods) {
      if (matchesLabels(nsSel, this.namespaceLabels.get(p.namespace) ?? { 'kubernetes.io/metadata.name': p.namespace }) && matchesLabels(podSel, p.labels)) out.push(p);
    }
    return out;
  }
}

/** The pure core: this node's policy chains and rules for these policies, pods and namespaces. */
export function computeNetworkPolicyRules(input: PolicyRulesInput): PolicyRules {
  const b = new Builder(input);
  const names = b.names;
  b.chain(names.forward);
  const forwardRules = [`-A ${names.forward} -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "replies of allowed connections" -j RETURN`];
  const policies = [...input.policies].sort((x, y) => compareKeys(objectKey(x), objectKey(y)));
  const selectors = new Map(policies.map((p) => [p, selectorFromLabelSelector(p.spec?.podSelector ?? {})]));
  const local = input.pods.filter((p) => p.spec?.nodeName === input.nodeName && podAddress(p));
  local.sort((x, y) => compareKeys(objectKey(x), objectKey(y)));
  const egressJumps: string[] = [];
  const ingressJumps: string[] = [];
  const podRules: string[] = [];
  for (const pod of local) {
    const ip = podAddress(pod)!;
    const key = objectKey(pod);
    const namespace = pod.metadata?.namespace ?? '';
    const selecting = policies.filter((p) => (p.metadata?.namespace ?? '') === namespace && matchesLabels(selectors.get(p)!, pod.metadata?.labels ?? {}));
    for (const direction of ['egress', 'ingress'] as const) {
      const applying = selecting.filter((p) => policyTypes(p)[direction]);
      if (applying.length === 0) continue;
      const chain = names.pod(direction, key);
      b.chain(chain);
      const jump = `-A ${names.forward} ${direction === 'ingress' ? '-d' : '-s'} ${ip}/32 -m comment --comment ${quote(`${key} ${direction}`)} -j ${chain}`;
      (direction === 'ingress' ? ingressJumps : egressJumps).push(jump);
      podRules.push(`-A ${chain} ${direction === 'ingress' ? '-s' : '-d'} ${ip}/32 -m comment --comment "a pod may reach itself" -j RETURN`);
      podRules.push(`-A ${chain} -j MARK --set-xmark 0x0/${AllowMark}`);
      for (const policy of applying) podRules.push(...policyJumps(b, chain, direction, policy, pod));
      podRules.push(`-A ${chain} -m mark --mark ${AllowMark}/${AllowMark} -j RETURN`);
      podRules.push(`-A ${chain} -m comment --comment ${quote(`${key}: no network policy allows this ${direction}`)} -j REJECT --reject-with icmp-port-unreachable`);
    }
  }
  return { chains: b.chains, rules: [...forwardRules, ...egressJumps, ...ingressJumps, ...podRules, ...b.rules] };
}

/** A pod chain's jumps for one policy: per rule, each port match to the rule's peers (or the mark). */
function policyJumps(b: Builder, podChain: string, direction: Direction, policy: NetworkPolicy, pod: Pod): string[] {
  const out: string[] = [];
  const policyKey = objectKey(policy);
  const rules = (direction === 'ingress' ? policy.spec?.ingress : policy.spec?.egress) ?? [];
  const mark = `MARK --set-xmark ${AllowMark}/${AllowMark}`;
  rules.forEach((rule, i) => {
    const peers = (direction === 'ingress' ? (rule as { from?: NetworkPolicyPeer[] }).from : (rule as { to?: NetworkPolicyPeer[] }).to) ?? [];
    const comment = `-m comment --comment ${quote(`${policyKey} ${direction} rule ${i}`)}`;
    const target = peers.length === 0 ? mark : peersChain(b, direction, policyKey, i, peers, policy.metadata?.namespace ?? '');
    const { numeric, named, any } = splitPorts(rule.ports);
    if (any) out.push(`-A ${podChain} ${comment} -j ${target}`);
    for (const m of numeric) out.push(`-A ${podChain} ${portMatchArgs(m)} ${comment} -j ${target}`);
    if (named.length === 0) return;
    if (direction === 'ingress') {
      // Ingress: the port is the selected pod's own.
      for (const n of named) {
        const port = namedPort(pod, n.name, n.protocol);
        if (port !== undefined) out.push(`-A ${podChain} ${portMatchArgs({ protocol: n.protocol.toLowerCase(), port: String(port) })} ${comment} -j ${target}`);
      }
    } else {
      out.push(`-A ${podChain} ${comment} -j ${namedPortsChain(b, policyKey, i, peers, named, policy.metadata?.namespace ?? '')}`);
    }
  });
  return out;
}

/** The chain of one rule's peers: pods' addresses and ipBlocks, each marking what it allows. */
function peersChain(b: Builder, direction: Direction, policyKey: string, rule: number, peers: NetworkPolicyPeer[], namespace: string): string {
  const chain = b.names.peers(direction, policyKey, rule);
  if (!b.chain(chain)) return chain;
  const addr = direction === 'ingress' ? '-s' : '-d';
  const podPeers = new Map<string, ResolvedPod>();
  peers.forEach((peer, j) => {
    const pods = b.peerPods(peer, namespace);
    if (pods) {
      for (const p of pods) if (!podPeers.has(p.ip)) podPeers.set(p.ip, p);
      return;
    }
    const cidr = peer.ipBlock ? canonicalIPv4Cidr(peer.ipBlock.cidr) : undefined;
    if (!cidr) return; // an IPv6 block: this IPv4 enforcer has nothing to match
    const except = (peer.ipBlock!.except ?? []).map((e) => canonicalIPv4Cidr(e)).filter((e): e is string => !!e);
    if (except.length === 0) {
      b.rules.push(`-A ${chain} ${addr} ${cidr} -j MARK --set-xmark ${AllowMark}/${AllowMark}`);
      return;
    }
    const block = b.names.block(direction, policyKey, rule, j);
    b.chain(block);
    b.rules.push(`-A ${chain} ${addr} ${cidr} -j ${block}`);
    for (const e of except) b.rules.push(`-A ${block} ${addr} ${e} -j RETURN`);
    b.rules.push(`-A ${block} -j MARK --set-xmark ${AllowMark}/${AllowMark}`);
  });
  groupedPeerRules(b, chain, addr, [...podPeers.values()], (prefix) => b.names.peerGroup(direction, policyKey, rule, prefix));
  return chain;
}

/** Below this many peer pods a rule's chain lists them one by one. */
const GROUP_ABOVE = 32;

/**
 * A rule's peer pods. iptables matches a chain's rules one after another, so a new connection from
 * the last of N peers walks N rules (5,000 peers: 3× a bare connect in bench/network-policy.ts). Many
 * peers are grouped by /24 — a node's pod CIDR, usually — each group in a chain of its own behind one
 * `-s prefix/24` rule, so a connection walks the groups and then one group's pods.
 */
function groupedPeerRules(b: Builder, chain: string, addr: string, pods: ResolvedPod[], groupChain: (prefix: string) => string): void {
  const mark = `-j MARK --set-xmark ${AllowMark}/${AllowMark}`;
  const rule = (c: string, p: ResolvedPod) => `-A ${c} ${addr} ${p.ip}/32 -m comment --comment ${quote(p.key)} ${mark}`;
  if (pods.length <= GROUP_ABOVE) {
    for (const p of pods) b.rules.push(rule(chain, p));
    return;
  }
  const groups = new Map<string, ResolvedPod[]>();
  for (const p of pods) {
    const prefix = `${p.ip.slice(0, p.ip.lastIndexOf('.'))}.0/24`;
    const list = groups.get(prefix);
    if (list) list.push(p);
    else groups.set(prefix, [p]);
  }
  for (const [prefix, members] of groups) {
    if (members.length <= 2) {
      for (const p of members) b.rules.push(rule(chain, p));
      continue;
    }
    const group = groupChain(prefix);
    b.chain(group);
    b.rules.push(`-A ${chain} ${addr} ${prefix} -j ${group}`);
    for (const p of members) b.rules.push(rule(group, p));
  }
}

/**
 * An egress rule's named ports: each peer pod (every pod of the cluster when the rule names no peer)
 * with a container port of that name and protocol, at that port. ipBlock peers have no named ports.
 */
function namedPortsChain(b: Builder, policyKey: string, rule: number, peers: NetworkPolicyPeer[], named: { name: string; protocol: string }[], namespace: string): string {
  const chain = b.names.namedPorts(policyKey, rule);
  if (!b.chain(chain)) return chain;
  const candidates = new Map<string, ResolvedPod>();
  const lists = peers.length === 0 ? [b.peerPods({ namespaceSelector: {} }, namespace)!] : peers.map((p) => b.peerPods(p, namespace) ?? []);
  for (const list of lists) for (const p of list) if (!candidates.has(p.key)) candidates.set(p.key, p);
  for (const p of [...candidates.values()].sort((x, y) => compareKeys(x.key, y.key))) {
    for (const n of named) {
      const port = namedPort(p.pod, n.name, n.protocol);
      if (port === undefined) continue;
      b.rules.push(`-A ${chain} -d ${p.ip}/32 ${portMatchArgs({ protocol: n.protocol.toLowerCase(), port: String(port) })} -m comment --comment ${quote(`${p.key}:${n.name}`)} -j MARK --set-xmark ${AllowMark}/${AllowMark}`);
    }
  }
  return chain;
}
