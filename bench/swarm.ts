// steer next to Docker Swarm on the same machine, the same nginx image, runs alternating (issue 20):
//   1. `steer up` on a state dir, ports, bridge and pod subnet of its own (as bench/server.ts), with no
//      manifest; then a Docker engine of its own (deploy/dockerd.sh with its own data root, exec root,
//      socket and a bridge of its own, no iptables) as a single-node swarm, with the same image pulled
//      from steer's local registry (127.0.0.1:5000/nginx:1.22, built locally, no internet);
//   2. one untimed create 1 → running → removed per side (as the CRI floor's warm-up pod); then per run,
//      on each side in turn (which side goes first alternates): create 1 replica → running, scale 1→3,
//      3→30, 30→3 settled (exactly 3 left), a container killed from the host (SIGKILL) → serving HTTP
//      again, (steer) a pod deleted → its replacement Ready, remove → nothing left. After each step the
//      bench waits until the side's processes and the machine are quiet (untilQuiet): a step's CPU then
//      holds the work it leaves behind, and the next step starts on a quiet node.
//      "Running" = every replica's container running (no probes on either side: Ready in steer, a
//      running container with an address in Docker). Both sides are polled the same way (every 100 ms);
//   3. in the first run, with 30 replicas and nothing changing: CPU of the steer server against dockerd's,
//      2 s after they run and once settled (--idle-settle s after: the start's tail over, the steady state);
//   4. steer's pod start and 3→30 next to the raw CRI floor of the same work on its containerd
//      (bench/start-rounds.ts): --start-rounds creates of 1 replica → Ready and --scale-rounds 3→30 → all
//      Ready, timed from watches (the floor is timed at the CRI, with no poll), each followed by a floor
//      sample (one pod; 27 at once), each from a quiet node with Swarm's engine idle beside it; then the
//      floors of kill → serving again and of 27 pods torn down phase by phase;
//   5. a table: min/median/max per step and side, steer/Swarm of the medians, the floor, steer/floor;
//   6. cleanup of everything it started, by PID: the service, the swarm, the engine (its PID file), its
//      bridge and data, `steer down --purge`.
// Swarm restarts a failed task after its restart delay (default 5 s); the goal compares with
// `--restart-delay 0s`, the default here (--swarm-restart-delay 5 gives Swarm's default).
// Usage (root; run under the machine's runtime lock):
//   npm run build && flock /tmp/steer-e2e.lock node dist/bench/swarm.js [--runs 3] [--idle 10]
//        [--swarm-restart-delay 0] [--start-rounds 5] [--scale-rounds 3] [--state-dir DIR] [--keep]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command } from 'commander';
import type { Pod } from 'kubernetes-types/core/v1';
import { packageRoot } from '../cli/cluster';
import { agentMetrics, cleanupOnSignal, downBenchCluster, histogramDelta, upBenchCluster } from './bench-cluster';
import { KubeClient } from '../lib/client/client';
import { Resources } from '../lib/api/resources';
import { CriRuntime, IMAGES } from '../node-agent';
import { formatTeardownPhases, measureRestartFloor, measureTeardownPhases, percentile } from './cri-floor';
import { benchDeployment, formatScaleRounds, formatStartRounds, type ScaleRoundsResult, StartRounds, type StartRoundsResult, processCpuMs, startRatios } from './start-rounds';

