// The floor for pod start: the raw CRI sequence PullImage (image cached) + RunPodSandbox +
// CreateContainer + StartContainer with nothing of steer around it. The node agent's benchmarks call
// measureCriFloor in the same run to report their figures as ratios to it (absolute times differ 3×
// between machines of this kind). measureRestartFloor is the floor for "killed container serving
// again". Runnable alone: `node dist/bench/cri-floor.js [--count 10] [--concurrent 30] [--restarts 10]
// [--state-dir DIR] [--keep] [--json]` sets up its own runtime, prints the figures, tears down.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { Command } from 'commander';
import { ContainerConfig, ContainerRuntime, CriRuntime, IMAGES, podCgroupParent, PodSandboxConfig, teardownRuntime } from '../node-agent';
import { ensureBenchRuntime } from './bench-cluster';

export interface CriFloorOptions {
  /** Parent of per-pod cgroups (RuntimeInfo.cgroupRoot). */
  cgroupRoot: string;
  /** Where pod log dirs go (RuntimeInfo.podLogDir). */
  podLogDir: string;
  image?: string; // default the local nginx image
  sequentialCount?: number; // default 10
  concurrentCount?: number; // default 30
  warmup?: boolean; // one untimed pod first (pulls the image, warms containerd); default true
  /** Give each pod a hostPort mapping from this port on (portmap costs real time); default none. */
  hostPortBase?: number;
  /**
   * Start each pod in the shape the node agent gives a plain Deployment pod instead of the bare one:
   * ImageStatus for the cached image (imagePullPolicy IfNotPresent) instead of PullImage, the cluster
   * DNS config, and the /etc/hosts, termination message and service-account token bind mounts (files
   * the bench writes).
   */
  steerShape?: { clusterDns: boolean; tokenMount: boolean };
}

export interface CriFloorResult {
  sequential: { count: number; samplesMs: number[]; p50Ms: number; p99Ms: number; meanMs: number };
  /**
   * removeMs: the same pods stopped and removed at once (StopPodSandbox for all, then RemovePodSandbox
   * for all); stopMs: until every one was stopped (what a pod's deletion from the API waits for).
   */
  concurrent: { count: number; totalMs: number; perPodMs: number; stopMs: number; removeMs: number };
}

/** Nearest-rank percentile of samples (p in 0..100). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

interface StartedPod {
  sandboxId: string;
  /** Host files of a steer-shaped pod, removed with it. */
  hostDir?: string;
}

/** Host files a steer-shaped floor pod mounts, as the agent writes them for a pod (etc-hosts, termination-log, token dir). */
function floorPodDir(opts: CriFloorOptions, uid: string): string {
  return path.join(opts.podLogDir, '..', 'floor-pods', uid);
}

function steerShapeMounts(opts: CriFloorOptions, uid: string): ContainerConfig['mounts'] {
  if (!opts.steerShape) return [];
  const dir = floorPodDir(opts, uid);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'etc-hosts'), '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n');
  // Every kubelet container has its termination message file bind-mounted (terminationMessagePath
  // defaults to /dev/termination-log), and so does every container the agent starts.
  const message = path.join(dir, 'termination-log');
  fs.writeFileSync(message, '');
  fs.chmodSync(message, 0o666);
  const mounts: ContainerConfig['mounts'] = [
    { containerPath: '/etc/hosts', hostPath: path.join(dir, 'etc-hosts'), readonly: false },
    { containerPath: '/dev/termination-log', hostPath: message, readonly: false },
  ];
  if (opts.steerShape.tokenMount) {
    const token = path.join(dir, 'token');
    fs.mkdirSync(token, { recursive: true });
    for (const f of ['token', 'ca.crt', 'namespace']) fs.writeFileSync(path.join(token, f), f);
    mounts.push({ containerPath: '/var/run/secrets/kubernetes.io/serviceaccount', hostPath: token, readonly: true });
  }
  return mounts;
}

