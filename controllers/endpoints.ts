// The Endpoints controller, after Kubernetes' pkg/controller/endpoint. The pure core,
// reconcileEndpoints(service, pods), turns a Service with a selector and the pods of its namespace into
// the Endpoints object it should have: ready pods in `addresses`, not-ready ones in `notReadyAddresses`
// (all in `addresses` with publishNotReadyAddresses), each service port resolved against the pod's
// container ports (named targetPorts included), subsets grouped by identical port sets. Services
// without a selector are left alone: their Endpoints belong to whoever wrote them.
// reconcileEndpointSlices computes the discovery.k8s.io/v1 EndpointSlices of the same Service.
// The controller class wires both to Service, Pod, Endpoints and EndpointSlice informers and a work
// queue keyed by the Service's namespace/name; it writes only what differs from the cached objects.
import { createHash } from 'node:crypto';
import type { Endpoint as SliceEndpoint, EndpointPort as SlicePort, EndpointSlice } from 'kubernetes-types/discovery/v1';
import type { ContainerPort, EndpointAddress, EndpointPort, Endpoints, EndpointSubset, Pod, Service, ServicePort } from 'kubernetes-types/core/v1';
import { isAlreadyExists, isNotFound } from '../lib/client/client';
import { Controller, ControllerContext, ReconcileResult, runWorkers } from '../lib/client/controller';
import type { Informer } from '../lib/client/informer';
import { objectKey, splitKey } from '../lib/client/informer';
import { Resources } from '../lib/api/resources';
import { WorkQueue } from '../lib/client/workqueue';
import { isPodReady } from '../lib/api/pod';
import { stableJson } from '../lib/api/json';

/** The label Kubernetes puts on the Endpoints of a headless Service. */
export const HeadlessServiceLabel = 'service.kubernetes.io/headless';

export interface EndpointsPlan {
  /** The Endpoints the Service should have; undefined when the controller leaves this Service alone. */
  desired?: Endpoints;
  /** Pod ports that could not be resolved (a named targetPort the pod does not declare). */
  unresolved: Array<{ pod: string; port: string }>;
}

/** A Service selects pods only through a non-empty selector map (an empty one selects nothing). */
export function hasSelector(svc: Service): boolean {
  return !!svc.spec?.selector && Object.keys(svc.spec.selector).length > 0;
}

export function selectorMatches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  const l = labels || {};
  return Object.entries(selector).every(([k, v]) => l[k] === v);
}

function isTerminal(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

/** Kubernetes' ShouldPodBeInEndpoints: live, has an IP, and not terminating (unless terminating ones count). */
export function shouldPodBeInEndpoints(p: Pod, includeTerminating: boolean): boolean {
  if (isTerminal(p)) return false;
  if (!p.status?.podIP && !(p.status?.podIPs || []).length) return false;
  if (!includeTerminating && p.metadata?.deletionTimestamp) return false;
  return true;
}

/**
 * Kubernetes' podutil.FindPort: the container port a service port's targetPort means on this pod.
 * A number is taken as is; a name is looked up among the pod's container ports of the same protocol.
 */
export function findPort(p: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = sp.protocol || 'TCP';
  for (const c of p.spec?.containers || []) {
    for (const cp of c.ports || ([] as ContainerPort[])) {
      if (cp.name === target && (cp.protocol || 'TCP') === protocol) return cp.containerPort;
    }
  }
  return undefined;
}

function podIP(p: Pod): string {
  return p.status?.podIP || p.status?.podIPs?.[0]?.ip || '';
}

function addressFor(p: Pod, svc: Service): EndpointAddress {
  const a: EndpointAddress = { ip: podIP(p) };
  // The pod's hostname is published only when the pod names this Service as its subdomain.
  if (p.spec?.hostname && p.spec.subdomain === svc.metadata?.name && p.metadata?.namespace === svc.metadata?.namespace) a.hostname = p.spec.hostname;
  if (p.spec?.nodeName) a.nodeName = p.spec.nodeName;
  a.targetRef = { kind: 'Pod', namespace: p.metadata?.namespace, name: p.metadata?.name, uid: p.metadata?.uid };
  return a;
}

function portKey(ports: EndpointPort[]): string {
  return ports.map((p) => `${p.name ?? ''}/${p.port}/${p.protocol ?? 'TCP'}`).join(',');
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return a.ip.localeCompare(b.ip, 'en', { numeric: true }) || (a.targetRef?.uid ?? '').localeCompare(b.targetRef?.uid ?? '');
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  return (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port || (a.protocol ?? '').localeCompare(b.protocol ?? '');
}

/**
 * Kubernetes' RepackSubsets: every address goes to the subset of its exact port set; within a subset,
 * addresses and ports are sorted so the same pods always produce the same object.
 */
export function repackSubsets(entries: Array<{ address: EndpointAddress; ready: boolean; ports: EndpointPort[] }>): EndpointSubset[] {
  // First every port of each address (one pod, readiness kept apart), then addresses by port set.
  const byAddress = new Map<string, { address: EndpointAddress; ready: boolean; ports: Map<string, EndpointPort> }>();
  for (const e of entries) {
    const key = `${e.ready ? 'r' : 'n'}|${e.address.ip}|${e.address.targetRef?.uid ?? ''}`;
    let a = byAddress.get(key);
    if (!a) byAddress.set(key, (a = { address: e.address, ready: e.ready, ports: new Map() }));
    for (const p of e.ports) a.ports.set(portKey([p]), p);
  }
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const a of byAddress.values()) {
    const ports = [...a.ports.values()].sort(comparePorts);
    const key = portKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: [], notReady: [] }));
    (a.ready ? g.ready : g.notReady).push(a.address);
  }
  const subsets: EndpointSubset[] = [];
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key)!;
    const s: EndpointSubset = {};
    if (g.ready.length) s.addresses = g.ready.sort(compareAddresses);
    if (g.notReady.length) s.notReadyAddresses = g.notReady.sort(compareAddresses);
    if (g.ports.length) s.ports = g.ports;
    subsets.push(s);
  }
  return subsets;
}

