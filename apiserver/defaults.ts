// Kubernetes' defaulting (SetDefaults_* in k8s.io/kubernetes/pkg/apis/*/v1 plus the defaults the
// standard admission plugins add), for the kinds in lib/api/resources.ts. Runs before validation, on input
// that may be malformed: a field of the wrong JSON type is left alone for validation to report.
import type { ResourceType } from '../lib/api/resources';
import { compareQuantities } from '../lib/api/quantity';

type JsonMap = Record<string, unknown>;

export interface Allocator {
  /** A free ClusterIP from the service range. */
  clusterIP(): string;
  /** A free NodePort from 30000-32767. */
  nodePort(): number;
}

function isMap(v: unknown): v is JsonMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function missing(v: unknown): boolean {
  return v === undefined || v === null;
}

/** Sets obj[key] when absent (undefined or null, as Go's nil). */
function setDefault(obj: JsonMap, key: string, value: unknown): void {
  if (missing(obj[key])) obj[key] = value;
}

/** The map at obj[key], created when absent; undefined when the field holds something else. */
function mapAt(obj: JsonMap, key: string): JsonMap | undefined {
  if (missing(obj[key])) obj[key] = {};
  const v = obj[key];
  return isMap(v) ? v : undefined;
}

/** The map at obj[key] only if present. */
function existingMap(obj: JsonMap, key: string): JsonMap | undefined {
  const v = obj[key];
  return isMap(v) ? v : undefined;
}

/** The maps of the list at obj[key] (non-map elements skipped), or [] when it is not a list. */
function mapsIn(obj: JsonMap, key: string): JsonMap[] {
  const v = obj[key];
  return Array.isArray(v) ? v.filter(isMap) : [];
}

/**
 * Fills in Kubernetes' defaults, in place. `alloc` hands out ClusterIPs and NodePorts for Services that
 * lack them; on an update, carry the old allocations over first (preserveServiceAllocations) so that
 * nothing is allocated twice.
 */
export function applyDefaults(resource: ResourceType, obj: JsonMap, alloc: Allocator): void {
  switch (`${resource.group}/${resource.kind}`) {
    case '/Pod':
      defaultPod(obj);
      break;
    case 'apps/Deployment':
      defaultDeployment(obj);
      break;
    case 'apps/ReplicaSet':
      defaultReplicaSet(obj);
      break;
    case 'apps/DaemonSet':
      defaultDaemonSet(obj);
      break;
    case 'batch/Job':
      defaultJob(obj);
      break;
    case '/Service':
      defaultService(obj, alloc);
      break;
    case '/Namespace':
      defaultNamespace(obj);
      break;
    case '/Node':
      defaultNode(obj);
      break;
    case '/Secret':
      setDefault(obj, 'type', 'Opaque');
      break;
    case '/Endpoints':
      for (const subset of mapsIn(obj, 'subsets')) {
        for (const port of mapsIn(subset, 'ports')) setDefault(port, 'protocol', 'TCP');
      }
      break;
    default:
      break; // ConfigMap, ServiceAccount, Event, Lease: Kubernetes defines no defaults for them.
  }
}

// ---- pods ----

function defaultPod(pod: JsonMap): void {
  const spec = mapAt(pod, 'spec');
  if (spec) {
    defaultPodSpec(spec);
    // What Kubernetes' ServiceAccount and Priority admission plugins add (no toleration defaults).
    setDefault(spec, 'serviceAccountName', typeof spec.serviceAccount === 'string' ? spec.serviceAccount : 'default');
    setDefault(spec, 'serviceAccount', spec.serviceAccountName);
    setDefault(spec, 'enableServiceLinks', true);
    if (missing(spec.priority) && missing(spec.priorityClassName)) spec.priority = 0;
    setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  }
  const status = mapAt(pod, 'status');
  if (status) {
    setDefault(status, 'phase', 'Pending');
    if (spec) setDefault(status, 'qosClass', qosClass(spec));
  }
}

/** Defaults shared by pods and pod templates (SetDefaults_PodSpec and its containers, volumes). */
export function defaultPodSpec(spec: JsonMap): void {
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'schedulerName', 'default-scheduler');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'securityContext', {});
  const hostNetwork = spec.hostNetwork === true;
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const c of mapsIn(spec, key)) defaultContainer(c, hostNetwork);
  }
  for (const v of mapsIn(spec, 'volumes')) defaultVolume(v);
}

