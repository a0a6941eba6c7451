// networking.k8s.io/v1 validation: Ingress, IngressClass and NetworkPolicy (k8s.io/kubernetes/pkg/apis/
// networking/validation), with kube-apiserver's messages. The leniencies kube keeps for objects stored
// before a rule tightened (invalid CIDRs, secret names, wildcard rules kept on update) are not needed:
// steer never stored such objects.
import { BlockList, isIP } from 'node:net';
import type { HTTPIngressPath, Ingress, IngressBackend, IngressClass, IngressClassParametersReference, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from 'kubernetes-types/networking/v1';
import { maxLenError } from '../../lib/api/selectors';
import {
  at,
  dns1035Label,
  dns1123Label,
  dns1123Subdomain,
  type FieldCause,
  forbidden,
  idx,
  invalid,
  isCIDR,
  notSupported,
  pathSegmentName,
  portName,
  portRangeMessage,
  required,
  tooLong,
  validateLabelSelector,
} from './common';

const cidrMessage = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';
const wildcardRe = /^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** IsWildcardDNS1123Subdomain: `*.` and a DNS subdomain. */
function wildcardSubdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push(maxLenError(253));
  if (!wildcardRe.test(v)) {
    errs.push(
      "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of " +
        "lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', " +
        "regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
  }
  return errs;
}

function hostErrors(field: string, host: string): FieldCause[] {
  const msgs = host.includes('*') ? wildcardSubdomain(host) : dns1123Subdomain(host);
  return msgs.map((m) => invalid(field, host, m));
}

function isValidPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

// ---- NetworkPolicy ----

function validatePolicyPort(field: string, p: NetworkPolicyPort): FieldCause[] {
  const causes: FieldCause[] = [];
  if (p.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(p.protocol)) causes.push(notSupported(at(field, 'protocol'), p.protocol, ['TCP', 'UDP', 'SCTP']));
  if (p.port === undefined || p.port === null) {
    if (p.endPort !== undefined) causes.push(invalid(at(field, 'endPort'), p.endPort, 'may not be specified when `port` is not specified'));
  } else if (typeof p.port === 'number') {
    if (!isValidPort(p.port)) causes.push(invalid(at(field, 'port'), p.port, portRangeMessage));
    if (p.endPort !== undefined) {
      if (p.endPort < p.port) causes.push(invalid(at(field, 'endPort'), p.endPort, 'must be greater than or equal to `port`'));
      if (!isValidPort(p.endPort)) causes.push(invalid(at(field, 'endPort'), p.endPort, portRangeMessage));
    }
  } else {
    if (p.endPort !== undefined) causes.push(invalid(at(field, 'endPort'), p.endPort, 'may not be specified when `port` is non-numeric'));
    for (const m of portName(p.port)) causes.push(invalid(at(field, 'port'), p.port, m));
  }
  return causes;
}

/** Whether except is a strict subset of cidr (inside it, with a longer prefix). */
function strictSubset(cidr: string, except: string): boolean {
  const [base, bits] = cidr.split('/');
  const [exceptBase, exceptBits] = except.split('/');
  const family = isIP(base) === 6 ? 'ipv6' : 'ipv4';
  if ((isIP(exceptBase) === 6 ? 'ipv6' : 'ipv4') !== family || Number(bits) >= Number(exceptBits)) return false;
  const list = new BlockList();
  list.addSubnet(base, Number(bits), family);
  return list.check(exceptBase, family);
}

function validateIPBlock(field: string, block: NonNullable<NetworkPolicyPeer['ipBlock']>): FieldCause[] {
  if (!block.cidr) return [required(at(field, 'cidr'))];
  if (!isCIDR(block.cidr)) return [invalid(at(field, 'cidr'), block.cidr, cidrMessage)];
  const causes: FieldCause[] = [];
  (block.except ?? []).forEach((e, i) => {
    const f = idx(at(field, 'except'), i);
    if (!isCIDR(e)) causes.push(invalid(f, e, cidrMessage));
    else if (!strictSubset(block.cidr, e)) causes.push(invalid(f, e, 'must be a strict subset of `cidr`'));
  });
  return causes;
}

function validatePeer(field: string, peer: NetworkPolicyPeer): FieldCause[] {
  const causes: FieldCause[] = [];
  let peers = 0;
  if (peer.podSelector) {
    peers++;
    causes.push(...validateLabelSelector(at(field, 'podSelector'), peer.podSelector));
  }
  if (peer.namespaceSelector) {
    peers++;
    causes.push(...validateLabelSelector(at(field, 'namespaceSelector'), peer.namespaceSelector));
  }
  if (peer.ipBlock) {
    peers++;
    causes.push(...validateIPBlock(at(field, 'ipBlock'), peer.ipBlock));
  }
  if (peers === 0) causes.push(required(field, 'must specify a peer'));
  else if (peers > 1 && peer.ipBlock) causes.push(forbidden(field, 'may not specify both ipBlock and another peer'));
  return causes;
}

export function validateNetworkPolicy(np: NetworkPolicy): FieldCause[] {
  const spec = np.spec ?? { podSelector: {} };
  const causes = validateLabelSelector('spec.podSelector', spec.podSelector);
  (spec.ingress ?? []).forEach((rule, i) => {
    const f = idx('spec.ingress', i);
    (rule.ports ?? []).forEach((p, j) => causes.push(...validatePolicyPort(idx(at(f, 'ports'), j), p)));
    (rule.from ?? []).forEach((p, j) => causes.push(...validatePeer(idx(at(f, 'from'), j), p)));
  });
  (spec.egress ?? []).forEach((rule, i) => {
    const f = idx('spec.egress', i);
    (rule.ports ?? []).forEach((p, j) => causes.push(...validatePolicyPort(idx(at(f, 'ports'), j), p)));
    (rule.to ?? []).forEach((p, j) => causes.push(...validatePeer(idx(at(f, 'to'), j), p)));
  });
  const types = spec.policyTypes ?? [];
  if (types.length > 2) return [...causes, invalid('spec.policyTypes', types, 'may not specify more than two policyTypes')];
  types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress') causes.push(notSupported(idx('spec.policyTypes', i), t, ['Ingress', 'Egress']));
  });
  return causes;
}

