// The Pod Security Standards checks, as k8s.io/pod-security-admission/policy defines them: one entry per
// check (its ID, the level it belongs to and its versions), each version a pure function of the pod's
// metadata and spec that allows it or says why not, in Kubernetes' words (the reasons and details end up
// verbatim in "violates PodSecurity" messages, warnings and audit annotations). Versions follow the
// policy's own: a namespace pinned to v1.22 gets the checks as they were in 1.22.
import type { Container, PodSpec } from 'kubernetes-types/core/v1';
import type { ObjectMeta } from 'kubernetes-types/meta/v1';

export type Level = 'privileged' | 'baseline' | 'restricted';

export interface CheckResult {
  allowed: boolean;
  forbiddenReason?: string;
  forbiddenDetail?: string;
}

export type CheckPodFn = (md: ObjectMeta, spec: PodSpec) => CheckResult;

export interface VersionedCheck {
  /** The first policy minor version (1.x) this version of the check applies to. */
  minimumVersion: number;
  checkPod: CheckPodFn;
  /** Baseline checks this restricted check replaces. */
  overrideCheckIDs?: string[];
}

export interface Check {
  id: string;
  level: Exclude<Level, 'privileged'>;
  versions: VersionedCheck[];
}

const ALLOWED: CheckResult = { allowed: true };

function joinQuote(items: string[]): string {
  return items.length ? `"${items.join('", "')}"` : '';
}

function pluralize(singular: string, plural: string, n: number): string {
  return n === 1 ? singular : plural;
}

/** Sorted unique values (Go's sets.String.List()). */
function sortedSet(s: Set<string>): string[] {
  return [...s].sort();
}

/** Init containers, containers and ephemeral containers, in that order (policy.visitContainers). */
function visitContainers(spec: PodSpec, visit: (c: Container) => void): void {
  for (const c of spec.initContainers ?? []) visit(c);
  for (const c of spec.containers ?? []) visit(c);
  for (const c of spec.ephemeralContainers ?? []) visit(c as Container);
}

function isWindows(spec: PodSpec): boolean {
  return spec.os?.name === 'windows';
}

/** The pod runs in a user namespace (hostUsers: false): some restrictions relax from 1.35. */
function userNamespacePod(spec: PodSpec): boolean {
  return spec.hostUsers === false;
}

