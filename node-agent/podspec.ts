// Pure translation of a Pod's spec into CRI configs: sandbox (hostname, DNS, port mappings, labels,
// cgroup parent, log directory), containers (command/args with $(VAR) expansion, env incl. valueFrom,
// working dir, mounts, cgroup resources), plus the QoS class. No I/O: config maps, secrets and volume
// paths are looked up by the caller and passed in.
import type { Container, EnvVar, PersistentVolume, PersistentVolumeClaim, Pod, ResourceRequirements, Volume } from 'kubernetes-types/core/v1';
import type { ContainerConfig, DnsConfig, HostNamespaces, LinuxResources, Mount, PodSandboxConfig, PortMapping, ProcessIdentity } from './runtime/runtime';
import {
  ANNOTATION_GRACE_PERIOD,
  ANNOTATION_RESTART_COUNT,
  LABEL_CONTAINER_HASH,
  LABEL_CONTAINER_KIND,
  LABEL_CONTAINER_NAME,
  LABEL_NODE,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
} from './labels';
import { containerHash } from './sync';
import { milliValue } from '../lib/api/quantity';
import { podClaimNames, volumeClaimName } from '../lib/api/storage';

/** A quantity as a number (cpu in cores, memory in bytes), exact via lib/api/quantity. */
export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined || q === '') return 0;
  return milliValue(q) / 1000;
}

function resourceValue(r: ResourceRequirements | undefined, kind: 'requests' | 'limits', name: string): number | undefined {
  const v = r?.[kind]?.[name];
  return v === undefined ? undefined : parseQuantity(v as string | number);
}

export const MIN_CPU_SHARES = 2;
export const CPU_PERIOD_US = 100_000;
const MIN_QUOTA_US = 1000;

/** kubelet's mapping: shares from the cpu request (or limit), CFS quota from the cpu limit, memory limit. */
export function linuxResources(c: Container): LinuxResources {
  const cpuReq = resourceValue(c.resources, 'requests', 'cpu') ?? resourceValue(c.resources, 'limits', 'cpu');
  const cpuLimit = resourceValue(c.resources, 'limits', 'cpu');
  const memLimit = resourceValue(c.resources, 'limits', 'memory');
  const out: LinuxResources = {
    cpuShares: cpuReq ? Math.max(MIN_CPU_SHARES, Math.floor(cpuReq * 1024)) : MIN_CPU_SHARES,
  };
  if (cpuLimit) {
    out.cpuPeriod = CPU_PERIOD_US;
    out.cpuQuota = Math.max(MIN_QUOTA_US, Math.floor(cpuLimit * CPU_PERIOD_US));
  }
  if (memLimit) out.memoryLimitInBytes = Math.floor(memLimit);
  return out;
}


export interface SandboxOptions {
  nodeName: string;
  /** Pod log root: each pod's logs go to <logRoot>/<ns>_<name>_<uid>/<container>/<attempt>.log. */
  logRoot: string;
  /** cgroup parent of every pod: <cgroupRoot>/pod<uid>. */
  cgroupRoot: string;
  /** Cluster DNS servers; empty: the host's resolver for ClusterFirst pods (kubelet's fallback). */
  clusterDNS: string[];
  clusterDomain: string;
  hostDns: DnsConfig;
}

export function podLogDirectory(logRoot: string, pod: Pod): string {
  const md = pod.metadata || {};
  return `${logRoot}/${md.namespace || 'default'}_${md.name}_${md.uid}`;
}

export function podCgroupParent(cgroupRoot: string, uid: string): string {
  return `${cgroupRoot.replace(/\/$/, '')}/pod${uid}`;
}

/** The kubelet's limits on a pod's resolv.conf (pkg/apis/core/validation: MaxDNSNameservers etc.). */
export const MAX_DNS_NAMESERVERS = 3;
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
/** glibc aborts on a search domain longer than a DNS name may be; the kubelet drops such entries. */
const MAX_SEARCH_DOMAIN_CHARS = 253;

/** A nameserver on the host's loopback (systemd-resolved's 127.0.0.53): unreachable from a pod. */
function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