// ---- Ingress ----

function validateBackend(field: string, b: IngressBackend): FieldCause[] {
  if (b.resource && b.service) return [invalid(field, '', 'cannot set both resource and service backends')];
  if (b.resource) return validateTypedReference(at(field, 'resource'), b.resource);
  if (!b.service) return [invalid(field, '', 'resource or service backend is required')];
  const causes: FieldCause[] = [];
  const svc = b.service;
  if (!svc.name) causes.push(required(at(at(field, 'service'), 'name')));
  else for (const m of dns1035Label(svc.name)) causes.push(invalid(`${field}.service.name`, svc.name, m));
  const name = svc.port?.name ?? '';
  const number = svc.port?.number ?? 0;
  if (name && number) causes.push(invalid(field, '', 'cannot set both port name & port number'));
  else if (name) for (const m of portName(name)) causes.push(invalid(`${field}.service.port.name`, name, m));
  else if (number) {
    if (!isValidPort(number)) causes.push(invalid(`${field}.service.port.number`, number, portRangeMessage));
  } else causes.push(required(field, 'port name or number is required'));
  return causes;
}

function validateTypedReference(field: string, r: { apiGroup?: string; kind: string; name: string }): FieldCause[] {
  const causes: FieldCause[] = [];
  if (r.apiGroup !== undefined) for (const m of dns1123Subdomain(r.apiGroup)) causes.push(invalid(at(field, 'apiGroup'), r.apiGroup, m));
  for (const part of ['kind', 'name'] as const) {
    if (!r[part]) causes.push(required(at(field, part)));
    else for (const m of pathSegmentName(r[part])) causes.push(invalid(at(field, part), r[part], m));
  }
  return causes;
}

const invalidPathSequences = ['//', '/./', '/../', '%2f', '%2F'];
const invalidPathSuffixes = ['/..', '/.'];

function validatePath(field: string, p: HTTPIngressPath): FieldCause[] {
  if (!p.pathType) return [required(at(field, 'pathType'), 'pathType must be specified')];
  const causes: FieldCause[] = [];
  const path = p.path ?? '';
  const pathField = at(field, 'path');
  if (p.pathType === 'Exact' || p.pathType === 'Prefix') {
    if (!path.startsWith('/')) causes.push(invalid(pathField, path, 'must be an absolute path'));
    for (const seq of invalidPathSequences) if (path.includes(seq)) causes.push(invalid(pathField, path, `must not contain '${seq}'`));
    for (const suffix of invalidPathSuffixes) if (path.endsWith(suffix)) causes.push(invalid(pathField, path, `cannot end with '${suffix}'`));
  } else if (p.pathType === 'ImplementationSpecific') {
    if (path && !path.startsWith('/')) causes.push(invalid(pathField, path, 'must be an absolute path'));
  } else {
    causes.push(notSupported(at(field, 'pathType'), p.pathType, ['Exact', 'ImplementationSpecific', 'Prefix']));
  }
  causes.push(...validateBackend(at(field, 'backend'), p.backend ?? ({} as IngressBackend)));
  return causes;
}

