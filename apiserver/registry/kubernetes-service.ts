// The `kubernetes` Service in the `default` namespace and its Endpoints, as kube-apiserver's master
// controller keeps them: ClusterIP = the first address of the service range, port 443 (named https) to
// the apiserver's secure port, and Endpoints naming the apiserver's advertise address. Pods find the API
// through it (KUBERNETES_SERVICE_HOST/PORT, which the node agent derives from this Service). Reconciled at
// start and every 10 s, so a deleted or changed object comes back.
// Several apiservers on one store (kube's "lease" endpoint reconciler): each keeps a coordination Lease
// kube-system/apiserver-<address>-<port> renewed every interval (15 s duration, as kube's master leases)
// and writes the Endpoints from the Leases still alive, so the Endpoints list every live apiserver and a
// dead one drops out within duration + interval. Whether a Lease is alive is judged by when this
// apiserver last saw it change, on its own clock (as leader election does), so clock skew between
// machines does not matter. A stopping apiserver deletes its Lease and takes itself out at once.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Lease } from 'kubernetes-types/coordination/v1';
import type { EndpointPort, EndpointSubset, Endpoints, Service } from 'kubernetes-types/core/v1';
import { microTime } from '../../lib/api/time';
import { isIPv4, numberToIpv4, parseIpv4Cidr } from '../../lib/api/ip';
import { Resources } from '../../lib/api/resources';
import { deepEqual } from '../../lib/api/json';
import { ApiStatusError } from '../errors';
import { bucketOf, keyOf, namespacePrefix } from './keys';
import type { Registry } from './registry';

export const KubernetesServiceName = 'kubernetes';
const NAMESPACE = 'default';
/** kube's DefaultEndpointReconcilerInterval and DefaultEndpointReconcilerTTL. */
export const ENDPOINT_RECONCILER_INTERVAL_MS = 10_000;
export const ENDPOINT_RECONCILER_TTL_SECONDS = 15;
const LEASE_NAMESPACE = 'kube-system';
/** The label kube-apiserver's identity Leases carry (kubectl get lease -n kube-system -l ...). */
export const APISERVER_IDENTITY_LABEL = 'apiserver.kubernetes.io/identity';
/** Where an apiserver's Lease says where it is reached (address:port). */
export const ADVERTISE_ANNOTATION = 'steer.dev/advertise-address';

/** The first usable address of a service CIDR (10.96.0.0/12 → 10.96.0.1). */
export function firstServiceIP(serviceCIDR: string): string {
  const c = parseIpv4Cidr(serviceCIDR);
  if (!c) throw new Error(`bad service cluster IP range ${serviceCIDR}`);
  return numberToIpv4(c.base + 1);
}

/** The interface of the IPv4 default route (/proc/net/route), if any. */
function defaultRouteInterface(): string | undefined {
  try {
    for (const line of fs.readFileSync('/proc/net/route', 'utf8').split('\n').slice(1)) {
      const [iface, destination, , , , , , mask] = line.trim().split(/\s+/);
      if (destination === '00000000' && mask === '00000000') return iface;
    }
  } catch {
    // not Linux
  }
  return undefined;
}

/**
 * kube-apiserver's default --advertise-address: the bind address when it is a specific one, else the IPv4
 * address of the default route's interface, else the host's first non-loopback IPv4 (loopback when none).
 */
