// ContainerRuntime over CRI v1 gRPC (containerd's CRI plugin) on a unix socket, with our own
// api.proto; the message and client types are generated from it (generated/, `npm run gen:cri`) and
// the mapping to steer's runtime types is convert.ts. Rules from docs/runtime.md that this class (with
// convert.ts) enforces for every caller:
// - namespace options (network POD, pid CONTAINER, ipc POD) on the sandbox AND on every container,
//   else containers share the pause process's PID namespace;
// - never an oom_score_adj (root here cannot lower it; containerd clamps the sandbox's with
//   restrict_oom_score_adj);
// - containerd never removes the per-pod parent cgroup dirs: removePodSandbox rmdirs them;
// - CreateContainer does not pull: callers pull first (pullImage).
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as fs from 'fs';
import * as path from 'path';
import {
  Container,
  ContainerConfig,
  ContainerExitEvent,
  ContainerRuntime,
  ContainerStats,
  ContainerStatus,
  ExecProcess,
  ExecResult,
  ExecStreamRequest,
  LinuxResources,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxStatus,
  RuntimeError,
  RuntimeStatus,
  RuntimeVersion,
  StreamOptions,
  RuntimeImage,
} from '../runtime';
export type { ContainerExitEvent } from '../runtime';
import { fromWireContainer, fromWireSandbox, nsToMs, toWireContainerConfig, toWireResources, toWireSandboxConfig } from './convert';
import type { ProtoGrpcType as CriTypes } from './generated/api';
import type { ProtoGrpcType as EventsTypes } from './generated/containerd-events';
import type { Envelope__Output as WireEnvelope } from './generated/containerd/services/events/v1/Envelope';
import type { ProtoGrpcType as TasksTypes } from './generated/containerd-tasks';
import type { ListPidsResponse__Output } from './generated/containerd/services/tasks/v1/ListPidsResponse';
import type { TasksClient } from './generated/containerd/services/tasks/v1/Tasks';
import type { ImageServiceClient } from './generated/runtime/v1/ImageService';
import type { RuntimeServiceClient } from './generated/runtime/v1/RuntimeService';
import { removePodCgroups } from '../cgroups';


/** The .proto files sit beside this file in the source tree; compiled code runs from dist/. */
function protoPath(file: string): string {
  const candidates = [path.join(__dirname, file), path.resolve(__dirname, '../../../../node-agent/runtime/cri', file)];
  for (const p of candidates) if (fs.existsSync(p)) return p;
  throw new Error(`${file} not found (looked in ${candidates.join(', ')})`);
}

/**
 * How the .proto files are loaded: snake_case field names, enums as strings, 64-bit integers as decimal
 * strings, defaults filled in. The message types in generated/ assume exactly this: `npm run gen:cri`
 * passes the same flags to proto-loader-gen-types.
 */
export const LOAD_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true } satisfies protoLoader.Options;

let criCache: CriTypes['runtime']['v1'] | undefined;
function criPackage(): CriTypes['runtime']['v1'] {
  if (!criCache) criCache = (grpc.loadPackageDefinition(protoLoader.loadSync(protoPath('api.proto'), LOAD_OPTIONS)) as unknown as CriTypes).runtime.v1;
  return criCache;
}

let eventsCache: EventsTypes['containerd']['services']['events']['v1'] | undefined;
function containerdEvents(): EventsTypes['containerd']['services']['events']['v1'] {
  if (!eventsCache) {
    const root = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath('containerd-events.proto'), LOAD_OPTIONS)) as unknown as EventsTypes;
    eventsCache = root.containerd.services.events.v1;
  }
  return eventsCache;
}

let tasksCache: TasksTypes['containerd']['services']['tasks']['v1'] | undefined;
function containerdTasks(): TasksTypes['containerd']['services']['tasks']['v1'] {
  if (!tasksCache) {
    const root = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath('containerd-tasks.proto'), LOAD_OPTIONS)) as unknown as TasksTypes;
    tasksCache = root.containerd.services.tasks.v1;
  }
  return tasksCache;
}

/** The RPCs of a generated service client: its methods, less those of grpc.Client. */
type Rpc<C> = Exclude<keyof C, keyof grpc.Client>;
// A generated unary method's last overload is (request, callback): request and response types from it.
type RequestOf<F> = F extends (argument: infer Req, callback: grpc.requestCallback<infer _Res>) => grpc.ClientUnaryCall ? Req : never;
type ResponseOf<F> = F extends (argument: infer _Req, callback: grpc.requestCallback<infer Res>) => grpc.ClientUnaryCall ? Res : never;

type UnaryMethod = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response?: object) => void,
) => grpc.ClientUnaryCall;

