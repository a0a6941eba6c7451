import type { Namespace, Pod } from 'kubernetes-types/core/v1';
import type { NetworkPolicy, NetworkPolicySpec } from 'kubernetes-types/networking/v1';
import { AllowMark, computeNetworkPolicyRules, PolicyChainNames, podAddress, podFingerprint, policyTypes } from './network-policy-rules';

const tag = 'TEST';
const names = new PolicyChainNames(tag);
const mark = `MARK --set-xmark ${AllowMark}/${AllowMark}`;

function pod(namespace: string, name: string, ip: string | undefined, labels: Record<string, string>, extra: { node?: string; ports?: { name: string; containerPort: number; protocol?: string }[]; hostNetwork?: boolean; phase?: string } = {}): Pod {
  return {
    metadata: { namespace, name, labels },
    spec: { nodeName: extra.node ?? 'n1', hostNetwork: extra.hostNetwork, containers: [{ name: 'c', image: 'i', ports: extra.ports }] },
    status: { podIP: ip, phase: extra.phase ?? 'Running' },
  };
}

function ns(name: string, labels: Record<string, string> = {}): Namespace {
  return { metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

function policy(namespace: string, name: string, spec: NetworkPolicySpec): NetworkPolicy {
  return { metadata: { namespace, name }, spec };
}

const web = pod('default', 'web', '10.88.0.5', { app: 'web' }, { ports: [{ name: 'http', containerPort: 8080 }] });
const client = pod('default', 'client', '10.88.0.6', { app: 'client' });
const remote = pod('other', 'remote', '10.88.1.7', { app: 'client' }, { node: 'n2', ports: [{ name: 'http', containerPort: 9090 }] });
const namespaces = [ns('default'), ns('other', { team: 'a' })];

function compute(policies: NetworkPolicy[], pods: Pod[] = [web, client, remote]) {
  return computeNetworkPolicyRules({ policies, pods, namespaces, nodeName: 'n1', tag });
}

/** The rules of one chain, without the `-A CHAIN ` prefix. */
function rulesOf(rules: string[], chain: string): string[] {
  return rules.filter((r) => r.startsWith(`-A ${chain} `)).map((r) => r.slice(`-A ${chain} `.length));
}

const stripComments = (r: string) => r.replace(/-m comment --comment "[^"]*" ?/g, '').trim();

describe('computeNetworkPolicyRules', () => {
  it('without policies: only the FORWARD chain letting replies through', () => {
    const r = compute([]);
    expect(r.chains).toEqual([names.forward]);
    expect(r.rules.map(stripComments)).toEqual([`-A ${names.forward} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`]);
  });

  it('a deny-all ingress policy isolates the local pods it selects: itself allowed, the rest rejected', () => {
    const r = compute([policy('default', 'deny', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] })]);
    const chain = names.pod('ingress', 'default/web');
    expect(r.chains).toEqual([names.forward, chain]);
    expect(rulesOf(r.rules, names.forward).map(stripComments)).toEqual(['-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN', `-d 10.88.0.5/32 -j ${chain}`]);
    expect(rulesOf(r.rules, chain).map(stripComments)).toEqual([
      '-s 10.88.0.5/32 -j RETURN',
      `-j MARK --set-xmark 0x0/${AllowMark}`,
      `-m mark --mark ${AllowMark}/${AllowMark} -j RETURN`,
      '-j REJECT --reject-with icmp-port-unreachable',
    ]);
  });

  it('pods of other nodes, host-network pods and finished pods get no chain', () => {
    const deny = policy('other', 'deny', { podSelector: {}, policyTypes: ['Ingress'] });
    const host = pod('other', 'host', '192.168.0.2', {}, { hostNetwork: true });
    const done = pod('other', 'done', '10.88.0.9', {}, { phase: 'Succeeded' });
    const r = compute([deny], [remote, host, done]);
    expect(r.chains).toEqual([names.forward]);
  });

  it('a pod selector peer allows the matching pods of the policy namespace, on the given ports', () => {
    const allow = policy('default', 'allow', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ protocol: 'TCP', port: 8080 }, { protocol: 'UDP', port: 53, endPort: 60 }] }],
    });
    const r = compute([allow]);
    const chain = names.pod('ingress', 'default/web');
    const peers = names.peers('ingress', 'default/allow', 0);
    expect(rulesOf(r.rules, chain).map(stripComments).slice(2, 4)).toEqual([`-p tcp -m tcp --dport 8080 -j ${peers}`, `-p udp -m udp --dport 53:60 -j ${peers}`]);
    // Only the client of the same namespace: `remote` matches the labels but lives in another namespace.
    expect(rulesOf(r.rules, peers).map(stripComments)).toEqual([`-s 10.88.0.6/32 -j ${mark}`]);
  });

  it('namespace selectors pick pods by their namespace labels; with a pod selector, both must match', () => {
    const byNs = policy('default', 'ns', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } } }] }] });
    const both = policy('default', 'both', {
      podSelector: {},
      ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'client' } } }] }],
    });
    const r = compute([byNs, both]);
    expect(rulesOf(r.rules, names.peers('ingress', 'default/ns', 0)).map(stripComments)).toEqual([`-s 10.88.1.7/32 -j ${mark}`]);
    expect(rulesOf(r.rules, names.peers('ingress', 'default/both', 0)).map(stripComments)).toEqual([`-s 10.88.0.6/32 -j ${mark}`, `-s 10.88.1.7/32 -j ${mark}`]);
    // Both pods of n1 are selected by both policies; the peer chains are built once and shared.
    expect(r.chains.filter((c) => c === names.peers('ingress', 'default/ns', 0))).toHaveLength(1);
    expect(rulesOf(r.rules, names.pod('ingress', 'default/client')).map(stripComments)).toContain(`-j ${names.peers('ingress', 'default/both', 0)}`);
  });

  it('ipBlock peers: except ranges return before the CIDR marks; IPv6 blocks match nothing', () => {
    const p = policy('default', 'blocks', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ from: [{ ipBlock: { cidr: '172.16.0.0/12', except: ['172.17.0.0/16'] } }, { ipBlock: { cidr: '192.168.1.7/24' } }, { ipBlock: { cidr: 'fd00::/8' } }] }],
    });
    const r = compute([p]);
    const peers = names.peers('ingress', 'default/blocks', 0);
    const block = names.block('ingress', 'default/blocks', 0, 0);
    expect(rulesOf(r.rules, peers)).toEqual([`-s 172.16.0.0/12 -j ${block}`, `-s 192.168.1.0/24 -j ${mark}`]);
    expect(rulesOf(r.rules, block)).toEqual(['-s 172.17.0.0/16 -j RETURN', `-j ${mark}`]);
  });

  it('an ingress rule without peers or ports allows everything; a named port resolves on the selected pod', () => {
    const all = policy('default', 'all', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{}] });
    const named = policy('default', 'named', { podSelector: {}, ingress: [{ ports: [{ port: 'http' }] }] });
    const r = compute([all, named]);
    const webChain = rulesOf(r.rules, names.pod('ingress', 'default/web')).map(stripComments);
    expect(webChain).toContain(`-j ${mark}`);
    expect(webChain).toContain(`-p tcp -m tcp --dport 8080 -j ${mark}`);
    // The client has no port named http: the named rule adds nothing to its chain.
    expect(rulesOf(r.rules, names.pod('ingress', 'default/client')).map(stripComments)).toHaveLength(4);
  });

  it('egress: the source pod jumps to its egress chain first; named ports resolve on each peer pod', () => {
    const out = policy('default', 'out', {
      podSelector: { matchLabels: { app: 'client' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ namespaceSelector: {} }], ports: [{ port: 'http' }, { port: 53, protocol: 'UDP' }] }],
    });
    const deny = policy('default', 'deny', { podSelector: {}, policyTypes: ['Ingress'] });
    const r = compute([out, deny]);
    const egress = names.pod('egress', 'default/client');
    const forward = rulesOf(r.rules, names.forward).map(stripComments);
    // Egress of the sender before ingress of the receiver: both must allow.
    expect(forward[1]).toBe(`-s 10.88.0.6/32 -j ${egress}`);
    expect(forward.slice(2)).toEqual([`-d 10.88.0.6/32 -j ${names.pod('ingress', 'default/client')}`, `-d 10.88.0.5/32 -j ${names.pod('ingress', 'default/web')}`]);
    const peers = names.peers('egress', 'default/out', 0);
    const namedChain = names.namedPorts('default/out', 0);
    expect(rulesOf(r.rules, egress).map(stripComments)).toEqual([
      '-d 10.88.0.6/32 -j RETURN',
      `-j MARK --set-xmark 0x0/${AllowMark}`,
      `-p udp -m udp --dport 53 -j ${peers}`,
      `-j ${namedChain}`,
      `-m mark --mark ${AllowMark}/${AllowMark} -j RETURN`,
      '-j REJECT --reject-with icmp-port-unreachable',
    ]);
    expect(rulesOf(r.rules, peers).map(stripComments)).toEqual([`-d 10.88.0.6/32 -j ${mark}`, `-d 10.88.0.5/32 -j ${mark}`, `-d 10.88.1.7/32 -j ${mark}`]);
    expect(rulesOf(r.rules, namedChain).map(stripComments)).toEqual([`-d 10.88.0.5/32 -p tcp -m tcp --dport 8080 -j ${mark}`, `-d 10.88.1.7/32 -p tcp -m tcp --dport 9090 -j ${mark}`]);
  });

  it('many peer pods are grouped by /24 behind one rule per group (a connection walks groups, then one group)', () => {
    const peersOf = (n: number, third: number, from = 0) => Array.from({ length: n }, (_, i) => pod('default', `p${third}-${from + i}`, `10.82.${third}.${from + i + 1}`, { app: 'client' }, { node: `n-${third}` }));
    const many = [...peersOf(35, 0), ...peersOf(3, 1), ...peersOf(2, 2)];
    const allow = policy('default', 'allow', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }] });
    const r = compute([allow], [web, ...many]);
    const peers = names.peers('ingress', 'default/allow', 0);
    const g0 = names.peerGroup('ingress', 'default/allow', 0, '10.82.0.0/24');
    const g1 = names.peerGroup('ingress', 'default/allow', 0, '10.82.1.0/24');
    expect(rulesOf(r.rules, peers).map(stripComments)).toEqual([`-s 10.82.0.0/24 -j ${g0}`, `-s 10.82.1.0/24 -j ${g1}`, `-s 10.82.2.1/32 -j ${mark}`, `-s 10.82.2.2/32 -j ${mark}`]);
    expect(rulesOf(r.rules, g0)).toHaveLength(35);
    expect(rulesOf(r.rules, g1).map(stripComments)).toEqual([1, 2, 3].map((i) => `-s 10.82.1.${i}/32 -j ${mark}`));
    // Few peers: one by one, no groups.
    const few = compute([allow], [web, ...peersOf(3, 1)]);
    expect(rulesOf(few.rules, peers)).toHaveLength(3);
    expect(few.chains).not.toContain(g1);
  });

  it('is deterministic whatever the order of its input', () => {
    const a = policy('default', 'a', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] });
    const b = policy('default', 'b', { podSelector: {}, policyTypes: ['Ingress', 'Egress'], egress: [{ to: [{ namespaceSelector: {} }] }] });
    const one = computeNetworkPolicyRules({ policies: [a, b], pods: [web, client, remote], namespaces, nodeName: 'n1', tag });
    const two = computeNetworkPolicyRules({ policies: [b, a], pods: [remote, client, web], namespaces: [...namespaces].reverse(), nodeName: 'n1', tag });
    expect(two).toEqual(one);
  });

  it('chain names fit iptables (28 characters) and differ per pod, direction and rule', () => {
    const all = [names.forward, names.pod('ingress', 'a/b'), names.pod('egress', 'a/b'), names.peers('ingress', 'a/p', 0), names.peers('ingress', 'a/p', 1), names.block('egress', 'a/p', 0, 2), names.namedPorts('a/p', 0), names.peerGroup('egress', 'a/p', 0, '10.88.1.0/24')];
    for (const c of all) expect(c.length).toBeLessThanOrEqual(28);
    expect(new Set(all).size).toBe(all.length);
  });
});