function containersPhrase(names: string[]): string {
  return `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;
}

// ---- baseline ---------------------------------------------------------------------------------------

function windowsHostProcess(_md: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.windowsOptions?.hostProcess === true) bad.push(c.name);
  });
  const setters: string[] = [];
  if (spec.securityContext?.windowsOptions?.hostProcess === true) setters.push('pod');
  if (bad.length) setters.push(containersPhrase(bad));
  if (!setters.length) return ALLOWED;
  return { allowed: false, forbiddenReason: 'hostProcess', forbiddenDetail: `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true` };
}

function hostNamespaces(_md: ObjectMeta, spec: PodSpec): CheckResult {
  const ns: string[] = [];
  if (spec.hostNetwork) ns.push('hostNetwork=true');
  if (spec.hostPID) ns.push('hostPID=true');
  if (spec.hostIPC) ns.push('hostIPC=true');
  return ns.length ? { allowed: false, forbiddenReason: 'host namespaces', forbiddenDetail: ns.join(', ') } : ALLOWED;
}

function privileged(_md: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.privileged === true) bad.push(c.name);
  });
  return bad.length ? { allowed: false, forbiddenReason: 'privileged', forbiddenDetail: `${containersPhrase(bad)} must not set securityContext.privileged=true` } : ALLOWED;
}

const baselineCapabilities = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

function capabilitiesBaseline(_md: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const caps = new Set<string>();
  visitContainers(spec, (c) => {
    let valid = true;
    for (const cap of c.securityContext?.capabilities?.add ?? []) {
      if (!baselineCapabilities.has(cap)) {
        valid = false;
        caps.add(cap);
      }
    }
    if (!valid) bad.push(c.name);
  });
  if (!bad.length) return ALLOWED;
  return { allowed: false, forbiddenReason: 'non-default capabilities', forbiddenDetail: `${containersPhrase(bad)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add` };
}

function hostPathVolumes(_md: ObjectMeta, spec: PodSpec): CheckResult {
  const vols = (spec.volumes ?? []).filter((v) => v.hostPath).map((v) => v.name);
  return vols.length ? { allowed: false, forbiddenReason: 'hostPath volumes', forbiddenDetail: `${pluralize('volume', 'volumes', vols.length)} ${joinQuote(vols)}` } : ALLOWED;
}

function hostPorts(_md: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const ports = new Set<string>();
  visitContainers(spec, (c) => {
    let valid = true;
    for (const p of c.ports ?? []) {
      if (p.hostPort) {
        valid = false;
        ports.add(String(p.hostPort));
      }
    }
    if (!valid) bad.push(c.name);
  });
  if (!bad.length) return ALLOWED;
  return {
    allowed: false,
    forbiddenReason: 'hostPort',
    forbiddenDetail: `${containersPhrase(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', ports.size)} ${sortedSet(ports).join(', ')}`,
  };
}

const appArmorAnnotationPrefix = 'container.apparmor.security.beta.kubernetes.io/';

function appArmorProfile(md: ObjectMeta, spec: PodSpec): CheckResult {
  const allowedType = (t: string) => t === 'RuntimeDefault' || t === 'Localhost';
  const setters: string[] = [];
  const badValues = new Set<string>();
  const podProfile = spec.securityContext?.appArmorProfile;
  if (podProfile && !allowedType(podProfile.type)) {
    setters.push('pod');
    badValues.add(podProfile.type);
  }
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    const p = c.securityContext?.appArmorProfile;
    if (p && !allowedType(p.type)) {
      bad.push(c.name);
      badValues.add(p.type);
    }
  });
  if (bad.length) setters.push(containersPhrase(bad));
  const forbiddenAnnotations: string[] = [];
  for (const [k, v] of Object.entries((md.annotations ?? {}) as Record<string, string>)) {
    if (k.startsWith(appArmorAnnotationPrefix) && !(v === '' || v === 'runtime/default' || v.startsWith('localhost/'))) forbiddenAnnotations.push(`${k}=${JSON.stringify(v)}`);
  }
  const values = sortedSet(badValues);
  if (forbiddenAnnotations.length) {
    forbiddenAnnotations.sort();
    values.push(...forbiddenAnnotations);
    setters.push(pluralize('annotation', 'annotations', forbiddenAnnotations.length));
  }
  if (!setters.length) return ALLOWED;
  return {
    allowed: false,
    forbiddenReason: pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', values.length),
    forbiddenDetail: `${setters.join(' and ')} must not set AppArmor profile type to ${joinQuote(values)}`,
  };
}

const seLinuxTypes10 = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);
const seLinuxTypes131 = new Set([...seLinuxTypes10, 'container_engine_t']);

function seLinuxOptions(allowedTypes: Set<string>): CheckPodFn {
  return (_md, spec) => {
    const setters: string[] = [];
    const badTypes = new Set<string>();
    let setUser = false;
    let setRole = false;
    const valid = (o: { type?: string; user?: string; role?: string }) => {
      let ok = true;
      if (!allowedTypes.has(o.type ?? '')) {
        ok = false;
        badTypes.add(o.type ?? '');
      }
      if (o.user) {
        ok = false;
        setUser = true;
      }
      if (o.role) {
        ok = false;
        setRole = true;
      }
      return ok;
    };
    if (spec.securityContext?.seLinuxOptions && !valid(spec.securityContext.seLinuxOptions)) setters.push('pod');
    const bad: string[] = [];
    visitContainers(spec, (c) => {
      if (c.securityContext?.seLinuxOptions && !valid(c.securityContext.seLinuxOptions)) bad.push(c.name);
    });
    if (bad.length) setters.push(containersPhrase(bad));
    if (!setters.length) return ALLOWED;
    const data: string[] = [];
    if (badTypes.size) data.push(`${pluralize('type', 'types', badTypes.size)} ${joinQuote(sortedSet(badTypes))}`);
    if (setUser) data.push('user may not be set');
    if (setRole) data.push('role may not be set');
    return { allowed: false, forbiddenReason: 'seLinuxOptions', forbiddenDetail: `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}` };
  };
}

