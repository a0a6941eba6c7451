// Defaulting of the core/v1 kinds other than pods: Services (with ClusterIP and NodePort allocation),
// Namespaces, Nodes, Secrets and Endpoints. ConfigMaps, ServiceAccounts and Events have no defaults.
import { Allocator, existingMap, JsonMap, mapAt, mapsIn, missing, setDefault } from './common';

export function defaultService(svc: JsonMap, alloc: Allocator): void {
  const spec = mapAt(svc, 'spec');
  if (!spec) return;
  setDefault(spec, 'type', 'ClusterIP');
  const type = spec.type;
  if (type === 'ExternalName') {
    setDefault(spec, 'sessionAffinity', 'None');
    for (const port of mapsIn(spec, 'ports')) setDefault(port, 'protocol', 'TCP');
    return;
  }
  setDefault(spec, 'sessionAffinity', 'None');
  const needsNodePorts = type === 'NodePort' || type === 'LoadBalancer';
  // A LoadBalancer may go without node ports (allocateLoadBalancerNodePorts: false), keeping those it names.
  const allocatesNodePorts = type === 'NodePort' || (type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
  for (const port of mapsIn(spec, 'ports')) {
    setDefault(port, 'protocol', 'TCP');
    if (missing(port.targetPort) && port.port !== undefined) port.targetPort = port.port;
    if (allocatesNodePorts && (missing(port.nodePort) || port.nodePort === 0)) port.nodePort = alloc.nodePort();
  }
  // ClusterIP: take it from clusterIPs, or allocate one; "None" means headless.
  if (missing(spec.clusterIP) || spec.clusterIP === '') {
    const ips = spec.clusterIPs;
    spec.clusterIP = Array.isArray(ips) && typeof ips[0] === 'string' && ips[0] !== '' ? ips[0] : alloc.clusterIP();
  }
  if (missing(spec.clusterIPs) || (Array.isArray(spec.clusterIPs) && spec.clusterIPs.length === 0)) {
    spec.clusterIPs = [spec.clusterIP];
  }
  setDefault(spec, 'ipFamilies', ['IPv4']);
  setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
  setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (needsNodePorts) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  if (needsHealthCheckNodePort(spec) && (missing(spec.healthCheckNodePort) || spec.healthCheckNodePort === 0)) spec.healthCheckNodePort = alloc.nodePort();
  const status = mapAt(svc, 'status');
  if (status) setDefault(status, 'loadBalancer', {});
}

/**
 * On a Service update, keeps the ClusterIP and NodePorts already allocated when the new object leaves
 * them out (as Kubernetes does), so applyDefaults does not allocate them again. The registry's
 * Service write transaction calls it.
 */
/** A LoadBalancer Service with externalTrafficPolicy Local gets a health check NodePort (kube's needsHCNodePort). */
export function needsHealthCheckNodePort(spec: { type?: unknown; externalTrafficPolicy?: unknown }): boolean {
  return spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

export function preserveServiceAllocations(next: JsonMap, old: JsonMap): void {
  const spec = existingMap(next, 'spec');
  const oldSpec = existingMap(old, 'spec');
  if (!spec || !oldSpec) return;
  if ((missing(spec.clusterIP) || spec.clusterIP === '') && typeof oldSpec.clusterIP === 'string') {
    spec.clusterIP = oldSpec.clusterIP;
    if (missing(spec.clusterIPs) && Array.isArray(oldSpec.clusterIPs)) spec.clusterIPs = [...oldSpec.clusterIPs];
  }
  // The health check port follows kube's dropTypeDependentFields: kept while the Service needs one,
  // dropped (and released) once it no longer does unless the write sets a new value.
  if (needsHealthCheckNodePort(spec)) {
    if ((missing(spec.healthCheckNodePort) || spec.healthCheckNodePort === 0) && typeof oldSpec.healthCheckNodePort === 'number') spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
  } else if (spec.healthCheckNodePort === oldSpec.healthCheckNodePort) {
    delete spec.healthCheckNodePort;
  }
  // Fields of the old type the write did not change go with it (kube's dropTypeDependentFields), so
  // `kubectl edit` of the type alone is valid.
  if (spec.type !== 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === oldSpec.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
  if (spec.type !== 'LoadBalancer' && spec.loadBalancerClass === oldSpec.loadBalancerClass) delete spec.loadBalancerClass;
  const oldPorts = mapsIn(oldSpec, 'ports');
  // Only types that use node ports keep them: a NodePort turned ClusterIP releases its ports.
  if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') {
    if (spec.externalTrafficPolicy === oldSpec.externalTrafficPolicy) delete spec.externalTrafficPolicy;
    for (const port of mapsIn(spec, 'ports')) {
      if (!missing(port.nodePort) && oldPorts.some((o) => o.nodePort === port.nodePort)) delete port.nodePort;
    }
    return;
  }
  for (const port of mapsIn(spec, 'ports')) {
    if (!missing(port.nodePort) && port.nodePort !== 0) continue;
    const match = oldPorts.find(
      (o) => o.port === port.port && (o.protocol ?? 'TCP') === (port.protocol ?? 'TCP') && !missing(o.nodePort),
    );
    if (match) port.nodePort = match.nodePort;
  }
}

// ---- cluster objects ----

export function defaultNamespace(ns: JsonMap): void {
  // Every namespace carries its name as a label (SetDefaults_Namespace), so selectors (a webhook's
  // namespaceSelector, a NetworkPolicy's) can pick namespaces by name. A nameless (generateName) one
  // gets it once named: defaults run after the name is made.
  const md = existingMap(ns, 'metadata');
  if (md && typeof md.name === 'string' && md.name !== '') {
    const labels = mapAt(md, 'labels');
    if (labels) labels['kubernetes.io/metadata.name'] = md.name;
  }
  const spec = mapAt(ns, 'spec');
  if (spec) setDefault(spec, 'finalizers', ['kubernetes']);
  const status = mapAt(ns, 'status');
  if (status) setDefault(status, 'phase', 'Active');
}

export function defaultNode(node: JsonMap): void {
  const status = existingMap(node, 'status');
  if (!status) return;
  // A node that reports capacity but no allocatable can give all of it (SetDefaults_NodeStatus).
  const capacity = existingMap(status, 'capacity');
  if (capacity && missing(status.allocatable)) status.allocatable = { ...capacity };
}

// ---- config and endpoints ----

export function defaultSecret(secret: JsonMap): void {
  setDefault(secret, 'type', 'Opaque');
  // stringData is write-only (the v1 → internal conversion): merged into data, its keys winning.
  const stringData = secret.stringData;
  if (stringData !== undefined && stringData !== null && typeof stringData === 'object' && !Array.isArray(stringData)) {
    const data = existingMap(secret, 'data') ?? {};
    for (const [k, v] of Object.entries(stringData as JsonMap)) if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
    secret.data = data;
    delete secret.stringData;
  }
}

export function defaultEndpoints(ep: JsonMap): void {
  for (const subset of mapsIn(ep, 'subsets')) {
    for (const port of mapsIn(subset, 'ports')) setDefault(port, 'protocol', 'TCP');
  }
}
