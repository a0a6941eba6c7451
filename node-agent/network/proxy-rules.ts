// The service proxy's pure core (kube-proxy's iptables mode): from Services and Endpoints, the nat and
// filter rules that send a ClusterIP or NodePort connection to one ready endpoint, as the input of one
// `iptables-restore --noflush` of only steer's own chains. service-proxy.ts applies them.
//
// Rules follow kube-proxy's layout: SERVICES → SVC-* (one per service port; `statistic --mode random`
// picks an endpoint) → SEP-* (one per endpoint: DNAT), NODEPORTS → EXT-* (mark for masquerade, then
// SVC-*), a MARK-MASQ / POSTROUTING pair that masquerades marked traffic (hairpin, outside callers,
// localhost NodePorts), and REJECT in the filter table for service ports without endpoints.
// Every chain is named STEER-<tag>-…, the tag derived from the instance (steer server passes its bridge),
// so two steer clusters on one machine never touch each other's chains, and nobody else's rules are
// touched at all: besides its own chains it only inserts (and on stop deletes) the jumps to them from
// the built-in chains (hookRules). Everything here is pure and table-tested on its text.
import { createHash } from 'node:crypto';
import type { Endpoints, Service, ServicePort } from 'kubernetes-types/core/v1';
import { objectKey } from '../../lib/client/informer';
import { canonicalIPv4Cidr, cidrContains } from '../../lib/api/ip';

/** kube-proxy's masquerade mark bit. */
export const MasqueradeMark = '0x4000';
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const DEFAULT_AFFINITY_SECONDS = 10800;

/** Four characters naming one steer instance's chains (base32 of a hash of the instance name). */
export function chainTag(instance: string): string {
  return hashedId(instance, 4);
}

/** The first `length` base32 characters of a hash of `id`: a chain name's unique part. */
export function hashedId(id: string, length: number): string {
  return base32(createHash('sha256').update(id).digest()).slice(0, length);
}