/** The kubelet's search-list trimming: unique, no overlong entries, at most 32 and 2,048 characters. */
export function fitSearches(searches: string[]): string[] {
  let out = [...new Set(searches)].slice(0, MAX_DNS_SEARCH_PATHS).filter((s) => s.length <= MAX_SEARCH_DOMAIN_CHARS);
  while (out.length && out.join(' ').length > MAX_DNS_SEARCH_LIST_CHARS) out = out.slice(0, -1);
  return out;
}

export function dnsConfig(pod: Pod, o: Pick<SandboxOptions, 'clusterDNS' | 'clusterDomain' | 'hostDns'>): DnsConfig {
  const spec = pod.spec!;
  const ns = pod.metadata?.namespace || 'default';
  let policy = spec.dnsPolicy || 'ClusterFirst';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  else if (policy === 'ClusterFirst' && spec.hostNetwork) policy = 'Default';
  // A pod in its own network namespace cannot reach the host's loopback resolvers; when those are all
  // the host has, the cluster DNS (which forwards to them from the host) stands in.
  const hostServers = spec.hostNetwork ? o.hostDns.servers : o.hostDns.servers.filter((s) => !isLoopback(s));
  const podHostServers = hostServers.length || !o.hostDns.servers.length ? hostServers : [...o.clusterDNS];
  let cfg: DnsConfig;
  if (policy === 'None') cfg = { servers: [], searches: [], options: [] };
  else if (policy === 'ClusterFirst' && o.clusterDNS.length) {
    const d = o.clusterDomain;
    cfg = {
      servers: [...o.clusterDNS],
      searches: [`${ns}.svc.${d}`, `svc.${d}`, d, ...o.hostDns.searches],
      options: ['ndots:5'],
    };
  } else cfg = { servers: podHostServers, searches: [...o.hostDns.searches], options: [...o.hostDns.options] };
  const extra = spec.dnsConfig;
  if (extra) {
    for (const s of extra.nameservers || []) if (!cfg.servers.includes(s)) cfg.servers.push(s);
    for (const s of extra.searches || []) if (!cfg.searches.includes(s)) cfg.searches.push(s);
    for (const opt of extra.options || []) {
      const text = opt.value !== undefined ? `${opt.name}:${opt.value}` : `${opt.name}`;
      cfg.options = cfg.options.filter((x) => x.split(':')[0] !== opt.name);
      cfg.options.push(text);
    }
  }
  cfg.servers = cfg.servers.slice(0, MAX_DNS_NAMESERVERS);
  cfg.searches = fitSearches(cfg.searches);
  return cfg;
}

/** Parses resolv.conf text into a DnsConfig. */
export function parseResolvConf(text: string): DnsConfig {
  const out: DnsConfig = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.servers.push(rest[0]);
    else if (key === 'search' || key === 'domain') out.searches.push(...rest);
    else if (key === 'options') out.options.push(...rest);
  }
  return out;
}

export function portMappings(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec?.containers || []) {
    for (const p of c.ports || []) {
      if (!p.hostPort) continue;
      const protocol = (p.protocol || 'TCP') as PortMapping['protocol'];
      out.push({ protocol, containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIP || '' });
    }
  }
  return out;
}

/** The node's namespaces the pod asks to join (hostNetwork, hostPID, hostIPC); undefined: none. */
export function hostNamespaces(pod: Pod): HostNamespaces | undefined {
  const s = pod.spec;
  if (!s?.hostNetwork && !s?.hostPID && !s?.hostIPC) return undefined;
  return { ...(s.hostNetwork ? { network: true } : {}), ...(s.hostPID ? { pid: true } : {}), ...(s.hostIPC ? { ipc: true } : {}) };
}

/** The pod's IP: its sandbox's, or on the host network the node's (the kubelet's podIPs = hostIPs). */
export function podIPOf(pod: Pod, sandboxIP: string, hostIP: string): string {
  return pod.spec?.hostNetwork ? hostIP : sandboxIP;
}