function procMount10(_md: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const types = new Set<string>();
  visitContainers(spec, (c) => {
    const pm = c.securityContext?.procMount;
    if (pm !== undefined && pm !== null && pm !== 'Default') {
      bad.push(c.name);
      types.add(pm);
    }
  });
  if (!bad.length) return ALLOWED;
  return { allowed: false, forbiddenReason: 'procMount', forbiddenDetail: `${containersPhrase(bad)} must not set securityContext.procMount to ${joinQuote(sortedSet(types))}` };
}

function procMount135Baseline(md: ObjectMeta, spec: PodSpec): CheckResult {
  return userNamespacePod(spec) ? ALLOWED : procMount10(md, spec);
}

const seccompPodAnnotation = 'seccomp.security.alpha.kubernetes.io/pod';
const seccompContainerAnnotationPrefix = 'container.seccomp.security.alpha.kubernetes.io/';

function validSeccomp(t: string | undefined): boolean {
  return t === 'Localhost' || t === 'RuntimeDefault';
}

function seccompBaseline10(md: ObjectMeta, spec: PodSpec): CheckResult {
  const validAnnotation = (v: string) => v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');
  const forbidden = new Set<string>();
  const annotations = (md.annotations ?? {}) as Record<string, string>;
  if (seccompPodAnnotation in annotations && !validAnnotation(annotations[seccompPodAnnotation])) forbidden.add(`${seccompPodAnnotation}=${JSON.stringify(annotations[seccompPodAnnotation])}`);
  visitContainers(spec, (c) => {
    const key = seccompContainerAnnotationPrefix + c.name;
    if (key in annotations && !validAnnotation(annotations[key])) forbidden.add(`${key}=${JSON.stringify(annotations[key])}`);
  });
  if (!forbidden.size) return ALLOWED;
  return { allowed: false, forbiddenReason: 'seccompProfile', forbiddenDetail: `forbidden ${pluralize('annotation', 'annotations', forbidden.size)} ${sortedSet(forbidden).join(', ')}` };
}

function seccompBaseline119(_md: ObjectMeta, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  const badValues = new Set<string>();
  const podProfile = spec.securityContext?.seccompProfile;
  if (podProfile && !validSeccomp(podProfile.type)) {
    setters.push('pod');
    badValues.add(podProfile.type);
  }
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    const p = c.securityContext?.seccompProfile;
    if (p && !validSeccomp(p.type)) {
      bad.push(c.name);
      badValues.add(p.type);
    }
  });
  if (bad.length) setters.push(containersPhrase(bad));
  if (!setters.length) return ALLOWED;
  return { allowed: false, forbiddenReason: 'seccompProfile', forbiddenDetail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(badValues))}` };
}

const sysctls10 = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start'];
const sysctls127 = [...sysctls10, 'net.ipv4.ip_local_reserved_ports'];
const sysctls129 = [...sysctls127, 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];
const sysctls132 = [...sysctls129, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];
const sysctls137 = [...sysctls132, 'net.ipv4.tcp_slow_start_after_idle', 'net.ipv4.tcp_notsent_lowat'];

function sysctls(allowedList: string[]): CheckPodFn {
  const allowed = new Set(allowedList);
  return (_md, spec) => {
    const forbidden = (spec.securityContext?.sysctls ?? []).map((s) => s.name).filter((n) => !allowed.has(n));
    return forbidden.length ? { allowed: false, forbiddenReason: 'forbidden sysctls', forbiddenDetail: forbidden.join(', ') } : ALLOWED;
  };
}

function hostProbesAndHostLifecycle(_md: ObjectMeta, spec: PodSpec): CheckResult {
  const bad = new Set<string>();
  const hosts = new Set<string>();
  type Handler = { httpGet?: { host?: string }; tcpSocket?: { host?: string } } | undefined;
  const check = (name: string, h: Handler) => {
    for (const host of [h?.httpGet?.host, h?.tcpSocket?.host]) {
      if (host) {
        bad.add(name);
        hosts.add(host);
      }
    }
  };
  visitContainers(spec, (c) => {
    check(c.name, c.livenessProbe);
    check(c.name, c.readinessProbe);
    check(c.name, c.startupProbe);
    check(c.name, c.lifecycle?.postStart);
    check(c.name, c.lifecycle?.preStop);
  });
  if (!bad.size) return ALLOWED;
  return {
    allowed: false,
    forbiddenReason: 'probe or lifecycle host',
    forbiddenDetail: `${pluralize('container', 'containers', bad.size)} ${joinQuote(sortedSet(bad))} ${pluralize('uses', 'use', bad.size)} ${pluralize('probe or lifecycle host', 'probe or lifecycle hosts', hosts.size)} ${joinQuote(sortedSet(hosts))}`,
  };
}

// ---- restricted -------------------------------------------------------------------------------------

function allowPrivilegeEscalation18(_md: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.allowPrivilegeEscalation !== false) bad.push(c.name);
  });
  return bad.length ? { allowed: false, forbiddenReason: 'allowPrivilegeEscalation != false', forbiddenDetail: `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false` } : ALLOWED;
}

function exemptWindows(fn: CheckPodFn): CheckPodFn {
  return (md, spec) => (isWindows(spec) ? ALLOWED : fn(md, spec));
}

function capabilitiesRestricted122(_md: ObjectMeta, spec: PodSpec): CheckResult {
  const missingDropAll: string[] = [];
  const addingForbidden: string[] = [];
  const forbiddenCaps = new Set<string>();
  visitContainers(spec, (c) => {
    const caps = c.securityContext?.capabilities;
    if (!caps) {
      missingDropAll.push(c.name);
      return;
    }
    if (!(caps.drop ?? []).includes('ALL')) missingDropAll.push(c.name);
    let forbidden = false;
    for (const cap of caps.add ?? []) {
      if (cap !== 'NET_BIND_SERVICE') {
        forbidden = true;
        forbiddenCaps.add(cap);
      }
    }
    if (forbidden) addingForbidden.push(c.name);
  });
  const details: string[] = [];
  if (missingDropAll.length) details.push(`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
  if (addingForbidden.length) details.push(`${containersPhrase(addingForbidden)} must not include ${joinQuote(sortedSet(forbiddenCaps))} in securityContext.capabilities.add`);
  return details.length ? { allowed: false, forbiddenReason: 'unrestricted capabilities', forbiddenDetail: details.join('; ') } : ALLOWED;
}