/** The pure core: the Endpoints a Service should have, given the pods of its namespace. */
export function reconcileEndpoints(svc: Service, pods: Pod[]): EndpointsPlan {
  const plan: EndpointsPlan = { unresolved: [] };
  if (!hasSelector(svc)) return plan;
  const selector = svc.spec!.selector!;
  const ns = svc.metadata?.namespace;
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const headless = svc.spec?.clusterIP === 'None';
  const servicePorts = svc.spec?.ports || [];
  const entries: Array<{ address: EndpointAddress; ready: boolean; ports: EndpointPort[] }> = [];
  for (const p of pods) {
    if (p.metadata?.namespace !== ns || !selectorMatches(selector, p.metadata?.labels)) continue;
    if (!shouldPodBeInEndpoints(p, publishNotReady)) continue;
    const address = addressFor(p, svc);
    const ready = publishNotReady || isPodReady(p);
    if (servicePorts.length === 0) {
      // A headless Service without ports still lists its pods (for DNS); others list nothing.
      if (headless) entries.push({ address, ready, ports: [] });
      continue;
    }
    for (const sp of servicePorts) {
      const port = findPort(p, sp);
      if (port === undefined) {
        plan.unresolved.push({ pod: p.metadata?.name ?? '', port: String(sp.targetPort ?? sp.port) });
        continue;
      }
      const ep: EndpointPort = { port, protocol: sp.protocol || 'TCP' };
      if (sp.name) ep.name = sp.name;
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      // Kubernetes adds one subset per (pod, service port); repacking merges them by port set.
      entries.push({ address, ready, ports: [ep] });
    }
  }
  const labels: Record<string, string> = { ...(svc.metadata?.labels || {}) };
  if (headless) labels[HeadlessServiceLabel] = '';
  else delete labels[HeadlessServiceLabel];
  plan.desired = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: svc.metadata?.name, namespace: ns, labels },
    subsets: repackSubsets(entries),
  };
  return plan;
}

/** The labels Kubernetes' EndpointSlice controller puts on the slices it manages. */
export const ServiceNameLabel = 'kubernetes.io/service-name';
export const ManagedByLabel = 'endpointslice.kubernetes.io/managed-by';
export const ManagedByValue = 'endpointslice-controller.k8s.io';
/** Kubernetes' --max-endpoints-per-slice default. */
export const MaxEndpointsPerSlice = 100;

/**
 * The EndpointSlices (discovery.k8s.io/v1) a Service with a selector should have: endpoints grouped by
 * their resolved port set, at most MaxEndpointsPerSlice per slice, named deterministically
 * (<service>-<hash of the port set>[-<n>]) so a sync finds its own slices again. Unlike Endpoints, slices
 * also list terminating pods, with conditions saying so (ready false, terminating true).
 */