export function podSandboxConfig(pod: Pod, attempt: number, o: SandboxOptions): PodSandboxConfig {
  const md = pod.metadata || {};
  const uid = md.uid || '';
  const host = hostNamespaces(pod);
  // On the host network the pod has the node's UTS namespace too: no hostname of its own (as the kubelet).
  const hostname = host?.network ? '' : (pod.spec?.hostname || md.name || '').slice(0, 63).replace(/[.-]+$/, '');
  return {
    name: md.name || '',
    namespace: md.namespace || 'default',
    uid,
    attempt,
    hostname,
    logDirectory: podLogDirectory(o.logRoot, pod),
    dnsConfig: dnsConfig(pod, o),
    portMappings: portMappings(pod),
    labels: {
      ...(md.labels || {}),
      [LABEL_POD_NAME]: md.name || '',
      [LABEL_POD_NAMESPACE]: md.namespace || 'default',
      [LABEL_POD_UID]: uid,
      [LABEL_NODE]: o.nodeName,
    },
    annotations: { ...(md.annotations || {}) },
    cgroupParent: podCgroupParent(o.cgroupRoot, uid),
    ...withIdentity(processIdentity(pod, undefined)),
    ...(pod.spec?.shareProcessNamespace ? { sharePidNamespace: true } : {}),
    ...(host ? { hostNamespaces: host } : {}),
  };
}

/** A PersistentVolume's extra group (kube's pv.beta.kubernetes.io/gid): every pod using it gets that group. */
export const VolumeGidAnnotation = 'pv.beta.kubernetes.io/gid';

/** The groups the pod's bound claims' volumes ask for (kubelet's GetExtraSupplementalGroupsForPod). */
export function volumeSupplementalGroups(data: PodData | undefined): number[] {
  const out: number[] = [];
  for (const entry of Object.values(data?.claims ?? {})) {
    const gid = entry?.volume?.metadata?.annotations?.[VolumeGidAnnotation];
    if (gid === undefined || !/^\d+$/.test(gid.trim())) continue;
    const n = Number(gid.trim());
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/**
 * The kubelet's effective security context, as far as identity goes (determineEffectiveSecurityContext):
 * the container's runAsUser/runAsGroup over the pod's; supplemental groups are the pod's fsGroup, then its
 * supplementalGroups, then the volumes' groups. `c` undefined: the sandbox's (pod-level) identity.
 */
export function processIdentity(pod: Pod, c: Container | undefined, volumeGroups: number[] = []): ProcessIdentity | undefined {
  const podSc = pod.spec?.securityContext;
  const runAsUser = c?.securityContext?.runAsUser ?? podSc?.runAsUser ?? undefined;
  const runAsGroup = c?.securityContext?.runAsGroup ?? podSc?.runAsGroup ?? undefined;
  const groups: number[] = [];
  if (podSc?.fsGroup !== undefined && podSc.fsGroup !== null) groups.push(podSc.fsGroup);
  for (const g of podSc?.supplementalGroups ?? []) groups.push(g);
  for (const g of volumeGroups) groups.push(g);
  if (runAsUser === undefined && runAsGroup === undefined && groups.length === 0) return undefined;
  return { ...(runAsUser !== undefined ? { runAsUser } : {}), ...(runAsGroup !== undefined ? { runAsGroup } : {}), supplementalGroups: groups };
}

function withIdentity(identity: ProcessIdentity | undefined): { identity?: ProcessIdentity } {
  return identity ? { identity } : {};
}

/** The data env and volumes may read: config maps and secrets by name (secret values decoded). */
export interface PodData {
  configMaps: Record<string, Record<string, string> | undefined>;
  secrets: Record<string, Record<string, string> | undefined>;
  /** The pod's PersistentVolumeClaims by name, with the volume each is bound to (when it is). */
  claims?: Record<string, { claim: PersistentVolumeClaim; volume?: PersistentVolume } | undefined>;
}

/** The host directory of a bound claim's volume (hostPath and local volumes, local-path's included). */
/**
 * The volume as the agent sets it up: a generic ephemeral volume is the claim its controller made for
 * the pod (`<pod>-<volume>`), mounted as any persistentVolumeClaim volume.
 */
export function asMountedVolume(pod: Pod, v: Volume): Volume {
  return v.ephemeral ? { name: v.name, persistentVolumeClaim: { claimName: volumeClaimName(pod, v)! } } : v;
}

export function claimVolumePath(data: PodData | undefined, claimName: string): string | undefined {
  const pv = data?.claims?.[claimName]?.volume;
  return pv?.spec?.hostPath?.path ?? pv?.spec?.local?.path;
}

export interface EnvContext {
  podIP: string;
  hostIP: string;
  nodeName: string;
  data: PodData;
  /**
   * The service environment (KUBERNETES_SERVICE_HOST, <NAME>_SERVICE_PORT, ...: service-env.ts): $(VAR)
   * references may use it, and every variable of it the container does not set itself is added.
   */
  serviceEnv?: Record<string, string>;
}

/** Names of the config maps and secrets the pod's env and volumes refer to. */
export function referencedData(pod: Pod): { configMaps: string[]; secrets: string[]; claims: string[] } {
  const cms = new Set<string>();
  const claims = new Set<string>();
  const secrets = new Set<string>();
  for (const c of [...(pod.spec?.initContainers || []), ...(pod.spec?.containers || [])]) {
    for (const e of c.env || []) {
      if (e.valueFrom?.configMapKeyRef?.name) cms.add(e.valueFrom.configMapKeyRef.name);
      if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
    }
    for (const f of c.envFrom || []) {
      if (f.configMapRef?.name) cms.add(f.configMapRef.name);
      if (f.secretRef?.name) secrets.add(f.secretRef.name);
    }
  }
  for (const name of podClaimNames(pod)) claims.add(name);
  for (const v of pod.spec?.volumes || []) {
    if (v.configMap?.name) cms.add(v.configMap.name);
    if (v.secret?.secretName) secrets.add(v.secret.secretName);
    for (const src of v.projected?.sources || []) {
      if (src.configMap?.name) cms.add(src.configMap.name);
      if (src.secret?.name) secrets.add(src.secret.name);
    }
  }
  return { configMaps: [...cms], secrets: [...secrets], claims: [...claims] };
}

/** Kubernetes' $(VAR) expansion: known names are replaced, $$ escapes, unknown references stay. */
export function expandVars(s: string, env: Map<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && env.has(name) ? (env.get(name) as string) : m;
  });
}