describe('policy helpers', () => {
  it('policyTypes defaults as the apiserver does', () => {
    expect(policyTypes(policy('d', 'p', { podSelector: {} }))).toEqual({ ingress: true, egress: false });
    expect(policyTypes(policy('d', 'p', { podSelector: {}, egress: [{}] }))).toEqual({ ingress: true, egress: true });
    expect(policyTypes(policy('d', 'p', { podSelector: {}, policyTypes: ['Egress'] }))).toEqual({ ingress: false, egress: true });
  });

  it('podAddress and podFingerprint read only what rules use', () => {
    expect(podAddress(web)).toBe('10.88.0.5');
    expect(podAddress(pod('d', 'p', 'fd00::1', {}))).toBeUndefined();
    expect(podAddress(pod('d', 'p', undefined, {}))).toBeUndefined();
    const ready: Pod = { ...web, status: { ...web.status, conditions: [{ type: 'Ready', status: 'True' }] } };
    expect(podFingerprint(ready)).toBe(podFingerprint(web));
    expect(podFingerprint({ ...web, metadata: { ...web.metadata, labels: { app: 'other' } } })).not.toBe(podFingerprint(web));
    expect(podFingerprint({ ...web, status: { ...web.status, phase: 'Failed' } })).not.toBe(podFingerprint(web));
  });
});
