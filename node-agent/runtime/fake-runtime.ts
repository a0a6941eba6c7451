// An in-memory ContainerRuntime: sandboxes and containers are plain records, "processes" never run.
// Unit tests drive it (inject exits with crash(), fail operations with failNext()) and hollow nodes
// run hundreds of them in one process, so every call is O(objects) at most and allocates little.
import {
  Container,
  ContainerConfig,
  ContainerExitEvent,
  ContainerRuntime,
  ContainerState,
  ContainerStats,
  ContainerStatus,
  ExecResult,
  ExecStreamRequest,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxStatus,
  RuntimeError,
  RuntimeStatus,
  RuntimeVersion,
  StreamOptions,
  RuntimeImage,
} from './runtime';

const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;

interface FakeSandbox {
  sandbox: PodSandbox;
  config: PodSandboxConfig;
  ip: string;
}

interface FakeContainer {
  status: ContainerStatus;
  config: ContainerConfig;
  /** CPU time used so far (ns) up to `accountedAt`, at `milliCores` since then. */
  cpuNanos?: number;
  accountedAt?: number;
}

/** A fake container's usage: CPU in millicores, memory working set in bytes. */
export interface FakeUsage {
  milliCores: number;
  memoryBytes: number;
}

export type FakeOperation =
  | 'pullImage'
  | 'removeImage'
  | 'runPodSandbox'
  | 'stopPodSandbox'
  | 'removePodSandbox'
  | 'createContainer'
  | 'startContainer'
  | 'stopContainer'
  | 'removeContainer'
  | 'execSync'
  | 'exec'
  | 'attach'
  | 'portForward';

export interface FakeRuntimeOptions {
  /** Images present without a pull; any other image is pullable unless listed in missingImages. */
  images?: string[];
  /** Images whose pull fails with NOT_FOUND. */
  missingImages?: string[];
  /** Pod IPs are handed out from 10.<ipPrefix>.x.y; give each hollow node its own prefix. */
  ipPrefix?: number;
  /** Exit code a container gets when stopped (SIGTERM honoured). */
  stopExitCode?: number;
  /** Answers execSync (probes); default exit 0. */
  exec?: (containerId: string, cmd: string[]) => ExecResult | Promise<ExecResult>;
  /**
   * The streaming server's URL for exec, attach and port-forward (tests that serve one); without it those
   * calls fail with UNIMPLEMENTED, as a runtime without a streaming server would.
   */
  streamingUrl?: (kind: 'exec' | 'attach' | 'portforward', id: string, request: ExecStreamRequest | StreamOptions | { ports: number[] }) => string;
  /** Called after every state-changing call; tests use it to observe ordering. */
  onCall?: (op: string, id: string) => void;
  /** Keep `calls` (default true); hollow nodes turn it off so long runs do not grow memory. */
  recordCalls?: boolean;
  /** Offer watchContainerExits, as containerd's event stream does (default false: relisting only). */
  exitEvents?: boolean;
}

export class FakeRuntime implements ContainerRuntime {
  private readonly sandboxes = new Map<string, FakeSandbox>();
  /** Usage by pod (namespace/name), and for every other pod: a steady 1 millicore and 4 MiB. */
  private readonly podUsage = new Map<string, FakeUsage>();
  private defaultUsage: FakeUsage = { milliCores: 1, memoryBytes: 4 * 1024 * 1024 };
  private readonly containers = new Map<string, FakeContainer>();
  private readonly images = new Map<string, string>();
  private readonly imageSizes = new Map<string, number>();
  private readonly missing: Set<string>;
  private readonly failures = new Map<string, RuntimeError[]>();
  private nextId = 1;
  private nextIp = 2;
  private readonly exitWatchers = new Set<(e: ContainerExitEvent) => void>();
  /** Every state-changing call in order ("runPodSandbox web", "startContainer <id>"), for assertions. */
  readonly calls: string[] = [];
  /**
   * Network teardowns (CNI DELs) so far, as containerd 1.6 runs them: on every StopPodSandbox of an
   * existing sandbox, stopped already or not, and on every RemovePodSandbox, which forces a stop first.
   */
  networkTeardowns = 0;
  closed = false;

  constructor(private readonly opts: FakeRuntimeOptions = {}) {
    for (const img of opts.images || []) this.images.set(img, digestOf(img));
    this.missing = new Set(opts.missingImages || []);
    if (!opts.exitEvents) this.watchContainerExits = undefined;
  }

