// The mapping between steer's runtime types (runtime.ts, camelCase) and the CRI v1 messages as the
// generated types in generated/ describe them (snake_case, as proto-loader hands them over). Pure.
// Two rules of docs/runtime.md live here: the pod's namespace options go on the sandbox AND on every
// container (else containers share the pause process's PID namespace), and never an oom_score_adj.
import type { Container, ContainerConfig, HostNamespaces, LinuxResources, PodSandbox, PodSandboxConfig, ProcessIdentity } from '../runtime';
import type { Container__Output as WireContainer } from './generated/runtime/v1/Container';
import type { ContainerConfig as WireContainerConfig } from './generated/runtime/v1/ContainerConfig';
import type { LinuxContainerResources as WireLinuxResources } from './generated/runtime/v1/LinuxContainerResources';
import type { NamespaceOption } from './generated/runtime/v1/NamespaceOption';
import type { PodSandbox__Output as WirePodSandbox } from './generated/runtime/v1/PodSandbox';
import type { PodSandboxConfig as WirePodSandboxConfig } from './generated/runtime/v1/PodSandboxConfig';

/**
 * The namespace options of a sandbox or container, as the kubelet's namespacesForPod: the node's network,
 * PID and IPC namespaces where the pod asks for them, else the pod's; the PID namespace otherwise the
 * container's own, the pod's (shared), or another container's (an ephemeral container's target).
 */
export function namespaceOptions(host: HostNamespaces | undefined, pid: 'CONTAINER' | 'POD' | { targetId: string }): NamespaceOption {
  const shared = { network: host?.network ? 'NODE' : 'POD', ipc: host?.ipc ? 'NODE' : 'POD' } as const;
  if (host?.pid) return { ...shared, pid: 'NODE' };
  if (typeof pid === 'object') return { ...shared, pid: 'TARGET', target_id: pid.targetId };
  return { ...shared, pid };
}

function containerPid(pid: ContainerConfig['pidNamespace']): 'CONTAINER' | 'POD' | { targetId: string } {
  if (!pid) return 'CONTAINER';
  return 'pod' in pid ? 'POD' : pid;
}

/** Nanoseconds (int64 as a decimal string) to milliseconds since the epoch. */
export function nsToMs(ns: string | number | undefined): number {
  if (ns === undefined || ns === '' || ns === 0 || ns === '0') return 0;
  return Number(BigInt(ns) / 1000000n);
}

/** The security context's user and groups (Int64Value wrappers only for what is set). */
export function toWireIdentity(id: ProcessIdentity | undefined) {
  if (!id) return {};
  return {
    ...(id.runAsUser !== undefined ? { run_as_user: { value: id.runAsUser } } : {}),
    ...(id.runAsGroup !== undefined ? { run_as_group: { value: id.runAsGroup } } : {}),
    ...(id.supplementalGroups.length ? { supplemental_groups: id.supplementalGroups } : {}),
  };
}

export function toWireSandboxConfig(c: PodSandboxConfig) {
  return {
    metadata: { name: c.name, uid: c.uid, namespace: c.namespace, attempt: c.attempt },
    hostname: c.hostname,
    log_directory: c.logDirectory,
    dns_config: c.dnsConfig ? { servers: c.dnsConfig.servers, searches: c.dnsConfig.searches, options: c.dnsConfig.options } : undefined,
    port_mappings: c.portMappings.map((p) => ({ protocol: p.protocol, container_port: p.containerPort, host_port: p.hostPort, host_ip: p.hostIp })),
    labels: c.labels,
    annotations: c.annotations,
    linux: { cgroup_parent: c.cgroupParent, security_context: { namespace_options: namespaceOptions(c.hostNamespaces, c.sharePidNamespace ? 'POD' : 'CONTAINER'), ...toWireIdentity(c.identity) } },
  } satisfies WirePodSandboxConfig;
}

export function toWireResources(r: LinuxResources) {
  // no oom_score_adj, ever: see the file comment
  return {
    cpu_period: r.cpuPeriod ?? 0,
    cpu_quota: r.cpuQuota ?? 0,
    cpu_shares: r.cpuShares ?? 0,
    memory_limit_in_bytes: r.memoryLimitInBytes ?? 0,
  } satisfies WireLinuxResources;
}

export function toWireContainerConfig(c: ContainerConfig) {
  return {
    metadata: { name: c.name, attempt: c.attempt },
    image: { image: c.image },
    command: c.command,
    args: c.args,
    working_dir: c.workingDir,
    envs: c.env.map((e) => ({ key: e.name, value: e.value })),
    mounts: c.mounts.map((m) => ({ container_path: m.containerPath, host_path: m.hostPath, readonly: m.readonly })),
    labels: c.labels,
    annotations: c.annotations,
    log_path: c.logPath,
    ...(c.stdin ? { stdin: true, stdin_once: !!c.stdinOnce } : {}),
    ...(c.tty ? { tty: true } : {}),
    linux: { resources: toWireResources(c.resources), security_context: { namespace_options: namespaceOptions(c.hostNamespaces, containerPid(c.pidNamespace)), ...toWireIdentity(c.identity) } },
  } satisfies WireContainerConfig;
}

export function fromWireSandbox(s: WirePodSandbox): PodSandbox {
  return {
    id: s.id,
    name: s.metadata?.name ?? '',
    namespace: s.metadata?.namespace ?? '',
    uid: s.metadata?.uid ?? '',
    attempt: s.metadata?.attempt ?? 0,
    state: s.state,
    createdAt: nsToMs(s.created_at),
    labels: s.labels ?? {},
    annotations: s.annotations ?? {},
  };
}

export function fromWireContainer(c: WireContainer): Container {
  return {
    id: c.id,
    podSandboxId: c.pod_sandbox_id,
    name: c.metadata?.name ?? '',
    attempt: c.metadata?.attempt ?? 0,
    image: c.image?.image ?? '',
    imageRef: c.image_ref,
    state: c.state,
    createdAt: nsToMs(c.created_at),
    labels: c.labels ?? {},
    annotations: c.annotations ?? {},
  };
}