async function startPod(runtime: ContainerRuntime, opts: CriFloorOptions, index: number, hostPort?: number): Promise<StartedPod> {
  const uid = crypto.randomUUID();
  const image = opts.image ?? IMAGES.nginx;
  const sandbox: PodSandboxConfig = {
    name: `floor-${index}`,
    namespace: 'bench',
    uid,
    attempt: 0,
    hostname: `floor-${index}`,
    logDirectory: path.join(opts.podLogDir, `bench_floor-${index}_${uid}`),
    portMappings: hostPort ? [{ protocol: 'TCP', containerPort: 80, hostPort, hostIp: '' }] : [],
    labels: { 'steer.bench': 'cri-floor' },
    annotations: {},
    cgroupParent: podCgroupParent(opts.cgroupRoot, uid),
    ...(opts.steerShape?.clusterDns ? { dnsConfig: { servers: ['10.96.0.10'], searches: ['bench.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] } } : {}),
  };
  const container: ContainerConfig = {
    name: 'app',
    attempt: 0,
    image,
    command: [],
    args: [],
    workingDir: '',
    env: [],
    mounts: steerShapeMounts(opts, uid),
    logPath: 'app/0.log',
    labels: {},
    annotations: {},
    resources: {},
  };
  if (!opts.steerShape || !(await runtime.imageStatus(image))) await runtime.pullImage(image);
  const sandboxId = await runtime.runPodSandbox(sandbox);
  const containerId = await runtime.createContainer(sandboxId, container, sandbox);
  await runtime.startContainer(containerId);
  return { sandboxId, hostDir: opts.steerShape ? floorPodDir(opts, uid) : undefined };
}

async function removePod(runtime: ContainerRuntime, pod: StartedPod): Promise<void> {
  // Cleanup is not part of any figure: a stop refused once on a busy machine (containerd's "failed to
  // remove netns: device or resource busy") is tried again after a moment.
  await runtime.stopPodSandbox(pod.sandboxId).catch(async () => {
    await sleep(200);
    await runtime.stopPodSandbox(pod.sandboxId);
  });
  await runtime.removePodSandbox(pod.sandboxId);
  if (pod.hostDir) fs.rmSync(pod.hostDir, { recursive: true, force: true });
}

export async function measureCriFloor(runtime: ContainerRuntime, opts: CriFloorOptions): Promise<CriFloorResult> {
  const seqCount = opts.sequentialCount ?? 10;
  const concCount = opts.concurrentCount ?? 30;
  const port = (i: number) => (opts.hostPortBase ? opts.hostPortBase + i : undefined);
  if (opts.warmup ?? true) await removePod(runtime, await startPod(runtime, opts, -1, port(0)));

  const samplesMs: number[] = [];
  for (let i = 0; i < seqCount; i++) {
    const t0 = process.hrtime.bigint();
    const pod = await startPod(runtime, opts, i, port(i));
    samplesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await removePod(runtime, pod); // cleanup is not part of the figure
  }

  const t0 = process.hrtime.bigint();
  const settled = await Promise.allSettled(Array.from({ length: concCount }, (_, i) => startPod(runtime, opts, 1000 + i, port(i))));
  const totalMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const pods = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const r0 = process.hrtime.bigint();
  await Promise.all(pods.map((p) => runtime.stopPodSandbox(p.sandboxId)));
  const stopMs = Number(process.hrtime.bigint() - r0) / 1e6;
  await Promise.all(pods.map((p) => runtime.removePodSandbox(p.sandboxId)));
  const removeMs = Number(process.hrtime.bigint() - r0) / 1e6;
  for (const p of pods) if (p.hostDir) fs.rmSync(p.hostDir, { recursive: true, force: true });
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;

  return {
    sequential: {
      count: seqCount,
      samplesMs,
      p50Ms: percentile(samplesMs, 50),
      p99Ms: percentile(samplesMs, 99),
      meanMs: samplesMs.reduce((a, b) => a + b, 0) / Math.max(1, samplesMs.length),
    },
    concurrent: { count: concCount, totalMs, perPodMs: totalMs / Math.max(1, concCount), stopMs, removeMs },
  };
}

export interface TeardownPhases {
  count: number;
  /**
   * Wall time of each phase, all pods at once, and the machine's busy CPU (core-seconds) meanwhile; with
   * runtimeCoreSeconds the CPU of containerd's own cgroup (it, its shims, runc and the CNI plugins), which
   * other work on a shared machine does not blur.
   */
  phases: Array<{ name: string; ms: number; busyCoreSeconds: number; runtimeCoreSeconds?: number }>;
}

/**
 * The CPU seconds used so far by the cgroup (cgroup v1 cpuacct) holding process `pid` — containerd,
 * whose shims, runc and CNI plugins inherit it while the containers go to their pods' cgroups — or
 * undefined when it is the root cgroup (then it would count the whole machine). To get the figure, start
 * the bench in a cpuacct cgroup of its own: containerd is started from it.
 */
export function runtimeCpuSeconds(pid: number): number | undefined {
  try {
    const line = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => /^\d+:([^:]*,)?cpuacct(,[^:]*)?:/.test(l));
    const group = line?.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
    if (!group || group === '/') return undefined;
    return Number(fs.readFileSync(path.join('/sys/fs/cgroup/cpuacct', group, 'cpuacct.usage'), 'utf8')) / 1e9;
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of the whole machine (/proc/stat). */
function machineCpu(): { busy: number; total: number } {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], total };
}

/**
 * Where a pod's teardown goes: `count` pods started, then all at once StopContainer with a grace period
 * (the image's stop signal), StopPodSandbox (the CNI DEL, the pause container), RemovePodSandbox; each
 * phase timed, with the machine's busy CPU meanwhile. With `sandboxStop: false` there is no
 * StopPodSandbox phase: RemovePodSandbox stops the sandbox itself, and runs the CNI DEL once instead of
 * twice (containerd 1.6 forces a stop, with the whole CNI chain, on every RemovePodSandbox).
 */
export async function measureTeardownPhases(
  runtime: ContainerRuntime,
  opts: CriFloorOptions & { count?: number; graceSeconds?: number; sandboxStop?: boolean; runtimeCpu?: () => number | undefined },
): Promise<TeardownPhases> {
  const count = opts.count ?? 27;
  const uidPods = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const p = await startPod(runtime, opts, 2000 + i);
      return { ...p, containerId: (await runtime.listContainers({ podSandboxId: p.sandboxId }))[0]?.id ?? '' };
    }),
  );
  await sleep(1000);
  const phases: TeardownPhases['phases'] = [];
  const phase = async (name: string, fn: () => Promise<unknown>) => {
    const c0 = machineCpu();
    const r0 = opts.runtimeCpu?.();
    const t0 = process.hrtime.bigint();
    await fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const r1 = r0 === undefined ? undefined : opts.runtimeCpu?.();
    phases.push({ name, ms, busyCoreSeconds: (machineCpu().busy - c0.busy) / 100, runtimeCoreSeconds: r0 !== undefined && r1 !== undefined ? r1 - r0 : undefined });
  };
  await phase(`StopContainer (grace ${opts.graceSeconds ?? 30} s)`, () => Promise.all(uidPods.map((p) => runtime.stopContainer(p.containerId, opts.graceSeconds ?? 30))));
  if (opts.sandboxStop ?? true) await phase('StopPodSandbox', () => Promise.all(uidPods.map((p) => runtime.stopPodSandbox(p.sandboxId))));
  await phase('RemovePodSandbox', () => Promise.all(uidPods.map((p) => runtime.removePodSandbox(p.sandboxId))));
  return { count, phases };
}