const NS = 'default';
const APP = 'bench-nginx';
const POLL_MS = 100;
/** The killed-container step polls faster on both sides, as its CRI floor does (a 100 ms poll hid steer's ~0.1 s restart in 0.21 s). */
const KILL_POLL_MS = 5;
const STEP_TIMEOUT_MS = 180_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * After a step, until the side's processes (its cgroup: server or dockerd, containerd, shims, runc, CNI)
 * use under QUIET_CORES and the whole machine under MACHINE_QUIET_CORES over a QUIET_WINDOW_MS window,
 * at most QUIET_MAX_MS: work a step leaves behind (steer removes a deleted pod's sandbox after its
 * object, Swarm its stopped tasks' containers) is counted in that step's CPU, and the next step starts
 * on a quiet node, as its CRI floor does. The machine-wide figure also catches work no cgroup is charged
 * for, such as the kernel's workers tearing down removed network namespaces.
 */
const QUIET_CORES = 0.1;
const MACHINE_QUIET_CORES = 0.15;
const QUIET_WINDOW_MS = 500;
const QUIET_MAX_MS = 30_000;

/** The whole machine's busy CPU seconds so far (/proc/stat: everything but idle and iowait). */
function machineBusySeconds(): number {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100;
}

/** Waits until the side and the machine are quiet (see QUIET_CORES); returns the seconds waited. */
async function untilQuiet(cpu: (() => number) | undefined): Promise<number> {
  if (!cpu) return 0;
  const t0 = performance.now();
  let c0 = cpu();
  let m0 = machineBusySeconds();
  while (performance.now() - t0 < QUIET_MAX_MS) {
    await sleep(QUIET_WINDOW_MS);
    const c1 = cpu();
    const m1 = machineBusySeconds();
    const window = QUIET_WINDOW_MS / 1000;
    if ((c1 - c0) / window < QUIET_CORES && (m1 - m0) / window < MACHINE_QUIET_CORES) break;
    c0 = c1;
    m0 = m1;
  }
  return (performance.now() - t0) / 1000;
}

/** One replica as the benchmark sees it, on either side. */
interface Replica {
  id: string; // pod name / container id
  ip: string;
  ready: boolean;
  hostPid?: () => Promise<number>;
}

/** What a side must do; the steps are written once against it. */
interface Side {
  readonly name: 'steer' | 'swarm';
  create(replicas: number): Promise<void>;
  scale(replicas: number): Promise<void>;
  /** Every replica that exists (including ones shutting down). */
  replicas(): Promise<Replica[]>;
  deleteReplica?(r: Replica): Promise<void>;
  remove(): Promise<void>;
}

function httpOk(ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port: 80, path: '/', timeout: 500, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function until<T>(what: string, check: () => Promise<T | undefined>, pollMs = POLL_MS): Promise<T> {
  const end = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(pollMs);
  }
}

// ------------------------------------------------------------------ steer

class SteerSide implements Side {
  readonly name = 'steer' as const;
  constructor(
    private readonly client: KubeClient,
    private readonly cri: CriRuntime,
  ) {}

  async create(replicas: number): Promise<void> {
    await this.client.create(Resources.deployments, NS, benchDeployment(APP, replicas));
  }

  async scale(replicas: number): Promise<void> {
    await this.client.patch(Resources.deployments, NS, APP, { spec: { replicas } }, 'merge', 'scale');
  }

  async replicas(): Promise<Replica[]> {
    const pods = await this.client.list<Pod>(Resources.pods, { namespace: NS, labelSelector: `app=${APP}` });
    return pods.items.map((p) => {
      const cid = p.status?.containerStatuses?.[0]?.containerID?.replace(/^containerd:\/\//, '');
      return {
        id: p.metadata?.name ?? '',
        ip: p.status?.podIP ?? '',
        ready: !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
        hostPid: cid ? async () => (await this.cri.containerStatus(cid)).pid ?? 0 : undefined,
      };
    });
  }

  async deleteReplica(r: Replica): Promise<void> {
    await this.client.delete(Resources.pods, NS, r.id);
  }

  async remove(): Promise<void> {
    await this.client.delete(Resources.deployments, NS, APP, { propagationPolicy: 'Background' }).catch(() => undefined);
  }
}

/**
 * Where the runs' create step of steer went, from a pod watch (the bench's clock, ms after the Deployment
 * create was sent): the pod bound (Deployment → ReplicaSet → pod → scheduler) and Ready in the API (node
 * agent), against when the runs' 100 ms poll saw it.
 */
class CreateTimeline {
  private t0 = 0;
  private readonly seen = new Map<string, { created: number; bound?: number; ready?: number }>();
  private handle?: { stop(): void };
  constructor(private readonly client: KubeClient) {}

  async start(): Promise<void> {
    this.seen.clear();
    this.handle = await this.client.watch<Pod>(
      Resources.pods,
      { namespace: NS, labelSelector: `app=${APP}` },
      (e) => {
        if (!this.t0 || e.type === 'DELETED' || e.type === 'ERROR' || e.type === 'BOOKMARK') return;
        const p = e.object;
        const at = performance.now() - this.t0;
        const r = this.seen.get(p.metadata?.name ?? '') ?? { created: at };
        if (p.spec?.nodeName) r.bound ??= at;
        if ((p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')) r.ready ??= at;
        this.seen.set(p.metadata?.name ?? '', r);
      },
      () => undefined,
    );
  }

  /** The create is about to be sent. */
  mark(): void {
    this.t0 = performance.now();
  }

  /** The first pod's milestones. */
  first(): { created: number; bound?: number; ready?: number } | undefined {
    return [...this.seen.values()].sort((a, b) => a.created - b.created)[0];
  }

  stop(): void {
    this.handle?.stop();
    this.t0 = 0;
  }
}

// ------------------------------------------------------------------ Docker Swarm (Engine API 1.41)

class DockerApi {
  constructor(private readonly socketPath: string) {}

  request<T>(method: string, p: string, body?: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        { socketPath: this.socketPath, method, path: `/v1.41${p}`, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } : {} },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if ((res.statusCode ?? 500) >= 300) return reject(new Error(`docker ${method} ${p}: ${res.statusCode} ${text.trim()}`));
            try {
              resolve((text && res.headers['content-type']?.includes('json') ? JSON.parse(text) : text) as T);
            } catch {
              resolve(text as unknown as T); // image pulls stream JSON lines
            }
          });
        },
      );
      req.on('error', reject);
      if (data) req.write(data);
      req.end();
    });
  }
}

interface DockerContainer {
  Id: string;
  State: string;
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
}

class SwarmSide implements Side {
  readonly name = 'swarm' as const;
  private serviceId = '';
  constructor(
    private readonly docker: DockerApi,
    private readonly restartDelaySeconds: number,
  ) {}

