// The node agent's Prometheus metrics, named like kubelet's, in the node agent's registry
// (lib/metrics.ts), which the agent's /metrics serves. They are module-level singletons (several agents
// may share a process: hollow nodes), so every series carries a `node` label. Gauges that describe current state are computed at scrape time from the
// agents registered here.
import type { ContainerRuntime, ExecStreamRequest, StreamOptions } from './runtime/runtime';
import { componentRegistry, counter, gauge, histogram } from '../lib/component/metrics';

/** The node agent's registry: its metrics, its work queue's and its reconcile loop's. */
export const agentRegistry = componentRegistry('node-agent');

export const podStartDuration = histogram({
  name: 'kubelet_pod_start_duration_seconds',
  help: 'Duration in seconds from the agent seeing a pod bound to its node until all its containers run.',
  labelNames: ['node'],
  buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 20, 60],
}, agentRegistry);

/** The phases of a new pod's start that podStartPhaseDuration times (agent.ts and pod-actions.ts). */
export const POD_START_PHASES = ['queued', 'volumes', 'sandbox', 'image', 'create', 'start', 'status'] as const;
export type PodStartPhase = (typeof POD_START_PHASES)[number];

export const podStartPhaseDuration = histogram({
  name: 'steer_node_agent_pod_start_phase_seconds',
  help:
    'Where a new pod\'s start goes, by phase, for pods whose containers all start in the sync that creates their first sandbox: ' +
    'queued (bound pod seen until that sync began), volumes (ConfigMaps, Secrets and tokens read, volume files written), ' +
    'sandbox (RunPodSandbox, its status, /etc/hosts), image (waiting for the image check begun beside the sandbox), ' +
    'create (container config and CreateContainer), start (StartContainer and ContainerStatus), status (the pod status computed and its write answered).',
  labelNames: ['node', 'phase'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
}, agentRegistry);

export const runtimeOperationsDuration = histogram({
  name: 'kubelet_runtime_operations_duration_seconds',
  help: 'Duration in seconds of runtime operations, by operation type.',
  labelNames: ['node', 'operation_type'],
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
}, agentRegistry);

export const runtimeOperationsErrors = counter({
  name: 'kubelet_runtime_operations_errors_total',
  help: 'Cumulative number of runtime operation errors by operation type.',
  labelNames: ['node', 'operation_type'],
}, agentRegistry);

export const plegRelistDuration = histogram({
  name: 'kubelet_pleg_relist_duration_seconds',
  help: 'Duration in seconds of relisting pods and containers from the runtime (PLEG).',
  labelNames: ['node'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
}, agentRegistry);

export const probeTotal = counter({
  name: 'prober_probe_total',
  help: 'Cumulative number of liveness, readiness or startup probes, by result.',
  labelNames: ['node', 'probe_type', 'result'],
}, agentRegistry);

/** What an agent tells the metrics about itself at scrape time. */
export interface AgentMetricsSource {
  nodeName: string;
  runningPods(): number;
  runningContainers(): number;
  /** Per-container usage from the last CRI stats call, with pod identity. */
  containerUsage(): { namespace: string; pod: string; container: string; cpuSeconds: number; memoryBytes: number }[];
}

const sources = new Set<AgentMetricsSource>();

export function registerAgentMetrics(s: AgentMetricsSource): () => void {
  sources.add(s);
  return () => sources.delete(s);
}

gauge({
  name: 'kubelet_running_pods',
  help: 'Number of pods that have a running pod sandbox.',
  labelNames: ['node'],
  collect() {
    this.reset();
    for (const s of sources) this.set({ node: s.nodeName }, s.runningPods());
  },
}, agentRegistry);

gauge({
  name: 'kubelet_running_containers',
  help: 'Number of containers currently running.',
  labelNames: ['node', 'container_state'],
  collect() {
    this.reset();
    for (const s of sources) this.set({ node: s.nodeName, container_state: 'running' }, s.runningContainers());
  },
}, agentRegistry);

gauge({
  name: 'container_cpu_usage_seconds_total',
  help: 'Cumulative cpu time consumed by the container in core-seconds (from CRI stats).',
  labelNames: ['node', 'namespace', 'pod', 'container'],
  collect() {
    this.reset();
    for (const s of sources) {
      for (const u of s.containerUsage()) this.set({ node: s.nodeName, namespace: u.namespace, pod: u.pod, container: u.container }, u.cpuSeconds);
    }
  },
}, agentRegistry);

gauge({
  name: 'container_memory_working_set_bytes',
  help: 'Current working set of the container in bytes (from CRI stats).',
  labelNames: ['node', 'namespace', 'pod', 'container'],
  collect() {
    this.reset();
    for (const s of sources) {
      for (const u of s.containerUsage()) this.set({ node: s.nodeName, namespace: u.namespace, pod: u.pod, container: u.container }, u.memoryBytes);
    }
  },
}, agentRegistry);

/** Wraps a runtime so that every call is timed and its errors counted, per operation. */
export function instrumentRuntime(runtime: ContainerRuntime, nodeName: string): ContainerRuntime {
  const timed = <A extends unknown[], R>(op: string, fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const end = runtimeOperationsDuration.startTimer({ node: nodeName, operation_type: op });
      try {
        return await fn(...a);
      } catch (err) {
        runtimeOperationsErrors.inc({ node: nodeName, operation_type: op });
        throw err;
      } finally {
        end();
      }
    };
  const r = runtime;
  return {
    version: timed('version', () => r.version()),
    status: timed('status', () => r.status()),
    pullImage: timed('pull_image', (image: string) => r.pullImage(image)),
    imageStatus: timed('image_status', (image: string) => r.imageStatus(image)),
    listImages: timed('list_images', () => r.listImages()),
    removeImage: timed('remove_image', (image: string) => r.removeImage(image)),
    runPodSandbox: timed('run_podsandbox', (c) => r.runPodSandbox(c)),
    stopPodSandbox: timed('stop_podsandbox', (id: string) => r.stopPodSandbox(id)),
    removePodSandbox: timed('remove_podsandbox', (id: string) => r.removePodSandbox(id)),
    podSandboxStatus: timed('podsandbox_status', (id: string) => r.podSandboxStatus(id)),
    listPodSandboxes: timed('list_podsandbox', () => r.listPodSandboxes()),
    createContainer: timed('create_container', (id, c, s) => r.createContainer(id, c, s)),
    startContainer: timed('start_container', (id: string) => r.startContainer(id)),
    stopContainer: timed('stop_container', (id: string, t: number) => r.stopContainer(id, t)),
    removeContainer: timed('remove_container', (id: string) => r.removeContainer(id)),
    listContainers: timed('list_containers', (f?: { podSandboxId?: string }) => r.listContainers(f)),
    containerStatus: timed('container_status', (id: string, o?: { verbose?: boolean }) => r.containerStatus(id, o)),
    execSync: timed('exec_sync', (id: string, cmd: string[], t: number) => r.execSync(id, cmd, t)),
    exec: timed('exec', (id: string, req: ExecStreamRequest) => r.exec(id, req)),
    attach: timed('attach', (id: string, req: StreamOptions) => r.attach(id, req)),
    portForward: timed('port_forward', (id: string, ports: number[]) => r.portForward(id, ports)),
    execProcesses: r.execProcesses ? timed('list_pids', (id: string) => r.execProcesses!(id)) : undefined,
    execClock: r.execClock ? () => r.execClock!() : undefined,
    killExecProcess: r.killExecProcess ? timed('kill', (id: string, execId: string) => r.killExecProcess!(id, execId)) : undefined,
    containerStats: timed('list_container_stats', () => r.containerStats()),
    watchContainerExits: r.watchContainerExits ? (onExit, onError) => r.watchContainerExits!(onExit, onError) : undefined,
    close: () => r.close(),
  };
}

export const streamingSessions = gauge({
  name: 'steer_node_agent_streaming_sessions',
  help: 'Open exec, attach and port-forward sessions proxied to the runtime streaming server.',
  labelNames: ['node', 'kind'],
}, agentRegistry);

export const streamingSessionsTotal = counter({
  name: 'steer_node_agent_streaming_sessions_total',
  help: 'Exec, attach and port-forward requests, by outcome: opened, refused (a limit), failed (the runtime said no).',
  labelNames: ['node', 'kind', 'result'],
}, agentRegistry);

export const streamingBytes = counter({
  name: 'steer_node_agent_streaming_bytes_total',
  help: 'Bytes passed through exec, attach and port-forward sessions: in = client to container, out = back.',
  labelNames: ['node', 'kind', 'direction'],
}, agentRegistry);

export const streamingKilledProcesses = counter({
  name: 'steer_node_agent_streaming_killed_processes_total',
  help: 'Exec\'d processes killed because their client went away while they still ran.',
  labelNames: ['node'],
}, agentRegistry);