  watchContainerExits?(onExit: (e: ContainerExitEvent) => void): () => void {
    this.exitWatchers.add(onExit);
    return () => this.exitWatchers.delete(onExit);
  }

  // ---- test controls ----

  /** Makes the container exit now, as if its process died with exitCode. */
  crash(containerId: string, exitCode = 1, reason = exitCode === 0 ? 'Completed' : 'Error'): void {
    const c = this.mustContainer(containerId);
    if (c.status.state !== 'CONTAINER_RUNNING') throw new RuntimeError(`container ${containerId} is not running`);
    this.exit(c, exitCode, reason);
  }

  /** The next call of op fails with err (queued: call twice to fail twice). */
  failNext(op: FakeOperation, err: RuntimeError = new RuntimeError(`injected ${op} failure`)): void {
    const q = this.failures.get(op) || [];
    q.push(err);
    this.failures.set(op, q);
  }

  /** Sandbox and container counts, for leak checks. */
  counts(): { sandboxes: number; containers: number; running: number } {
    let running = 0;
    for (const c of this.containers.values()) if (c.status.state === 'CONTAINER_RUNNING') running++;
    return { sandboxes: this.sandboxes.size, containers: this.containers.size, running };
  }

  containerConfig(id: string): ContainerConfig {
    return this.mustContainer(id).config;
  }

  sandboxConfig(id: string): PodSandboxConfig {
    return this.mustSandbox(id).config;
  }

  // ---- ContainerRuntime ----

  async version(): Promise<RuntimeVersion> {
    return { runtimeName: 'fake', runtimeVersion: '0.1.0', runtimeApiVersion: 'v1' };
  }

  async status(): Promise<RuntimeStatus> {
    return { runtimeReady: !this.closed, networkReady: !this.closed };
  }

  async pullImage(image: string): Promise<string> {
    this.maybeFail('pullImage');
    if (this.missing.has(image)) throw new RuntimeError(`failed to resolve reference "${image}": not found`, NOT_FOUND);
    const ref = digestOf(image);
    this.images.set(image, ref);
    this.record('pullImage', image);
    return ref;
  }

  async imageStatus(image: string): Promise<string | undefined> {
    return this.images.get(image);
  }

  async listImages(): Promise<RuntimeImage[]> {
    return [...this.images].map(([name, digest]) => ({ id: digest, repoTags: [name], repoDigests: [`${name.split(':')[0]}@${digest}`], sizeBytes: this.imageSizes.get(name) ?? 10 * 1024 * 1024, pinned: false }));
  }

  async removeImage(image: string): Promise<void> {
    this.maybeFail('removeImage');
    for (const [name, digest] of [...this.images]) if (digest === image || name === image) this.images.delete(name);
    this.record('removeImage', image);
  }

  /** An image's size as listImages reports it (default 10 MiB). */
  setImageSize(image: string, bytes: number): void {
    this.imageSizes.set(image, bytes);
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    this.maybeFail('runPodSandbox');
    const id = this.newId('sb');
    const n = this.nextIp++;
    const prefix = this.opts.ipPrefix ?? 88;
    const sandbox: PodSandbox = {
      id,
      name: config.name,
      namespace: config.namespace,
      uid: config.uid,
      attempt: config.attempt,
      state: 'SANDBOX_READY',
      createdAt: Date.now(),
      labels: { ...config.labels },
      annotations: { ...config.annotations },
    };
    // As containerd: a sandbox on the node's network gets no IP of its own (no CNI ADD).
    this.sandboxes.set(id, { sandbox, config, ip: config.hostNamespaces?.network ? '' : `10.${prefix}.${(n >> 8) & 255}.${n & 255}` });
    this.record('runPodSandbox', config.name);
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    this.maybeFail('stopPodSandbox');
    const sb = this.sandboxes.get(id);
    if (!sb) return; // CRI: stopping a missing sandbox is not an error
    this.networkTeardowns++;
    for (const c of this.containers.values()) {
      if (c.status.podSandboxId === id && c.status.state === 'CONTAINER_RUNNING') this.exit(c, 137, 'Error');
    }
    sb.sandbox.state = 'SANDBOX_NOTREADY';
    this.record('stopPodSandbox', id);
  }