export function fieldRefValue(pod: Pod, path: string, ctx: EnvContext): string {
  const md = pod.metadata || {};
  const sub = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(path);
  if (sub) return ((sub[1] === 'labels' ? md.labels : md.annotations) || {})[sub[2]] || '';
  switch (path) {
    case 'metadata.name':
      return md.name || '';
    case 'metadata.namespace':
      return md.namespace || 'default';
    case 'metadata.uid':
      return md.uid || '';
    case 'spec.nodeName':
      return pod.spec?.nodeName || ctx.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName || '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return ctx.hostIP;
    case 'status.podIP':
    case 'status.podIPs':
      return ctx.podIP;
    default:
      throw new Error(`unsupported fieldRef fieldPath ${path}`);
  }
}

export function resourceFieldValue(c: Container, resource: string, divisor: string | number | undefined): string {
  const [kind, name] = resource.split('.') as ['limits' | 'requests', string];
  // An unset limit reads as 0 here (kubelet would report the node's allocatable).
  const v = resourceValue(c.resources, kind, name) ?? 0;
  const d = divisor === undefined ? 1 : parseQuantity(divisor) || 1;
  return String(Math.ceil(v / d));
}

/** The container's environment in order, valueFrom resolved and $(VAR) expanded; throws when a required key is missing. */
export function resolveEnv(pod: Pod, c: Container, ctx: EnvContext): { name: string; value: string }[] {
  // Service variables first: the container's own override them, and $(VAR) expansion sees both (kubelet's
  // makeEnvironmentVariables; its order is a map's, so any order is as right).
  const env = new Map<string, string>(Object.entries(ctx.serviceEnv ?? {}));
  const lookup = (kind: 'configMaps' | 'secrets', name: string, optional: boolean | undefined) => {
    const data = ctx.data[kind][name];
    if (!data && !optional) throw new Error(`${kind === 'configMaps' ? 'configmap' : 'secret'} "${name}" not found`);
    return data;
  };
  for (const f of c.envFrom || []) {
    const src = f.configMapRef
      ? lookup('configMaps', f.configMapRef.name || '', f.configMapRef.optional)
      : f.secretRef
        ? lookup('secrets', f.secretRef.name || '', f.secretRef.optional)
        : undefined;
    for (const [k, v] of Object.entries(src || {})) env.set(`${f.prefix || ''}${k}`, v);
  }
  for (const e of c.env || []) env.set(e.name, envValue(pod, c, e, ctx, env, lookup));
  return [...env].map(([name, value]) => ({ name, value }));
}