  private spec(replicas: number) {
    return {
      Name: APP,
      Labels: { app: APP },
      TaskTemplate: {
        ContainerSpec: { Image: IMAGES.nginx },
        RestartPolicy: { Condition: 'any', Delay: this.restartDelaySeconds * 1e9 },
      },
      Mode: { Replicated: { Replicas: replicas } },
    };
  }

  async create(replicas: number): Promise<void> {
    const r = await this.docker.request<{ ID: string }>('POST', '/services/create', this.spec(replicas));
    this.serviceId = r.ID;
  }

  async scale(replicas: number): Promise<void> {
    const svc = await this.docker.request<{ Version: { Index: number }; Spec: ReturnType<SwarmSide['spec']> }>('GET', `/services/${this.serviceId}`);
    await this.docker.request('POST', `/services/${this.serviceId}/update?version=${svc.Version.Index}`, { ...svc.Spec, Mode: { Replicated: { Replicas: replicas } } });
  }

  async replicas(): Promise<Replica[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: [`com.docker.swarm.service.name=${APP}`] }));
    const list = await this.docker.request<DockerContainer[]>('GET', `/containers/json?filters=${filters}`);
    return list.map((c) => {
      const ip = Object.values(c.NetworkSettings?.Networks ?? {})[0]?.IPAddress ?? '';
      return {
        id: c.Id,
        ip,
        ready: c.State === 'running' && !!ip,
        hostPid: async () => (await this.docker.request<{ State: { Pid: number } }>('GET', `/containers/${c.Id}/json`)).State.Pid,
      };
    });
  }

  async remove(): Promise<void> {
    if (this.serviceId) await this.docker.request('DELETE', `/services/${this.serviceId}`).catch(() => undefined);
    this.serviceId = '';
  }
}

// ------------------------------------------------------------------ steps

type StepName = 'create 1 replica → running' | 'scale 1→3' | 'scale 3→30' | 'scale 30→3, settled to exactly 3' | 'killed container → serving again' | 'pod deleted → replacement running' | 'remove → nothing left';
const STEPS: StepName[] = ['create 1 replica → running', 'scale 1→3', 'scale 3→30', 'scale 30→3, settled to exactly 3', 'killed container → serving again', 'pod deleted → replacement running', 'remove → nothing left'];

/** Until exactly n replicas exist and all are ready (excluding ids in `not`). */
function settled(side: Side, n: number, not: Set<string> = new Set()): Promise<Replica[]> {
  return until(`${side.name}: ${n} replicas running`, async () => {
    const all = (await side.replicas()).filter((r) => !not.has(r.id));
    return all.length === n && all.every((r) => r.ready) ? all : undefined;
  });
}

/**
 * One pass of every step on one side; returns seconds per step, and with `cpu` (the side's processes'
 * CPU seconds so far) the CPU seconds each step took.
 */
async function runSide(
  side: Side,
  idle: (() => Promise<void>) | undefined,
  cpu?: () => number,
  serverCpu?: () => number,
  timeline?: CreateTimeline,
): Promise<{ out: Partial<Record<StepName, number>>; cpuOut: Partial<Record<StepName, number>>; serverCpuOut: Partial<Record<StepName, number>>; tailOut: Partial<Record<StepName, number>> }> {
  const out: Partial<Record<StepName, number>> = {};
  const cpuOut: Partial<Record<StepName, number>> = {};
  const serverCpuOut: Partial<Record<StepName, number>> = {};
  const tailOut: Partial<Record<StepName, number>> = {};
  let timing: StepName | undefined;
  /** A step's CPU runs until the side is quiet again, which is also where the next step starts. */
  const stepEnd = async (c0: number | undefined, s0: number | undefined) => {
    const tail = await untilQuiet(cpu);
    if (!timing) return;
    tailOut[timing] = tail;
    if (c0 !== undefined && cpu) cpuOut[timing] = cpu() - c0;
    if (s0 !== undefined && serverCpu) serverCpuOut[timing] = serverCpu() - s0;
  };
  const timed = async (fn: () => Promise<unknown>): Promise<number> => {
    const c0 = cpu?.();
    const s0 = serverCpu?.();
    const t0 = process.hrtime.bigint();
    await fn();
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await stepEnd(c0, s0);
    return seconds;
  };
  const step = (name: StepName) => (timing = name);
  await timeline?.start();
  step('create 1 replica → running');
  out['create 1 replica → running'] = await timed(async () => {
    timeline?.mark();
    await side.create(1);
    await settled(side, 1);
  });
  timeline?.stop();
  step('scale 1→3');
  out['scale 1→3'] = await timed(async () => {
    await side.scale(3);
    await settled(side, 3);
  });
  step('scale 3→30');
  out['scale 3→30'] = await timed(async () => {
    await side.scale(30);
    await settled(side, 30);
  });
  if (idle) await idle();
  step('scale 30→3, settled to exactly 3');
  out['scale 30→3, settled to exactly 3'] = await timed(async () => {
    await side.scale(3);
    await settled(side, 3);
  });
  // Killed container: SIGKILL from the host, then until the replica answers HTTP again (steer restarts
  // it in place on the same pod IP; Swarm replaces the task with a new container and address).
  const before = await settled(side, 3);
  await sleep(500);
  const victim = before[0];
  const pid = await victim.hostPid?.();
  if (!pid) throw new Error(`${side.name}: no host PID for ${victim.id}`);
  step('killed container → serving again');
  const killCpu0 = cpu?.();
  const killServerCpu0 = serverCpu?.();
  const t0 = process.hrtime.bigint();
  process.kill(pid, 'SIGKILL');
  if (side.name === 'steer') {
    await until('steer: killed container down', async () => ((await httpOk(victim.ip)) ? undefined : true), KILL_POLL_MS);
    await until('steer: serving again', async () => ((await httpOk(victim.ip)) ? true : undefined), KILL_POLL_MS);
  } else {
    const old = new Set(before.map((r) => r.id));
    await until('swarm: replacement serving', async () => {
      const all = await side.replicas();
      const fresh = all.find((r) => !old.has(r.id) && r.ready);
      return fresh && all.filter((r) => r.ready).length === 3 && (await httpOk(fresh.ip)) ? true : undefined;
    }, KILL_POLL_MS);
  }
  out['killed container → serving again'] = Number(process.hrtime.bigint() - t0) / 1e9;
  await stepEnd(killCpu0, killServerCpu0);
  if (side.deleteReplica) {
    const now = await settled(side, 3);
    step('pod deleted → replacement running');
  out['pod deleted → replacement running'] = await timed(async () => {
      await side.deleteReplica?.(now[0]);
      await until(`${side.name}: replacement running`, async () => {
        const ready = (await side.replicas()).filter((r) => r.id !== now[0].id && r.ready);
        return ready.length === 3 ? true : undefined;
      });
    });
  }
  step('remove → nothing left');
  out['remove → nothing left'] = await timed(async () => {
    await side.remove();
    await until(`${side.name}: nothing left`, async () => ((await side.replicas()).length === 0 ? true : undefined));
  });
  return { out, cpuOut, serverCpuOut, tailOut };
}

