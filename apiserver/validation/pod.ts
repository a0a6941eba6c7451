// Pod and pod-template validation (ValidatePodSpec and friends in k8s.io/kubernetes/pkg/apis/core/validation).
import type {
  Affinity,
  Container,
  ContainerPort,
  EnvVar,
  EphemeralContainer,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  Pod,
  PodAffinityTerm,
  PodSpec,
  Probe,
  Toleration,
  TopologySpreadConstraint,
  Volume,
} from 'kubernetes-types/core/v1';
import { validateQualifiedName, validateLabelValue } from '../../lib/api/selectors';
import { QuantityError, compareQuantities, formatQuantity, parseQuantity, type Quantity } from '../../lib/api/quantity';
import {
  type FieldCause,
  at,
  configMapKey,
  dns1123Label,
  dns1123Subdomain,
  duplicate,
  envVarName,
  forbidden,
  idx,
  invalid,
  ipMessage,
  isIPAddress,
  isPortNumber,
  key,
  nonNegative,
  notFound,
  notSupported,
  portName,
  portRangeMessage,
  required,
  validateAnnotations,
  validateLabelSelector,
  validateLabels,
} from './common';
import { goValueEqual, stableJson } from '../../lib/api/json';
import { validateClaimSpec } from './storage';

const restartPolicies = ['Always', 'OnFailure', 'Never'];
const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
const protocols = ['SCTP', 'TCP', 'UDP'];
const terminationMessagePolicies = ['File', 'FallbackToLogsOnError'];
const tolerationOperators = ['Equal', 'Exists'];
const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const podPhases = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'];
const standardResources = new Set(['cpu', 'memory', 'ephemeral-storage', 'storage', 'pods']);

/**
 * Validates a pod spec at `field` ('spec' for pods, 'spec.template.spec' for templates); `podName` (a pod's
 * own spec) also checks the names of its ephemeral volumes' claims.
 */
