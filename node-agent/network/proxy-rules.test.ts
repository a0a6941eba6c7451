import type { Endpoints, Service } from 'kubernetes-types/core/v1';
import { ChainNames, chainsInSave, chainTag, computeProxyRules, endpointsFor, hookRules, recordedRouteLocalnet, restoreInput } from './proxy-rules';

const tag = 'TEST';
const names = new ChainNames(tag);

function svc(name: string, spec: Service['spec']): Service {
  return { metadata: { name, namespace: 'default' }, spec };
}

function eps(name: string, ips: string[], port: number, portName?: string, notReady: string[] = []): Endpoints {
  return {
    metadata: { name, namespace: 'default' },
    subsets: [{ addresses: ips.map((ip) => ({ ip })), notReadyAddresses: notReady.map((ip) => ({ ip })), ports: [{ port, protocol: 'TCP', ...(portName ? { name: portName } : {}) }] }],
  };
}

const web = svc('web', { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] });
const svcChain = names.svc('default/web/tcp');
const sep = (ip: string) => names.sep('default/web/tcp', `${ip}:8080`);

describe('computeProxyRules', () => {
  it('a ClusterIP service with three endpoints: SERVICES → SVC (statistic) → SEP (DNAT)', () => {
    const rules = computeProxyRules([web], [eps('web', ['10.88.0.3', '10.88.0.2', '10.88.0.10'], 8080)], { tag, clusterCIDR: '10.88.0.0/16' });
    const [a, b, c] = ['10.88.0.2', '10.88.0.3', '10.88.0.10'];
    expect(rules.nat.chains).toEqual([names.services, names.nodePorts, names.postrouting, names.markMasq, svcChain, sep(a), sep(b), sep(c)]);
    expect(rules.nat.rules).toEqual([
      `-A STEER-TEST-MARK-MASQ -j MARK --or-mark 0x4000`,
      `-A STEER-TEST-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN`,
      `-A STEER-TEST-POSTROUTING -j MARK --xor-mark 0x4000`,
      `-A STEER-TEST-POSTROUTING -m comment --comment "steer service traffic requiring SNAT" -j MASQUERADE --random-fully`,
      `-A STEER-TEST-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m comment --comment "default/web cluster IP" -j ${svcChain}`,
      `-A ${svcChain} ! -s 10.88.0.0/16 -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -m comment --comment "default/web cluster IP" -j STEER-TEST-MARK-MASQ`,
      `-A ${svcChain} -m comment --comment "default/web -> ${a}:8080" -m statistic --mode random --probability 0.3333333333 -j ${sep(a)}`,
      `-A ${svcChain} -m comment --comment "default/web -> ${b}:8080" -m statistic --mode random --probability 0.5000000000 -j ${sep(b)}`,
      `-A ${svcChain} -m comment --comment "default/web -> ${c}:8080" -j ${sep(c)}`,
      `-A ${sep(a)} -s ${a}/32 -m comment --comment "default/web" -j STEER-TEST-MARK-MASQ`,
      `-A ${sep(a)} -p tcp -m comment --comment "default/web" -m tcp -j DNAT --to-destination ${a}:8080`,
      `-A ${sep(b)} -s ${b}/32 -m comment --comment "default/web" -j STEER-TEST-MARK-MASQ`,
      `-A ${sep(b)} -p tcp -m comment --comment "default/web" -m tcp -j DNAT --to-destination ${b}:8080`,
      `-A ${sep(c)} -s ${c}/32 -m comment --comment "default/web" -j STEER-TEST-MARK-MASQ`,
      `-A ${sep(c)} -p tcp -m comment --comment "default/web" -m tcp -j DNAT --to-destination ${c}:8080`,
      `-A STEER-TEST-SERVICES -m comment --comment "steer service nodeports; this must be the last rule in this chain" ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j STEER-TEST-NODEPORTS`,
    ]);
    expect(rules.filter.rules).toEqual([
      `-A STEER-TEST-FORWARD -m comment --comment "steer forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT`,
      `-A STEER-TEST-FORWARD -m comment --comment "steer forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    ]);
  });

  it('a NodePort service: NODEPORTS → EXT (masquerade) → SVC; localhost NodePorts get the martian guard', () => {
    const np = svc('np', { type: 'NodePort', clusterIP: '10.96.0.11', ports: [{ name: 'http', port: 80, nodePort: 30080, protocol: 'TCP' }] });
    const rules = computeProxyRules([np], [eps('np', ['10.88.0.2'], 80, 'http')], { tag, localhostNodePorts: true });
    const id = 'default/np:http/tcp';
    const ext = names.ext(id);
    const s = names.svc(id);
    expect(rules.nat.rules).toEqual(
      expect.arrayContaining([
        `-A STEER-TEST-NODEPORTS -p tcp -m tcp --dport 30080 -m comment --comment "default/np:http" -j ${ext}`,
        `-A ${ext} -m comment --comment "masquerade traffic for default/np:http external destinations" -j STEER-TEST-MARK-MASQ`,
        `-A ${ext} -j ${s}`,
        // No cluster CIDR known: every ClusterIP connection is masqueraded.
        `-A ${s} -d 10.96.0.11/32 -p tcp -m tcp --dport 80 -m comment --comment "default/np:http cluster IP" -j STEER-TEST-MARK-MASQ`,
      ]),
    );
    expect(rules.nat.rules[rules.nat.rules.length - 1]).toBe(
      `-A STEER-TEST-SERVICES -m comment --comment "steer service nodeports; this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j STEER-TEST-NODEPORTS`,
    );
    expect(rules.filter.chains).toContain(names.firewall);
    expect(rules.filter.rules).toContain(
      `-A STEER-TEST-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`,
    );
  });

  it('no ready endpoints: REJECT in filter for the ClusterIP and the NodePort, no nat chains', () => {
    const np = svc('np', { type: 'NodePort', clusterIP: '10.96.0.11', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] });
    const rules = computeProxyRules([np], [eps('np', [], 80, undefined, ['10.88.0.9'])], { tag });
    expect(rules.nat.chains).toEqual([names.services, names.nodePorts, names.postrouting, names.markMasq]);
    expect(rules.filter.rules.slice(0, 2)).toEqual([
      `-A STEER-TEST-SERVICES -d 10.96.0.11/32 -p tcp -m tcp --dport 80 -m comment --comment "default/np has no endpoints" -j REJECT --reject-with icmp-port-unreachable`,
      `-A STEER-TEST-SERVICES -m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 -m comment --comment "default/np has no endpoints" -j REJECT --reject-with icmp-port-unreachable`,
    ]);
  });

  it('sessionAffinity ClientIP: recent-match rules first, --set in the SEP', () => {
    const sticky = svc('web', { ...web.spec, sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } });
    const rules = computeProxyRules([sticky], [eps('web', ['10.88.0.2', '10.88.0.3'], 8080)], { tag, clusterCIDR: '10.88.0.0/16' });
    const svcRules = rules.nat.rules.filter((r) => r.startsWith(`-A ${svcChain} `));
    expect(svcRules.slice(1, 3)).toEqual([
      `-A ${svcChain} -m comment --comment "default/web -> 10.88.0.2:8080" -m recent --name ${sep('10.88.0.2')} --mask 255.255.255.255 --rsource --rcheck --seconds 60 --reap -j ${sep('10.88.0.2')}`,
      `-A ${svcChain} -m comment --comment "default/web -> 10.88.0.3:8080" -m recent --name ${sep('10.88.0.3')} --mask 255.255.255.255 --rsource --rcheck --seconds 60 --reap -j ${sep('10.88.0.3')}`,
    ]);
    expect(rules.nat.rules).toContain(
      `-A ${sep('10.88.0.2')} -p tcp -m comment --comment "default/web" -m recent --name ${sep('10.88.0.2')} --mask 255.255.255.255 --rsource --set -m tcp -j DNAT --to-destination 10.88.0.2:8080`,
    );
  });

  it('skips headless, ExternalName and IP-less services, and ports of another name or protocol', () => {
    const rules = computeProxyRules(
      [
        svc('headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
        svc('ext', { type: 'ExternalName', externalName: 'example.com' }),
        svc('pending', { ports: [{ port: 80 }] }),
        svc('udp', { clusterIP: '10.96.0.12', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
      ],
      [eps('headless', ['10.88.0.2'], 80), eps('udp', ['10.88.0.2'], 53, 'dns')],
      { tag },
    );
    expect(rules.nat.chains).toHaveLength(4); // only the fixed chains: the UDP endpoint is TCP
    expect(rules.filter.rules[0]).toContain('-d 10.96.0.12/32 -p udp -m udp --dport 53');
  });
});

describe('external addresses and traffic policies', () => {
  /** Endpoints on two nodes: 10.88.0.2 on n1 (this node), 10.88.1.2 on n2. */
  const twoNodes = (name: string): Endpoints => ({
    metadata: { name, namespace: 'default' },
    subsets: [{ addresses: [{ ip: '10.88.0.2', nodeName: 'n1' }, { ip: '10.88.1.2', nodeName: 'n2' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
  });
  const lb = (extra: Partial<NonNullable<Service['spec']>> = {}, ingress = ['192.0.2.10']): Service => ({
    metadata: { name: 'lb', namespace: 'default' },
    spec: { type: 'LoadBalancer', clusterIP: '10.96.0.20', externalIPs: ['198.51.100.7'], ports: [{ name: 'http', port: 80, nodePort: 30080, protocol: 'TCP' }], ...extra },
    status: { loadBalancer: { ingress: ingress.map((ip) => ({ ip })) } },
  });
  const id = 'default/lb:http/tcp';
  const chain = (rules: string[], c: string) => rules.filter((r) => r.startsWith(`-A ${c} `)).map((r) => r.slice(c.length + 4).replace(/-m comment --comment "[^"]*" /g, ''));

  it("externalIPs and a LoadBalancer's ingress IPs go to EXT at the Service's port, as its NodePort does", () => {
    const rules = computeProxyRules([lb()], [twoNodes('lb')], { tag, clusterCIDR: '10.88.0.0/16', nodeName: 'n1' });
    const services = chain(rules.nat.rules, names.services);
    expect(services).toEqual(
      expect.arrayContaining([`-d 198.51.100.7/32 -p tcp -m tcp --dport 80 -j ${names.ext(id)}`, `-d 192.0.2.10/32 -p tcp -m tcp --dport 80 -j ${names.ext(id)}`]),
    );
    expect(chain(rules.nat.rules, names.ext(id))).toEqual([`-j ${names.markMasq}`, `-j ${names.svc(id)}`]);
    expect(rules.nat.chains).not.toContain(names.svl(id));
  });

  it('loadBalancerSourceRanges: the LoadBalancer IP goes through FW, which lets only the ranges on to EXT; the rest is dropped', () => {
    const rules = computeProxyRules([lb({ loadBalancerSourceRanges: ['10.0.0.0/8', ' 192.0.2.0/24 '] })], [twoNodes('lb')], { tag, clusterCIDR: '10.88.0.0/16', nodeName: 'n1' });
    const fw = names.fw(id);
    expect(chain(rules.nat.rules, names.services)).toEqual(
      expect.arrayContaining([`-d 198.51.100.7/32 -p tcp -m tcp --dport 80 -j ${names.ext(id)}`, `-d 192.0.2.10/32 -p tcp -m tcp --dport 80 -j ${fw}`]),
    );
    // The node's own requests to its address (192.0.2.10, inside a range) come from that address.
    expect(chain(rules.nat.rules, fw)).toEqual([`-s 10.0.0.0/8 -j ${names.ext(id)}`, `-s 192.0.2.0/24 -j ${names.ext(id)}`, `-s 192.0.2.10/32 -j ${names.ext(id)}`]);
    expect(chain(rules.filter.rules, names.services)).toEqual(['-d 192.0.2.10/32 -p tcp -m tcp --dport 80 -j DROP']);
  });

  it('without endpoints every address of the Service refuses at once', () => {
    const rules = computeProxyRules([lb()], [], { tag, nodeName: 'n1' });
    expect(chain(rules.filter.rules, names.services)).toEqual([
      '-d 10.96.0.20/32 -p tcp -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
      '-d 198.51.100.7/32 -p tcp -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
      '-d 192.0.2.10/32 -p tcp -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
      '-m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 -j REJECT --reject-with icmp-port-unreachable',
    ]);
  });

  it('externalTrafficPolicy Local: outside traffic to this node\'s endpoints, unmasqueraded; pods and the node itself to all', () => {
    const rules = computeProxyRules([lb({ externalTrafficPolicy: 'Local' })], [twoNodes('lb')], { tag, clusterCIDR: '10.88.0.0/16', nodeName: 'n1' });
    expect(chain(rules.nat.rules, names.ext(id))).toEqual([
      `-s 10.88.0.0/16 -j ${names.svc(id)}`,
      `-m addrtype --src-type LOCAL -j ${names.markMasq}`,
      `-m addrtype --src-type LOCAL -j ${names.svc(id)}`,
      `-j ${names.svl(id)}`,
    ]);
    expect(chain(rules.nat.rules, names.svl(id))).toEqual([`-j ${names.sep(id, '10.88.0.2:8080')}`]);
    expect(chain(rules.nat.rules, names.svc(id))).toHaveLength(3); // masquerade rule + both endpoints
    // On n3, with no endpoint of its own: what is left of outside traffic is dropped.
    const n3 = computeProxyRules([lb({ externalTrafficPolicy: 'Local' })], [twoNodes('lb')], { tag, clusterCIDR: '10.88.0.0/16', nodeName: 'n3' });
    expect(chain(n3.nat.rules, names.ext(id))).not.toContain(`-j ${names.svl(id)}`);
    expect(chain(n3.filter.rules, names.services)).toEqual([
      '-d 198.51.100.7/32 -p tcp -m tcp --dport 80 -j DROP',
      '-d 192.0.2.10/32 -p tcp -m tcp --dport 80 -j DROP',
      '-m addrtype --dst-type LOCAL -p tcp -m tcp --dport 30080 -j DROP',
    ]);
  });

  it('internalTrafficPolicy Local: the ClusterIP reaches this node\'s endpoints only, or is dropped', () => {
    const svcLocal = svc('web', { type: 'ClusterIP', clusterIP: '10.96.0.10', internalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] });
    const webId = 'default/web:http/tcp';
    const rules = computeProxyRules([svcLocal], [twoNodes('web')], { tag, nodeName: 'n2' });
    expect(chain(rules.nat.rules, names.services)[0]).toBe(`-d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j ${names.svl(webId)}`);
    expect(chain(rules.nat.rules, names.svl(webId))).toEqual([`-d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j ${names.markMasq}`, `-j ${names.sep(webId, '10.88.1.2:8080')}`]);
    const none = computeProxyRules([svcLocal], [twoNodes('web')], { tag, nodeName: 'n3' });
    expect(chain(none.filter.rules, names.services)).toEqual(['-d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j DROP']);
    expect(chain(none.nat.rules, names.services).filter((r) => r.includes('10.96.0.10'))).toEqual([]);
  });
});

describe('endpointsFor', () => {
  it('takes ready addresses of the subsets whose port matches the service port by name and protocol', () => {
    const ep: Endpoints = {
      subsets: [
        { addresses: [{ ip: '10.0.0.2' }], notReadyAddresses: [{ ip: '10.0.0.9' }], ports: [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9100 }] },
        { addresses: [{ ip: '10.0.0.1', nodeName: 'n1' }], ports: [{ name: 'http', port: 8081 }] },
        { addresses: [{ ip: '10.0.0.3' }], ports: [{ name: 'http', port: 8080, protocol: 'UDP' }] },
      ],
    };
    expect(endpointsFor(ep, { name: 'http', port: 80 })).toEqual([
      { ip: '10.0.0.1', port: 8081, local: false },
      { ip: '10.0.0.2', port: 8080, local: false },
    ]);
    // Local: the address names this node.
    expect(endpointsFor(ep, { name: 'http', port: 80 }, 'n1').map((e) => e.local)).toEqual([true, false]);
    expect(endpointsFor(undefined, { port: 80 })).toEqual([]);
  });
});

describe('chains', () => {
  it('names are stable, at most 28 characters, and carry the instance tag', () => {
    const t = chainTag('steer0');
    expect(t).toMatch(/^[A-Z2-7]{4}$/);
    expect(chainTag('steer0')).toBe(t);
    expect(chainTag('steerscn0')).not.toBe(t);
    const n = new ChainNames(t);
    for (const c of [n.services, n.nodePorts, n.postrouting, n.markMasq, n.forward, n.firewall, n.svc('a/b:c/tcp'), n.ext('a/b:c/tcp'), n.sep('a/b:c/tcp', '1.2.3.4:80')]) {
      expect(c.startsWith(`STEER-${t}-`)).toBe(true);
      expect(c.length).toBeLessThanOrEqual(28);
    }
  });

  it('restoreInput declares wanted chains, flushes and deletes stale ones of ours only', () => {
    const rules = computeProxyRules([web], [eps('web', ['10.88.0.2'], 8080)], { tag });
    const save = [':PREROUTING ACCEPT [0:0]', ':STEER-TEST-SVC-OLDOLDOLDOLD - [0:0]', ':STEER-OTHR-SERVICES - [0:0]', ':KUBE-SERVICES - [0:0]', ':STEER-TEST-SERVICES - [0:0]'].join('\n');
    const existing = { nat: chainsInSave(save, names.prefix), filter: [] };
    expect(existing.nat).toEqual(['STEER-TEST-SVC-OLDOLDOLDOLD', 'STEER-TEST-SERVICES']);
    const text = restoreInput(rules, existing);
    const nat = text.slice(text.indexOf('*nat'));
    expect(nat).toContain(':STEER-TEST-SVC-OLDOLDOLDOLD - [0:0]\n');
    expect(nat).toContain('\n-X STEER-TEST-SVC-OLDOLDOLDOLD\nCOMMIT\n');
    expect(text).not.toContain('OTHR');
    expect(text).not.toContain('KUBE');
    expect(text.startsWith('*filter\n:STEER-TEST-SERVICES - [0:0]\n:STEER-TEST-FORWARD - [0:0]\n')).toBe(true);
  });

  it('the FIREWALL chain records route_localnet as it was before any steer proxy set it', () => {
    const rules = computeProxyRules([], [], { tag, localhostNodePorts: true, routeLocalnetBefore: '0' });
    const rule = `-A STEER-TEST-FIREWALL -m comment --comment "steer: route_localnet was 0" -j RETURN`;
    expect(rules.filter.rules[rules.filter.rules.length - 1]).toBe(rule);
    expect(recordedRouteLocalnet(`*filter\n:STEER-TEST-FIREWALL - [0:0]\n${rule}\nCOMMIT\n`)).toBe('0');
    expect(recordedRouteLocalnet('*filter\nCOMMIT\n')).toBeUndefined();
    expect(computeProxyRules([], [], { tag, localhostNodePorts: false, routeLocalnetBefore: '0' }).filter.rules.join('\n')).not.toContain('route_localnet');
  });

  it('hooks jump from the built-in chains to ours', () => {
    const hooks = hookRules(names, { localhostNodePorts: true }).map((h) => `${h.table} ${h.chain} ${h.args.join(' ')}`);
    expect(hooks).toEqual([
      'nat PREROUTING -m comment --comment steer service portals -j STEER-TEST-SERVICES',
      'nat OUTPUT -m comment --comment steer service portals -j STEER-TEST-SERVICES',
      'nat POSTROUTING -m comment --comment steer postrouting rules -j STEER-TEST-POSTROUTING',
      'filter FORWARD -m comment --comment steer forwarding rules -j STEER-TEST-FORWARD',
      'filter INPUT -m conntrack --ctstate NEW -m comment --comment steer service portals -j STEER-TEST-SERVICES',
      'filter FORWARD -m conntrack --ctstate NEW -m comment --comment steer service portals -j STEER-TEST-SERVICES',
      'filter OUTPUT -m conntrack --ctstate NEW -m comment --comment steer service portals -j STEER-TEST-SERVICES',
      'filter INPUT -m comment --comment steer firewall -j STEER-TEST-FIREWALL',
    ]);
  });
});
