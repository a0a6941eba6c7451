// The cluster's DNS data as the Kubernetes DNS specification names it, kept from the Services and
// Endpoints the agent's informers hold: one ServiceRecord per Service (its ClusterIPs, ExternalName,
// ports and the endpoints DNS publishes, each with its hostname label) and a reverse map from every
// ClusterIP and endpoint IP to its names for PTR. Updated incrementally per informer event (one
// Service's record is rebuilt when that Service or its Endpoints change), so a burst of changes costs
// work in proportion to what changed and lookups never rebuild anything. Pure: no I/O.
import type { EndpointAddress, Endpoints, Service } from 'kubernetes-types/core/v1';

/** A port as DNS publishes it: name and protocol lower-case ("" for an unnamed port). */
export interface PortRecord {
  name: string;
  protocol: string;
  port: number;
}

/** An endpoint DNS publishes: ready, or any with publishNotReadyAddresses. */
export interface EndpointRecord {
  ip: string;
  /** Its label under the Service: the address' hostname, else the dashed IP (10-88-0-5). */
  hostname: string;
  ports: PortRecord[];
}

export interface ServiceRecord {
  name: string;
  namespace: string;
  /** `<name>.<namespace>.svc.<zone>`, lower-case, no trailing dot. */
  fqdn: string;
  kind: 'ClusterIP' | 'Headless' | 'ExternalName';
  /** IPv4 and IPv6 ClusterIPs (none for headless and ExternalName). */
  clusterIPs: string[];
  /** The CNAME target of an ExternalName Service, no trailing dot. */
  externalName: string;
  ports: PortRecord[];
  endpoints: EndpointRecord[];
}

/** `10.88.0.5` → `10-88-0-5`; `fd00::5` → `fd00--5` (CoreDNS's endpoint and pod names). */
export function dashedIP(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}

export function isIPv6(ip: string): boolean {
  return ip.includes(':');
}

function portRecord(p: { name?: string; protocol?: string; port: number }): PortRecord {
  return { name: (p.name || '').toLowerCase(), protocol: (p.protocol || 'TCP').toLowerCase(), port: p.port };
}

/** The endpoints DNS publishes for a Service, one per IP (ports of several subsets merged). */
export function publishedEndpoints(svc: Service, ep: Endpoints | undefined): EndpointRecord[] {
  const byIP = new Map<string, EndpointRecord>();
  // The endpoints controller already lists not-ready pods under addresses when the Service publishes
  // them; Endpoints someone else wrote (a Service without selector) may still list them apart.
  const withNotReady = svc.spec?.publishNotReadyAddresses === true;
  for (const subset of ep?.subsets || []) {
    const ports = (subset.ports || []).map(portRecord);
    const addrs: EndpointAddress[] = [...(subset.addresses || []), ...(withNotReady ? subset.notReadyAddresses || [] : [])];
    for (const a of addrs) {
      if (!a.ip) continue;
      let rec = byIP.get(a.ip);
      if (!rec) {
        rec = { ip: a.ip, hostname: (a.hostname || dashedIP(a.ip)).toLowerCase(), ports: [] };
        byIP.set(a.ip, rec);
      }
      for (const p of ports) if (!rec.ports.some((q) => q.name === p.name && q.protocol === p.protocol && q.port === p.port)) rec.ports.push(p);
    }
  }
  return [...byIP.values()];
}

export function serviceRecord(svc: Service, ep: Endpoints | undefined, zone: string): ServiceRecord | undefined {
  const name = (svc.metadata?.name || '').toLowerCase();
  const namespace = (svc.metadata?.namespace || 'default').toLowerCase();
  if (!name) return undefined;
  const spec = svc.spec || {};
  const fqdn = `${name}.${namespace}.svc.${zone}`;
  const ports = (spec.ports || []).map(portRecord);
  if (spec.type === 'ExternalName') {
    const target = (spec.externalName || '').toLowerCase().replace(/\.$/, '');
    return { name, namespace, fqdn, kind: 'ExternalName', clusterIPs: [], externalName: target, ports, endpoints: [] };
  }
  const ips = [...new Set([...(spec.clusterIPs || []), ...(spec.clusterIP ? [spec.clusterIP] : [])])].filter((ip) => ip && ip !== 'None');
  const headless = spec.clusterIP === 'None' || ips.length === 0;
  return {
    name,
    namespace,
    fqdn,
    kind: headless ? 'Headless' : 'ClusterIP',
    clusterIPs: headless ? [] : ips,
    externalName: '',
    ports,
    endpoints: publishedEndpoints(svc, ep),
  };
}