export function defaultAdvertiseAddress(bindHost: string): string {
  if (bindHost && bindHost !== '0.0.0.0' && bindHost !== '::' && !bindHost.startsWith('127.') && bindHost !== 'localhost' && bindHost !== '::1') return bindHost;
  const ifaces = os.networkInterfaces();
  const route = defaultRouteInterface();
  const preferred = route ? (ifaces[route] ?? []).find((a) => a.family === 'IPv4' && !a.internal) : undefined;
  if (preferred) return preferred.address;
  for (const addrs of Object.values(ifaces)) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export interface KubernetesServiceOptions {
  serviceCIDR: string;
  advertiseAddress: string;
  /** The apiserver's secure (listening) port. */
  port: number;
  log?: (msg: string) => void;
  /** How often the Lease is renewed and the Endpoints reconciled (default 10 s). */
  intervalMs?: number;
  /** How long a Lease lives without renewal (default 15 s). */
  ttlSeconds?: number;
}

/** One live apiserver: where it is reached. */
export interface ApiserverEndpoint {
  ip: string;
  port: number;
}

/** The Lease name of the apiserver at ip:port (kube-system/apiserver-192-0-2-7-6443). */
export function apiserverLeaseName(e: ApiserverEndpoint): string {
  return `apiserver-${e.ip.replace(/[.:]/g, '-')}-${e.port}`;
}

/** The Endpoints subsets of these apiservers: one subset per port, addresses sorted (a stable object). */
export function endpointSubsets(live: ApiserverEndpoint[]): EndpointSubset[] {
  const byPort = new Map<number, Set<string>>();
  for (const e of live) byPort.set(e.port, (byPort.get(e.port) ?? new Set()).add(e.ip));
  const ipKey = (ip: string) => ip.split('.').map((x) => x.padStart(3, '0')).join('.');
  return [...byPort.entries()]
    .sort(([a], [b]) => a - b)
    .map(([port, ips]) => ({
      addresses: [...ips].sort((a, b) => ipKey(a).localeCompare(ipKey(b))).map((ip) => ({ ip })),
      ports: [{ name: 'https', port, protocol: 'TCP' } as EndpointPort],
    }));
}

export function kubernetesService(o: KubernetesServiceOptions): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: KubernetesServiceName, namespace: NAMESPACE, labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: firstServiceIP(o.serviceCIDR),
      ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: o.port }],
      sessionAffinity: 'None',
    },
  };
}

/** The Endpoints of the live apiservers (this one alone when none is given). */
export function kubernetesEndpoints(o: KubernetesServiceOptions, live: ApiserverEndpoint[] = [{ ip: o.advertiseAddress, port: o.port }]): Endpoints {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: KubernetesServiceName, namespace: NAMESPACE, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: endpointSubsets(live),
  };
}