export function reconcileEndpointSlices(svc: Service, pods: Pod[], maxPerSlice = MaxEndpointsPerSlice): EndpointSlice[] | undefined {
  if (!hasSelector(svc)) return undefined;
  const selector = svc.spec!.selector!;
  const ns = svc.metadata?.namespace;
  const name = svc.metadata?.name ?? '';
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const servicePorts = svc.spec?.ports || [];
  const groups = new Map<string, { ports: SlicePort[]; endpoints: SliceEndpoint[] }>();
  const sortedPods = [...pods].sort((a, b) => podIP(a).localeCompare(podIP(b), 'en', { numeric: true }) || (a.metadata?.uid ?? '').localeCompare(b.metadata?.uid ?? ''));
  for (const p of sortedPods) {
    if (p.metadata?.namespace !== ns || !selectorMatches(selector, p.metadata?.labels)) continue;
    if (!shouldPodBeInEndpoints(p, true)) continue;
    const ports: SlicePort[] = [];
    for (const sp of servicePorts) {
      const port = findPort(p, sp);
      if (port === undefined) continue;
      ports.push({ name: sp.name ?? '', port, protocol: sp.protocol || 'TCP', ...(sp.appProtocol ? { appProtocol: sp.appProtocol } : {}) });
    }
    if (servicePorts.length > 0 && ports.length === 0) continue;
    ports.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || (a.port ?? 0) - (b.port ?? 0));
    const terminating = !!p.metadata?.deletionTimestamp;
    const serving = publishNotReady || isPodReady(p);
    const ep: SliceEndpoint = {
      addresses: [podIP(p)],
      conditions: { ready: serving && (publishNotReady || !terminating), serving, terminating },
      targetRef: { kind: 'Pod', namespace: p.metadata?.namespace, name: p.metadata?.name, uid: p.metadata?.uid },
    };
    if (p.spec?.nodeName) ep.nodeName = p.spec.nodeName;
    if (p.spec?.hostname && p.spec.subdomain === name) ep.hostname = p.spec.hostname;
    const key = ports.map((x) => `${x.name}/${x.port}/${x.protocol}`).join(',');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: [] }));
    g.endpoints.push(ep);
  }
  // A Service with no endpoints at all still gets one (empty) slice, as Kubernetes does.
  if (groups.size === 0) groups.set('', { ports: [], endpoints: [] });
  const labels: Record<string, string> = { ...(svc.metadata?.labels || {}), [ServiceNameLabel]: name, [ManagedByLabel]: ManagedByValue };
  if (svc.spec?.clusterIP === 'None') labels[HeadlessServiceLabel] = '';
  const slices: EndpointSlice[] = [];
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key)!;
    const hash = createHash('sha256').update(key).digest('hex').slice(0, 5);
    const chunks = Math.max(1, Math.ceil(g.endpoints.length / maxPerSlice));
    for (let i = 0; i < chunks; i++) {
      slices.push({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: `${name.slice(0, 230)}-${hash}${i ? `-${i}` : ''}`,
          namespace: ns,
          labels: { ...labels },
          ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
        },
        addressType: 'IPv4',
        endpoints: g.endpoints.slice(i * maxPerSlice, (i + 1) * maxPerSlice),
        ports: g.ports,
      });
    }
  }
  return slices;
}

/** Whether a stored slice already says what the desired one says. */
export function endpointSliceEqual(current: EndpointSlice, desired: EndpointSlice): boolean {
  const norm = (e: EndpointSlice) => ({
    labels: e.metadata?.labels || {},
    owners: (e.metadata?.ownerReferences || []).map((r) => r.uid),
    addressType: e.addressType,
    endpoints: e.endpoints || [],
    ports: (e.ports || []).map((p) => ({ ...p, protocol: p.protocol || 'TCP', name: p.name ?? '' })),
  });
  return stableJson(norm(current)) === stableJson(norm(desired));
}


/** Whether the current Endpoints already say what the desired ones say (subsets and labels). */
export function endpointsEqual(current: Endpoints, desired: Endpoints): boolean {
  // The apiserver defaults port protocols; an empty subsets list and a missing one are the same.
  const norm = (e: Endpoints) => ({
    labels: e.metadata?.labels || {},
    subsets: (e.subsets || []).map((s) => ({
      addresses: s.addresses || [],
      notReadyAddresses: s.notReadyAddresses || [],
      ports: (s.ports || []).map((p) => ({ ...p, protocol: p.protocol || 'TCP' })),
    })),
  });
  return stableJson(norm(current)) === stableJson(norm(desired));
}

export interface EndpointsControllerOptions {
  workers?: number;
}

export class EndpointsController implements Controller {
  readonly name = 'endpoints';
  private readonly queue = new WorkQueue<string>('endpoints', { maxDelayMs: 30_000 });
  private readonly services: Informer<Service>;
  private readonly pods: Informer<Pod>;
  private readonly endpoints: Informer<Endpoints>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly workers: number;
  private running?: Promise<void>;

  constructor(
    private readonly ctx: ControllerContext,
    opts: EndpointsControllerOptions = {},
  ) {
    this.workers = opts.workers ?? 5;
    this.services = ctx.informers.informerFor<Service>(Resources.services);
    this.pods = ctx.informers.informerFor<Pod>(Resources.pods);
    this.endpoints = ctx.informers.informerFor<Endpoints>(Resources.endpoints);
    this.slices = ctx.informers.informerFor<EndpointSlice>(Resources.endpointslices);
  }

