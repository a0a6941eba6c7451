// The `kubernetes` Service in the `default` namespace and its Endpoints, as kube-apiserver's master
// controller keeps them: ClusterIP = the first address of the service range, port 443 (named https) to
// the apiserver's secure port, and Endpoints naming the apiserver's advertise address. Pods find the API
// through it (KUBERNETES_SERVICE_HOST/PORT, which the node agent derives from this Service). Reconciled at
// start and every 10 s, so a deleted or changed object comes back.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Endpoints, Service } from 'kubernetes-types/core/v1';
import { isIPv4, numberToIpv4, parseIpv4Cidr } from '../../lib/api/ip';
import { Resources } from '../../lib/api/resources';
import { deepEqual } from '../../lib/api/json';
import { ApiStatusError } from '../errors';
import { bucketOf, keyOf } from './keys';
import type { Registry } from './registry';

export const KubernetesServiceName = 'kubernetes';
const NAMESPACE = 'default';
const INTERVAL_MS = 10_000;

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

export function kubernetesEndpoints(o: KubernetesServiceOptions): Endpoints {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: KubernetesServiceName, namespace: NAMESPACE, labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: o.advertiseAddress }], ports: [{ name: 'https', port: o.port, protocol: 'TCP' }] }],
  };
}

export class KubernetesServiceReconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly o: KubernetesServiceOptions,
  ) {
    if (!isIPv4(o.advertiseAddress)) throw new Error(`advertise address ${o.advertiseAddress} is not an IPv4 address`);
  }

  async start(): Promise<void> {
    await this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  reconcile(): Promise<void> {
    this.running ??= this.reconcileOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async reconcileOnce(): Promise<void> {
    try {
      await this.ensureService();
      await this.ensureEndpoints();
    } catch (err) {
      (this.o.log ?? ((m: string) => process.stderr.write(`apiserver: ${m}\n`)))(`reconciling the default/kubernetes service: ${(err as Error).message}`);
    }
  }

  private async ensureService(): Promise<void> {
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
    if (deepEqual(spec.ports, want.spec!.ports)) return;
    await this.registry.guaranteedUpdate(Resources.services, NAMESPACE, KubernetesServiceName, (svc) => {
      (svc.spec as NonNullable<Service['spec']>).ports = want.spec!.ports;
      return svc;
    });
  }

  private async ensureEndpoints(): Promise<void> {
    const want = kubernetesEndpoints(this.o);
    const current = await this.registry.storage.get(bucketOf(Resources.endpoints), keyOf(Resources.endpoints, NAMESPACE, KubernetesServiceName));
    if (current && deepEqual((current.obj as unknown as Endpoints).subsets, want.subsets)) return;
    await this.registry.update(Resources.endpoints, NAMESPACE, KubernetesServiceName, want);
  }
}
