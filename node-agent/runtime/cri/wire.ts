// The CRI v1 messages as @grpc/proto-loader hands them to us and takes them from us (api.proto loaded
// with keepCase, enums as strings, 64-bit integers as strings, defaults filled in). Only the fields
// steer reads or writes are typed.

export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET';
export type Int64 = string | number; // proto-loader gives strings (longs: String); numbers are accepted on send

export interface NamespaceOption {
  network: NamespaceMode;
  pid: NamespaceMode;
  ipc: NamespaceMode;
}

export interface WirePortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  container_port: number;
  host_port: number;
  host_ip: string;
}

export interface WireLinuxResources {
  cpu_period?: Int64;
  cpu_quota?: Int64;
  cpu_shares?: Int64;
  memory_limit_in_bytes?: Int64;
  memory_swap_limit_in_bytes?: Int64;
}

export interface WirePodSandboxConfig {
  metadata: { name: string; uid: string; namespace: string; attempt: number };
  hostname: string;
  log_directory: string;
  dns_config?: { servers: string[]; searches: string[]; options: string[] };
  port_mappings: WirePortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  linux: { cgroup_parent: string; security_context: { namespace_options: NamespaceOption } };
}

export interface WireContainerConfig {
  metadata: { name: string; attempt: number };
  image: { image: string };
  command: string[];
  args: string[];
  working_dir: string;
  envs: { key: string; value: string }[];
  mounts: { container_path: string; host_path: string; readonly: boolean }[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  log_path: string;
  linux: { resources: WireLinuxResources; security_context: { namespace_options: NamespaceOption } };
}

export interface WirePodSandbox {
  id: string;
  metadata: { name: string; uid: string; namespace: string; attempt: number } | null;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
  created_at: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface WirePodSandboxStatus extends WirePodSandbox {
  network: { ip: string } | null;
}

export type WireContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface WireContainer {
  id: string;
  pod_sandbox_id: string;
  metadata: { name: string; attempt: number } | null;
  image: { image: string } | null;
  image_ref: string;
  state: WireContainerState;
  created_at: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface WireContainerStatus {
  id: string;
  metadata: { name: string; attempt: number } | null;
  state: WireContainerState;
  created_at: string;
  started_at: string;
  finished_at: string;
  exit_code: number;
  image: { image: string } | null;
  image_ref: string;
  reason: string;
  message: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  log_path: string;
}

export interface WireUInt64Value {
  value: string;
}

export interface WireContainerStats {
  attributes: { id: string } | null;
  cpu: { timestamp: string; usage_core_nano_seconds: WireUInt64Value | null } | null;
  memory: { timestamp: string; working_set_bytes: WireUInt64Value | null } | null;
}

/** Request → response types of every RPC steer calls. */
export interface RuntimeServiceRpcs {
  Version: [{ version: string }, { version: string; runtime_name: string; runtime_version: string; runtime_api_version: string }];
  Status: [{ verbose: boolean }, { status: { conditions: { type: string; status: boolean; reason: string; message: string }[] } | null }];
  RunPodSandbox: [{ config: WirePodSandboxConfig; runtime_handler?: string }, { pod_sandbox_id: string }];
  StopPodSandbox: [{ pod_sandbox_id: string }, object];
  RemovePodSandbox: [{ pod_sandbox_id: string }, object];
  PodSandboxStatus: [{ pod_sandbox_id: string; verbose: boolean }, { status: WirePodSandboxStatus | null; info: Record<string, string> }];
  ListPodSandbox: [{ filter?: { id?: string; label_selector?: Record<string, string> } }, { items: WirePodSandbox[] }];
  CreateContainer: [{ pod_sandbox_id: string; config: WireContainerConfig; sandbox_config: WirePodSandboxConfig }, { container_id: string }];
  StartContainer: [{ container_id: string }, object];
  StopContainer: [{ container_id: string; timeout: Int64 }, object];
  RemoveContainer: [{ container_id: string }, object];
  ListContainers: [{ filter?: { pod_sandbox_id?: string; label_selector?: Record<string, string> } }, { containers: WireContainer[] }];
  ContainerStatus: [{ container_id: string; verbose: boolean }, { status: WireContainerStatus | null; info: Record<string, string> }];
  UpdateContainerResources: [{ container_id: string; linux: WireLinuxResources }, object];
  ExecSync: [{ container_id: string; cmd: string[]; timeout: Int64 }, { stdout: Buffer; stderr: Buffer; exit_code: number }];
  ListContainerStats: [{ filter?: { pod_sandbox_id?: string } }, { stats: WireContainerStats[] }];
}

export interface ImageServiceRpcs {
  PullImage: [{ image: { image: string } }, { image_ref: string }];
  ImageStatus: [{ image: { image: string }; verbose: boolean }, { image: { id: string; repo_tags: string[]; repo_digests: string[]; size: string } | null }];
  ListImages: [{ filter?: { image?: { image: string } } }, { images: { id: string; repo_tags: string[]; repo_digests: string[]; size: string }[] }];
  RemoveImage: [{ image: { image: string } }, object];
}