  async removePodSandbox(id: string): Promise<void> {
    this.maybeFail('removePodSandbox');
    if (!this.sandboxes.has(id)) return;
    this.networkTeardowns++;
    for (const [cid, c] of this.containers) if (c.status.podSandboxId === id) this.containers.delete(cid);
    this.sandboxes.delete(id);
    this.record('removePodSandbox', id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const sb = this.mustSandbox(id);
    return { ...sb.sandbox, labels: { ...sb.sandbox.labels }, ip: sb.sandbox.state === 'SANDBOX_READY' ? sb.ip : '' };
  }

  async listPodSandboxes(): Promise<PodSandbox[]> {
    return [...this.sandboxes.values()].map((s) => ({ ...s.sandbox }));
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    this.maybeFail('createContainer');
    const sb = this.mustSandbox(podSandboxId);
    if (sb.sandbox.state !== 'SANDBOX_READY') throw new RuntimeError(`sandbox ${podSandboxId} is not ready`);
    const imageRef = this.images.get(config.image);
    if (!imageRef) throw new RuntimeError(`failed to resolve image "${config.image}": not found`, NOT_FOUND);
    const id = this.newId('ctr');
    const status: ContainerStatus = {
      id,
      podSandboxId,
      name: config.name,
      attempt: config.attempt,
      image: config.image,
      imageRef: `${config.image.split(':')[0]}@${imageRef}`,
      state: 'CONTAINER_CREATED',
      createdAt: Date.now(),
      labels: { ...config.labels },
      annotations: { ...config.annotations },
      startedAt: 0,
      finishedAt: 0,
      exitCode: 0,
      reason: '',
      message: '',
      logPath: `${sandboxConfig.logDirectory}/${config.logPath}`,
    };
    this.containers.set(id, { status, config });
    this.record('createContainer', config.name);
    return id;
  }

  async startContainer(id: string): Promise<void> {
    this.maybeFail('startContainer');
    const c = this.mustContainer(id);
    if (c.status.state !== 'CONTAINER_CREATED') throw new RuntimeError(`container ${id} is in state ${c.status.state}`);
    c.status.state = 'CONTAINER_RUNNING';
    c.status.startedAt = Date.now();
    this.record('startContainer', id);
  }

  async stopContainer(id: string, _timeoutSeconds: number): Promise<void> {
    this.maybeFail('stopContainer');
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError(`container ${id} not found`, NOT_FOUND);
    if (c.status.state === 'CONTAINER_RUNNING') this.exit(c, this.opts.stopExitCode ?? 143, 'Error');
    else if (c.status.state === 'CONTAINER_CREATED') this.exit(c, 0, 'Completed');
    this.record('stopContainer', id);
  }

  async removeContainer(id: string): Promise<void> {
    this.maybeFail('removeContainer');
    this.containers.delete(id);
    this.record('removeContainer', id);
  }

  async listContainers(filter: { podSandboxId?: string } = {}): Promise<Container[]> {
    const out: Container[] = [];
    for (const { status } of this.containers.values()) {
      if (filter.podSandboxId && status.podSandboxId !== filter.podSandboxId) continue;
      out.push({
        id: status.id,
        podSandboxId: status.podSandboxId,
        name: status.name,
        attempt: status.attempt,
        image: status.image,
        imageRef: status.imageRef,
        state: status.state,
        createdAt: status.createdAt,
        labels: status.labels,
        annotations: status.annotations,
      });
    }
    return out;
  }

  async containerStatus(id: string, opts: { verbose?: boolean } = {}): Promise<ContainerStatus> {
    const status = { ...this.mustContainer(id).status };
    // As the CRI runtime: what only the verbose status holds is missing from the plain one.
    return opts.verbose === false ? { ...status, podSandboxId: '', pid: undefined } : status;
  }

  async execSync(id: string, cmd: string[], _timeoutSeconds: number): Promise<ExecResult> {
    this.maybeFail('execSync');
    const c = this.mustContainer(id);
    if (c.status.state !== 'CONTAINER_RUNNING') throw new RuntimeError(`container ${id} is not running`);
    if (this.opts.exec) return this.opts.exec(id, cmd);
    return { exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  }

  async exec(id: string, request: ExecStreamRequest): Promise<string> {
    this.maybeFail('exec');
    this.mustRunning(id);
    return this.streaming('exec', id, request);
  }

  async attach(id: string, request: StreamOptions): Promise<string> {
    this.maybeFail('attach');
    this.mustRunning(id);
    return this.streaming('attach', id, request);
  }

  async portForward(podSandboxId: string, ports: number[]): Promise<string> {
    this.maybeFail('portForward');
    const sb = this.sandboxes.get(podSandboxId);
    if (!sb) throw new RuntimeError(`pod sandbox ${podSandboxId} not found`, NOT_FOUND);
    return this.streaming('portforward', podSandboxId, { ports });
  }

  private mustRunning(id: string): void {
    const c = this.mustContainer(id);
    if (c.status.state !== 'CONTAINER_RUNNING') throw new RuntimeError(`container ${id} is not running`, FAILED_PRECONDITION);
  }

  private streaming(kind: 'exec' | 'attach' | 'portforward', id: string, request: ExecStreamRequest | StreamOptions | { ports: number[] }): string {
    if (!this.opts.streamingUrl) throw new RuntimeError(`the fake runtime has no streaming server (${kind})`, 12);
    return this.opts.streamingUrl(kind, id, request);
  }

  /**
   * Sets the usage the containers of a pod (by namespace and name; undefined: every pod without its own)
   * report from now on; CPU time accumulates at the new rate from this moment.
   */
  setUsage(usage: FakeUsage, pod?: { namespace: string; name: string }): void {
    this.accountCpu(Date.now());
    if (pod) this.podUsage.set(`${pod.namespace}/${pod.name}`, usage);
    else this.defaultUsage = usage;
  }

  private usageOf(c: FakeContainer): FakeUsage {
    const sb = this.sandboxes.get(c.status.podSandboxId);
    return (sb && this.podUsage.get(`${sb.sandbox.namespace}/${sb.sandbox.name}`)) ?? this.defaultUsage;
  }

  private accountCpu(now: number): void {
    for (const c of this.containers.values()) {
      if (c.status.state !== 'CONTAINER_RUNNING') continue;
      const since = c.accountedAt ?? c.status.startedAt;
      c.cpuNanos = (c.cpuNanos ?? 0) + Math.max(0, now - since) * 1e6 * (this.usageOf(c).milliCores / 1000);
      c.accountedAt = now;
    }
  }

  async containerStats(): Promise<ContainerStats[]> {
    const now = Date.now();
    this.accountCpu(now);
    const out: ContainerStats[] = [];
    for (const c of this.containers.values()) {
      if (c.status.state !== 'CONTAINER_RUNNING') continue;
      out.push({ id: c.status.id, cpuUsageCoreNanoSeconds: Math.round(c.cpuNanos ?? 0), memoryWorkingSetBytes: this.usageOf(c).memoryBytes, timestamp: now });
    }
    return out;
  }

  close(): void {
    this.closed = true;
  }

  // ---- helpers ----

  private exit(c: FakeContainer, exitCode: number, reason: string): void {
    c.status.state = 'CONTAINER_EXITED' as ContainerState;
    c.status.exitCode = exitCode;
    c.status.reason = reason;
    c.status.finishedAt = Date.now();
    if (!c.status.startedAt) c.status.startedAt = c.status.finishedAt;
    c.status.pid = undefined;
    const event: ContainerExitEvent = { containerId: c.status.id, pid: 0, exitStatus: exitCode, exitedAt: c.status.finishedAt };
    // Delivered after the call that caused it returns, as an event stream would.
    for (const w of this.exitWatchers) queueMicrotask(() => w(event));
  }

  private maybeFail(op: FakeOperation): void {
    const q = this.failures.get(op);
    const err = q?.shift();
    if (err) throw err;
  }

  private record(op: string, id: string): void {
    if (this.opts.recordCalls !== false) this.calls.push(`${op} ${id}`);
    this.opts.onCall?.(op, id);
  }

  private newId(prefix: string): string {
    return `${prefix}${(this.nextId++).toString(16).padStart(8, '0')}`;
  }

  private mustSandbox(id: string): FakeSandbox {
    const sb = this.sandboxes.get(id);
    if (!sb) throw new RuntimeError(`sandbox ${id} not found`, NOT_FOUND);
    return sb;
  }

  private mustContainer(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError(`container ${id} not found`, NOT_FOUND);
    return c;
  }
}

function digestOf(image: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < image.length; i++) h = Math.imul(h ^ image.charCodeAt(i), 0x01000193) >>> 0;
  return `sha256:${h.toString(16).padStart(8, '0').repeat(8)}`;
}