function base32(buf: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** The chain names of one instance; all start with `STEER-<tag>-` (at most 27 characters). */
export class ChainNames {
  readonly prefix: string;
  readonly services: string;
  readonly nodePorts: string;
  readonly postrouting: string;
  readonly markMasq: string;
  readonly forward: string;
  readonly firewall: string;

  constructor(readonly tag: string) {
    this.prefix = `STEER-${tag}-`;
    this.services = `${this.prefix}SERVICES`;
    this.nodePorts = `${this.prefix}NODEPORTS`;
    this.postrouting = `${this.prefix}POSTROUTING`;
    this.markMasq = `${this.prefix}MARK-MASQ`;
    this.forward = `${this.prefix}FORWARD`;
    this.firewall = `${this.prefix}FIREWALL`;
  }

  private hashed(kind: string, id: string): string {
    return `${this.prefix}${kind}-${hashedId(`${this.tag}/${id}`, 12)}`;
  }

  svc(portName: string): string {
    return this.hashed('SVC', portName);
  }

  ext(portName: string): string {
    return this.hashed('EXT', portName);
  }

  /** A LoadBalancer IP's allowed sources (loadBalancerSourceRanges). */
  fw(portName: string): string {
    return this.hashed('FW', portName);
  }

  /** The endpoints on this node only (a traffic policy of Local). */
  svl(portName: string): string {
    return this.hashed('SVL', portName);
  }

  sep(portName: string, endpoint: string): string {
    return this.hashed('SEP', `${portName}/${endpoint}`);
  }
}

export interface ProxyRulesOptions {
  tag: string;
  /** The pod network: traffic to a ClusterIP from outside it is masqueraded. Unset: all of it is. */
  clusterCIDR?: string;
  /** NodePorts answer on 127.0.0.1 too (needs net.ipv4.conf.all.route_localnet=1, as kube-proxy sets). */
  localhostNodePorts?: boolean;
  /**
   * route_localnet's value before the first steer proxy set it: kept in a comment of the FIREWALL
   * chain, so whichever steer proxy stops last on this machine can put it back.
   */
  routeLocalnetBefore?: string;
  /** This node: its endpoints are the ones `Local` traffic policies keep (Endpoints' nodeName). */
  nodeName?: string;
}

export interface ProxyRules {
  /** Chains and rules per table, in iptables-restore syntax (rules without the table header). */
  nat: { chains: string[]; rules: string[] };
  filter: { chains: string[]; rules: string[] };
}

/** A jump from a built-in chain to one of ours; ensured with -C / -I, removed with -D. */
export interface HookRule {
  table: 'nat' | 'filter';
  chain: string;
  args: string[];
}

export function hookRules(names: ChainNames, opts: { localhostNodePorts?: boolean } = {}): HookRule[] {
  const comment = (c: string) => ['-m', 'comment', '--comment', c];
  const hooks: HookRule[] = [
    { table: 'nat', chain: 'PREROUTING', args: [...comment('steer service portals'), '-j', names.services] },
    { table: 'nat', chain: 'OUTPUT', args: [...comment('steer service portals'), '-j', names.services] },
    { table: 'nat', chain: 'POSTROUTING', args: [...comment('steer postrouting rules'), '-j', names.postrouting] },
    { table: 'filter', chain: 'FORWARD', args: [...comment('steer forwarding rules'), '-j', names.forward] },
  ];
  for (const chain of ['INPUT', 'FORWARD', 'OUTPUT']) {
    hooks.push({ table: 'filter', chain, args: ['-m', 'conntrack', '--ctstate', 'NEW', ...comment('steer service portals'), '-j', names.services] });
  }
  if (opts.localhostNodePorts) hooks.push({ table: 'filter', chain: 'INPUT', args: [...comment('steer firewall'), '-j', names.firewall] });
  return hooks;
}

interface EndpointAddr {
  ip: string;
  port: number;
  /** On this node (its Endpoints address names this node). */
  local: boolean;
}

/** The ready endpoints of one service port: addresses of the subsets whose port has its name and protocol. */
export function endpointsFor(ep: Endpoints | undefined, sp: ServicePort, nodeName?: string): EndpointAddr[] {
  const out: EndpointAddr[] = [];
  const seen = new Set<string>();
  const protocol = sp.protocol || 'TCP';
  for (const subset of ep?.subsets || []) {
    const port = (subset.ports || []).find((p) => (p.name || '') === (sp.name || '') && (p.protocol || 'TCP') === protocol);
    if (!port) continue;
    for (const a of subset.addresses || []) {
      const key = `${a.ip}:${port.port}`;
      if (!IPV4.test(a.ip) || seen.has(key)) continue;
      seen.add(key);
      out.push({ ip: a.ip, port: port.port, local: nodeName !== undefined && a.nodeName === nodeName });
    }
  }
  return out.sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }) || a.port - b.port);
}

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, '')}"`;
}

/** The probability that the i-th of n remaining endpoints is picked, as kube-proxy prints it. */
export function probability(remaining: number): string {
  return (1 / remaining).toFixed(10);
}