export interface CriRuntimeOptions {
  /** Deadline of each call, except ExecSync (its own timeout + 10 s) and PullImage (5 min). */
  timeoutMs?: number;
}

export class CriRuntime implements ContainerRuntime {
  private readonly runtimeClient: RuntimeServiceClient;
  private readonly imageClient: ImageServiceClient;
  private readonly timeoutMs: number;
  /** cgroup_parent of the sandboxes this process ran, for cleanup when verbose status lacks it. */
  private readonly sandboxCgroupParents = new Map<string, string>();

  constructor(
    readonly socketPath: string,
    opts: CriRuntimeOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 60000;
    const pkg = criPackage();
    const target = `unix://${socketPath}`;
    const creds = grpc.credentials.createInsecure();
    this.runtimeClient = new pkg.RuntimeService(target, creds);
    // one connection for both services
    this.imageClient = new pkg.ImageService(target, creds, { channelOverride: this.runtimeClient.getChannel() });
  }

  private invoke<Res>(client: grpc.Client, method: string, request: object, timeoutMs: number, containerdNamespace = false): Promise<Res> {
    const fn = (client as unknown as Record<string, UnaryMethod>)[method];
    const metadata = new grpc.Metadata();
    // containerd's own services need the namespace CRI keeps its objects in.
    if (containerdNamespace) metadata.set('containerd-namespace', 'k8s.io');
    return new Promise<Res>((resolve, reject) => {
      fn.call(client, request, metadata, { deadline: Date.now() + timeoutMs }, (err, response) => {
        if (err) reject(new RuntimeError(`CRI ${method}: ${err.details || err.message}`, err.code));
        else resolve(response as Res);
      });
    });
  }

  private rt<M extends Rpc<RuntimeServiceClient>>(
    method: M,
    request: RequestOf<RuntimeServiceClient[M]>,
    timeoutMs = this.timeoutMs,
  ): Promise<ResponseOf<RuntimeServiceClient[M]>> {
    return this.invoke(this.runtimeClient, method, request, timeoutMs);
  }

  private img<M extends Rpc<ImageServiceClient>>(
    method: M,
    request: RequestOf<ImageServiceClient[M]>,
    timeoutMs = this.timeoutMs,
  ): Promise<ResponseOf<ImageServiceClient[M]>> {
    return this.invoke(this.imageClient, method, request, timeoutMs);
  }

  async version(): Promise<RuntimeVersion> {
    const v = await this.rt('Version', { version: 'v1' });
    return { runtimeName: v.runtime_name, runtimeVersion: v.runtime_version, runtimeApiVersion: v.runtime_api_version };
  }

  async status(): Promise<RuntimeStatus> {
    const res = await this.rt('Status', { verbose: false });
    const conditions = res.status?.conditions ?? [];
    const cond = (type: string) => conditions.find((c) => c.type === type);
    const notReady = conditions.filter((c) => !c.status).map((c) => `${c.type}: ${c.reason} ${c.message}`.trim());
    return {
      runtimeReady: cond('RuntimeReady')?.status ?? false,
      networkReady: cond('NetworkReady')?.status ?? false,
      message: notReady.length ? notReady.join('; ') : undefined,
    };
  }

  async pullImage(image: string): Promise<string> {
    const res = await this.img('PullImage', { image: { image } }, Math.max(this.timeoutMs, 5 * 60 * 1000));
    return res.image_ref;
  }

  async imageStatus(image: string): Promise<string | undefined> {
    const res = await this.img('ImageStatus', { image: { image }, verbose: false });
    return res.image?.id || undefined;
  }

  async removeImage(image: string): Promise<void> {
    await this.img('RemoveImage', { image: { image } });
  }

  async listImages(): Promise<RuntimeImage[]> {
    const res = await this.img('ListImages', {});
    return res.images.map((i) => ({ id: i.id, repoTags: i.repo_tags, repoDigests: i.repo_digests, sizeBytes: Number(i.size), pinned: i.pinned }));
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const res = await this.rt('RunPodSandbox', { config: toWireSandboxConfig(config), runtime_handler: config.runtimeHandler ?? '' });
    if (config.cgroupParent) this.sandboxCgroupParents.set(res.pod_sandbox_id, config.cgroupParent);
    return res.pod_sandbox_id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    await this.rt('StopPodSandbox', { pod_sandbox_id: id });
  }

