// The cluster zone's answers (the Kubernetes DNS specification, schema 1.0.1) for one question, from
// ClusterRecords: A/AAAA for ClusterIP Services, one per published endpoint for headless ones (shuffled,
// as CoreDNS's loadbalance does), `<hostname>.<svc>.<ns>.svc` for endpoints, SRV for ports, CNAME for
// ExternalName (the target is left to the caller to resolve), `a-b-c-d.<ns>.pod` pod records (CoreDNS's
// `pods insecure`), PTR for ClusterIPs and endpoint IPs, the `dns-version` TXT, and the apex' SOA/NS.
// A name that does not exist is NXDOMAIN; an existing name without records of the asked type is
// NOERROR with no answers (NODATA). Names arrive lower-cased; answers carry the name as asked. Pure.
import type { Answer, RecordType } from 'dns-packet';
import { ClusterRecords, EndpointRecord, isIPv6, ServiceRecord } from './records';

export const DNS_SCHEMA_VERSION = '1.0.1';

export interface ZoneOptions {
  /** The cluster domain, lower-case, no trailing dot (cluster.local). */
  zone: string;
  /** TTL of every answer (CoreDNS's default: 5 s). */
  ttl: number;
  /** What `ns.dns.<zone>` resolves to: the cluster DNS addresses. */
  nameserverIPs: string[];
}

export interface ZoneAnswer {
  rcode: 'NOERROR' | 'NXDOMAIN';
  answers: Answer[];
  additionals: Answer[];
  /** An ExternalName's CNAME target, still to be resolved for the question's type. */
  chase?: string;
}

