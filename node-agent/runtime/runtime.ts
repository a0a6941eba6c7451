// The container runtime as the node agent sees it: CRI v1 concepts (pod sandboxes and containers)
// in camelCase TypeScript. Implementations: the CRI gRPC client for containerd (node-agent/runtime/cri/) and
// the in-memory fake (node-agent/runtime/fake-runtime.ts) used by unit tests and hollow nodes.

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort: number;
  hostIp: string;
}

export interface DnsConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
}

/**
 * Who the processes run as (CRI's run_as_user, run_as_group, supplemental_groups): the kubelet's effective
 * security context, the pod's fsGroup and supplementalGroups among the supplemental groups.
 */
export interface ProcessIdentity {
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups: number[];
}

export interface LinuxResources {
  cpuPeriod?: number; // microseconds
  cpuQuota?: number; // microseconds per period; 0 = unlimited
  cpuShares?: number;
  memoryLimitInBytes?: number; // 0 = unlimited
}

/** The node's namespaces a pod joins instead of its own (spec.hostNetwork, hostPID, hostIPC). */
export interface HostNamespaces {
  network?: boolean;
  pid?: boolean;
  ipc?: boolean;
}

export interface PodSandboxConfig {
  name: string;
  namespace: string;
  uid: string;
  attempt: number;
  hostname: string;
  logDirectory: string;
  dnsConfig?: DnsConfig;
  portMappings: PortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  cgroupParent: string;
  /** The pod-level identity (absent: the image's user, no extra groups). */
  identity?: ProcessIdentity;
  /** One PID namespace for the whole pod (spec.shareProcessNamespace); else one per container. */
  sharePidNamespace?: boolean;
  /** The node's namespaces the pod joins; the runtime then gives a host-network sandbox no IP. */
  hostNamespaces?: HostNamespaces;
  /** The CRI runtime handler (the pod's RuntimeClass's `handler`); absent: the runtime's default. */
  runtimeHandler?: string;
}

export interface ContainerConfig {
  name: string;
  attempt: number;
  image: string;
  command: string[]; // empty: the image's entrypoint
  args: string[]; // empty: the image's cmd
  workingDir: string;
  env: { name: string; value: string }[];
  mounts: Mount[];
  logPath: string; // relative to the sandbox's logDirectory
  labels: Record<string, string>;
  annotations: Record<string, string>;
  resources: LinuxResources;
  /** Absent: the image's user, no extra groups. */
  identity?: ProcessIdentity;
  /** Keep stdin open (attach writes to it); stdinOnce: close it once the first attach session ends. */
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  /**
   * The PID namespace: the pod's (shareProcessNamespace), or another container's (an ephemeral
   * container's targetContainerName, by runtime id); absent, its own.
   */
  pidNamespace?: { pod: true } | { targetId: string };
  /** The pod's host namespaces, on every container as on the sandbox (a host PID namespace wins over pidNamespace). */
  hostNamespaces?: HostNamespaces;
}