// ------------------------------------------------------------------ the node agent's own breakdown

/** Per runtime operation: calls and mean seconds between two scrapes. */
function breakdown(before: string, after: string): string[] {
  const rows: string[] = [];
  for (const [op, { sum, count }] of [...histogramDelta(before, after, 'kubelet_runtime_operations_duration_seconds', 'operation_type')].sort((x, y) => y[1].sum - x[1].sum)) {
    rows.push(`  ${op.padEnd(22)} ${String(count).padStart(6)} calls  mean ${(sum / count).toFixed(3)} s  total ${sum.toFixed(1)} s`);
  }
  const starts = [...histogramDelta(before, after, 'kubelet_pod_start_duration_seconds', 'node').values()][0];
  if (starts) rows.push(`  pod start (agent: first seen → running) ${starts.count} pods, mean ${(starts.sum / starts.count).toFixed(3)} s`);
  return rows;
}

// ------------------------------------------------------------------ processes

function cpuSeconds(pid: number): number {
  return processCpuMs(pid) / 1000;
}

const CPUACCT = '/sys/fs/cgroup/cpuacct';

/**
 * A cgroup v1 cpuacct group of one side's processes: the bench enters it before it starts that side
 * (steer's server, containerd, its shims, runc and CNI plugins; dockerd, its containerd, shims and
 * runc), they inherit it, and the bench leaves it again. The containers themselves run in their own
 * cgroups, so it counts the orchestrator and runtime only — a figure the other work on a shared machine
 * does not blur, unlike wall time. undefined where there is no cpuacct hierarchy.
 */
class CpuGroup {
  private constructor(
    readonly dir: string,
    private readonly home: string,
  ) {}