const allowedRestrictedVolumeSources = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret'];
const restrictedVolumeTypeNames = ['hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos'];

function restrictedVolumes(_md: ObjectMeta, spec: PodSpec): CheckResult {
  const bad: string[] = [];
  const types = new Set<string>();
  for (const v of spec.volumes ?? []) {
    const present = (k: string) => (v as unknown as Record<string, unknown>)[k] !== undefined && (v as unknown as Record<string, unknown>)[k] !== null;
    if (allowedRestrictedVolumeSources.some(present)) continue;
    bad.push(v.name);
    types.add(restrictedVolumeTypeNames.find(present) ?? 'unknown');
  }
  if (!bad.length) return ALLOWED;
  return {
    allowed: false,
    forbiddenReason: 'restricted volume types',
    forbiddenDetail: `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('restricted volume type', 'restricted volume types', types.size)} ${joinQuote(sortedSet(types))}`,
  };
}

function runAsNonRoot10(_md: ObjectMeta, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  let podRunAsNonRoot = false;
  const podValue = spec.securityContext?.runAsNonRoot;
  if (podValue !== undefined && podValue !== null) {
    if (!podValue) setters.push('pod');
    else podRunAsNonRoot = true;
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  visitContainers(spec, (c) => {
    const v = c.securityContext?.runAsNonRoot;
    if (v !== undefined && v !== null) {
      if (!v) explicit.push(c.name);
    } else if (!podRunAsNonRoot) implicit.push(c.name);
  });
  if (explicit.length) setters.push(containersPhrase(explicit));
  if (setters.length) return { allowed: false, forbiddenReason: 'runAsNonRoot != true', forbiddenDetail: `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false` };
  if (implicit.length) return { allowed: false, forbiddenReason: 'runAsNonRoot != true', forbiddenDetail: `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true` };
  return ALLOWED;
}

function runAsUser123(_md: ObjectMeta, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  if (spec.securityContext?.runAsUser === 0) setters.push('pod');
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (c.securityContext?.runAsUser === 0) bad.push(c.name);
  });
  if (bad.length) setters.push(containersPhrase(bad));
  return setters.length ? { allowed: false, forbiddenReason: 'runAsUser=0', forbiddenDetail: `${setters.join(' and ')} must not set runAsUser=0` } : ALLOWED;
}