export function validatePodSpec(spec: PodSpec | undefined, field: string, podName?: string): FieldCause[] {
  if (!spec) return [required(field)];
  const causes: FieldCause[] = [];
  const volumeNames = new Set<string>();
  (spec.volumes ?? []).forEach((v, i) => causes.push(...validateVolume(v, idx(at(field, 'volumes'), i), volumeNames, podName)));

  const containerNames = new Set<string>();
  const hostPorts = new Set<string>();
  const hostNetwork = spec.hostNetwork === true;
  const containerGroups: Array<[string, Container[] | undefined]> = [
    ['initContainers', spec.initContainers],
    ['containers', spec.containers],
  ];
  if (!spec.containers || spec.containers.length === 0) causes.push(required(at(field, 'containers')));
  for (const [group, list] of containerGroups) {
    (list ?? []).forEach((c, i) => {
      const base = idx(at(field, group), i);
      causes.push(...validateContainer(c, base, { volumeNames, containerNames, hostPorts, hostNetwork, init: group === 'initContainers' }));
    });
  }
  const targets = new Set(containerNames);
  (spec.ephemeralContainers ?? []).forEach((ec, i) => {
    const base = idx(at(field, 'ephemeralContainers'), i);
    causes.push(...validateContainer(ec as Container, base, { volumeNames, containerNames, hostPorts, hostNetwork, init: false }));
    causes.push(...ephemeralOnly(ec, base, targets));
  });

  if (spec.restartPolicy !== undefined && !restartPolicies.includes(spec.restartPolicy)) {
    causes.push(notSupported(at(field, 'restartPolicy'), spec.restartPolicy, restartPolicies));
  }
  if (spec.dnsPolicy !== undefined && !dnsPolicies.includes(spec.dnsPolicy)) {
    causes.push(notSupported(at(field, 'dnsPolicy'), spec.dnsPolicy, dnsPolicies));
  }
  if (spec.activeDeadlineSeconds !== undefined && (spec.activeDeadlineSeconds < 1 || spec.activeDeadlineSeconds > 2147483647)) {
    causes.push(invalid(at(field, 'activeDeadlineSeconds'), spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  causes.push(...nonNegative(at(field, 'terminationGracePeriodSeconds'), spec.terminationGracePeriodSeconds));
  causes.push(...validateLabels(at(field, 'nodeSelector'), spec.nodeSelector));
  for (const k of ['serviceAccountName', 'nodeName'] as const) {
    const v = spec[k];
    if (v) for (const msg of dns1123Subdomain(v)) causes.push(invalid(at(field, k), v, msg));
  }
  for (const k of ['hostname', 'subdomain'] as const) {
    const v = spec[k];
    if (v) for (const msg of dns1123Label(v)) causes.push(invalid(at(field, k), v, msg));
  }
  (spec.tolerations ?? []).forEach((t, i) => causes.push(...validateToleration(t, idx(at(field, 'tolerations'), i))));
  if (spec.affinity) causes.push(...validateAffinity(spec.affinity, at(field, 'affinity')));
  (spec.topologySpreadConstraints ?? []).forEach((c, i) => {
    const base = idx(at(field, 'topologySpreadConstraints'), i);
    if (!(c.maxSkew > 0)) causes.push(invalid(at(base, 'maxSkew'), c.maxSkew, 'must be greater than zero'));
    if (!c.topologyKey) causes.push(required(at(base, 'topologyKey'), 'can not be empty'));
    else for (const msg of validateQualifiedName(c.topologyKey)) causes.push(invalid(at(base, 'topologyKey'), c.topologyKey, msg));
    if (!unsatisfiableActions.includes(c.whenUnsatisfiable)) {
      causes.push(notSupported(at(base, 'whenUnsatisfiable'), c.whenUnsatisfiable, unsatisfiableActions));
    }
    causes.push(...validateLabelSelector(at(base, 'labelSelector'), c.labelSelector));
    causes.push(...validateSpreadConstraintExtras(c, base));
  });
  causes.push(...duplicateSpreadConstraints(spec.topologySpreadConstraints ?? [], at(field, 'topologySpreadConstraints')));
  (spec.imagePullSecrets ?? []).forEach((s, i) => {
    if (!s.name) causes.push(required(at(idx(at(field, 'imagePullSecrets'), i), 'name')));
  });
  return causes;
}

const nodeInclusionPolicies = ['Honor', 'Ignore'];

/** minDomains (> 0, DoNotSchedule only), the node inclusion policies and matchLabelKeys, as Kubernetes checks them. */
function validateSpreadConstraintExtras(c: TopologySpreadConstraint, base: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (c.minDomains !== undefined && c.minDomains !== null) {
    if (!(c.minDomains > 0)) causes.push(invalid(at(base, 'minDomains'), c.minDomains, 'must be greater than 0'));
    else if (c.whenUnsatisfiable !== 'DoNotSchedule') {
      causes.push(invalid(at(base, 'minDomains'), c.minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${c.whenUnsatisfiable}`));
    }
  }
  for (const k of ['nodeAffinityPolicy', 'nodeTaintsPolicy'] as const) {
    const v = c[k];
    if (v !== undefined && v !== null && !nodeInclusionPolicies.includes(v)) causes.push(notSupported(at(base, k), v, nodeInclusionPolicies));
  }
  const selectorKeys = new Set([...Object.keys(c.labelSelector?.matchLabels ?? {}), ...(c.labelSelector?.matchExpressions ?? []).map((e) => e.key)]);
  (c.matchLabelKeys ?? []).forEach((k, i) => {
    const f = idx(at(base, 'matchLabelKeys'), i);
    for (const msg of validateQualifiedName(k)) causes.push(invalid(f, k, msg));
    if (!c.labelSelector) causes.push(forbidden(f, 'must not be specified when labelSelector is not set'));
    else if (selectorKeys.has(k)) causes.push(invalid(f, k, 'exists in both matchLabelKeys and labelSelector'));
  });
  return causes;
}

/** Two constraints may not share both topologyKey and whenUnsatisfiable. */
function duplicateSpreadConstraints(constraints: TopologySpreadConstraint[], field: string): FieldCause[] {
  const seen = new Set<string>();
  const causes: FieldCause[] = [];
  constraints.forEach((c, i) => {
    const pair = `{${c.topologyKey}, ${c.whenUnsatisfiable}}`;
    if (seen.has(pair)) causes.push(duplicate(at(idx(field, i), '{topologyKey, whenUnsatisfiable}'), pair));
    seen.add(pair);
  });
  return causes;
}

const nodeSelectorOperators = ['DoesNotExist', 'Exists', 'Gt', 'In', 'Lt', 'NotIn'];
const unsatisfiableActions = ['DoNotSchedule', 'ScheduleAnyway'];

/** A node selector requirement (node affinity): operator and the values it needs. */
function validateNodeSelectorRequirement(r: NodeSelectorRequirement, field: string, keyMustBeLabel: boolean): FieldCause[] {
  const causes: FieldCause[] = [];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) causes.push(required(at(field, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) causes.push(forbidden(at(field, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) causes.push(required(at(field, 'values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      else if (!/^-?\d+$/.test(values[0])) causes.push(invalid(idx(at(field, 'values'), 0), values[0], 'must be an integer'));
      break;
    default:
      causes.push(notSupported(at(field, 'operator'), r.operator, nodeSelectorOperators));
  }
  if (keyMustBeLabel) for (const msg of validateQualifiedName(r.key)) causes.push(invalid(at(field, 'key'), r.key, msg));
  return causes;
}

function validateNodeSelectorTerm(term: NodeSelectorTerm, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  (term.matchExpressions ?? []).forEach((r, i) => causes.push(...validateNodeSelectorRequirement(r, idx(at(field, 'matchExpressions'), i), true)));
  (term.matchFields ?? []).forEach((r, i) => {
    const base = idx(at(field, 'matchFields'), i);
    if (r.key !== 'metadata.name') causes.push(invalid(at(base, 'key'), r.key, 'not a valid field selector key'));
    causes.push(...validateNodeSelectorRequirement(r, base, false));
  });
  return causes;
}

function validateWeight(field: string, weight: number): FieldCause[] {
  return weight >= 1 && weight <= 100 ? [] : [invalid(field, weight, 'must be in the range 1-100')];
}

function validatePodAffinityTerm(term: PodAffinityTerm, field: string): FieldCause[] {
  const causes = validateLabelSelector(at(field, 'labelSelector'), term.labelSelector);
  causes.push(...validateLabelSelector(at(field, 'namespaceSelector'), term.namespaceSelector));
  if (!term.topologyKey) causes.push(required(at(field, 'topologyKey'), 'can not be empty'));
  else for (const msg of validateQualifiedName(term.topologyKey)) causes.push(invalid(at(field, 'topologyKey'), term.topologyKey, msg));
  (term.namespaces ?? []).forEach((ns, i) => {
    for (const msg of dns1123Label(ns)) causes.push(invalid(idx(at(field, 'namespaces'), i), ns, msg));
  });
  return causes;
}

/** Node affinity, pod affinity and anti-affinity: operators, values, weights, topology keys. */
function validateAffinity(affinity: Affinity, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const node = affinity.nodeAffinity;
  if (node) {
    const base = at(field, 'nodeAffinity');
    const requiredTerms = node.requiredDuringSchedulingIgnoredDuringExecution;
    if (requiredTerms) {
      const termsField = at(at(base, 'requiredDuringSchedulingIgnoredDuringExecution'), 'nodeSelectorTerms');
      if (requiredTerms.nodeSelectorTerms.length === 0) causes.push(required(termsField, 'must have at least one node selector term'));
      requiredTerms.nodeSelectorTerms.forEach((t, i) => causes.push(...validateNodeSelectorTerm(t, idx(termsField, i))));
    }
    (node.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((p, i) => {
      const pBase = idx(at(base, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
      causes.push(...validateWeight(at(pBase, 'weight'), p.weight));
      causes.push(...validateNodeSelectorTerm(p.preference, at(pBase, 'preference')));
    });
  }
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const a = affinity[kind];
    if (!a) continue;
    const base = at(field, kind);
    (a.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      causes.push(...validatePodAffinityTerm(t, idx(at(base, 'requiredDuringSchedulingIgnoredDuringExecution'), i)));
    });
    (a.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((p, i) => {
      const pBase = idx(at(base, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
      causes.push(...validateWeight(at(pBase, 'weight'), p.weight));
      causes.push(...validatePodAffinityTerm(p.podAffinityTerm, at(pBase, 'podAffinityTerm')));
    });
  }
  return causes;
}

/** ObjectMeta fields an ephemeral volume's claim template may set (kube's allowedTemplateObjectMetaFields). */
const ephemeralTemplateMetaFields = new Set(['labels', 'annotations']);

/** kube's validateEphemeralVolumeSource and ValidatePersistentVolumeClaimTemplate. */
function validateEphemeralVolume(v: Volume, field: string, podName: string | undefined): FieldCause[] {
  const base = at(field, 'ephemeral');
  const template = v.ephemeral?.volumeClaimTemplate;
  if (!template) return [required(at(base, 'volumeClaimTemplate'))];
  const tField = at(base, 'volumeClaimTemplate');
  const meta = template.metadata ?? {};
  const causes: FieldCause[] = [...validateAnnotations(at(at(tField, 'metadata'), 'annotations'), meta.annotations), ...validateLabels(at(at(tField, 'metadata'), 'labels'), meta.labels)];
  for (const [key, value] of Object.entries(meta)) {
    const unset = value === undefined || value === null || value === '' || value === 0 || (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && !Array.isArray(value) && Object.keys(value as object).length === 0);
    if (!ephemeralTemplateMetaFields.has(key) && !unset) causes.push(forbidden(at(at(tField, 'metadata'), key), 'cannot be set for an ephemeral volume'));
  }
  causes.push(...validateClaimSpec(template.spec, at(tField, 'spec')));
  // The claim the controller makes is named <pod>-<volume>: it must be a valid object name.
  if (podName && v.name) {
    const claimName = `${podName}-${v.name}`;
    for (const msg of dns1123Subdomain(claimName)) causes.push(invalid(at(field, 'name'), v.name, `PVC name "${claimName}": ${msg}`));
  }
  return causes;
}

function validateVolume(v: Volume, field: string, names: Set<string>, podName?: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!v.name) causes.push(required(at(field, 'name')));
  else {
    for (const msg of dns1123Label(v.name)) causes.push(invalid(at(field, 'name'), v.name, msg));
    if (names.has(v.name)) causes.push(duplicate(at(field, 'name'), v.name));
    names.add(v.name);
  }
  const sources = Object.entries(v).filter(([k, val]) => k !== 'name' && val !== null && val !== undefined);
  if (sources.length === 0) causes.push(required(field, 'must specify a volume type'));
  else if (sources.length > 1) causes.push(forbidden(at(field, sources[1][0]), 'may not specify more than 1 volume type'));
  if (v.hostPath && !v.hostPath.path) causes.push(required(at(at(field, 'hostPath'), 'path')));
  if (v.configMap && !v.configMap.name) causes.push(required(at(at(field, 'configMap'), 'name')));
  if (v.secret && !v.secret.secretName) causes.push(required(at(at(field, 'secret'), 'secretName')));
  for (const [src, items] of [
    ['configMap', v.configMap?.items],
    ['secret', v.secret?.items],
  ] as const) {
    (items ?? []).forEach((item, i) => {
      const base = idx(at(at(field, src), 'items'), i);
      if (!item.key) causes.push(required(at(base, 'key')));
      else for (const msg of configMapKey(item.key)) causes.push(invalid(at(base, 'key'), item.key, msg));
      if (!item.path) causes.push(required(at(base, 'path')));
      else if (item.path.startsWith('/')) causes.push(invalid(at(base, 'path'), item.path, 'must be a relative path'));
      else if (item.path.split('/').includes('..')) causes.push(invalid(at(base, 'path'), item.path, "must not contain '..'"));
    });
  }
  if (v.emptyDir?.sizeLimit !== undefined) causes.push(...validateQuantity(at(at(field, 'emptyDir'), 'sizeLimit'), v.emptyDir.sizeLimit));
  if (v.ephemeral && sources.length === 1) causes.push(...validateEphemeralVolume(v, field, podName));
  return causes;
}

/**
 * What an ephemeral container may not have (kube's validateEphemeralContainers): it debugs a running pod,
 * so no ports, probes, lifecycle hooks, resources or restart policy; its target is a container of the pod.
 */
function ephemeralOnly(ec: EphemeralContainer, field: string, targets: Set<string>): FieldCause[] {
  const causes: FieldCause[] = [];
  // kubectl debug sends `resources: {}`: an empty value is no value.
  const set = (v: unknown) => v !== undefined && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && v !== null && Object.keys(v).length === 0);
  for (const f of ['ports', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'resources', 'resizePolicy', 'restartPolicy'] as const) {
    if (set(ec[f])) causes.push(forbidden(at(field, f), 'cannot be set for an Ephemeral Container'));
  }
  if (ec.targetContainerName && !targets.has(ec.targetContainerName)) causes.push(notFound(at(field, 'targetContainerName'), ec.targetContainerName));
  return causes;
}

interface ContainerContext {
  volumeNames: Set<string>;
  containerNames: Set<string>;
  hostPorts: Set<string>;
  hostNetwork: boolean;
  init: boolean;
}

function validateContainer(c: Container, field: string, ctx: ContainerContext): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!c.name) causes.push(required(at(field, 'name')));
  else {
    for (const msg of dns1123Label(c.name)) causes.push(invalid(at(field, 'name'), c.name, msg));
    if (ctx.containerNames.has(c.name)) causes.push(duplicate(at(field, 'name'), c.name));
    ctx.containerNames.add(c.name);
  }
  if (!c.image || c.image.trim() === '') causes.push(required(at(field, 'image')));
  if (c.imagePullPolicy !== undefined && !pullPolicies.includes(c.imagePullPolicy)) {
    causes.push(notSupported(at(field, 'imagePullPolicy'), c.imagePullPolicy, pullPolicies));
  }
  if (c.terminationMessagePolicy !== undefined && !terminationMessagePolicies.includes(c.terminationMessagePolicy)) {
    causes.push(notSupported(at(field, 'terminationMessagePolicy'), c.terminationMessagePolicy, terminationMessagePolicies));
  }

  const portNames = new Set<string>();
  (c.ports ?? []).forEach((p, i) => causes.push(...validatePort(p, idx(at(field, 'ports'), i), portNames, ctx)));

  (c.env ?? []).forEach((e, i) => causes.push(...validateEnv(e, idx(at(field, 'env'), i))));
  (c.envFrom ?? []).forEach((e, i) => {
    const base = idx(at(field, 'envFrom'), i);
    const n = [e.configMapRef, e.secretRef].filter((x) => x).length;
    if (n === 0) causes.push(invalid(base, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) causes.push(invalid(base, '', 'may not have more than one field specified at a time'));
  });

  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((m, i) => {
    const base = idx(at(field, 'volumeMounts'), i);
    if (!m.name) causes.push(required(at(base, 'name')));
    else if (!ctx.volumeNames.has(m.name)) causes.push(notFound(at(base, 'name'), m.name));
    if (!m.mountPath) causes.push(required(at(base, 'mountPath')));
    else if (mountPaths.has(m.mountPath)) causes.push(invalid(at(base, 'mountPath'), m.mountPath, 'must be unique'));
    else mountPaths.add(m.mountPath);
  });

  causes.push(...validateResources(c.resources, at(field, 'resources')));

  const probes: Array<['livenessProbe' | 'readinessProbe' | 'startupProbe', Probe | undefined]> = [
    ['livenessProbe', c.livenessProbe],
    ['readinessProbe', c.readinessProbe],
    ['startupProbe', c.startupProbe],
  ];
  for (const [name, probe] of probes) {
    if (!probe) continue;
    const base = at(field, name);
    if (ctx.init && c.restartPolicy !== 'Always') {
      causes.push(forbidden(base, 'may not be set for init containers without restartPolicy=Always'));
      continue;
    }
    causes.push(...validateProbe(probe, base, name !== 'readinessProbe'));
  }
  for (const hook of ['postStart', 'preStop'] as const) {
    const handler = c.lifecycle?.[hook];
    if (handler) causes.push(...validateHandler(handler, at(at(field, 'lifecycle'), hook)));
  }
  return causes;
}

function validatePort(p: ContainerPort, field: string, names: Set<string>, ctx: ContainerContext): FieldCause[] {
  const causes: FieldCause[] = [];
  if (p.name) {
    for (const msg of portName(p.name)) causes.push(invalid(at(field, 'name'), p.name, msg));
    if (names.has(p.name)) causes.push(duplicate(at(field, 'name'), p.name));
    names.add(p.name);
  }
  if (p.containerPort === undefined || p.containerPort === 0) causes.push(required(at(field, 'containerPort')));
  else if (!isPortNumber(p.containerPort)) causes.push(invalid(at(field, 'containerPort'), p.containerPort, portRangeMessage));
  if (p.hostPort !== undefined && p.hostPort !== 0) {
    if (!isPortNumber(p.hostPort)) causes.push(invalid(at(field, 'hostPort'), p.hostPort, portRangeMessage));
    else if (ctx.hostNetwork && p.hostPort !== p.containerPort) {
      causes.push(invalid(at(field, 'hostPort'), p.hostPort, 'must match `containerPort` when `hostNetwork` is true'));
    }
  }
  const protocol = p.protocol ?? 'TCP';
  if (!protocols.includes(protocol)) causes.push(notSupported(at(field, 'protocol'), protocol, protocols));
  const hostPort = p.hostPort || (ctx.hostNetwork ? p.containerPort : 0);
  if (hostPort) {
    const hostKey = `${hostPort}/${protocol}`;
    if (ctx.hostPorts.has(hostKey)) causes.push(duplicate(at(field, 'hostPort'), hostKey));
    ctx.hostPorts.add(hostKey);
  }
  if (p.hostIP && !isIPAddress(p.hostIP)) causes.push(invalid(at(field, 'hostIP'), p.hostIP, ipMessage));
  return causes;
}

function validateEnv(e: EnvVar, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!e.name) causes.push(required(at(field, 'name')));
  else for (const msg of envVarName(e.name)) causes.push(invalid(at(field, 'name'), e.name, msg));
  const from = e.valueFrom;
  if (from) {
    if (e.value) causes.push(invalid(at(field, 'valueFrom'), '', 'may not be specified when `value` is not empty'));
    const refs = [from.fieldRef, from.resourceFieldRef, from.configMapKeyRef, from.secretKeyRef].filter((r) => r);
    if (refs.length === 0) {
      causes.push(
        invalid(at(field, 'valueFrom'), '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'),
      );
    } else if (refs.length > 1) {
      causes.push(invalid(at(field, 'valueFrom'), '', 'may not have more than one field specified at a time'));
    }
    if (from.fieldRef && !from.fieldRef.fieldPath) causes.push(required(at(at(at(field, 'valueFrom'), 'fieldRef'), 'fieldPath')));
    if (from.resourceFieldRef && !from.resourceFieldRef.resource) {
      causes.push(required(at(at(at(field, 'valueFrom'), 'resourceFieldRef'), 'resource')));
    }
    for (const [name, ref] of [
      ['configMapKeyRef', from.configMapKeyRef],
      ['secretKeyRef', from.secretKeyRef],
    ] as const) {
      if (!ref) continue;
      const base = at(at(field, 'valueFrom'), name);
      if (!ref.key) causes.push(required(at(base, 'key')));
      else for (const msg of configMapKey(ref.key)) causes.push(invalid(at(base, 'key'), ref.key, msg));
      if (!ref.name) causes.push(required(at(base, 'name')));
    }
  }
  return causes;
}

function validateQuantity(field: string, value: string | number): FieldCause[] {
  try {
    const q = parseQuantity(value);
    return q.value < 0 ? [invalid(field, String(value), 'must be greater than or equal to 0')] : [];
  } catch (err) {
    if (err instanceof QuantityError) return [invalid(field, String(value), err.message)];
    throw err;
  }
}

function isResourceName(name: string): boolean {
  if (standardResources.has(name) || /^hugepages-/.test(name) || name.startsWith('requests.') || name.startsWith('limits.')) {
    return true;
  }
  return name.includes('/') && validateQualifiedName(name).length === 0;
}

/** ValidateResourceRequirements: names, quantities, requests ≤ limits. */
export function validateResources(
  resources: { limits?: Record<string, string | number>; requests?: Record<string, string | number> } | undefined,
  field: string,
): FieldCause[] {
  if (!resources) return [];
  const causes: FieldCause[] = [];
  const parsed: Record<'limits' | 'requests', Record<string, Quantity>> = { limits: {}, requests: {} };
  for (const kind of ['limits', 'requests'] as const) {
    for (const [name, value] of Object.entries(resources[kind] ?? {})) {
      const path = key(at(field, kind), name);
      if (!isResourceName(name)) {
        causes.push(invalid(path, name, 'must be a standard resource type or fully qualified'));
        continue;
      }
      const errs = validateQuantity(path, value);
      causes.push(...errs);
      if (errs.length === 0) parsed[kind][name] = parseQuantity(value);
    }
  }
  for (const [name, request] of Object.entries(parsed.requests)) {
    const limit = parsed.limits[name];
    if (limit && compareQuantities(request, limit) > 0) {
      // Kubernetes prints both quantities in canonical form ("2048Mi" as "2Gi").
      causes.push(
        invalid(key(at(field, 'requests'), name), formatQuantity(request), `must be less than or equal to ${name} limit of ${formatQuantity(limit)}`),
      );
    }
  }
  return causes;
}

type Handler = Pick<Probe, 'exec' | 'httpGet' | 'tcpSocket' | 'grpc'> & { sleep?: unknown };

function validateHandler(h: Handler, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const present = (['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'] as const).filter((k) => h[k] !== undefined && h[k] !== null);
  if (present.length === 0) return [required(field, 'must specify a handler type')];
  for (const extra of present.slice(1)) causes.push(forbidden(at(field, extra), 'may not specify more than 1 handler type'));
  if (h.exec && (!h.exec.command || h.exec.command.length === 0)) causes.push(required(at(at(field, 'exec'), 'command')));
  for (const [name, action] of [
    ['httpGet', h.httpGet],
    ['tcpSocket', h.tcpSocket],
  ] as const) {
    if (!action) continue;
    const portField = at(at(field, name), 'port');
    causes.push(...validateIntOrNamedPort(portField, action.port));
  }
  if (h.httpGet?.scheme !== undefined && !['HTTP', 'HTTPS'].includes(h.httpGet.scheme)) {
    causes.push(notSupported(at(at(field, 'httpGet'), 'scheme'), h.httpGet.scheme, ['HTTP', 'HTTPS']));
  }
  if (h.grpc && !isPortNumber(h.grpc.port)) causes.push(invalid(at(at(field, 'grpc'), 'port'), h.grpc.port, portRangeMessage));
  return causes;
}

/** A port given as a number (1-65535) or as a named port (IANA service name). */
export function validateIntOrNamedPort(field: string, port: number | string | undefined): FieldCause[] {
  if (port === undefined || port === 0 || port === '') return [required(field)];
  if (typeof port === 'number') return isPortNumber(port) ? [] : [invalid(field, port, portRangeMessage)];
  return portName(port).map((msg) => invalid(field, port, msg));
}

function validateProbe(probe: Probe, field: string, successMustBeOne: boolean): FieldCause[] {
  const causes = validateHandler(probe, field);
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    causes.push(...nonNegative(at(field, k), probe[k]));
  }
  if (successMustBeOne && probe.successThreshold !== undefined && probe.successThreshold !== 1) {
    causes.push(invalid(at(field, 'successThreshold'), probe.successThreshold, 'must be 1'));
  }
  return causes;
}

export function validateToleration(t: Toleration, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  if (t.key) for (const msg of validateQualifiedName(t.key)) causes.push(invalid(at(field, 'key'), t.key, msg));
  const operator = t.operator ?? 'Equal';
  if (!t.key && operator !== 'Exists') {
    causes.push(
      invalid(at(field, 'operator'), operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'),
    );
  }
  if (!tolerationOperators.includes(operator)) causes.push(notSupported(at(field, 'operator'), operator, tolerationOperators));
  else if (operator === 'Exists' && t.value) causes.push(invalid(at(field, 'operator'), t.value, "value must be empty when `operator` is 'Exists'"));
  else if (operator === 'Equal' && t.value) {
    for (const msg of validateLabelValue(t.value)) causes.push(invalid(at(field, 'value'), t.value, msg));
  }
  if (t.effect && !taintEffects.includes(t.effect)) causes.push(notSupported(at(field, 'effect'), t.effect, taintEffects));
  if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
    causes.push(invalid(at(field, 'effect'), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
  }
  return causes;
}

export function validatePod(pod: Pod, old?: Pod, subresource?: string): FieldCause[] {
  const causes = validatePodSpec(pod.spec, 'spec', pod.metadata?.name);
  const phase = pod.status?.phase;
  if (phase !== undefined && !podPhases.includes(phase)) causes.push(notSupported('status.phase', phase, podPhases));
  if (pod.status?.podIP && !isIPAddress(pod.status.podIP)) causes.push(invalid('status.podIP', pod.status.podIP, ipMessage));
  // Ephemeral containers come only through the pods/ephemeralcontainers subresource (ValidatePodCreate).
  if (!old && pod.spec?.ephemeralContainers?.length) causes.push(forbidden('spec.ephemeralContainers', 'cannot be set on create'));
  if (old?.spec && pod.spec) {
    if (subresource === 'ephemeralcontainers') {
      causes.push(...validateEphemeralContainersUpdate(pod.spec, old.spec));
      causes.push(...validatePodSpecUpdate(pod.spec, { ...old.spec, ephemeralContainers: pod.spec.ephemeralContainers }));
    } else causes.push(...validatePodSpecUpdate(pod.spec, old.spec));
  }
  return causes;
}

/** ValidatePodEphemeralContainersUpdate: ephemeral containers are only added, never changed or removed. */
function validateEphemeralContainersUpdate(spec: PodSpec, old: PodSpec): FieldCause[] {
  const causes: FieldCause[] = [];
  const now = new Map((spec.ephemeralContainers ?? []).map((c) => [c.name, c]));
  for (const was of old.ephemeralContainers ?? []) {
    const is = now.get(was.name);
    if (!is) causes.push(forbidden('spec.ephemeralContainers', `existing ephemeral containers ${JSON.stringify(was.name)} may not be removed`));
    else if (!goValueEqual(is, was)) causes.push(forbidden('spec.ephemeralContainers', `existing ephemeral containers ${JSON.stringify(was.name)} may not be changed`));
  }
  return causes;
}

const podUpdateMessage =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,' +
  '`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

// ValidatePodUpdate: a pod's spec is immutable but for images, the deadline, added tolerations and the
// grace period. Binding a pending pod (nodeName "" → node) is also let through: steer's binding writes it.
function validatePodSpecUpdate(spec: PodSpec, old: PodSpec): FieldCause[] {
  const causes: FieldCause[] = [];
  const mask = (s: PodSpec, nodeName: string | undefined): PodSpec => {
    const copy = JSON.parse(JSON.stringify(s)) as PodSpec;
    for (const c of [...(copy.containers ?? []), ...(copy.initContainers ?? [])]) c.image = '';
    delete copy.activeDeadlineSeconds;
    delete copy.tolerations;
    delete copy.terminationGracePeriodSeconds;
    copy.nodeName = nodeName;
    return copy;
  };
  const nodeName = old.nodeName ? old.nodeName : undefined;
  const newNodeName = old.nodeName ? spec.nodeName : undefined;
  // As Go compares them: the stored spec carries the fields Go always writes (`"resources":{}`).
  if (!goValueEqual(mask(spec, newNodeName), mask(old, nodeName))) {
    causes.push(forbidden('spec', podUpdateMessage));
  }
  const newTolerations = (spec.tolerations ?? []).map(stableJson);
  if ((old.tolerations ?? []).some((t) => !newTolerations.includes(stableJson(t)))) {
    causes.push(forbidden('spec.tolerations', podUpdateMessage));
  }
  if (old.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds === undefined) {
    causes.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  return causes;
}