function envValue(
  pod: Pod,
  c: Container,
  e: EnvVar,
  ctx: EnvContext,
  env: Map<string, string>,
  lookup: (kind: 'configMaps' | 'secrets', name: string, optional: boolean | undefined) => Record<string, string> | undefined,
): string {
  if (e.value !== undefined) return expandVars(e.value, env);
  const vf = e.valueFrom;
  if (!vf) return '';
  if (vf.fieldRef) return fieldRefValue(pod, vf.fieldRef.fieldPath, ctx);
  if (vf.resourceFieldRef) return resourceFieldValue(c, vf.resourceFieldRef.resource, vf.resourceFieldRef.divisor);
  const ref = vf.configMapKeyRef || vf.secretKeyRef;
  if (ref) {
    const kind = vf.configMapKeyRef ? 'configMaps' : 'secrets';
    const data = lookup(kind, ref.name || '', ref.optional);
    const v = data?.[ref.key];
    if (v === undefined && !ref.optional) throw new Error(`couldn't find key ${ref.key} in ${kind === 'configMaps' ? 'ConfigMap' : 'Secret'} ${pod.metadata?.namespace}/${ref.name}`);
    return v ?? '';
  }
  return '';
}

/** Which list of the pod's spec a container comes from (its runtime label). */
export type ContainerKind = 'init' | 'regular' | 'ephemeral';

export interface ContainerConfigOptions {
  nodeName: string;
  env: { name: string; value: string }[];
  mounts: Mount[];
  gracePeriodSeconds: number;
  /** Extra groups of the pod's volumes (volumeSupplementalGroups). */
  volumeGroups?: number[];
  /** An ephemeral container's target: the runtime id of the container whose PID namespace it joins. */
  targetId?: string;
}

export function containerLogPath(name: string, attempt: number): string {
  return `${name}/${attempt}.log`;
}

export function containerConfig(pod: Pod, c: Container, kind: ContainerKind, attempt: number, o: ContainerConfigOptions): ContainerConfig {
  const md = pod.metadata || {};
  // A shared PID namespace is the pod's for every container, a debugging one's too (as the kubelet).
  const pidNamespace = pod.spec?.shareProcessNamespace ? { pod: true as const } : o.targetId ? { targetId: o.targetId } : undefined;
  const envMap = new Map(o.env.map((e) => [e.name, e.value] as [string, string]));
  const host = hostNamespaces(pod);
  return {
    name: c.name,
    attempt,
    image: c.image || '',
    command: (c.command || []).map((s) => expandVars(s, envMap)),
    args: (c.args || []).map((s) => expandVars(s, envMap)),
    workingDir: c.workingDir || '',
    env: o.env,
    mounts: o.mounts,
    logPath: containerLogPath(c.name, attempt),
    labels: {
      [LABEL_POD_NAME]: md.name || '',
      [LABEL_POD_NAMESPACE]: md.namespace || 'default',
      [LABEL_POD_UID]: md.uid || '',
      [LABEL_CONTAINER_NAME]: c.name,
      [LABEL_CONTAINER_KIND]: kind,
      [LABEL_CONTAINER_HASH]: containerHash(c),
      [LABEL_NODE]: o.nodeName,
    },
    annotations: {
      [ANNOTATION_RESTART_COUNT]: String(attempt),
      [ANNOTATION_GRACE_PERIOD]: String(o.gracePeriodSeconds),
    },
    resources: linuxResources(c),
    ...withIdentity(processIdentity(pod, c, o.volumeGroups)),
    ...(c.stdin ? { stdin: true, stdinOnce: !!c.stdinOnce } : {}),
    ...(c.tty ? { tty: true } : {}),
    ...(pidNamespace ? { pidNamespace } : {}),
    ...(host ? { hostNamespaces: host } : {}),
  };
}