/** `<name>.<namespace>` (lower-case): how records are keyed, as DNS names read. */
function recordKey(namespace: string | undefined, name: string | undefined): string {
  return `${(name || '').toLowerCase()}.${(namespace || 'default').toLowerCase()}`;
}

export class ClusterRecords {
  private readonly services = new Map<string, Service>();
  private readonly endpoints = new Map<string, Endpoints>();
  private readonly records = new Map<string, ServiceRecord>();
  /** namespace → name → record: lookups need no key built per query. */
  private readonly byNamespace = new Map<string, Map<string, ServiceRecord>>();
  /** IP → record key → the name that IP has through that record (a ClusterIP's, or an endpoint's). */
  private readonly reverse = new Map<string, Map<string, { name: string; clusterIP: boolean }[]>>();
  /** Bumped on every change (tests and the benchmark wait on it). */
  generation = 0;

  constructor(readonly zone: string) {}

  upsertService(svc: Service): void {
    const key = recordKey(svc.metadata?.namespace, svc.metadata?.name);
    this.services.set(key, svc);
    this.rebuild(key);
  }

  removeService(svc: Service): void {
    const key = recordKey(svc.metadata?.namespace, svc.metadata?.name);
    this.services.delete(key);
    this.rebuild(key);
  }

  upsertEndpoints(ep: Endpoints): void {
    const key = recordKey(ep.metadata?.namespace, ep.metadata?.name);
    this.endpoints.set(key, ep);
    this.rebuild(key);
  }

  removeEndpoints(ep: Endpoints): void {
    const key = recordKey(ep.metadata?.namespace, ep.metadata?.name);
    this.endpoints.delete(key);
    this.rebuild(key);
  }

  /** The Service `<name>.<namespace>` (both lower-case). */
  service(name: string, namespace: string): ServiceRecord | undefined {
    return this.byNamespace.get(namespace)?.get(name);
  }

  /** Whether `<namespace>.svc.<zone>` exists: some Service lives there. */
  hasNamespace(namespace: string): boolean {
    return !!this.byNamespace.get(namespace)?.size;
  }

  /** The names of an IP (PTR targets, no trailing dot): a ClusterIP's Service, else its endpoints' names. */
  ptr(ip: string): string[] {
    const owners = this.reverse.get(ip);
    if (!owners) return [];
    const all = [...owners.values()].flat();
    // As CoreDNS: a ClusterIP names its Service; otherwise every Service the endpoint serves names it.
    const services = all.filter((n) => n.clusterIP);
    return (services.length ? services : all).map((n) => n.name);
  }

  get sizes(): { services: number; endpoints: number; reverse: number } {
    return { services: this.records.size, endpoints: this.endpoints.size, reverse: this.reverse.size };
  }

  private rebuild(key: string): void {
    this.generation++;
    const old = this.records.get(key);
    if (old) {
      this.dropReverse(key, old);
      const names = this.byNamespace.get(old.namespace);
      names?.delete(old.name);
      if (names && !names.size) this.byNamespace.delete(old.namespace);
      this.records.delete(key);
    }
    const svc = this.services.get(key);
    const rec = svc && serviceRecord(svc, this.endpoints.get(key), this.zone);
    if (!rec) return;
    this.records.set(key, rec);
    let names = this.byNamespace.get(rec.namespace);
    if (!names) this.byNamespace.set(rec.namespace, (names = new Map()));
    names.set(rec.name, rec);
    for (const ip of rec.clusterIPs) this.addReverse(ip, key, rec.fqdn, true);
    for (const e of rec.endpoints) this.addReverse(e.ip, key, `${e.hostname}.${rec.fqdn}`, false);
  }

  private addReverse(ip: string, key: string, name: string, clusterIP: boolean): void {
    let owners = this.reverse.get(ip);
    if (!owners) this.reverse.set(ip, (owners = new Map()));
    const names = owners.get(key);
    if (names) names.push({ name, clusterIP });
    else owners.set(key, [{ name, clusterIP }]);
  }

  private dropReverse(key: string, rec: ServiceRecord): void {
    for (const ip of [...rec.clusterIPs, ...rec.endpoints.map((e) => e.ip)]) {
      const owners = this.reverse.get(ip);
      if (!owners) continue;
      owners.delete(key);
      if (!owners.size) this.reverse.delete(ip);
    }
  }
}