export function validateIngress(ing: Ingress, old: Ingress | undefined): FieldCause[] {
  const spec = ing.spec ?? {};
  const causes: FieldCause[] = [];
  if (!spec.rules?.length && !spec.defaultBackend) causes.push(invalid('spec', spec.rules ?? null, 'either `defaultBackend` or `rules` must be specified'));
  if (spec.defaultBackend) causes.push(...validateBackend('spec.defaultBackend', spec.defaultBackend));
  (spec.rules ?? []).forEach((rule, i) => {
    const f = idx('spec.rules', i);
    if (rule.host) {
      if (isIP(rule.host)) causes.push(invalid(at(f, 'host'), rule.host, 'must be a DNS name, not an IP address'));
      causes.push(...hostErrors(at(f, 'host'), rule.host));
    }
    if (rule.http) {
      if (!rule.http.paths?.length) causes.push(required(`${f}.http.paths`));
      (rule.http.paths ?? []).forEach((p, j) => causes.push(...validatePath(idx(`${f}.http.paths`, j), p)));
    }
  });
  (spec.tls ?? []).forEach((tls, i) => {
    const f = idx('spec.tls', i);
    (tls.hosts ?? []).forEach((h, j) => causes.push(...hostErrors(idx(at(f, 'hosts'), j), h)));
    if (tls.secretName) for (const m of dns1123Subdomain(tls.secretName)) causes.push(invalid(at(f, 'secretName'), tls.secretName, m));
  });
  if (spec.ingressClassName !== undefined) for (const m of dns1123Subdomain(spec.ingressClassName)) causes.push(invalid('spec.ingressClassName', spec.ingressClassName, m));
  // Only on create: the deprecated annotation and the field must agree.
  const annotation = ing.metadata?.annotations?.[IngressClassAnnotation];
  if (!old && annotation !== undefined && spec.ingressClassName !== undefined && annotation !== spec.ingressClassName) {
    causes.push(invalid(`annotations.${IngressClassAnnotation}`, annotation, 'must match `ingressClassName` when both are specified'));
  }
  (ing.status?.loadBalancer?.ingress ?? []).forEach((lb, i) => {
    const f = idx('status.loadBalancer.ingress', i);
    if (lb.ip && !isIP(lb.ip)) causes.push(invalid(at(f, 'ip'), lb.ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    if (lb.hostname) {
      for (const m of dns1123Subdomain(lb.hostname)) causes.push(invalid(at(f, 'hostname'), lb.hostname, m));
      if (isIP(lb.hostname)) causes.push(invalid(at(f, 'hostname'), lb.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return causes;
}

/** The deprecated annotation that named an Ingress's class before spec.ingressClassName. */
export const IngressClassAnnotation = 'kubernetes.io/ingress.class';

// ---- IngressClass ----

const httpPathRe = /^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/;

/** IsDomainPrefixedPath: `example.com/path`. */
function domainPrefixedPath(field: string, v: string): FieldCause[] {
  const slash = v.indexOf('/');
  if (slash <= 0 || slash === v.length - 1) return [invalid(field, v, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const host = v.slice(0, slash);
  const path = v.slice(slash + 1);
  const causes = dns1123Subdomain(host).map((m) => invalid(field, host, m));
  if (!httpPathRe.test(path)) causes.push(invalid(field, path, "Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"));
  return causes;
}

function validateParameters(field: string, p: IngressClassParametersReference): FieldCause[] {
  const causes = validateTypedReference(field, p);
  if (p.scope === undefined) return [...causes, required(at(field, 'scope'))];
  if (p.scope !== 'Cluster' && p.scope !== 'Namespace') causes.push(notSupported(at(field, 'scope'), p.scope, ['Cluster', 'Namespace']));
  else if (p.scope === 'Namespace') {
    if (p.namespace === undefined) causes.push(required(at(field, 'namespace'), "`parameters.scope` is set to 'Namespace'"));
    else for (const m of dns1123Label(p.namespace)) causes.push(invalid(at(field, 'namespace'), p.namespace, m));
  } else if (p.namespace !== undefined) causes.push(forbidden(at(field, 'namespace'), "`parameters.scope` is set to 'Cluster'"));
  return causes;
}

export function validateIngressClass(ic: IngressClass, old: IngressClass | undefined): FieldCause[] {
  const spec = ic.spec ?? {};
  const causes: FieldCause[] = [];
  if (old && (old.spec?.controller ?? '') !== (spec.controller ?? '')) causes.push(invalid('spec.controller', spec.controller ?? '', 'field is immutable'));
  if (!spec.controller) causes.push(required('spec.controller'));
  else {
    if (spec.controller.length > 250) causes.push(tooLong('spec.controller', 250));
    causes.push(...domainPrefixedPath('spec.controller', spec.controller));
  }
  if (spec.parameters) causes.push(...validateParameters('spec.parameters', spec.parameters));
  return causes;
}