export type SandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface PodSandbox {
  id: string;
  name: string;
  namespace: string;
  uid: string;
  attempt: number;
  state: SandboxState;
  createdAt: number; // ms since epoch
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandboxStatus extends PodSandbox {
  ip: string; // '' when it has none
}

export interface Container {
  id: string;
  podSandboxId: string;
  name: string;
  attempt: number;
  image: string;
  imageRef: string;
  state: ContainerState;
  createdAt: number; // ms since epoch
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatus extends Container {
  startedAt: number; // ms since epoch, 0 if never
  finishedAt: number; // ms since epoch, 0 if still running
  exitCode: number;
  reason: string; // 'Completed', 'Error', 'OOMKilled', ...
  message: string;
  logPath: string; // absolute
  pid?: number; // host PID of the container's init, when known
}

export interface ContainerStats {
  id: string;
  cpuUsageCoreNanoSeconds: number;
  memoryWorkingSetBytes: number;
  timestamp: number; // ms since epoch
}

export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
}

/** The streams of an exec or attach session (CRI: tty and stderr are never both true). */
export interface StreamOptions {
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface ExecStreamRequest extends StreamOptions {
  cmd: string[];
}

export interface RuntimeVersion {
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

export interface RuntimeStatus {
  runtimeReady: boolean;
  networkReady: boolean;
  message?: string;
}

/** Errors carry the CRI/gRPC code where there is one: 5 = NOT_FOUND. */
export class RuntimeError extends Error {
  constructor(
    message: string,
    readonly code: number = 2,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

/** A container's (or sandbox's) init process exited, as the runtime's event stream reports it. */
export interface ContainerExitEvent {
  containerId: string; // the CRI container or pod sandbox ID
  pid: number;
  exitStatus: number;
  exitedAt: number; // ms since epoch
}

/**
 * A process exec'd into a container: the runtime's exec ID, and its argv and start time when the host's
 * /proc shows them.
 */
export interface ExecProcess {
  execId: string;
  args?: string[];
  /** When it started, on the runtime's execClock (ms). */
  startedAtMs?: number;
}

/** An image the runtime holds (CRI's Image, the fields image garbage collection reads). */
export interface RuntimeImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  sizeBytes: number;
  /** The runtime keeps it whatever happens (containerd's sandbox image, from 1.7). */
  pinned: boolean;
}

export interface ContainerRuntime {
  version(): Promise<RuntimeVersion>;
  status(): Promise<RuntimeStatus>;

  /** Returns the image reference (digest) of the pulled image. */
  pullImage(image: string): Promise<string>;
  /** The image's reference if present locally, else undefined. */
  imageStatus(image: string): Promise<string | undefined>;
  listImages(): Promise<RuntimeImage[]>;
  /** Removes an image (by id); removing one that is gone already is fine. */
  removeImage(image: string): Promise<void>;

  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  stopPodSandbox(id: string): Promise<void>;
  removePodSandbox(id: string): Promise<void>;
  podSandboxStatus(id: string): Promise<PodSandboxStatus>;
  listPodSandboxes(): Promise<PodSandbox[]>;

  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** Stops with SIGTERM (or the image's stop signal), then SIGKILL after timeoutSeconds. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  listContainers(filter?: { podSandboxId?: string }): Promise<Container[]>;
  /**
   * `verbose: false` asks for the plain status: no host PID and no sandbox id (podSandboxId ''), which
   * the caller knows from a list or from creating the container. The verbose one (the default) carries
   * containerd's whole runtime spec as JSON, costly to encode and to parse on every status.
   */
  containerStatus(id: string, opts?: { verbose?: boolean }): Promise<ContainerStatus>;
  execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecResult>;
  /**
   * CRI Exec, Attach and PortForward: each answers a single-use URL on the runtime's streaming server,
   * which the caller's upgraded connection (SPDY or WebSocket) is proxied to.
   */
  exec(id: string, request: ExecStreamRequest): Promise<string>;
  attach(id: string, request: StreamOptions): Promise<string>;
  portForward(podSandboxId: string, ports: number[]): Promise<string>;
  /** The processes exec'd into a running container (not its init). */
  execProcesses?(id: string): Promise<ExecProcess[]>;
  /** Now, on the clock of ExecProcess.startedAtMs. */
  execClock?(): number;
  /** SIGKILLs one exec'd process of a container (a session whose client went away). */
  killExecProcess?(id: string, execId: string): Promise<void>;
  containerStats(): Promise<ContainerStats[]>;
  /**
   * Exit events, where the runtime has them (containerd's /tasks/exit; CRI GetContainerEvents is not in
   * containerd 1.6): onExit for every init process that exits from now on; onError when the stream
   * breaks (the watch is then over). Returns a function that ends the watch.
   */
  watchContainerExits?(onExit: (event: ContainerExitEvent) => void, onError?: (err: RuntimeError) => void): () => void;

  close(): void;
}