  static create(name: string): CpuGroup | undefined {
    if (!fs.existsSync(path.join(CPUACCT, 'cgroup.procs'))) return undefined;
    const line = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => /^\d+:([^:]*,)?cpuacct(,[^:]*)?:/.test(l));
    const home = path.join(CPUACCT, line ? line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1) : '/');
    const dir = path.join(CPUACCT, name);
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch {
      return undefined;
    }
    return new CpuGroup(dir, home);
  }

  enter(): void {
    fs.writeFileSync(path.join(this.dir, 'cgroup.procs'), String(process.pid));
  }

  leave(): void {
    fs.writeFileSync(path.join(this.home, 'cgroup.procs'), String(process.pid));
  }

  seconds(): number {
    return Number(fs.readFileSync(path.join(this.dir, 'cpuacct.usage'), 'utf8')) / 1e9;
  }

  /** Moves what is left (a process of the side that outlived its teardown) home, then removes the group. */
  remove(): void {
    try {
      this.leave();
      for (const pid of fs.readFileSync(path.join(this.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        fs.writeFileSync(path.join(this.home, 'cgroup.procs'), pid);
      }
      fs.rmdirSync(this.dir);
    } catch (err) {
      process.stderr.write(`removing ${this.dir}: ${(err as Error).message}\n`);
    }
  }
}

function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// ------------------------------------------------------------------ main

async function main(argv: string[]): Promise<void> {
  const program = new Command('swarm-bench')
    .option('--runs <n>', 'runs of every step on each side (alternating)', '3')
    .option('--idle <s>', 'seconds of CPU sampling with 30 replicas and nothing changing (first run; 0 = skip)', '10')
    .option('--idle-settle <s>', 'the second idle sample begins this many seconds after the 30 replicas run', '45')
    .option('--swarm-restart-delay <s>', "Swarm's restart delay for the service (Swarm's default is 5)", '0')
    .option('--floor-count <n>', 'CRI floor: kill → serving again samples', '5')
    .option('--start-rounds <n>', 'steer create 1 → Ready rounds, each followed by a CRI floor sample', '5')
    .option('--scale-rounds <n>', 'steer 3 → 30 rounds, each followed by the CRI floor of 27 at once', '3')
    .option('--state-dir <dir>', 'state dir of the steer cluster', '/var/lib/steer-bench/swarm')
    .option('--docker-dir <dir>', "the Docker engine's data (removed afterwards)", '/var/lib/steer-bench/swarm-docker')
    .option('--bridge <name>', 'steer CNI bridge', 'steerbswarm')
    .option('--pod-subnet <cidr>', 'steer pod subnet', '10.213.0.0/24')
    .option('--docker-bridge <name>', "the Docker engine's bridge", 'steerdkswarm')
    .option('--docker-subnet <cidr>', "the Docker bridge's address", '172.31.213.1/24')
    .option('--api-port <port>', 'steer apiserver port (loopback)', '27443')
    .option('--agent-port <port>', 'steer node agent port', '21250')
    .option('--keep', 'leave both running afterwards', false)
    .parse(argv);
  const o = program.opts<{
    runs: string;
    idle: string;
    idleSettle: string;
    swarmRestartDelay: string;
    floorCount: string;
    startRounds: string;
    scaleRounds: string;
    stateDir: string;
    dockerDir: string;
    bridge: string;
    podSubnet: string;
    dockerBridge: string;
    dockerSubnet: string;
    apiPort: string;
    agentPort: string;
    keep: boolean;
  }>();
  if (process.getuid?.() !== 0) throw new Error('bench/swarm needs root (containerd, Docker, CNI and cgroups)');
  const root = packageRoot();
  const dockerRun = path.join('/run', `steer-bench-${path.basename(o.dockerDir)}`);
  const dockerEnv = {
    STEER_DOCKER_DATA: path.join(o.dockerDir, 'data'),
    STEER_DOCKER_RUN: dockerRun,
    STEER_DOCKER_LOG: path.join(o.dockerDir, 'dockerd.log'),
    STEER_DOCKER_NET_ARGS: `--iptables=false --ip-masq=false --bridge=${o.dockerBridge}`,
  };
  const dockerd = path.join(root, 'deploy', 'dockerd.sh');
  const results: Record<'steer' | 'swarm', Partial<Record<StepName, number[]>>> = { steer: {}, swarm: {} };
  const cpuResults: Record<'steer' | 'swarm', Partial<Record<StepName, number[]>>> = { steer: {}, swarm: {} };
  const tailResults: Record<'steer' | 'swarm', Partial<Record<StepName, number[]>>> = { steer: {}, swarm: {} };
  /** The steer server's or dockerd's own CPU per step (their process alone). */
  const serverCpuResults: Record<'steer' | 'swarm', Partial<Record<StepName, number[]>>> = { steer: {}, swarm: {} };
  let steerCpu: CpuGroup | undefined;
  let swarmCpu: CpuGroup | undefined;
  const idleRows: string[][] = [];
  let client: KubeClient | undefined;
  let cri: CriRuntime | undefined;
  let swarm: SwarmSide | undefined;
  let dockerStarted = false;
  /** Swarm's side: the service, the swarm, the engine, its bridge and data. */
  const removeEngine = async (): Promise<void> => {
    if (swarm) await swarm.remove().catch(() => undefined);
    if (dockerStarted) {
      const docker = new DockerApi(path.join(dockerRun, 'docker.sock'));
      await docker.request('POST', '/swarm/leave?force=true').catch(() => undefined);
      try {
        sh('bash', [dockerd, 'stop'], dockerEnv);
      } catch (err) {
        process.stderr.write(`dockerd stop: ${(err as Error).message}\n`);
      }
      spawnQuiet('ip', ['link', 'del', o.dockerBridge]);
      try {
        fs.rmSync(o.dockerDir, { recursive: true, force: true });
        fs.rmSync(dockerRun, { recursive: true, force: true });
      } catch (err) {
        process.stderr.write(`removing the engine's data: ${(err as Error).message}\n`);
      }
    }
  };
  cleanupOnSignal(removeEngine);
  let upDone = false;
  try {
    // 1a. steer, in a cpuacct group of its own (the figures' CPU column)
    steerCpu = CpuGroup.create(`steer-bench-swarm-${process.pid}-steer`);
    swarmCpu = CpuGroup.create(`steer-bench-swarm-${process.pid}-swarm`);
    steerCpu?.enter();
    const result = await upBenchCluster({ stateDir: o.stateDir, nodeName: 'steer-bench-swarm', apiPort: Number(o.apiPort), agentPort: Number(o.agentPort), bridge: o.bridge, podSubnet: o.podSubnet });
    upDone = true;
    const serverPid = result.info.pid;
    client = KubeClient.load({ kubeconfig: result.kubeconfig });
    const runtimeInfo = JSON.parse(fs.readFileSync(result.paths.runtimeInfo, 'utf8')) as { criSocket: string; cgroupRoot: string; podLogDir: string };
    cri = new CriRuntime(runtimeInfo.criSocket);
    steerCpu?.leave();
    console.log(`steer up: server PID ${serverPid}, ${result.info.apiserverUrl}`);

    // 1b. Docker: its own bridge, engine and single-node swarm; the same image from steer's registry
    if (!fs.existsSync(`/sys/class/net/${o.dockerBridge}`)) {
      sh('ip', ['link', 'add', o.dockerBridge, 'type', 'bridge']);
      sh('ip', ['addr', 'add', o.dockerSubnet, 'dev', o.dockerBridge]);
      sh('ip', ['link', 'set', o.dockerBridge, 'up']);
    }
    dockerStarted = true;
    swarmCpu?.enter();
    sh('bash', [dockerd, 'start'], dockerEnv);
    swarmCpu?.leave();
    const dockerPid = Number(fs.readFileSync(path.join(dockerRun, 'dockerd.pid'), 'utf8'));
    const docker = new DockerApi(path.join(dockerRun, 'docker.sock'));
    const [repo, tag] = [IMAGES.nginx.slice(0, IMAGES.nginx.lastIndexOf(':')), IMAGES.nginx.slice(IMAGES.nginx.lastIndexOf(':') + 1)];
    await docker.request('POST', `/images/create?fromImage=${encodeURIComponent(repo)}&tag=${tag}`);
    const info = await docker.request<{ Swarm: { LocalNodeState: string }; ServerVersion: string }>('GET', '/info');
    if (info.Swarm.LocalNodeState !== 'active') await docker.request('POST', '/swarm/init', { ListenAddr: '127.0.0.1:23770', AdvertiseAddr: '127.0.0.1:23770' });
    swarm = new SwarmSide(docker, Number(o.swarmRestartDelay));
    await swarm.remove();
    console.log(`Docker ${info.ServerVersion}: dockerd PID ${dockerPid}, single-node swarm`);

    const targets = fs.existsSync(result.paths.prometheusNodeTargets)
      ? (JSON.parse(fs.readFileSync(result.paths.prometheusNodeTargets, 'utf8')) as Array<{ targets: string[] }>).flatMap((t) => t.targets)
      : [];
    const scrape = () => (targets[0] ? agentMetrics(result.paths.pki, targets[0]).catch(() => '') : Promise.resolve(''));
    const metricsBefore = await scrape();

    const sides: Side[] = [new SteerSide(client, cri), swarm];
    const timeline = new CreateTimeline(client);
    /** Per run: steer's create step from the pod watch, and when the poll saw it running (ms). */
    const runCreates: string[] = [];
    // One untimed create → running → removed per side first: the CRI floor starts an untimed pod too, and
    // the first pod on a fresh containerd (or engine) pays one-time costs (the CNI bridge, snapshots).
    for (const side of sides) {
      await side.create(1);
      await settled(side, 1);
      await side.remove();
      await until(`${side.name}: warm-up removed`, async () => ((await side.replicas()).length === 0 ? true : undefined));
    }
    const runs = Number(o.runs);
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const pid = side.name === 'steer' ? serverPid : dockerPid;
        const idle =
          run === 0 && Number(o.idle) > 0
            ? async () => {
                const runningAt = Date.now();
                const share = async () => {
                  const c0 = cpuSeconds(pid);
                  const t0 = Date.now();
                  await sleep(Number(o.idle) * 1000);
                  return `${(((cpuSeconds(pid) - c0) / ((Date.now() - t0) / 1000)) * 100).toFixed(1)} %`;
                };
                await sleep(2000); // let the last status writes and events settle
                const early = await share();
                // The steady state: the start's tail (the controllers' last status writes and Events, the
                // runtime's and V8's clean-up after the burst) is over.
                await sleep(Math.max(0, runningAt + Number(o.idleSettle) * 1000 - Date.now()));
                const settled = await share();
                idleRows.push([side.name === 'steer' ? 'steer server' : 'dockerd', early, settled, `${rssMiB(pid).toFixed(0)} MiB`]);
                console.log(`idle with 30 replicas: ${idleRows[idleRows.length - 1].join('  ')}`);
              }
            : undefined;
        const group = side.name === 'steer' ? steerCpu : swarmCpu;
        const { out: figures, cpuOut, serverCpuOut, tailOut } = await runSide(side, idle, group && (() => group.seconds()), () => cpuSeconds(pid), side.name === 'steer' ? timeline : undefined);
        const first = side.name === 'steer' ? timeline.first() : undefined;
        if (first) runCreates.push(`run ${run + 1}: bound ${first.bound?.toFixed(0) ?? '—'}, Ready ${first.ready?.toFixed(0) ?? '—'}, seen by the poll ${((figures['create 1 replica → running'] ?? NaN) * 1000).toFixed(0)}`);
        for (const [step, c] of Object.entries(cpuOut) as Array<[StepName, number]>) (cpuResults[side.name][step] ??= []).push(c);
        for (const [step, t] of Object.entries(tailOut) as Array<[StepName, number]>) (tailResults[side.name][step] ??= []).push(t);
        for (const [step, c] of Object.entries(serverCpuOut) as Array<[StepName, number]>) (serverCpuResults[side.name][step] ??= []).push(c);
        for (const [step, s] of Object.entries(figures) as Array<[StepName, number]>) (results[side.name][step] ??= []).push(s);
        console.log(`run ${run + 1} ${side.name}: ${STEPS.filter((s) => figures[s] !== undefined).map((s) => `${s} ${figures[s]?.toFixed(2)} s`).join(', ')}`);
      }
    }

    const metricsAfter = await scrape();

    // 4. steer's pod start and 3→30 next to the raw CRI floor of the same work on its containerd, rounds
    // and floor samples alternating (bench/start-rounds.ts), each from a quiet node with Swarm's engine
    // idle beside it: timed from watches, without the runs' 100 ms polls, as the floor is timed at the CRI.
    // Then the other floors: kill → serving again, and 27 pods torn down phase by phase.
    // A failure here is reported, and the tables printed without these rows.
    const steerGroup = steerCpu;
    let startRounds: StartRoundsResult | undefined;
    let scaleRounds: ScaleRoundsResult | undefined;
    let rounds: StartRounds | undefined;
    try {
      rounds = await StartRounds.open({
        client,
        cri,
        namespace: NS,
        app: APP,
        serverPid,
        floorOpts: { cgroupRoot: runtimeInfo.cgroupRoot, podLogDir: runtimeInfo.podLogDir },
        between: async () => {
          if (steerGroup) await untilQuiet(() => steerGroup.seconds());
          else await sleep(1000);
        },
        scrape,
        log: (line) => console.log(line),
      });
      startRounds = await rounds.startRounds(Number(o.startRounds));
      scaleRounds = await rounds.scaleRounds(Number(o.scaleRounds));
    } catch (err) {
      console.log(`steer's rounds against the CRI floor failed: ${(err as Error).message}`);
    } finally {
      rounds?.stop();
    }
    const restart = await measureRestartFloor(cri, { cgroupRoot: runtimeInfo.cgroupRoot, podLogDir: runtimeInfo.podLogDir, count: Number(o.floorCount) }).catch((err: Error) => {
      console.log(`CRI restart floor failed: ${err.message}`);
      return { count: 0, samplesMs: [], p50Ms: NaN, p99Ms: NaN, detection: 'events' as const };
    });
    const teardown = await measureTeardownPhases(cri, { cgroupRoot: runtimeInfo.cgroupRoot, podLogDir: runtimeInfo.podLogDir, count: 27 }).catch((err: Error) => err);
    const teardownWithoutStop = await measureTeardownPhases(cri, { cgroupRoot: runtimeInfo.cgroupRoot, podLogDir: runtimeInfo.podLogDir, count: 27, sandboxStop: false }).catch((err: Error) => err);
    const startFloor = startRounds?.floorMs.length ? startRatios(startRounds).floorMs / 1000 : NaN;
    const scaleFloor = scaleRounds?.floorMs.length ? percentile(scaleRounds.floorMs, 50) / 1000 : NaN;
    const floors: Partial<Record<StepName, number>> = {
      'create 1 replica → running': startFloor,
      'scale 3→30': scaleFloor,
      // The pods leave the API once their containers are stopped (their sandboxes are removed afterwards):
      // the 27 containers stopped at once, the first phase of the teardown without StopPodSandbox.
      'scale 30→3, settled to exactly 3': teardownWithoutStop instanceof Error ? undefined : teardownWithoutStop.phases[0].ms / 1000,
      'killed container → serving again': restart.p50Ms / 1000,
    };

    // 5. the table
    const f = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '—' : n.toFixed(2));
    const mmm = (xs: number[] | undefined) => (xs?.length ? `${f(Math.min(...xs))} / ${f(percentile(xs, 50))} / ${f(Math.max(...xs))}` : '—');
    const rows: string[][] = [['step (s; min / median / max)', 'steer', `Swarm (restart delay ${o.swarmRestartDelay} s)`, 'steer / Swarm', 'CRI floor', 'steer / floor']];
    // The floor is timed at the CRI without a poll: steer's start and 3→30 are compared with it by the
    // rounds timed from watches and alternating with it (the row under each), not by the runs' 100 ms poll.
    const byRounds: Partial<Record<StepName, { label: string; seconds: number[] }>> = {
      'create 1 replica → running': { label: '  create 1 → pod Ready (steer: watch, no poll; alternating with the floor)', seconds: (startRounds?.rounds ?? []).map((r) => (r.ready ?? NaN) / 1000) },
      'scale 3→30': { label: '  3→30 all Ready (steer: watch, no poll; alternating with the floor)', seconds: (scaleRounds?.scaleMs ?? []).map((ms) => ms / 1000) },
    };
    for (const step of STEPS) {
      const s = results.steer[step];
      const w = results.swarm[step];
      const sm = s?.length ? percentile(s, 50) : undefined;
      const wm = w?.length ? percentile(w, 50) : undefined;
      const fl = floors[step];
      const sub = byRounds[step]?.seconds.length ? byRounds[step] : undefined;
      const ratio = sub ? 'by watch ↓' : sm !== undefined && fl ? `${(sm / fl).toFixed(2)}×` : '—';
      rows.push([step, mmm(s), mmm(w), sm !== undefined && wm !== undefined ? `${(sm / wm).toFixed(2)}×` : '—', sub ? '' : f(fl), ratio]);
      if (sub) {
        const rm = percentile(sub.seconds, 50);
        rows.push([sub.label, mmm(sub.seconds), '—', '—', f(fl), fl ? `${(rm / fl).toFixed(2)}×` : '—']);
      }
    }
    const printTable = (t: string[][]) => {
      const widths = t[0].map((_, i) => Math.max(...t.map((r) => r[i].length)));
      console.log('');
      for (const r of t) console.log(r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
    };
    printTable(rows);
    if (steerCpu && swarmCpu) {
      const cpuRows: string[][] = [['CPU core-s per step, until the side is quiet (min / median / max)', 'steer (server, containerd, shims, runc, CNI)', 'of which the server', 'Swarm (dockerd, containerd, shims, runc)', 'of which dockerd', 'steer / Swarm']];
      for (const step of STEPS) {
        const s = cpuResults.steer[step];
        const w = cpuResults.swarm[step];
        const sm = s?.length ? percentile(s, 50) : undefined;
        const wm = w?.length ? percentile(w, 50) : undefined;
        cpuRows.push([step, mmm(s), mmm(serverCpuResults.steer[step]), mmm(w), mmm(serverCpuResults.swarm[step]), sm !== undefined && wm ? `${(sm / wm).toFixed(2)}×` : '—']);
      }
      printTable(cpuRows);
      const tailRows: string[][] = [[`after the step, until the side and the machine are quiet (under ${QUIET_CORES} and ${MACHINE_QUIET_CORES} core for ${QUIET_WINDOW_MS} ms; s, min / median / max)`, 'steer', 'Swarm']];
      for (const step of STEPS) tailRows.push([step, mmm(tailResults.steer[step]), mmm(tailResults.swarm[step])]);
      printTable(tailRows);
    }
    if (idleRows.length) {
      console.log(`\nwith 30 replicas, nothing changing: CPU (% of one core) over ${o.idle} s from 2 s after they run, and from ${o.idleSettle} s after (steady state); RSS`);
      for (const r of idleRows) console.log(`  ${r.join('  ')}`);
    }
    if (runCreates.length) console.log(`\nsteer's create step in the runs (ms after the Deployment create was sent, from a pod watch): ${runCreates.join('; ')}`);
    if (startRounds && scaleRounds) {
      console.log(`\nsteer's pod start and 3→30 next to the CRI floor (rounds alternating with floor samples, each from a quiet node):`);
      for (const line of [...formatStartRounds(startRounds), ...formatScaleRounds(scaleRounds)]) console.log(line);
    }
    const rowsBreakdown = breakdown(metricsBefore, metricsAfter);
    if (rowsBreakdown.length) console.log(`\nsteer's node agent over the steer runs: CRI calls (kubelet_runtime_operations_duration_seconds)\n${rowsBreakdown.join('\n')}`);
    console.log(`\nCRI floor of a killed container serving again: ${restart.p50Ms.toFixed(0)} ms (p50 of ${restart.count})`);
    console.log(teardown instanceof Error ? `\nCRI teardown phases failed: ${teardown.message}` : `\nCRI ${formatTeardownPhases(teardown)}`);
    console.log(teardownWithoutStop instanceof Error ? `CRI teardown without StopPodSandbox failed: ${teardownWithoutStop.message}` : `without StopPodSandbox (what the node agent does for a deleted pod): ${formatTeardownPhases(teardownWithoutStop)}`);
    console.log(`load average at the end: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${os.cpus().length} cores`);
  } finally {
    if (!o.keep) await removeEngine();
    cri?.close();
    client?.close();
    if (!o.keep || !upDone) await downBenchCluster(o.stateDir);
    if (!o.keep) {
      steerCpu?.remove();
      swarmCpu?.remove();
    }
  }
}

function spawnQuiet(cmd: string, args: string[]): void {
  try {
    sh(cmd, args);
  } catch {
    // already gone
  }
}

if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack || err.message : String(err)}\n`);
    process.exit(1);
  });
}