function relaxForUserNamespace(fn: CheckPodFn): CheckPodFn {
  return (md, spec) => (userNamespacePod(spec) ? ALLOWED : fn(md, spec));
}

function seccompRestricted119(_md: ObjectMeta, spec: PodSpec): CheckResult {
  const setters: string[] = [];
  const badValues = new Set<string>();
  let podSet = false;
  const podProfile = spec.securityContext?.seccompProfile;
  if (podProfile) {
    if (!validSeccomp(podProfile.type)) {
      setters.push('pod');
      badValues.add(podProfile.type);
    } else podSet = true;
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  visitContainers(spec, (c) => {
    const p = c.securityContext?.seccompProfile;
    if (p) {
      if (!validSeccomp(p.type)) {
        explicit.push(c.name);
        badValues.add(p.type);
      }
    } else if (!podSet) implicit.push(c.name);
  });
  if (explicit.length) setters.push(containersPhrase(explicit));
  if (setters.length) return { allowed: false, forbiddenReason: 'seccompProfile', forbiddenDetail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(badValues))}` };
  if (implicit.length) return { allowed: false, forbiddenReason: 'seccompProfile', forbiddenDetail: `pod or ${containersPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` };
  return ALLOWED;
}

/** Every check of the Pod Security Standards, with its versions (policy/check_*.go). */
export const defaultChecks: Check[] = [
  { id: 'allowPrivilegeEscalation', level: 'restricted', versions: [{ minimumVersion: 8, checkPod: allowPrivilegeEscalation18 }, { minimumVersion: 25, checkPod: exemptWindows(allowPrivilegeEscalation18) }] },
  { id: 'appArmorProfile', level: 'baseline', versions: [{ minimumVersion: 0, checkPod: appArmorProfile }] },
  { id: 'capabilities_baseline', level: 'baseline', versions: [{ minimumVersion: 0, checkPod: capabilitiesBaseline }] },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    versions: [
      { minimumVersion: 22, checkPod: capabilitiesRestricted122, overrideCheckIDs: ['capabilities_baseline'] },
      { minimumVersion: 25, checkPod: exemptWindows(capabilitiesRestricted122), overrideCheckIDs: ['capabilities_baseline'] },
    ],
  },
  { id: 'hostNamespaces', level: 'baseline', versions: [{ minimumVersion: 0, checkPod: hostNamespaces }] },
  { id: 'hostPathVolumes', level: 'baseline', versions: [{ minimumVersion: 0, checkPod: hostPathVolumes }] },
  { id: 'hostPorts', level: 'baseline', versions: [{ minimumVersion: 0, checkPod: hostPorts }] },
  { id: 'hostProbesAndHostLifecycle', level: 'baseline', versions: [{ minimumVersion: 34, checkPod: hostProbesAndHostLifecycle }] },
  { id: 'privileged', level: 'baseline', versions: [{ minimumVersion: 0, checkPod: privileged }] },
  { id: 'procMount', level: 'baseline', versions: [{ minimumVersion: 0, checkPod: procMount10 }, { minimumVersion: 35, checkPod: procMount135Baseline }] },
  { id: 'procMount_restricted', level: 'restricted', versions: [{ minimumVersion: 35, checkPod: procMount10, overrideCheckIDs: ['procMount'] }] },
  { id: 'restrictedVolumes', level: 'restricted', versions: [{ minimumVersion: 0, checkPod: restrictedVolumes, overrideCheckIDs: ['hostPathVolumes'] }] },
  { id: 'runAsNonRoot', level: 'restricted', versions: [{ minimumVersion: 0, checkPod: runAsNonRoot10 }, { minimumVersion: 35, checkPod: relaxForUserNamespace(runAsNonRoot10) }] },
  { id: 'runAsUser', level: 'restricted', versions: [{ minimumVersion: 23, checkPod: runAsUser123 }, { minimumVersion: 35, checkPod: relaxForUserNamespace(runAsUser123) }] },
  { id: 'seLinuxOptions', level: 'baseline', versions: [{ minimumVersion: 0, checkPod: seLinuxOptions(seLinuxTypes10) }, { minimumVersion: 31, checkPod: seLinuxOptions(seLinuxTypes131) }] },
  { id: 'seccompProfile_baseline', level: 'baseline', versions: [{ minimumVersion: 0, checkPod: seccompBaseline10 }, { minimumVersion: 19, checkPod: seccompBaseline119 }] },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    versions: [
      { minimumVersion: 19, checkPod: seccompRestricted119, overrideCheckIDs: ['seccompProfile_baseline'] },
      { minimumVersion: 25, checkPod: exemptWindows(seccompRestricted119), overrideCheckIDs: ['seccompProfile_baseline'] },
    ],
  },
  {
    id: 'sysctls',
    level: 'baseline',
    versions: [
      { minimumVersion: 0, checkPod: sysctls(sysctls10) },
      { minimumVersion: 27, checkPod: sysctls(sysctls127) },
      { minimumVersion: 29, checkPod: sysctls(sysctls129) },
      { minimumVersion: 32, checkPod: sysctls(sysctls132) },
      { minimumVersion: 37, checkPod: sysctls(sysctls137) },
    ],
  },
  { id: 'windowsHostProcess', level: 'baseline', versions: [{ minimumVersion: 0, checkPod: windowsHostProcess }] },
];

/** The newest policy version any check knows: what "latest" (and anything newer) means. */
export const maxPolicyVersion = Math.max(...defaultChecks.flatMap((c) => c.versions.map((v) => v.minimumVersion)));

/** A policy version: a 1.x minor, or latest. */
export type PolicyVersion = number | 'latest';

function versionFor(check: Check, minor: number): VersionedCheck | undefined {
  let found: VersionedCheck | undefined;
  for (const v of check.versions) if (v.minimumVersion <= minor) found = v;
  return found;
}

/**
 * The checks a pod is held to at a level and version (policy/registry.go's checkRegistry): baseline checks
 * first, then restricted ones, each group ordered by ID; at restricted, the baseline checks a restricted
 * check overrides are left out.
 */
export class Evaluator {
  private readonly cache = new Map<string, CheckPodFn[]>();
  private readonly orderedIDs: string[];

  constructor(private readonly checks: Check[] = defaultChecks) {
    const ids = (level: string) => checks.filter((c) => c.level === level).map((c) => c.id).sort();
    this.orderedIDs = [...ids('baseline'), ...ids('restricted')];
  }

  private checksFor(level: Exclude<Level, 'privileged'>, version: PolicyVersion): CheckPodFn[] {
    const minor = version === 'latest' || version > maxPolicyVersion ? maxPolicyVersion : version;
    const key = `${level}:${minor}`;
    let fns = this.cache.get(key);
    if (fns) return fns;
    const active = new Map<string, VersionedCheck>();
    const overridden = new Set<string>();
    for (const c of this.checks) {
      if (level === 'baseline' && c.level !== 'baseline') continue;
      const v = versionFor(c, minor);
      if (!v) continue;
      active.set(c.id, v);
      if (c.level === 'restricted') for (const id of v.overrideCheckIDs ?? []) overridden.add(id);
    }
    fns = this.orderedIDs.filter((id) => active.has(id) && !overridden.has(id)).map((id) => active.get(id)!.checkPod);
    this.cache.set(key, fns);
    return fns;
  }

  evaluatePod(level: Level, version: PolicyVersion, md: ObjectMeta, spec: PodSpec): CheckResult[] {
    if (level === 'privileged') return [];
    return this.checksFor(level, version).map((fn) => fn(md, spec));
  }
}

export interface AggregateCheckResult {
  allowed: boolean;
  forbiddenReasons: string[];
  forbiddenDetails: string[];
}

export function aggregateCheckResults(results: CheckResult[]): AggregateCheckResult {
  const reasons: string[] = [];
  const details: string[] = [];
  for (const r of results) {
    if (r.allowed) continue;
    reasons.push(r.forbiddenReason || 'unknown forbidden reason');
    details.push(r.forbiddenDetail ?? '');
  }
  return { allowed: reasons.length === 0, forbiddenReasons: reasons, forbiddenDetails: details };
}

/** "host ports (8080, 9090), privileged (...)": each reason with its detail in parentheses. */
export function forbiddenDetail(a: AggregateCheckResult): string {
  return a.forbiddenReasons.map((r, i) => (a.forbiddenDetails[i] ? `${r} (${a.forbiddenDetails[i]})` : r)).join(', ');
}

export function forbiddenReason(a: AggregateCheckResult): string {
  return a.forbiddenReasons.join(', ');
}