export class KubernetesServiceReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Each apiserver Lease as last seen (its spec) and when it last changed, on this apiserver's clock. */
  private readonly observed = new Map<string, { record: string; at: number }>();
  private readonly self: ApiserverEndpoint;
  private readonly leaseName: string;

  constructor(
    private readonly registry: Registry,
    private readonly o: KubernetesServiceOptions,
  ) {
    if (!isIPv4(o.advertiseAddress)) throw new Error(`advertise address ${o.advertiseAddress} is not an IPv4 address`);
    this.self = { ip: o.advertiseAddress, port: o.port };
    this.leaseName = apiserverLeaseName(this.self);
  }

  private get intervalMs(): number {
    return this.o.intervalMs ?? ENDPOINT_RECONCILER_INTERVAL_MS;
  }

  async start(): Promise<void> {
    await this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops reconciling, deletes this apiserver's Lease and takes it out of the Endpoints. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    try {
      await this.registry.delete(Resources.leases, LEASE_NAMESPACE, this.leaseName);
    } catch (err) {
      if (!(err instanceof ApiStatusError && err.code === 404)) this.log(`deleting lease ${this.leaseName}: ${(err as Error).message}`);
    }
    try {
      await this.ensureEndpoints((await this.liveApiservers()).filter((e) => apiserverLeaseName(e) !== this.leaseName));
    } catch (err) {
      this.log(`removing this apiserver from the default/kubernetes endpoints: ${(err as Error).message}`);
    }
  }

  reconcile(): Promise<void> {
    this.running ??= this.reconcileOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private log(msg: string): void {
    (this.o.log ?? ((m: string) => process.stderr.write(`apiserver: ${m}\n`)))(msg);
  }

  private async reconcileOnce(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.renewLease();
      const live = await this.liveApiservers();
      await this.ensureService(live);
      await this.ensureEndpoints(live);
    } catch (err) {
      this.log(`reconciling the default/kubernetes service: ${(err as Error).message}`);
    }
  }

  /** Creates or renews kube-system/apiserver-<address>-<port>. */
  private async renewLease(): Promise<void> {
    const ttl = this.o.ttlSeconds ?? ENDPOINT_RECONCILER_TTL_SECONDS;
    const now = microTime();
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.leaseName,
        namespace: LEASE_NAMESPACE,
        labels: { [APISERVER_IDENTITY_LABEL]: 'kube-apiserver', 'kubernetes.io/hostname': os.hostname() },
        annotations: { [ADVERTISE_ANNOTATION]: `${this.self.ip}:${this.self.port}` },
      },
      spec: { holderIdentity: this.leaseName, leaseDurationSeconds: ttl, renewTime: now },
    };
    const current = await this.registry.storage.get(bucketOf(Resources.leases), keyOf(Resources.leases, LEASE_NAMESPACE, this.leaseName));
    if (!current) {
      try {
        await this.registry.create(Resources.leases, LEASE_NAMESPACE, { ...lease, spec: { ...lease.spec, acquireTime: now } });
      } catch (err) {
        if (!(err instanceof ApiStatusError && err.code === 409)) throw err;
      }
      return;
    }
    await this.registry.guaranteedUpdate(Resources.leases, LEASE_NAMESPACE, this.leaseName, (obj) => {
      const l = obj as unknown as Lease;
      l.metadata = { ...l.metadata, labels: { ...l.metadata?.labels, ...lease.metadata!.labels }, annotations: { ...l.metadata?.annotations, ...lease.metadata!.annotations } };
      l.spec = { ...l.spec, ...lease.spec };
      return l as unknown as typeof obj;
    });
  }

  /** The apiservers whose Lease changed within its duration (this one always, while running). */
  private async liveApiservers(): Promise<ApiserverEndpoint[]> {
    // Every apiserver's latest renewal, not this replica's possibly older copy.
    await this.registry.storage.waitForLatest().catch(() => undefined);
    const leases = (await this.registry.storage.list(bucketOf(Resources.leases), { prefix: namespacePrefix(Resources.leases, LEASE_NAMESPACE) })).items.map((s) => s.obj as unknown as Lease);
    const now = Date.now();
    const live: ApiserverEndpoint[] = [];
    const seen = new Set<string>();
    for (const l of leases) {
      const addr = l.metadata?.annotations?.[ADVERTISE_ANNOTATION];
      const name = l.metadata?.name ?? '';
      if (l.metadata?.labels?.[APISERVER_IDENTITY_LABEL] !== 'kube-apiserver' || !addr) continue;
      seen.add(name);
      const record = JSON.stringify([l.spec?.renewTime, l.spec?.leaseDurationSeconds]);
      const prev = this.observed.get(name);
      if (!prev || prev.record !== record) this.observed.set(name, { record, at: now });
      const at = this.observed.get(name)!.at;
      const cut = addr.lastIndexOf(':');
      const endpoint = { ip: addr.slice(0, cut), port: Number(addr.slice(cut + 1)) };
      const ttlMs = (l.spec?.leaseDurationSeconds ?? ENDPOINT_RECONCILER_TTL_SECONDS) * 1000;
      if (name === this.leaseName ? !this.stopped : at + ttlMs > now) live.push(endpoint);
    }
    for (const name of this.observed.keys()) if (!seen.has(name)) this.observed.delete(name);
    if (!this.stopped && !live.some((e) => apiserverLeaseName(e) === this.leaseName)) live.push(this.self);
    return live;
  }

  private async ensureService(live: ApiserverEndpoint[]): Promise<void> {
    const want = kubernetesService(this.o);
    const current = await this.registry.storage.get(bucketOf(Resources.services), keyOf(Resources.services, NAMESPACE, KubernetesServiceName));
    if (!current) {
      try {
        await this.registry.create(Resources.services, NAMESPACE, want);
      } catch (err) {
        if (!(err instanceof ApiStatusError && err.code === 409)) throw err;
      }
      return;
    }
    const spec = (current.obj.spec ?? {}) as NonNullable<Service['spec']>;
    // With several apiservers on different ports, any live one's port is a right target.
    const targetOk = (p: unknown) => live.some((e) => e.port === p);
    const ports = spec.ports ?? [];
    if (ports.length === 1 && targetOk(ports[0].targetPort) && deepEqual({ ...ports[0], targetPort: 0 }, { ...want.spec!.ports![0], targetPort: 0 })) return;
    await this.registry.guaranteedUpdate(Resources.services, NAMESPACE, KubernetesServiceName, (svc) => {
      (svc.spec as NonNullable<Service['spec']>).ports = want.spec!.ports;
      return svc;
    });
  }

  private async ensureEndpoints(live: ApiserverEndpoint[]): Promise<void> {
    const want = kubernetesEndpoints(this.o, live);
    const current = await this.registry.storage.get(bucketOf(Resources.endpoints), keyOf(Resources.endpoints, NAMESPACE, KubernetesServiceName));
    if (current && deepEqual((current.obj as unknown as Endpoints).subsets, want.subsets)) return;
    await this.registry.update(Resources.endpoints, NAMESPACE, KubernetesServiceName, want);
  }
}