/** The pure core: the nat and filter chains and rules for these Services and Endpoints. */
export function computeProxyRules(services: Service[], endpoints: Endpoints[], opts: ProxyRulesOptions): ProxyRules {
  const names = new ChainNames(opts.tag);
  const epByKey = new Map(endpoints.map((e) => [objectKey(e), e]));
  const natChains = [names.services, names.nodePorts, names.postrouting, names.markMasq];
  const filterChains = [names.services, names.forward];
  if (opts.localhostNodePorts) filterChains.push(names.firewall);
  const nat: string[] = [];
  const nodePortRules: string[] = [];
  const filter: string[] = [];
  const sorted = [...services].sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
  for (const svc of sorted) {
    const spec = svc.spec;
    if (!spec || spec.type === 'ExternalName') continue;
    const clusterIP = spec.clusterIP;
    if (!clusterIP || clusterIP === 'None' || !IPV4.test(clusterIP)) continue;
    const withNodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
    const affinity = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : 0;
    // Addresses outside the cluster the Service answers on at its own port: externalIPs, and a
    // LoadBalancer's ingress IPs (the nodes' addresses, from the service load balancer).
    const lbIPs = spec.type === 'LoadBalancer' ? (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '') : [];
    const externalIPs = [...new Set([...(spec.externalIPs ?? []), ...lbIPs])].filter((ip) => IPV4.test(ip));
    // loadBalancerSourceRanges: a LoadBalancer IP (not an externalIP) takes only these sources; the rest
    // is not DNATed and is dropped in the filter table (kube-proxy's FW chain and KUBE-PROXY-FIREWALL).
    const sourceRanges = (spec.loadBalancerSourceRanges ?? []).map((r) => canonicalIPv4Cidr(r.trim())).filter((r): r is string => !!r);
    const firewalled = new Set(sourceRanges.length ? lbIPs.filter((ip) => IPV4.test(ip) && !(spec.externalIPs ?? []).includes(ip)) : []);
    const internalLocal = spec.internalTrafficPolicy === 'Local';
    const externalLocal = withNodePorts && spec.externalTrafficPolicy === 'Local';
    for (const sp of spec.ports || []) {
      const protocol = (sp.protocol || 'TCP').toLowerCase();
      if (!['tcp', 'udp', 'sctp'].includes(protocol)) continue;
      const portName = `${objectKey(svc)}${sp.name ? `:${sp.name}` : ''}`;
      const id = `${portName}/${protocol}`;
      const match = (port: number) => ['-p', protocol, '-m', protocol, '--dport', String(port)].join(' ');
      const eps = endpointsFor(epByKey.get(objectKey(svc)), sp, opts.nodeName);
      const localEps = eps.filter((e) => e.local);
      const nodePort = withNodePorts && sp.nodePort ? sp.nodePort : 0;
      const filterRule = (dest: string, why: string, target: string) => filter.push(`-A ${names.services} ${dest} -m comment --comment ${quote(`${portName} ${why}`)} ${target}`);
      const reject = '-j REJECT --reject-with icmp-port-unreachable';
      if (eps.length === 0) {
        // kube-proxy answers "connection refused" at once instead of letting the SYN time out.
        filterRule(`-d ${clusterIP}/32 ${match(sp.port)}`, 'has no endpoints', reject);
        for (const ip of externalIPs) filterRule(`-d ${ip}/32 ${match(sp.port)}`, 'has no endpoints', reject);
        if (nodePort) filterRule(`-m addrtype --dst-type LOCAL ${match(nodePort)}`, 'has no endpoints', reject);
        continue;
      }
      const svcChain = names.svc(id);
      const svlChain = names.svl(id);
      natChains.push(svcChain);
      if (internalLocal || externalLocal) natChains.push(svlChain);
      // Callers outside the pod network (the host itself, other machines) are masqueraded so replies
      // come back through this node and get un-DNATed.
      const outside = opts.clusterCIDR ? `! -s ${opts.clusterCIDR} ` : '';
      const internalChain = internalLocal ? svlChain : svcChain;
      if (internalLocal && localEps.length === 0) {
        // internalTrafficPolicy Local without an endpoint here: dropped, as kube-proxy does.
        filterRule(`-d ${clusterIP}/32 ${match(sp.port)}`, 'has no local endpoints', '-j DROP');
      } else {
        nat.push(`-A ${names.services} -d ${clusterIP}/32 ${match(sp.port)} -m comment --comment ${quote(`${portName} cluster IP`)} -j ${internalChain}`);
        nat.push(`-A ${internalChain} ${outside}-d ${clusterIP}/32 ${match(sp.port)} -m comment --comment ${quote(`${portName} cluster IP`)} -j ${names.markMasq}`);
      }
      if (nodePort || externalIPs.length) {
        const extChain = names.ext(id);
        natChains.push(extChain);
        if (nodePort) nodePortRules.push(`-A ${names.nodePorts} ${match(nodePort)} -m comment --comment ${quote(portName)} -j ${extChain}`);
        for (const ip of externalIPs) {
          if (!firewalled.has(ip)) {
            nat.push(`-A ${names.services} -d ${ip}/32 ${match(sp.port)} -m comment --comment ${quote(`${portName} external IP`)} -j ${extChain}`);
            continue;
          }
          const fwChain = names.fw(id);
          if (!natChains.includes(fwChain)) {
            natChains.push(fwChain);
            for (const range of sourceRanges) nat.push(`-A ${fwChain} -s ${range} -m comment --comment ${quote(`${portName} loadbalancer IP`)} -j ${extChain}`);
            // A request from the node to its own address comes from that address: let it in when a range holds it.
            for (const lb of firewalled) if (sourceRanges.some((r) => cidrContains(r, lb))) nat.push(`-A ${fwChain} -s ${lb}/32 -m comment --comment ${quote(`${portName} loadbalancer IP`)} -j ${extChain}`);
          }
          nat.push(`-A ${names.services} -d ${ip}/32 ${match(sp.port)} -m comment --comment ${quote(`${portName} loadbalancer IP`)} -j ${fwChain}`);
          filterRule(`-d ${ip}/32 ${match(sp.port)}`, 'loadbalancer IP: source not allowed', '-j DROP');
        }
        if (externalLocal) {
          // Pods and the node itself still reach every endpoint; traffic from elsewhere goes to this
          // node's endpoints only, unmasqueraded: the client's address is kept (kube-proxy's layout).
          if (opts.clusterCIDR) nat.push(`-A ${extChain} -s ${opts.clusterCIDR} -m comment --comment ${quote(`pod traffic for ${portName} external destinations`)} -j ${svcChain}`);
          nat.push(`-A ${extChain} -m comment --comment ${quote(`masquerade LOCAL traffic for ${portName} external destinations`)} -m addrtype --src-type LOCAL -j ${names.markMasq}`);
          nat.push(`-A ${extChain} -m comment --comment ${quote(`route LOCAL traffic for ${portName} external destinations`)} -m addrtype --src-type LOCAL -j ${svcChain}`);
          if (localEps.length) nat.push(`-A ${extChain} -j ${svlChain}`);
          else {
            // What reaches no chain above would go to the host itself: dropped, as kube-proxy does.
            for (const ip of externalIPs) filterRule(`-d ${ip}/32 ${match(sp.port)}`, 'has no local endpoints', '-j DROP');
            if (nodePort) filterRule(`-m addrtype --dst-type LOCAL ${match(nodePort)}`, 'has no local endpoints', '-j DROP');
          }
        } else {
          nat.push(`-A ${extChain} -m comment --comment ${quote('masquerade traffic for ' + portName + ' external destinations')} -j ${names.markMasq}`);
          nat.push(`-A ${extChain} -j ${svcChain}`);
        }
      }
      const sepChains = new Map(eps.map((e) => [e, names.sep(id, `${e.ip}:${e.port}`)]));
      const balance = (chain: string, list: EndpointAddr[]) => {
        if (affinity) {
          for (const e of list) {
            const sep = sepChains.get(e)!;
            nat.push(`-A ${chain} -m comment --comment ${quote(`${portName} -> ${e.ip}:${e.port}`)} -m recent --name ${sep} --mask 255.255.255.255 --rsource --rcheck --seconds ${affinity} --reap -j ${sep}`);
          }
        }
        list.forEach((e, i) => {
          const remaining = list.length - i;
          const pick = remaining > 1 ? `-m statistic --mode random --probability ${probability(remaining)} ` : '';
          nat.push(`-A ${chain} -m comment --comment ${quote(`${portName} -> ${e.ip}:${e.port}`)} ${pick}-j ${sepChains.get(e)!}`);
        });
      };
      balance(svcChain, eps);
      if (internalLocal || externalLocal) balance(svlChain, localEps);
      for (const e of eps) {
        const sep = sepChains.get(e)!;
        natChains.push(sep);
        // A pod reaching itself through its Service (hairpin): masquerade, or its reply would bypass us.
        nat.push(`-A ${sep} -s ${e.ip}/32 -m comment --comment ${quote(portName)} -j ${names.markMasq}`);
        const recent = affinity ? `-m recent --name ${sep} --mask 255.255.255.255 --rsource --set ` : '';
        nat.push(`-A ${sep} -p ${protocol} -m comment --comment ${quote(portName)} ${recent}-m ${protocol} -j DNAT --to-destination ${e.ip}:${e.port}`);
      }
    }
  }
  const localOnly = opts.localhostNodePorts ? '' : '! -d 127.0.0.0/8 ';
  const natRules = [
    `-A ${names.markMasq} -j MARK --or-mark ${MasqueradeMark}`,
    `-A ${names.postrouting} -m mark ! --mark ${MasqueradeMark}/${MasqueradeMark} -j RETURN`,
    `-A ${names.postrouting} -j MARK --xor-mark ${MasqueradeMark}`,
    `-A ${names.postrouting} -m comment --comment "steer service traffic requiring SNAT" -j MASQUERADE --random-fully`,
    ...nat,
    ...nodePortRules,
    // Last in SERVICES: anything else addressed to this node may be a NodePort.
    `-A ${names.services} -m comment --comment "steer service nodeports; this must be the last rule in this chain" ${localOnly}-m addrtype --dst-type LOCAL -j ${names.nodePorts}`,
  ];
  const filterRules = [
    ...filter,
    `-A ${names.forward} -m comment --comment "steer forwarding rules" -m mark --mark ${MasqueradeMark}/${MasqueradeMark} -j ACCEPT`,
    `-A ${names.forward} -m comment --comment "steer forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
  ];
  if (opts.localhostNodePorts) {
    // route_localnet lets 127.0.0.1 be routed; never accept such packets from outside (CVE-2020-8558).
    filterRules.push(`-A ${names.firewall} ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP`);
    if (opts.routeLocalnetBefore !== undefined && /^\d+$/.test(opts.routeLocalnetBefore)) {
      filterRules.push(`-A ${names.firewall} -m comment --comment "${RouteLocalnetMarker}${opts.routeLocalnetBefore}" -j RETURN`);
    }
  }
  return { nat: { chains: natChains, rules: natRules }, filter: { chains: filterChains, rules: filterRules } };
}

const RouteLocalnetMarker = 'steer: route_localnet was ';

/** The route_localnet value some steer proxy recorded before changing it, if any did. */
export function recordedRouteLocalnet(filterSave: string): string | undefined {
  const m = new RegExp(`--comment "?${RouteLocalnetMarker}(\\d+)`).exec(filterSave);
  return m ? m[1] : undefined;
}

/** Chains named in `iptables-save` output that belong to this prefix. */
export function chainsInSave(save: string, prefix: string): string[] {
  const out: string[] = [];
  for (const line of save.split('\n')) {
    const m = /^:(\S+) /.exec(line);
    if (m && m[1].startsWith(prefix)) out.push(m[1]);
  }
  return out;
}

/**
 * The iptables-restore --noflush input: every chain we want is declared (created, or flushed when it
 * exists) and refilled; chains of ours that are no longer wanted are declared (flushed) and deleted.
 */
export function restoreInput(rules: ProxyRules, existing: { nat: string[]; filter: string[] }): string {
  const lines: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const want = new Set(rules[table].chains);
    const stale = existing[table].filter((c) => !want.has(c));
    if (want.size === 0 && stale.length === 0) continue; // a table with nothing of ours is left alone
    lines.push(`*${table}`);
    for (const c of [...want, ...stale]) lines.push(`:${c} - [0:0]`);
    lines.push(...rules[table].rules);
    for (const c of stale) lines.push(`-X ${c}`);
    lines.push('COMMIT');
  }
  return `${lines.join('\n')}\n`;
}