/** Whether a lower-case name without trailing dot is the zone or lies below it. */
export function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** The zone's SOA, which negative answers carry in their authority section (minimum = the TTL). */
export function soaRecord(o: ZoneOptions): Answer {
  return {
    name: o.zone,
    type: 'SOA',
    ttl: o.ttl,
    data: { mname: `ns.dns.${o.zone}`, rname: `hostmaster.${o.zone}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: o.ttl },
  };
}

const nxdomain = (): ZoneAnswer => ({ rcode: 'NXDOMAIN', answers: [], additionals: [] });
const nodata = (): ZoneAnswer => ({ rcode: 'NOERROR', answers: [], additionals: [] });

function shuffled<T>(items: T[]): T[] {
  if (items.length < 2) return items;
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** A and AAAA records of these IPs, as the question type asks (ANY: both). */
function addressRecords(name: string, ips: string[], type: RecordType | 'ANY', ttl: number): Answer[] {
  const out: Answer[] = [];
  for (const ip of ips) {
    const v6 = isIPv6(ip);
    if (type === 'A' && !v6) out.push({ name, type: 'A', ttl, data: ip });
    else if (type === 'AAAA' && v6) out.push({ name, type: 'AAAA', ttl, data: ip });
    else if (type === 'ANY') out.push({ name, type: v6 ? 'AAAA' : 'A', ttl, data: ip });
  }
  return out;
}

/** The answer for a set of addresses: NODATA when the name has addresses of the other family only. */
function addresses(name: string, ips: string[], type: RecordType | 'ANY', ttl: number): ZoneAnswer {
  if (type !== 'A' && type !== 'AAAA' && type !== 'ANY') return nodata();
  return { rcode: 'NOERROR', answers: addressRecords(name, shuffled(ips), type, ttl), additionals: [] };
}

function srvWeight(count: number): number {
  return Math.max(1, Math.floor(100 / count));
}

/** SRV records of a Service (or of the named port only): its ClusterIP name, or one per endpoint. */
function serviceSRV(name: string, svc: ServiceRecord, port: { name: string; protocol: string } | undefined, ttl: number): ZoneAnswer {
  const answers: Answer[] = [];
  const additionals: Answer[] = [];
  const matches = (p: { name: string; protocol: string }) => !port || (p.name === port.name && p.protocol === port.protocol);
  if (svc.kind === 'ClusterIP') {
    const ports = svc.ports.filter(matches);
    for (const p of ports) answers.push({ name, type: 'SRV', ttl, data: { priority: 0, weight: srvWeight(ports.length), port: p.port, target: svc.fqdn } });
    if (answers.length) additionals.push(...addressRecords(svc.fqdn, svc.clusterIPs, 'ANY', ttl));
  } else if (svc.kind === 'Headless') {
    const targets: { e: EndpointRecord; port: number }[] = [];
    for (const e of svc.endpoints) for (const p of e.ports) if (matches(p)) targets.push({ e, port: p.port });
    for (const { e, port: number } of targets) {
      const target = `${e.hostname}.${svc.fqdn}`;
      answers.push({ name, type: 'SRV', ttl, data: { priority: 0, weight: srvWeight(targets.length), port: number, target } });
      additionals.push(...addressRecords(target, [e.ip], 'ANY', ttl));
    }
  }
  return { rcode: 'NOERROR', answers, additionals };
}

/** `<svc>.<ns>.svc.<zone>` */
function answerService(name: string, svc: ServiceRecord, type: RecordType | 'ANY', ttl: number): ZoneAnswer {
  if (svc.kind === 'ExternalName') {
    const cname: Answer = { name, type: 'CNAME', ttl, data: svc.externalName };
    return { rcode: 'NOERROR', answers: [cname], additionals: [], chase: type === 'CNAME' ? undefined : svc.externalName };
  }
  if (type === 'SRV') return serviceSRV(name, svc, undefined, ttl);
  if (svc.kind === 'ClusterIP') return addresses(name, svc.clusterIPs, type, ttl);
  // A headless Service without endpoints to publish has no name (the specification's NXDOMAIN).
  if (!svc.endpoints.length) return nxdomain();
  return addresses(name, svc.endpoints.map((e) => e.ip), type, ttl);
}

/** `a-b-c-d` → `a.b.c.d`, when it is a dashed IPv4 address. */
function podIP(label: string): string | undefined {
  const parts = label.split('-');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.map(Number).join('.');
}

/**
 * The answer for a name in the cluster zone. `name` is the name as asked (answers carry it), `lower`
 * the same lower-cased without trailing dot, already known to be in the zone.
 */
export function answerZone(records: ClusterRecords, o: ZoneOptions, name: string, lower: string, type: RecordType | 'ANY'): ZoneAnswer {
  const ttl = o.ttl;
  if (lower === o.zone) {
    if (type === 'SOA') return { rcode: 'NOERROR', answers: [{ ...soaRecord(o), name }], additionals: [] };
    if (type === 'NS') return { rcode: 'NOERROR', answers: [{ name, type: 'NS', ttl, data: `ns.dns.${o.zone}` }], additionals: addressRecords(`ns.dns.${o.zone}`, o.nameserverIPs, 'ANY', ttl) };
    return nodata();
  }
  const labels = lower.slice(0, -(o.zone.length + 1)).split('.');
  const top = labels[labels.length - 1];
  const n = labels.length;
  if (n === 1 && top === 'dns-version') return type === 'TXT' ? { rcode: 'NOERROR', answers: [{ name, type: 'TXT', ttl, data: [DNS_SCHEMA_VERSION] }], additionals: [] } : nodata();
  if (n === 2 && labels[0] === 'ns' && top === 'dns') return addresses(name, o.nameserverIPs, type, ttl);
  if (n === 1 && top === 'dns') return nodata();
  if (top === 'pod') {
    if (n <= 2) return nodata(); // pod.<zone> and <ns>.pod.<zone> exist as parents of pod names
    const ip = n === 3 ? podIP(labels[0]) : undefined;
    return ip ? addresses(name, [ip], type, ttl) : nxdomain();
  }
  if (top !== 'svc') return nxdomain();
  if (n === 1) return nodata();
  const ns = labels[n - 2];
  if (n === 2) return records.hasNamespace(ns) ? nodata() : nxdomain();
  const svc = records.service(labels[n - 3], ns);
  if (!svc) return nxdomain();
  if (n === 3) return answerService(name, svc, type, ttl);
  if (n === 4) {
    // <hostname>.<svc>.<ns>.svc: one endpoint of a headless Service.
    if (svc.kind !== 'Headless') return nxdomain();
    const eps = svc.endpoints.filter((e) => e.hostname === labels[0]);
    return eps.length ? addresses(name, eps.map((e) => e.ip), type, ttl) : nxdomain();
  }
  if (n === 5 && labels[0].startsWith('_') && labels[1].startsWith('_')) {
    // _<port>._<proto>.<svc>.<ns>.svc: a named port.
    const port = { name: labels[0].slice(1), protocol: labels[1].slice(1) };
    const srv = serviceSRV(name, svc, port, ttl);
    if (!srv.answers.length) return nxdomain();
    return type === 'SRV' ? srv : nodata();
  }
  return nxdomain();
}

/** `4.3.2.1.in-addr.arpa` → `1.2.3.4`; a full ip6.arpa name → the IPv6 address; else undefined. */
export function reverseIP(lower: string): string | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(lower);
  if (v4) {
    const octets = v4.slice(1, 5).reverse().map(Number);
    return octets.every((x) => x <= 255) ? octets.join('.') : undefined;
  }
  const v6 = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(lower);
  if (v6) {
    const hex = v6[1].split('.').filter(Boolean).reverse().join('');
    const groups = hex.match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ''));
    return compressIPv6(groups);
  }
  return undefined;
}

/** Groups of an IPv6 address → its canonical text (the longest run of zero groups as ::). */
function compressIPv6(groups: string[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** PTR answers for a cluster IP; undefined when the IP is not the cluster's (the caller forwards). */
export function answerReverse(records: ClusterRecords, o: ZoneOptions, name: string, lower: string, type: RecordType | 'ANY'): ZoneAnswer | undefined {
  const ip = reverseIP(lower);
  if (!ip) return undefined;
  const names = records.ptr(ip);
  if (!names.length) return undefined;
  if (type !== 'PTR' && type !== 'ANY') return nodata();
  return { rcode: 'NOERROR', answers: names.map((data) => ({ name, type: 'PTR', ttl: o.ttl, data })), additionals: [] };
}