function defaultContainer(c: JsonMap, hostNetwork: boolean): void {
  if (missing(c.imagePullPolicy) && typeof c.image === 'string') c.imagePullPolicy = pullPolicyFor(c.image);
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  for (const port of mapsIn(c, 'ports')) {
    setDefault(port, 'protocol', 'TCP');
    if (hostNetwork && missing(port.hostPort) && typeof port.containerPort === 'number') {
      port.hostPort = port.containerPort;
    }
  }
  for (const env of mapsIn(c, 'env')) {
    const fieldRef = existingMap(existingMap(env, 'valueFrom') ?? {}, 'fieldRef');
    if (fieldRef) setDefault(fieldRef, 'apiVersion', 'v1');
  }
  const resources = mapAt(c, 'resources');
  if (resources) {
    // Limits without requests: the requests equal the limits (SetDefaults_Pod).
    const limits = existingMap(resources, 'limits');
    if (limits && Object.keys(limits).length > 0) {
      const requests = mapAt(resources, 'requests');
      if (requests) for (const [name, q] of Object.entries(limits)) setDefault(requests, name, q);
    }
  }
  for (const key of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const probe = existingMap(c, key);
    if (probe) defaultProbe(probe);
  }
  const lifecycle = existingMap(c, 'lifecycle');
  if (lifecycle) {
    for (const key of ['postStart', 'preStop']) {
      const handler = existingMap(lifecycle, key);
      const httpGet = handler && existingMap(handler, 'httpGet');
      if (httpGet) defaultHTTPGet(httpGet);
    }
  }
}

/** Always for ":latest" or an untagged image, IfNotPresent otherwise (a digest counts as a tag). */
export function pullPolicyFor(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return 'Always';
  return lastSegment.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: JsonMap): void {
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  const httpGet = existingMap(probe, 'httpGet');
  if (httpGet) defaultHTTPGet(httpGet);
  const grpc = existingMap(probe, 'grpc');
  if (grpc) setDefault(grpc, 'service', '');
}

function defaultHTTPGet(httpGet: JsonMap): void {
  setDefault(httpGet, 'path', '/');
  setDefault(httpGet, 'scheme', 'HTTP');
}

const defaultFileMode = 0o644; // 420, as Kubernetes writes it

function defaultVolume(v: JsonMap): void {
  const sources = Object.keys(v).filter((k) => k !== 'name');
  if (sources.length === 0) v.emptyDir = {};
  for (const key of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const source = existingMap(v, key);
    if (source) setDefault(source, 'defaultMode', defaultFileMode);
  }
  const hostPath = existingMap(v, 'hostPath');
  if (hostPath) setDefault(hostPath, 'type', '');
}

function sameQuantity(a: unknown, b: unknown): boolean {
  if ((typeof a !== 'string' && typeof a !== 'number') || (typeof b !== 'string' && typeof b !== 'number')) return a === b;
  try {
    return compareQuantities(a, b) === 0;
  } catch {
    return String(a) === String(b); // not quantities: validation reports them
  }
}

/** The pod's QoS class, from its containers' requests and limits (Guaranteed, Burstable, BestEffort). */
export function qosClass(spec: JsonMap): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...mapsIn(spec, 'initContainers'), ...mapsIn(spec, 'containers')];
  let hasAnyResource = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const resources = existingMap(c, 'resources') ?? {};
    const requests = existingMap(resources, 'requests') ?? {};
    const limits = existingMap(resources, 'limits') ?? {};
    const names = ['cpu', 'memory'];
    if (names.some((n) => !missing(requests[n]) || !missing(limits[n]))) hasAnyResource = true;
    for (const n of names) {
      if (missing(limits[n]) || (!missing(requests[n]) && !sameQuantity(requests[n], limits[n]))) guaranteed = false;
    }
  }
  if (!hasAnyResource) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

// ---- workloads ----

function defaultTemplate(obj: JsonMap): void {
  const spec = existingMap(obj, 'spec');
  const template = spec && existingMap(spec, 'template');
  const podSpec = template && existingMap(template, 'spec');
  if (podSpec) defaultPodSpec(podSpec);
}

function defaultDeployment(d: JsonMap): void {
  const spec = mapAt(d, 'spec');
  if (!spec) return;
  setDefault(spec, 'replicas', 1);
  const strategy = mapAt(spec, 'strategy');
  if (strategy) {
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const rolling = mapAt(strategy, 'rollingUpdate');
      if (rolling) {
        setDefault(rolling, 'maxUnavailable', '25%');
        setDefault(rolling, 'maxSurge', '25%');
      }
    }
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultTemplate(d);
}

function defaultReplicaSet(rs: JsonMap): void {
  const spec = mapAt(rs, 'spec');
  if (!spec) return;
  setDefault(spec, 'replicas', 1);
  defaultTemplate(rs);
}

function defaultDaemonSet(ds: JsonMap): void {
  const spec = mapAt(ds, 'spec');
  if (!spec) return;
  const strategy = mapAt(spec, 'updateStrategy');
  if (strategy) {
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const rolling = mapAt(strategy, 'rollingUpdate');
      if (rolling) {
        setDefault(rolling, 'maxUnavailable', 1);
        setDefault(rolling, 'maxSurge', 0);
      }
    }
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultTemplate(ds);
}

