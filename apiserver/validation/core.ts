// core/v1 validation other than pods: Service, Node, Namespace, ConfigMap, Secret, Endpoints, Event,
// and coordination/v1 Lease.
import type {
  ConfigMap,
  Endpoints,
  Event,
  Namespace,
  Node,
  Secret,
  Service,
  ServicePort,
} from 'kubernetes-types/core/v1';
import type { Lease } from 'kubernetes-types/coordination/v1';
import { validateQualifiedName, validateLabelValue } from '../../lib/api/selectors';
import { QuantityError, parseQuantity } from '../../lib/api/quantity';
import {
  type FieldCause,
  at,
  configMapKey,
  dns1123Label,
  dns1123Subdomain,
  duplicate,
  forbidden,
  idx,
  invalid,
  ipMessage,
  isCIDR,
  isIPAddress,
  isPortNumber,
  key,
  nonNegative,
  notSupported,
  portRangeMessage,
  positive,
  required,
  tooLong,
  validateLabels,
} from './common';
import { validateIntOrNamedPort } from './pod';
import { needsHealthCheckNodePort } from '../defaults/core';
import { stableJson } from '../../lib/api/json';

const protocols = ['SCTP', 'TCP', 'UDP'];
const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const sessionAffinities = ['ClientIP', 'None'];
const trafficPolicies = ['Cluster', 'Local'];
const ipFamilyPolicies = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];
const ipFamilies = ['IPv4', 'IPv6'];
export const nodePortRange = { min: 30000, max: 32767 };

// ---- Service ----