  /** Removes the sandbox (and its containers), then the per-pod cgroup dirs it leaves behind. */
  async removePodSandbox(id: string): Promise<void> {
    let cgroupParent = this.sandboxCgroupParents.get(id);
    // A sandbox this client did not create (an agent restarted since): its cgroup parent is in the config
    // containerd's verbose status holds. That status carries the whole runtime spec (~10 KB of JSON to
    // encode and parse), so the parent recorded at creation is used when there is one.
    if (cgroupParent === undefined) {
      try {
        const res = await this.rt('PodSandboxStatus', { pod_sandbox_id: id, verbose: true });
        cgroupParent = sandboxCgroupParentFromInfo(res.info);
      } catch (err) {
        if (!(err instanceof RuntimeError && err.code === grpc.status.NOT_FOUND)) throw err;
      }
    }
    await this.rt('RemovePodSandbox', { pod_sandbox_id: id });
    this.sandboxCgroupParents.delete(id);
    if (cgroupParent) await removePodCgroups(cgroupParent);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const res = await this.rt('PodSandboxStatus', { pod_sandbox_id: id, verbose: false });
    if (!res.status) throw new RuntimeError(`pod sandbox ${id} not found`, grpc.status.NOT_FOUND);
    return { ...fromWireSandbox(res.status), ip: res.status.network?.ip ?? '' };
  }

  async listPodSandboxes(): Promise<PodSandbox[]> {
    const res = await this.rt('ListPodSandbox', {});
    return res.items.map(fromWireSandbox);
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const res = await this.rt('CreateContainer', {
      pod_sandbox_id: podSandboxId,
      config: toWireContainerConfig(config),
      sandbox_config: toWireSandboxConfig(sandboxConfig),
    });
    return res.container_id;
  }

  async startContainer(id: string): Promise<void> {
    await this.rt('StartContainer', { container_id: id });
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.rt('StopContainer', { container_id: id, timeout: Math.max(0, Math.round(timeoutSeconds)) }, this.timeoutMs + timeoutSeconds * 1000);
  }

  async removeContainer(id: string): Promise<void> {
    await this.rt('RemoveContainer', { container_id: id });
  }

  async listContainers(filter: { podSandboxId?: string } = {}): Promise<Container[]> {
    const res = await this.rt('ListContainers', filter.podSandboxId ? { filter: { pod_sandbox_id: filter.podSandboxId } } : {});
    return res.containers.map(fromWireContainer);
  }

  async containerStatus(id: string, opts: { verbose?: boolean } = {}): Promise<ContainerStatus> {
    const res = await this.rt('ContainerStatus', { container_id: id, verbose: opts.verbose ?? true });
    const s = res.status;
    if (!s) throw new RuntimeError(`container ${id} not found`, grpc.status.NOT_FOUND);
    let podSandboxId = '';
    let pid: number | undefined;
    if (res.info?.info) {
      // containerd's verbose info: JSON with the host PID of the container's init and its sandbox
      const info = JSON.parse(res.info.info) as { pid?: number; sandboxID?: string };
      if (typeof info.pid === 'number' && info.pid > 0) pid = info.pid;
      podSandboxId = info.sandboxID ?? '';
    }
    return {
      // ContainerStatus carries the same summary fields as ListContainers, less the sandbox id.
      ...fromWireContainer({ ...s, pod_sandbox_id: podSandboxId }),
      startedAt: nsToMs(s.started_at),
      finishedAt: nsToMs(s.finished_at),
      exitCode: s.exit_code,
      reason: s.reason,
      message: s.message,
      logPath: s.log_path,
      pid,
    };
  }

  async updateContainerResources(id: string, resources: LinuxResources): Promise<void> {
    await this.rt('UpdateContainerResources', { container_id: id, linux: toWireResources(resources) });
  }

  async execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecResult> {
    const res = await this.rt(
      'ExecSync',
      { container_id: id, cmd, timeout: Math.max(0, Math.round(timeoutSeconds)) },
      (timeoutSeconds > 0 ? timeoutSeconds * 1000 : this.timeoutMs) + 10000,
    );
    return { exitCode: res.exit_code, stdout: Buffer.from(res.stdout), stderr: Buffer.from(res.stderr) };
  }

  async exec(id: string, r: ExecStreamRequest): Promise<string> {
    const res = await this.rt('Exec', { container_id: id, cmd: r.cmd, tty: r.tty, stdin: r.stdin, stdout: r.stdout, stderr: r.stderr });
    return res.url;
  }

  async attach(id: string, r: StreamOptions): Promise<string> {
    const res = await this.rt('Attach', { container_id: id, tty: r.tty, stdin: r.stdin, stdout: r.stdout, stderr: r.stderr });
    return res.url;
  }

  async portForward(podSandboxId: string, ports: number[]): Promise<string> {
    const res = await this.rt('PortForward', { pod_sandbox_id: podSandboxId, port: ports });
    return res.url;
  }