// Labels the apiserver puts on a Job's pod template and selector (k8s.io/api/batch/v1).
export const JobNameLabel = 'batch.kubernetes.io/job-name';
export const LegacyJobNameLabel = 'job-name';
export const ControllerUidLabel = 'batch.kubernetes.io/controller-uid';
export const LegacyControllerUidLabel = 'controller-uid';

/**
 * SetDefaults_Job, preceded by the Job strategy's generateSelector: unless spec.manualSelector is true,
 * the template gets the job-name and controller-uid labels and the selector matches the uid. Needs
 * metadata.uid (set by the registry before defaulting); labels already present are left for validation
 * to judge, as Kubernetes does.
 */
function defaultJob(job: JsonMap): void {
  const spec = mapAt(job, 'spec');
  if (!spec) return;
  const md = existingMap(job, 'metadata');
  const template = existingMap(spec, 'template');
  const uid = md && typeof md.uid === 'string' && md.uid !== '' ? md.uid : undefined;
  if (spec.manualSelector !== true && template && uid && typeof md?.name === 'string') {
    const tmd = mapAt(template, 'metadata');
    const labels = tmd && mapAt(tmd, 'labels');
    if (labels) {
      setDefault(labels, LegacyJobNameLabel, md.name);
      setDefault(labels, JobNameLabel, md.name);
      setDefault(labels, LegacyControllerUidLabel, uid);
      setDefault(labels, ControllerUidLabel, uid);
    }
    const selector = mapAt(spec, 'selector');
    const matchLabels = selector && mapAt(selector, 'matchLabels');
    if (matchLabels) setDefault(matchLabels, ControllerUidLabel, uid);
  }
  // Both unset: one pod, once. Parallelism alone: a work queue (completions stays unset).
  if (missing(spec.completions) && missing(spec.parallelism)) spec.completions = 1;
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', 6);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'podReplacementPolicy', 'TerminatingOrFailed');
  // The Job's own labels default to its template's (as read back from storage, with the generated ones).
  const templateLabels = template && existingMap(existingMap(template, 'metadata') ?? {}, 'labels');
  if (md && templateLabels && Object.keys(templateLabels).length > 0) {
    const own = existingMap(md, 'labels');
    if (missing(md.labels) || (own && Object.keys(own).length === 0)) md.labels = { ...templateLabels };
  }
  defaultTemplate(job);
}

// ---- services ----

function defaultService(svc: JsonMap, alloc: Allocator): void {
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
  for (const port of mapsIn(spec, 'ports')) {
    setDefault(port, 'protocol', 'TCP');
    if (missing(port.targetPort) && port.port !== undefined) port.targetPort = port.port;
    if (needsNodePorts && (missing(port.nodePort) || port.nodePort === 0)) port.nodePort = alloc.nodePort();
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
  const status = mapAt(svc, 'status');
  if (status) setDefault(status, 'loadBalancer', {});
}

/**
 * On a Service update, keeps the ClusterIP and NodePorts already allocated when the new object leaves
 * them out (as Kubernetes does), so applyDefaults does not allocate them again.
 */
export function preserveServiceAllocations(next: JsonMap, old: JsonMap): void {
  const spec = existingMap(next, 'spec');
  const oldSpec = existingMap(old, 'spec');
  if (!spec || !oldSpec) return;
  if ((missing(spec.clusterIP) || spec.clusterIP === '') && typeof oldSpec.clusterIP === 'string') {
    spec.clusterIP = oldSpec.clusterIP;
    if (missing(spec.clusterIPs) && Array.isArray(oldSpec.clusterIPs)) spec.clusterIPs = [...oldSpec.clusterIPs];
  }
  const oldPorts = mapsIn(oldSpec, 'ports');
  for (const port of mapsIn(spec, 'ports')) {
    if (!missing(port.nodePort) && port.nodePort !== 0) continue;
    const match = oldPorts.find(
      (o) => o.port === port.port && (o.protocol ?? 'TCP') === (port.protocol ?? 'TCP') && !missing(o.nodePort),
    );
    if (match) port.nodePort = match.nodePort;
  }
}

// ---- cluster objects ----

function defaultNamespace(ns: JsonMap): void {
  const spec = mapAt(ns, 'spec');
  if (spec) setDefault(spec, 'finalizers', ['kubernetes']);
  const status = mapAt(ns, 'status');
  if (status) setDefault(status, 'phase', 'Active');
}

function defaultNode(node: JsonMap): void {
  const status = existingMap(node, 'status');
  if (!status) return;
  // A node that reports capacity but no allocatable can give all of it (SetDefaults_NodeStatus).
  const capacity = existingMap(status, 'capacity');
  if (capacity && missing(status.allocatable)) status.allocatable = { ...capacity };
}