export function validateService(svc: Service, old?: Service): FieldCause[] {
  const spec = svc.spec;
  if (!spec) return [required('spec')];
  const causes: FieldCause[] = [];
  const type = spec.type ?? 'ClusterIP';
  if (!serviceTypes.includes(type)) causes.push(notSupported('spec.type', type, serviceTypes));
  const headless = spec.clusterIP === 'None';
  const ports = spec.ports ?? [];
  if (ports.length === 0 && !headless && type !== 'ExternalName') causes.push(required('spec.ports'));

  if (type === 'ExternalName') {
    if (!spec.externalName) causes.push(required('spec.externalName'));
    else for (const msg of dns1123Subdomain(spec.externalName)) causes.push(invalid('spec.externalName', spec.externalName, msg));
    if (spec.clusterIP && spec.clusterIP !== '') {
      causes.push(forbidden('spec.clusterIP', 'may not be set for ExternalName services'));
    }
  } else if (spec.clusterIP && !headless && !isIPAddress(spec.clusterIP)) {
    causes.push(invalid('spec.clusterIP', spec.clusterIP, ipMessage));
  }
  if (headless && (type === 'NodePort' || type === 'LoadBalancer')) {
    causes.push(invalid('spec.clusterIP', 'None', `may not be set to 'None' for ${type} services`));
  }
  if (spec.clusterIP && spec.clusterIPs && spec.clusterIPs.length > 0 && spec.clusterIPs[0] !== spec.clusterIP) {
    causes.push(invalid('spec.clusterIPs', spec.clusterIPs, 'must be empty or the first value must match spec.clusterIP'));
  }
  (spec.externalIPs ?? []).forEach((ip, i) => {
    if (!isIPAddress(ip)) causes.push(invalid(idx('spec.externalIPs', i), ip, ipMessage));
  });

  const names = new Set<string>();
  const portKeys = new Set<string>();
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => causes.push(...validateServicePort(p, idx('spec.ports', i), { multiple: ports.length > 1, names, portKeys, nodePorts, type })));

  if (spec.sessionAffinity !== undefined && !sessionAffinities.includes(spec.sessionAffinity)) {
    causes.push(notSupported('spec.sessionAffinity', spec.sessionAffinity, sessionAffinities));
  }
  if (spec.externalTrafficPolicy !== undefined) {
    if (!trafficPolicies.includes(spec.externalTrafficPolicy)) {
      causes.push(notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, trafficPolicies));
    } else if (type !== 'NodePort' && type !== 'LoadBalancer') {
      causes.push(invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
    }
  }
  // kube's field path keeps its historical capital L; values may be space-padded (from the old annotation).
  if (spec.loadBalancerSourceRanges?.length) {
    if (type !== 'LoadBalancer') causes.push(forbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    spec.loadBalancerSourceRanges.forEach((r, i) => {
      if (!isCIDR(r.trim())) causes.push(invalid(idx('spec.LoadBalancerSourceRanges', i), r.trim(), 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    });
  }
  // Its range and uniqueness are the allocator's to check, as a port's nodePort.
  if (spec.healthCheckNodePort !== undefined && spec.healthCheckNodePort !== 0 && !needsHealthCheckNodePort(spec)) {
    causes.push(invalid('spec.healthCheckNodePort', spec.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  }
  if (spec.internalTrafficPolicy !== undefined && !trafficPolicies.includes(spec.internalTrafficPolicy)) {
    causes.push(notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, trafficPolicies));
  }
  if (spec.ipFamilyPolicy !== undefined && !ipFamilyPolicies.includes(spec.ipFamilyPolicy)) {
    causes.push(notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, ipFamilyPolicies));
  }
  (spec.ipFamilies ?? []).forEach((f, i) => {
    if (!ipFamilies.includes(f)) causes.push(notSupported(idx('spec.ipFamilies', i), f, ipFamilies));
  });
  causes.push(...validateLabels('spec.selector', spec.selector));

  if (old?.spec) {
    const oldType = old.spec.type ?? 'ClusterIP';
    const oldIP = old.spec.clusterIP;
    if (oldType !== 'ExternalName' && type !== 'ExternalName' && oldIP && spec.clusterIP && oldIP !== spec.clusterIP) {
      causes.push(invalid('spec.clusterIP', spec.clusterIP, 'field is immutable'));
    }
  }
  return causes;
}

interface PortContext {
  multiple: boolean;
  names: Set<string>;
  portKeys: Set<string>;
  nodePorts: Set<string>;
  type: string;
}

function validateServicePort(p: ServicePort, field: string, ctx: PortContext): FieldCause[] {
  const causes: FieldCause[] = [];
  if (ctx.multiple && !p.name) causes.push(required(at(field, 'name')));
  if (p.name) {
    for (const msg of dns1123Label(p.name)) causes.push(invalid(at(field, 'name'), p.name, msg));
    if (ctx.names.has(p.name)) causes.push(duplicate(at(field, 'name'), p.name));
    ctx.names.add(p.name);
  }
  if (!isPortNumber(p.port)) causes.push(invalid(at(field, 'port'), p.port ?? 0, portRangeMessage));
  const protocol = p.protocol ?? 'TCP';
  if (!protocols.includes(protocol)) causes.push(notSupported(at(field, 'protocol'), protocol, protocols));
  const portKey = `${p.port}/${protocol}`;
  if (ctx.portKeys.has(portKey)) causes.push(duplicate(field, { port: p.port, protocol }));
  ctx.portKeys.add(portKey);
  if (p.targetPort !== undefined && p.targetPort !== 0 && p.targetPort !== '') {
    causes.push(...validateIntOrNamedPort(at(field, 'targetPort'), p.targetPort));
  }
  if (p.nodePort !== undefined && p.nodePort !== 0) {
    if (ctx.type === 'ClusterIP' || ctx.type === 'ExternalName') {
      causes.push(forbidden(at(field, 'nodePort'), `may not be used when \`type\` is '${ctx.type}'`));
    } else if (p.nodePort < nodePortRange.min || p.nodePort > nodePortRange.max) {
      causes.push(
        invalid(
          at(field, 'nodePort'),
          p.nodePort,
          `provided port is not in the valid range. The range of valid ports is ${nodePortRange.min}-${nodePortRange.max}`,
        ),
      );
    } else {
      const nodeKey = `${p.nodePort}/${protocol}`;
      if (ctx.nodePorts.has(nodeKey)) causes.push(duplicate(at(field, 'nodePort'), p.nodePort));
      ctx.nodePorts.add(nodeKey);
    }
  }
  return causes;
}

// ---- Node ----

const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const addressTypes = ['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS'];

function validateQuantityMap(field: string, m: Record<string, string | number> | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const [name, q] of Object.entries(m ?? {})) {
    try {
      if (parseQuantity(q).value < 0) causes.push(invalid(key(field, name), String(q), 'must be greater than or equal to 0'));
    } catch (err) {
      if (!(err instanceof QuantityError)) throw err;
      causes.push(invalid(key(field, name), String(q), err.message));
    }
  }
  return causes;
}

export function validateNode(node: Node): FieldCause[] {
  const causes: FieldCause[] = [];
  const spec = node.spec ?? {};
  const seen = new Set<string>();
  (spec.taints ?? []).forEach((t, i) => {
    const base = idx('spec.taints', i);
    if (!t.key) causes.push(required(at(base, 'key')));
    else for (const msg of validateQualifiedName(t.key)) causes.push(invalid(at(base, 'key'), t.key, msg));
    if (t.value) for (const msg of validateLabelValue(t.value)) causes.push(invalid(at(base, 'value'), t.value, msg));
    if (!t.effect) causes.push(required(at(base, 'effect')));
    else if (!taintEffects.includes(t.effect)) causes.push(notSupported(at(base, 'effect'), t.effect, taintEffects));
    const k = `${t.key}:${t.effect}`;
    if (seen.has(k)) causes.push(duplicate(at(base, 'effect'), t.effect));
    seen.add(k);
  });
  if (spec.podCIDR && !isCIDR(spec.podCIDR)) {
    causes.push(invalid('spec.podCIDR', spec.podCIDR, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
  }
  (spec.podCIDRs ?? []).forEach((c, i) => {
    if (!isCIDR(c)) causes.push(invalid(idx('spec.podCIDRs', i), c, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
  });
  const status = node.status;
  if (status) {
    causes.push(...validateQuantityMap('status.capacity', status.capacity));
    causes.push(...validateQuantityMap('status.allocatable', status.allocatable));
    (status.addresses ?? []).forEach((a, i) => {
      const base = idx('status.addresses', i);
      if (!addressTypes.includes(a.type)) causes.push(notSupported(at(base, 'type'), a.type, addressTypes));
      if ((a.type === 'InternalIP' || a.type === 'ExternalIP') && !isIPAddress(a.address)) {
        causes.push(invalid(at(base, 'address'), a.address, ipMessage));
      }
    });
    (status.conditions ?? []).forEach((c, i) => {
      const base = idx('status.conditions', i);
      if (!c.type) causes.push(required(at(base, 'type')));
      if (!['True', 'False', 'Unknown'].includes(c.status)) {
        causes.push(notSupported(at(base, 'status'), c.status, ['True', 'False', 'Unknown']));
      }
    });
  }
  return causes;
}

// ---- Namespace ----

const namespacePhases = ['Active', 'Terminating'];

export function validateNamespace(ns: Namespace): FieldCause[] {
  const causes: FieldCause[] = [];
  (ns.spec?.finalizers ?? []).forEach((f, i) => {
    const field = idx('spec.finalizers', i);
    const errs = validateQualifiedName(f);
    for (const msg of errs) causes.push(invalid(field, f, msg));
    if (errs.length === 0 && !f.includes('/') && f !== 'kubernetes') {
      causes.push(invalid(field, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  const phase = ns.status?.phase;
  if (phase !== undefined && !namespacePhases.includes(phase)) causes.push(notSupported('status.phase', phase, namespacePhases));
  return causes;
}

// ---- ConfigMap and Secret ----

const maxDataSize = 1024 * 1024;

function validateDataKeys(field: string, data: Record<string, string> | undefined, others: Array<Record<string, string> | undefined>, otherName: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const k of Object.keys(data ?? {})) {
    for (const msg of configMapKey(k)) causes.push(invalid(key(field, k), k, msg));
    if (others.some((o) => o && Object.prototype.hasOwnProperty.call(o, k))) {
      causes.push(invalid(key(field, k), k, `duplicate of key present in ${otherName}`));
    }
  }
  return causes;
}

function dataSize(...maps: Array<Record<string, string> | undefined>): number {
  let size = 0;
  for (const m of maps) for (const [k, v] of Object.entries(m ?? {})) size += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  return size;
}

export function validateConfigMap(cm: ConfigMap, old?: ConfigMap): FieldCause[] {
  const causes: FieldCause[] = [];
  causes.push(...validateDataKeys('data', cm.data, [cm.binaryData], 'binaryData'));
  causes.push(...validateDataKeys('binaryData', cm.binaryData, [], ''));
  if (dataSize(cm.data, cm.binaryData) > maxDataSize) causes.push(tooLong('data', maxDataSize));
  if (old?.immutable) {
    if (!cm.immutable) causes.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
    if (stableJson(cm.data ?? {}) !== stableJson(old.data ?? {})) {
      causes.push(forbidden('data', 'field is immutable when `immutable` is set'));
    }
    if (stableJson(cm.binaryData ?? {}) !== stableJson(old.binaryData ?? {})) {
      causes.push(forbidden('binaryData', 'field is immutable when `immutable` is set'));
    }
  }
  return causes;
}

// Keys each well-known Secret type must carry (in data or stringData).
const secretTypeKeys: Record<string, string[]> = {
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
};

export function validateSecret(secret: Secret, old?: Secret): FieldCause[] {
  const causes: FieldCause[] = [];
  causes.push(...validateDataKeys('data', secret.data, [], ''));
  causes.push(...validateDataKeys('stringData', secret.stringData, [], ''));
  // data holds base64: its decoded size is what counts.
  const decoded = Object.entries(secret.data ?? {}).reduce((n, [k, v]) => n + k.length + Math.floor((String(v).length * 3) / 4), 0);
  if (decoded + dataSize(secret.stringData) > maxDataSize) causes.push(tooLong('data', maxDataSize));
  const type = secret.type ?? 'Opaque';
  const present = new Set([...Object.keys(secret.data ?? {}), ...Object.keys(secret.stringData ?? {})]);
  for (const k of secretTypeKeys[type] ?? []) if (!present.has(k)) causes.push(required(key('data', k)));
  if (type === 'kubernetes.io/service-account-token' && !secret.metadata?.annotations?.['kubernetes.io/service-account.name']) {
    causes.push(required(key('metadata.annotations', 'kubernetes.io/service-account.name')));
  }
  if (type === 'kubernetes.io/basic-auth' && !present.has('username') && !present.has('password')) {
    causes.push(required(key('data', 'username')));
  }
  if (old) {
    if ((old.type ?? 'Opaque') !== type) causes.push(invalid('type', type, 'field is immutable'));
    if (old.immutable) {
      if (!secret.immutable) causes.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
      if (stableJson(secret.data ?? {}) !== stableJson(old.data ?? {}) || secret.stringData) {
        causes.push(forbidden('data', 'field is immutable when `immutable` is set'));
      }
    }
  }
  return causes;
}

// ---- Endpoints ----

export function validateEndpoints(ep: Endpoints): FieldCause[] {
  const causes: FieldCause[] = [];
  (ep.subsets ?? []).forEach((subset, i) => {
    const base = idx('subsets', i);
    for (const list of ['addresses', 'notReadyAddresses'] as const) {
      (subset[list] ?? []).forEach((a, j) => {
        const f = at(idx(at(base, list), j), 'ip');
        if (!a.ip) causes.push(required(f));
        else if (!isIPAddress(a.ip)) causes.push(invalid(f, a.ip, ipMessage));
        if (a.nodeName) for (const msg of dns1123Subdomain(a.nodeName)) causes.push(invalid(at(idx(at(base, list), j), 'nodeName'), a.nodeName, msg));
      });
    }
    const names = new Set<string>();
    const ports = subset.ports ?? [];
    ports.forEach((p, j) => {
      const f = idx(at(base, 'ports'), j);
      if (ports.length > 1 && !p.name) causes.push(required(at(f, 'name')));
      if (p.name) {
        for (const msg of dns1123Label(p.name)) causes.push(invalid(at(f, 'name'), p.name, msg));
        if (names.has(p.name)) causes.push(duplicate(at(f, 'name'), p.name));
        names.add(p.name);
      }
      if (!isPortNumber(p.port)) causes.push(invalid(at(f, 'port'), p.port ?? 0, portRangeMessage));
      const protocol = p.protocol ?? 'TCP';
      if (!protocols.includes(protocol)) causes.push(notSupported(at(f, 'protocol'), protocol, protocols));
    });
  });
  return causes;
}

// ---- Event ----

const eventTypes = ['Normal', 'Warning'];

export function validateEvent(ev: Event): FieldCause[] {
  const causes: FieldCause[] = [];
  const involved = ev.involvedObject;
  if (!involved) return [required('involvedObject')];
  const ns = ev.metadata?.namespace ?? '';
  const involvedNs = involved.namespace ?? '';
  if (!ev.eventTime) {
    // A v1 event without eventTime lives in its object's namespace; events about cluster-scoped
    // objects go to "default" (legacyValidateEvent).
    const agrees = involvedNs === '' ? ns === '' || ns === 'default' : ns === involvedNs;
    if (!agrees) causes.push(invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
  } else {
    // An event written with the newer fields must say who reported it, and why.
    if (involvedNs === '' && ns !== 'default' && ns !== 'kube-system') {
      causes.push(invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    }
    if (!ev.reportingComponent) causes.push(required('reportingController'));
    else for (const msg of validateQualifiedName(ev.reportingComponent)) causes.push(invalid('reportingController', ev.reportingComponent, msg));
    if (!ev.reportingInstance) causes.push(required('reportingInstance'));
    else if (ev.reportingInstance.length > 128) causes.push(invalid('reportingInstance', '', 'can have at most 128 characters'));
    if (!ev.action) causes.push(required('action'));
    else if (ev.action.length > 128) causes.push(invalid('action', '', 'can have at most 128 characters'));
    if (!ev.reason) causes.push(required('reason'));
    if ((ev.message ?? '').length > 1024) causes.push(invalid('message', '', 'can have at most 1024 characters'));
  }
  if (ev.reason && ev.reason.length > 128) causes.push(invalid('reason', '', 'can have at most 128 characters'));
  if (ev.type !== undefined && ev.type !== '' && !eventTypes.includes(ev.type)) causes.push(notSupported('type', ev.type, eventTypes));
  causes.push(...nonNegative('count', ev.count));
  return causes;
}

// ---- Lease ----

export function validateLease(lease: Lease): FieldCause[] {
  const spec = lease.spec ?? {};
  return [...positive('spec.leaseDurationSeconds', spec.leaseDurationSeconds), ...nonNegative('spec.leaseTransitions', spec.leaseTransitions)];
}