  /**
   * containerd's task service (not CRI) sees the exec'd processes of a CRI container, by exec ID and host
   * pid; the argv and start time come from /proc (the runtime's socket is local, so are its pids), where
   * readable. (ListPids runs `runc ps`: tens of ms, so the agent asks only once a session's client left.)
   */
  async execProcesses(id: string): Promise<ExecProcess[]> {
    const res = await this.invoke<ListPidsResponse__Output>(this.tasksClient(), 'ListPids', { container_id: id }, this.timeoutMs, true);
    const out: ExecProcess[] = [];
    for (const p of res.processes) {
      const execId = p.info?.value?.exec_id ?? '';
      if (!execId) continue;
      let args: string[] | undefined;
      let startedAtMs: number | undefined;
      try {
        const [raw, stat] = await Promise.all([fs.promises.readFile(`/proc/${p.pid}/cmdline`, 'utf8'), fs.promises.readFile(`/proc/${p.pid}/stat`, 'utf8')]);
        if (raw) args = raw.replace(/\0$/, '').split('\0');
        startedAtMs = procStartMs(stat);
      } catch {
        // Gone meanwhile, or another pid namespace: the exec ID alone.
      }
      out.push({ execId, args, startedAtMs });
    }
    return out;
  }

  /** ms since the host booted, the clock of /proc/<pid>/stat's start times (both count suspended time). */
  execClock(): number {
    return Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
  }

  async killExecProcess(id: string, execId: string): Promise<void> {
    await this.invoke(this.tasksClient(), 'Kill', { container_id: id, exec_id: execId, signal: 9, all: false }, this.timeoutMs, true);
  }

  private tasks: TasksClient | undefined;
  private tasksClient(): TasksClient {
    if (!this.tasks) this.tasks = new (containerdTasks().Tasks)(`unix://${this.socketPath}`, grpc.credentials.createInsecure(), { channelOverride: this.runtimeClient.getChannel() });
    return this.tasks;
  }

  async containerStats(): Promise<ContainerStats[]> {
    const res = await this.rt('ListContainerStats', {});
    return res.stats.map((s) => ({
      id: s.attributes?.id ?? '',
      cpuUsageCoreNanoSeconds: Number(s.cpu?.usage_core_nano_seconds?.value ?? 0),
      memoryWorkingSetBytes: Number(s.memory?.working_set_bytes?.value ?? 0),
      timestamp: nsToMs(s.cpu?.timestamp ?? s.memory?.timestamp),
    }));
  }

  /**
   * Calls onExit for every container or sandbox init process that exits from now on, as soon as
   * containerd publishes /tasks/exit (CRI GetContainerEvents is not implemented in containerd 1.6).
   * Exec'd processes are left out. The event says only "this ID's process exited": callers read the
   * rest with containerStatus. onError gets stream failures (e.g. containerd restarted); the watch is
   * then over and must be started again. Returns a function that ends the watch.
   */
  watchContainerExits(onExit: (event: ContainerExitEvent) => void, onError?: (err: RuntimeError) => void): () => void {
    const Events = containerdEvents().Events;
    const client = new Events(`unix://${this.socketPath}`, grpc.credentials.createInsecure(), { channelOverride: this.runtimeClient.getChannel() });
    const stream = client.Subscribe({ filters: ['namespace==k8s.io,topic=="/tasks/exit"'] });
    let ended = false;
    stream.on('data', (env: WireEnvelope) => {
      const exit = env.event?.value;
      if (!exit || env.topic !== '/tasks/exit' || (exit.id && exit.id !== exit.container_id)) return;
      const at = exit.exited_at ?? env.timestamp;
      onExit({
        containerId: exit.container_id,
        pid: exit.pid,
        exitStatus: exit.exit_status,
        exitedAt: at ? Number(at.seconds) * 1000 + Math.floor(at.nanos / 1e6) : Date.now(),
      });
    });
    stream.on('error', (err: grpc.ServiceError) => {
      if (ended || err.code === grpc.status.CANCELLED) return;
      onError?.(new RuntimeError(`containerd events: ${err.details || err.message}`, err.code));
    });
    return () => {
      ended = true;
      stream.cancel();
    };
  }

  close(): void {
    this.tasks?.close();
    this.imageClient.close();
    this.runtimeClient.close();
  }
}

/** containerd's verbose PodSandboxStatus info holds the sandbox config it was created with. */
export function sandboxCgroupParentFromInfo(info: Record<string, string> | undefined): string | undefined {
  if (!info?.info) return undefined;
  try {
    const parsed = JSON.parse(info.info) as { config?: { linux?: { cgroup_parent?: string } } };
    return parsed.config?.linux?.cgroup_parent || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A process's start in ms since boot, from /proc/<pid>/stat: field 22, in clock ticks (USER_HZ, 100 on
 * Linux); the fields are counted after the command name's closing parenthesis, which may hold spaces.
 */
export function procStartMs(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]);
  return Number.isFinite(ticks) ? ticks * 10 : undefined;
}