/**
 * The size of the tmpfs behind an emptyDir of medium Memory, in bytes, as the kubelet sizes it (emptyDir
 * calculateEmptyDirMemorySize): what the node can give pods, less when every container of the pod has a
 * memory limit (their sum, at least the largest init container's), less again when the volume's
 * sizeLimit is. A volume's pages count against the memory limit of the container that writes them.
 */
export function emptyDirMemoryBytes(pod: Pod, sizeLimit: string | number | undefined, nodeBytes: number): number {
  let size = nodeBytes;
  const containers = pod.spec?.containers || [];
  const inits = pod.spec?.initContainers || [];
  const limitOf = (c: Container) => resourceValue(c.resources, 'limits', 'memory');
  // A limit of 0 is none, as the kubelet's IsZero check reads it.
  if ([...containers, ...inits].every((c) => (limitOf(c) ?? 0) > 0)) {
    const sum = containers.reduce((total, c) => total + (limitOf(c) ?? 0), 0);
    const limit = Math.max(sum, ...inits.map((c) => limitOf(c) ?? 0));
    if (limit > 0 && limit <= size) size = limit;
  }
  const volumeLimit = sizeLimit === undefined ? 0 : parseQuantity(sizeLimit);
  if (volumeLimit > 0 && volumeLimit <= size) size = volumeLimit;
  return Math.ceil(size);
}

/**
 * The host directory behind each of the pod's volumes (for the kinds the agent supports): secret,
 * projected and downwardAPI volumes and emptyDirs of medium Memory under memoryDir (host-files.ts
 * podMemoryDir: a tmpfs, as the kubelet's), the others under podDir.
 */
export function volumeHostPaths(pod: Pod, podDir: string, memoryDir: string, data?: PodData): Map<string, { path: string; kind: string; readOnly: boolean }> {
  const out = new Map<string, { path: string; kind: string; readOnly: boolean }>();
  for (const v of pod.spec?.volumes || []) {
    const claim = volumeClaimName(pod, v);
    if (claim) {
      const p = claimVolumePath(data, claim);
      if (p) out.set(v.name, { path: p, kind: 'persistentVolumeClaim', readOnly: !!v.persistentVolumeClaim?.readOnly });
      continue;
    }
    if (v.emptyDir) {
      const base = v.emptyDir.medium === 'Memory' ? memoryDir : podDir;
      out.set(v.name, { path: `${base}/volumes/kubernetes.io~empty-dir/${v.name}`, kind: 'emptyDir', readOnly: false });
    }
    else if (v.hostPath) out.set(v.name, { path: v.hostPath.path, kind: 'hostPath', readOnly: false });
    else if (v.configMap) out.set(v.name, { path: `${podDir}/volumes/kubernetes.io~configmap/${v.name}`, kind: 'configMap', readOnly: true });
    else if (v.secret) out.set(v.name, { path: `${memoryDir}/volumes/kubernetes.io~secret/${v.name}`, kind: 'secret', readOnly: true });
    else if (v.projected) out.set(v.name, { path: `${memoryDir}/volumes/kubernetes.io~projected/${v.name}`, kind: 'projected', readOnly: true });
    else if (v.downwardAPI) out.set(v.name, { path: `${memoryDir}/volumes/kubernetes.io~downward-api/${v.name}`, kind: 'downwardAPI', readOnly: true });
  }
  return out;
}

/** The container's mounts; throws for a volumeMount naming a volume the agent cannot provide. */
export function containerMounts(c: Container, volumes: Map<string, { path: string; readOnly: boolean }>): Mount[] {
  return (c.volumeMounts || []).map((vm) => {
    const v = volumes.get(vm.name);
    if (!v) throw new Error(`volume "${vm.name}" is not defined or not supported`);
    const hostPath = vm.subPath ? `${v.path}/${vm.subPath}` : v.path;
    return { containerPath: vm.mountPath, hostPath, readonly: !!vm.readOnly || v.readOnly };
  });
}
