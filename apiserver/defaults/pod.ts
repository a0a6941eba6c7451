// Pod defaulting: SetDefaults_Pod and SetDefaults_PodSpec with their containers, probes and volumes, the
// fields Kubernetes' ServiceAccount and Priority admission plugins add, and the pod's QoS class. The pod
// spec part also serves the pod templates of workloads.
import type { PodSpec } from 'kubernetes-types/core/v1';
import { existingMap, JsonMap, mapAt, mapsIn, missing, setDefault } from './common';
import { qosClass } from '../../lib/api/pod';

export function defaultPod(pod: JsonMap): void {
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
    if (spec) setDefault(status, 'qosClass', qosClass(spec as unknown as PodSpec));
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



/** Defaults of a workload's pod template (spec.template.spec), for Deployments, ReplicaSets, DaemonSets and Jobs. */
export function defaultTemplate(obj: JsonMap): void {
  const spec = existingMap(obj, 'spec');
  const template = spec && existingMap(spec, 'template');
  const podSpec = template && existingMap(template, 'spec');
  if (podSpec) defaultPodSpec(podSpec);
}