  async start(): Promise<void> {
    const enqueue = (o: Service | Endpoints) => this.queue.add(objectKey(o));
    this.services.onAdd(enqueue);
    this.services.onUpdate((_o, s) => enqueue(s));
    this.services.onDelete(enqueue);
    // Someone else changing or deleting an Endpoints we manage gets it rewritten.
    this.endpoints.onAdd(enqueue);
    this.endpoints.onUpdate((_o, e) => enqueue(e));
    this.endpoints.onDelete(enqueue);
    const sliceChanged = (sl: EndpointSlice) => {
      const service = sl.metadata?.labels?.[ServiceNameLabel];
      if (service && sl.metadata?.labels?.[ManagedByLabel] === ManagedByValue) this.queue.add(`${sl.metadata?.namespace}/${service}`);
    };
    this.slices.onUpdate((_o, sl) => sliceChanged(sl));
    this.slices.onDelete(sliceChanged);
    this.pods.onAdd((p) => this.podChanged(p));
    this.pods.onUpdate((o, p) => this.podChanged(p, o));
    this.pods.onDelete((p) => this.podChanged(p));
    this.ctx.informers.start();
    await Promise.all([this.services.start(), this.pods.start(), this.endpoints.start(), this.slices.start()]);
    this.running = runWorkers(this.queue, this.workers, (key) => this.sync(key), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  async stopped(): Promise<void> {
    await this.running;
  }

  /** Every Service whose selector matches the pod now or matched it before the update. */
  private podChanged(p: Pod, old?: Pod): void {
    for (const svc of this.services.list(p.metadata?.namespace)) {
      if (!hasSelector(svc)) continue;
      const sel = svc.spec!.selector!;
      if (selectorMatches(sel, p.metadata?.labels) || (old && selectorMatches(sel, old.metadata?.labels))) this.queue.add(objectKey(svc));
    }
  }

  private async sync(key: string): Promise<ReconcileResult> {
    const a = await this.syncEndpoints(key);
    const b = await this.syncSlices(key);
    return a ?? b;
  }

  /** The slices this controller made for a Service (by label), from the cache. */
  private managedSlices(namespace: string | undefined, service: string): EndpointSlice[] {
    return this.slices.list(namespace).filter((sl) => sl.metadata?.labels?.[ServiceNameLabel] === service && sl.metadata?.labels?.[ManagedByLabel] === ManagedByValue);
  }

  private async syncSlices(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.getByKey(key);
    const desired = svc ? reconcileEndpointSlices(svc, this.pods.list(namespace)) : [];
    if (!desired) return; // no selector: not ours to manage
    const current = new Map(this.managedSlices(namespace, name).map((sl) => [sl.metadata?.name ?? '', sl]));
    let requeue: ReconcileResult = undefined;
    for (const want of desired) {
      const have = current.get(want.metadata?.name ?? '');
      current.delete(want.metadata?.name ?? '');
      if (have) {
        if (endpointSliceEqual(have, want)) continue;
        await this.ctx.client.update<EndpointSlice>(Resources.endpointslices, { ...want, metadata: { ...want.metadata, resourceVersion: have.metadata?.resourceVersion } });
        continue;
      }
      try {
        await this.ctx.client.create<EndpointSlice>(Resources.endpointslices, namespace, want);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        requeue = { requeueAfterMs: 100 };
      }
    }
    for (const extra of current.values()) {
      try {
        await this.ctx.client.delete(Resources.endpointslices, namespace, extra.metadata?.name ?? '');
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return requeue;
  }

  private async syncEndpoints(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const svc = this.services.getByKey(key);
    const current = this.endpoints.getByKey(key);
    if (!svc) {
      // The Service is gone: so are its Endpoints (Kubernetes deletes them here, not through GC).
      if (current) {
        try {
          await this.ctx.client.delete(Resources.endpoints, namespace, name);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return;
    }
    const plan = reconcileEndpoints(svc, this.pods.list(namespace));
    if (!plan.desired) return;
    const desired = plan.desired;
    if (current) {
      if (endpointsEqual(current, desired)) return;
      const annotations = current.metadata?.annotations;
      await this.ctx.client.update<Endpoints>(Resources.endpoints, {
        ...desired,
        metadata: { ...desired.metadata, resourceVersion: current.metadata?.resourceVersion, ...(annotations ? { annotations } : {}) },
      });
      return;
    }
    try {
      await this.ctx.client.create<Endpoints>(Resources.endpoints, namespace, desired);
    } catch (err) {
      // The cache had not seen it yet: the watch will bring it, and the update handler requeues.
      if (!isAlreadyExists(err)) throw err;
      return { requeueAfterMs: 100 };
    }
  }
}
