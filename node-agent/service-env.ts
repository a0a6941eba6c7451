// The service environment variables the kubelet gives every container (getServiceEnvVarMap and
// pkg/kubelet/envvars): for the `kubernetes` Service of the default namespace always, and for every
// Service of the pod's namespace unless enableServiceLinks is false, <NAME>_SERVICE_HOST,
// <NAME>_SERVICE_PORT (+ _<PORT NAME> for named ports) and Docker's link variables <NAME>_PORT,
// <NAME>_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR}. Services without a ClusterIP are left out. This is how
// KUBERNETES_SERVICE_HOST/PORT reach a pod, which client-node's in-cluster config reads.
import type { Pod, Service } from 'kubernetes-types/core/v1';
import type { KubeClient } from '../lib/client/client';
import { Informer } from '../lib/client/informer';
import { Resources } from '../lib/api/resources';

/** Services that give their variables to pods of every namespace (kubelet's masterServices). */
const masterServices = new Set(['kubernetes']);
const masterServiceNamespace = 'default';

function envName(s: string): string {
  return s.replace(/-/g, '_').toUpperCase();
}

function isServiceIPSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** envvars.FromServices: the variables of some services, in the kubelet's order. */
export function envFromServices(services: Service[]): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  for (const svc of services) {
    if (!isServiceIPSet(svc)) continue;
    const ip = svc.spec!.clusterIP!;
    const ports = svc.spec?.ports ?? [];
    const prefix = envName(svc.metadata?.name ?? '');
    out.push({ name: `${prefix}_SERVICE_HOST`, value: ip });
    if (ports.length) out.push({ name: `${prefix}_SERVICE_PORT`, value: String(ports[0].port) });
    for (const p of ports) if (p.name) out.push({ name: `${prefix}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
    ports.forEach((p, i) => {
      const protocol = p.protocol || 'TCP';
      const url = `${protocol.toLowerCase()}://${joinHostPort(ip, p.port)}`;
      if (i === 0) out.push({ name: `${prefix}_PORT`, value: url });
      const portPrefix = `${prefix}_PORT_${p.port}_${protocol.toUpperCase()}`;
      out.push(
        { name: portPrefix, value: url },
        { name: `${portPrefix}_PROTO`, value: protocol.toLowerCase() },
        { name: `${portPrefix}_PORT`, value: String(p.port) },
        { name: `${portPrefix}_ADDR`, value: ip },
      );
    });
  }
  return out;
}

/** getServiceEnvVarMap: the service variables of a pod's namespace, given every Service the node knows. */
export function serviceEnvFor(pod: Pod, services: Service[]): Record<string, string> {
  const ns = pod.metadata?.namespace || 'default';
  const links = pod.spec?.enableServiceLinks ?? true;
  const byName = new Map<string, Service>();
  for (const svc of services) {
    if (!isServiceIPSet(svc)) continue;
    const name = svc.metadata?.name ?? '';
    if (svc.metadata?.namespace === masterServiceNamespace && masterServices.has(name)) {
      if (!byName.has(name)) byName.set(name, svc);
    } else if (svc.metadata?.namespace === ns && links) byName.set(name, svc);
  }
  return Object.fromEntries(envFromServices([...byName.values()]).map((e) => [e.name, e.value]));
}

/** The Services a node agent (or all hollow agents of a process) know, from one informer. */
export class ServiceEnvSource {
  private readonly informer: Informer<Service>;
  private readonly ownInformer: boolean;

  /** `shared`: a Services informer of the process's shared informers, which stop() leaves running. */
  constructor(client: KubeClient, shared?: Informer<Service>) {
    this.ownInformer = !shared;
    this.informer = shared ?? new Informer<Service>(client, Resources.services);
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    if (this.ownInformer) this.informer.stop();
  }

  /** The pod's service variables; throws until the Services have been listed (kubelet does too). */
  envFor(pod: Pod): Record<string, string> {
    if (!this.informer.hasSynced()) throw new Error('services have not yet been read at least once, cannot construct envvars');
    const ns = pod.metadata?.namespace || 'default';
    const services = pod.spec?.enableServiceLinks === false ? [] : this.informer.list(ns);
    const master = this.informer.get(masterServiceNamespace, 'kubernetes');
    return serviceEnvFor(pod, master ? [master, ...services] : services);
  }
}