export function formatTeardownPhases(r: TeardownPhases): string {
  const total = r.phases.reduce((a, p) => a + p.ms, 0);
  const busy = r.phases.reduce((a, p) => a + p.busyCoreSeconds, 0);
  const hasRuntime = r.phases.every((p) => p.runtimeCoreSeconds !== undefined);
  const runtime = r.phases.reduce((a, p) => a + (p.runtimeCoreSeconds ?? 0), 0);
  const rt = (s: number) => (hasRuntime ? `, runtime ${s.toFixed(2)} core-s` : '');
  return [
    `teardown of ${r.count} pods, each phase for all at once (wall ms, share, the machine's busy CPU meanwhile${hasRuntime ? "; containerd's cgroup's CPU" : ''}), in all ${total.toFixed(0)} ms, ${busy.toFixed(2)} core-s${rt(runtime)}:`,
    ...r.phases.map((p) => `  ${p.name.padEnd(28)} ${p.ms.toFixed(0).padStart(6)} ms  ${((100 * p.ms) / total).toFixed(0).padStart(3)} %  ${p.busyCoreSeconds.toFixed(2)} core-s${rt(p.runtimeCoreSeconds ?? 0)}`),
  ].join('\n');
}

export interface RestartFloorOptions {
  cgroupRoot: string;
  podLogDir: string;
  count?: number; // kills, default 10
}

export interface RestartFloorResult {
  count: number;
  samplesMs: number[];
  p50Ms: number;
  p99Ms: number;
  /** How the exit was noticed: containerd's event stream, or ContainerStatus polling every 10 ms. */
  detection: 'events' | 'polling';
}

function httpOk(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * RemoveContainer right after containerd's /tasks/exit event: the CRI plugin may not have recorded the
 * exit yet, and removing then makes it stop the container itself through a shim connection that is
 * closing ("container is still running", "ttrpc: closed"). So it waits, as the node agent's status
 * refresh does, until ContainerStatus shows the exit, and retries a failed removal for up to a second.
 */
async function removeExited(runtime: ContainerRuntime, id: string): Promise<void> {
  const until = Date.now() + 1000;
  while ((await runtime.containerStatus(id)).state === 'CONTAINER_RUNNING' && Date.now() < until) await sleep(2);
  for (;;) {
    try {
      await runtime.removeContainer(id);
      return;
    } catch (err) {
      if (Date.now() >= until) throw err;
      await sleep(5);
    }
  }
}

/**
 * The floor for "a killed container is serving again": one nginx pod; each round SIGKILLs the
 * container's process from the host, notices the exit (containerd's /tasks/exit event when the
 * runtime offers watchContainerExits, else polling), removes it, creates and starts the next attempt
 * in the same sandbox, and waits for HTTP 200 on the pod IP. Figures are kill → 200.
 */
export async function measureRestartFloor(
  runtime: ContainerRuntime & Partial<Pick<CriRuntime, 'watchContainerExits'>>,
  opts: RestartFloorOptions,
): Promise<RestartFloorResult> {
  const count = opts.count ?? 10;
  const uid = crypto.randomUUID();
  const sandbox: PodSandboxConfig = {
    name: 'restart-floor',
    namespace: 'bench',
    uid,
    attempt: 0,
    hostname: 'restart-floor',
    logDirectory: path.join(opts.podLogDir, `bench_restart-floor_${uid}`),
    portMappings: [],
    labels: { 'steer.bench': 'restart-floor' },
    annotations: {},
    cgroupParent: podCgroupParent(opts.cgroupRoot, uid),
  };
  const container = (attempt: number): ContainerConfig => ({
    name: 'app',
    attempt,
    image: IMAGES.nginx,
    command: [],
    args: [],
    workingDir: '',
    env: [],
    mounts: [],
    logPath: `app/${attempt}.log`,
    labels: {},
    annotations: {},
    resources: {},
  });
  const exited = new Set<string>();
  const waiters = new Map<string, () => void>();
  const stopWatch = runtime.watchContainerExits?.((e) => {
    exited.add(e.containerId);
    waiters.get(e.containerId)?.();
  });
  const waitExit = async (id: string): Promise<void> => {
    if (stopWatch) {
      if (!exited.has(id)) await new Promise<void>((resolve) => waiters.set(id, resolve));
      waiters.delete(id);
      return;
    }
    while ((await runtime.containerStatus(id)).state !== 'CONTAINER_EXITED') await sleep(10);
  };

  await runtime.pullImage(IMAGES.nginx);
  const sandboxId = await runtime.runPodSandbox(sandbox);
  const samplesMs: number[] = [];
  try {
    const ip = (await runtime.podSandboxStatus(sandboxId)).ip;
    let containerId = await runtime.createContainer(sandboxId, container(0), sandbox);
    await runtime.startContainer(containerId);
    while (!(await httpOk(ip, 80))) await sleep(10);
    if (stopWatch) await sleep(200); // let the event subscription settle before the first kill
    for (let attempt = 1; attempt <= count; attempt++) {
      const { pid } = await runtime.containerStatus(containerId);
      if (!pid) throw new Error('the runtime reports no host PID for the container');
      const t0 = process.hrtime.bigint();
      process.kill(pid, 'SIGKILL');
      await waitExit(containerId);
      await removeExited(runtime, containerId);
      containerId = await runtime.createContainer(sandboxId, container(attempt), sandbox);
      await runtime.startContainer(containerId);
      while (!(await httpOk(ip, 80))) await sleep(5);
      samplesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } finally {
    stopWatch?.();
    await runtime.stopPodSandbox(sandboxId);
    await runtime.removePodSandbox(sandboxId);
  }
  return { count, samplesMs, p50Ms: percentile(samplesMs, 50), p99Ms: percentile(samplesMs, 99), detection: stopWatch ? 'events' : 'polling' };
}

export function formatCriFloor(r: CriFloorResult): string {
  const f = (n: number) => n.toFixed(1);
  return [
    'CRI floor (PullImage cached + RunPodSandbox + CreateContainer + StartContainer)',
    `  one at a time ×${r.sequential.count}: p50 ${f(r.sequential.p50Ms)} ms, p99 ${f(r.sequential.p99Ms)} ms, mean ${f(r.sequential.meanMs)} ms`,
    `  ${r.concurrent.count} concurrent: total ${f(r.concurrent.totalMs)} ms (${f(r.concurrent.perPodMs)} ms per pod); stopped at once in ${f(r.concurrent.stopMs)} ms, removed ${f(r.concurrent.removeMs)} ms after the start of the stops`,
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('cri-floor')
    .option('--count <n>', 'pods started one at a time', '10')
    .option('--concurrent <n>', 'pods started at once', '30')
    .option('--state-dir <dir>', 'runtime state dir for the benchmark', '/var/lib/steer-bench/cri-floor')
    .option('--bridge <name>', 'CNI bridge', 'steerbench0')
    .option('--pod-subnet <cidr>', 'pod subnet', '10.209.0.0/24')
    .option('--host-port-base <port>', 'give each pod a hostPort from this port on')
    .option('--restarts <n>', 'also measure kill → serving again this many times (0: skip)', '10')
    .option('--teardown-phases <n>', 'also tear down this many pods phase by phase (StopContainer, StopPodSandbox, RemovePodSandbox; then without StopPodSandbox; 0: skip)', '0')
    .option('--teardown-rounds <n>', 'rounds of both teardowns, alternating which goes first', '1')
    .option('--keep', 'leave the runtime running afterwards', false)
    .option('--json', 'print the result as JSON', false)
    .parse(argv);
  const o = program.opts<{ count: string; concurrent: string; stateDir: string; bridge: string; podSubnet: string; hostPortBase?: string; restarts: string; teardownPhases: string; teardownRounds: string; keep: boolean; json: boolean }>();
  const info = await ensureBenchRuntime({ stateDir: o.stateDir, bridge: o.bridge, podSubnet: o.podSubnet });
  const runtime = new CriRuntime(info.criSocket);
  try {
    const result = await measureCriFloor(runtime, {
      cgroupRoot: info.cgroupRoot,
      podLogDir: info.podLogDir,
      sequentialCount: Number(o.count),
      concurrentCount: Number(o.concurrent),
      hostPortBase: o.hostPortBase ? Number(o.hostPortBase) : undefined,
    });
    const restart = Number(o.restarts) > 0 ? await measureRestartFloor(runtime, { cgroupRoot: info.cgroupRoot, podLogDir: info.podLogDir, count: Number(o.restarts) }) : undefined;
    const teardownOpts = { cgroupRoot: info.cgroupRoot, podLogDir: info.podLogDir, count: Number(o.teardownPhases), runtimeCpu: () => runtimeCpuSeconds(info.pids.containerd) };
    // Both teardowns, with StopPodSandbox and without, alternating which goes first.
    const teardowns: Array<{ sandboxStop: boolean; result: TeardownPhases }> = [];
    for (let round = 0; Number(o.teardownPhases) > 0 && round < Number(o.teardownRounds); round++) {
      for (const sandboxStop of round % 2 ? [false, true] : [true, false]) teardowns.push({ sandboxStop, result: await measureTeardownPhases(runtime, { ...teardownOpts, sandboxStop }) });
    }
    if (o.json) process.stdout.write(JSON.stringify({ ...result, restart, teardowns }) + '\n');
    else {
      const phases = teardowns.map((t) => `\n${t.sandboxStop ? '' : 'without StopPodSandbox: '}${formatTeardownPhases(t.result)}`).join('');
      process.stdout.write(formatCriFloor(result) + (restart ? '\n' + formatRestartFloor(restart) : '') + phases + '\n');
    }
  } finally {
    runtime.close();
    if (!o.keep) await teardownRuntime(info.stateDir);
  }
}

export function formatRestartFloor(r: RestartFloorResult): string {
  return `  kill → serving again ×${r.count} (exit seen by ${r.detection}, remove + create + start, HTTP 200): p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms`;
}

if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
