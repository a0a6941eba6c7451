// Where one pod's start goes on `steer up`, precisely, next to the raw CRI floor of the same work on
// the same containerd (issue 20's "pod start ≤ 1.3× raw CRI"). Per round: a 1-replica nginx Deployment
// is created and, from watches opened beforehand (no polling), the bench's clock records each
// milestone after the create was sent: create answered, ReplicaSet created (Deployment controller),
// pod created (ReplicaSet controller), bound (scheduler), container running in the API and pod Ready
// (node agent: sandbox, container, status write). Then the Deployment is removed and its pod waited
// gone, and one floor sample is taken (bench/cri-floor.ts): a single pod started with the sandbox and
// container shape the node agent gave this pod (cluster DNS config, /etc/hosts and service-account
// token bind mounts). Rounds and floor samples alternate, so a machine that gets busier or quieter
// during the run moves both sides of the ratio alike.
// With --scale-rounds N, then N times: the Deployment at 3 replicas, all Ready, scaled to 30 → all 30
// Ready (from the pod watch), then removed, then the floor of 27 such pods started at once (the swarm
// bench's 3→30 step without Docker, its 100 ms polls or HTTP checks).
// Beside the watches' milestones: the steer server's CPU per round, and the node agent's own timing of
// the same starts from its /metrics (steer_node_agent_pod_start_phase_seconds by phase, and its CRI calls).
// Usage (root; under the bench lock):
//   npm run build && flock /tmp/steer-e2e.lock node dist/bench/pod-start.js [--rounds 8]
//        [--scale-rounds 0] [--gap-ms 1000] [--state-dir DIR] [--node-flags '...'] [--keep]
import * as fs from 'node:fs';
import * as os from 'node:os';
import { Command } from 'commander';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { agentMetrics, downBenchCluster, histogramTotals, upBenchCluster } from './bench-cluster';
import { KubeClient } from '../lib/client/client';
import { Resources } from '../lib/api/resources';
import { CriRuntime, IMAGES } from '../node-agent';
import { measureCriFloor, percentile } from './cri-floor';

const NS = 'default';
const APP = 'bench-pod-start';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const MILESTONES = ['answered', 'replicaSet', 'pod', 'bound', 'running', 'ready'] as const;
type Milestone = (typeof MILESTONES)[number];
const LABELS: Record<Milestone, string> = {
  answered: 'Deployment create answered',
  replicaSet: 'ReplicaSet created (Deployment controller)',
  pod: 'pod created (ReplicaSet controller)',
  bound: 'pod bound (scheduler)',
  running: 'container running in the API (node agent)',
  ready: 'pod Ready in the API (node agent)',
};

/** Milestones of the current round, ms after the create was sent (performance.now clock). */
class Round {
  t0 = 0;
  readonly at: Partial<Record<Milestone, number>> = {};
  private waiters: Array<() => void> = [];
  podGone = false;

  mark(m: Milestone): void {
    if (!this.t0 || this.at[m] !== undefined) return;
    this.at[m] = performance.now() - this.t0;
    for (const w of this.waiters.splice(0)) w();
  }

  wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async until(done: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > end) throw new Error(`timed out: ${what}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }
}

async function main(argv: string[]): Promise<void> {
  const o = new Command('pod-start-bench')
    .option('--rounds <n>', 'Deployments created, one at a time', '8')
    .option('--scale-rounds <n>', 'then: 3 → 30 replicas, until all Ready, this many times (and the floor of 27 at once as often)', '0')
    .option('--gap-ms <ms>', 'pause after a round (its pod gone) before the next', '1000')
    .option('--state-dir <dir>', 'state dir of the steer cluster', '/var/lib/steer-bench/pod-start')
    .option('--bridge <name>', 'CNI bridge', 'steerbpstart')
    .option('--pod-subnet <cidr>', 'pod subnet', '10.214.0.0/24')
    .option('--api-port <port>', 'apiserver port (loopback)', '27453')
    .option('--agent-port <port>', 'node agent port (the next two are taken too)', '21260')
    .option('--node-flags <flags>', "the server process' Node/V8 flags, space-separated (default steer up's)")
    .option('--keep', 'leave the cluster running afterwards', false)
    .parse(argv)
    .opts<{ rounds: string; scaleRounds: string; gapMs: string; stateDir: string; bridge: string; podSubnet: string; apiPort: string; agentPort: string; nodeFlags?: string; keep: boolean }>();
  if (process.getuid?.() !== 0) throw new Error('bench/pod-start needs root (containerd, CNI and cgroups)');
  let client: KubeClient | undefined;
  let cri: CriRuntime | undefined;
  const handles: Array<{ stop(): void }> = [];
  try {
    const up = await upBenchCluster({ stateDir: o.stateDir, nodeName: 'steer-bench-pod-start', apiPort: Number(o.apiPort), agentPort: Number(o.agentPort), bridge: o.bridge, podSubnet: o.podSubnet, serverNodeFlags: o.nodeFlags === undefined ? undefined : o.nodeFlags.split(/\s+/).filter(Boolean) });
    client = KubeClient.load({ kubeconfig: up.kubeconfig });
    const runtimeInfo = JSON.parse(fs.readFileSync(up.paths.runtimeInfo, 'utf8')) as { criSocket: string; cgroupRoot: string; podLogDir: string };
    cri = new CriRuntime(runtimeInfo.criSocket);
    console.log(`steer up: server PID ${up.info.pid}; load ${loadavg()}`);
    const targets = fs.existsSync(up.paths.prometheusNodeTargets)
      ? (JSON.parse(fs.readFileSync(up.paths.prometheusNodeTargets, 'utf8')) as Array<{ targets: string[] }>).flatMap((t) => t.targets)
      : [];
    const scrape = () => (targets[0] ? agentMetrics(up.paths.pki, targets[0]).catch(() => '') : Promise.resolve(''));

    let round = new Round();
    let lastPod: Pod | undefined;
    /** Pods of the Deployment that exist, and those of them Ready (the scale rounds count them). */
    const live = new Set<string>();
    const readyPods = new Set<string>();
    /** During a 3 → 30 round: when each pod was first seen created, bound and Ready (ms after the scale was sent). */
    let wave: { t0: number; created: Map<string, number>; bound: Map<string, number>; ready: Map<string, number> } | undefined;
    handles.push(
      await client.watch<ReplicaSet>(Resources.replicasets, { namespace: NS, labelSelector: `app=${APP}` }, (e) => {
        if (e.type === 'ADDED') round.mark('replicaSet');
      }, () => undefined),
    );
    handles.push(
      await client.watch<Pod>(Resources.pods, { namespace: NS, labelSelector: `app=${APP}` }, (e) => {
        if (e.type === 'BOOKMARK' || e.type === 'ERROR') return;
        const name = e.object.metadata?.name ?? '';
        if (e.type === 'DELETED') {
          live.delete(name);
          readyPods.delete(name);
          round.podGone = true;
          round.wake();
          return;
        }
        const p = e.object;
        if (p.metadata?.deletionTimestamp) {
          readyPods.delete(name);
          round.wake();
          return;
        }
        live.add(name);
        if ((p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')) readyPods.add(name);
        else readyPods.delete(name);
        round.wake();
        lastPod = p;
        if (wave) {
          const at = performance.now() - wave.t0;
          if (!wave.created.has(name)) wave.created.set(name, at);
          if (p.spec?.nodeName && !wave.bound.has(name)) wave.bound.set(name, at);
          if (readyPods.has(name) && !wave.ready.has(name)) wave.ready.set(name, at);
        }
        round.mark('pod');
        if (p.spec?.nodeName) round.mark('bound');
        if (p.status?.containerStatuses?.[0]?.state?.running) round.mark('running');
        if ((p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')) round.mark('ready');
      }, () => undefined),
    );
    await sleep(500);

    const deployment: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: APP, labels: { app: APP } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: APP } },
        template: { metadata: { labels: { app: APP } }, spec: { containers: [{ name: 'nginx', image: IMAGES.nginx, ports: [{ containerPort: 80 }] }] } },
      },
    };
    const rounds: Array<Partial<Record<Milestone, number>>> = [];
    const n = Number(o.rounds);
    // One untimed round first: the image, the first CNI ADD and the server's code paths warm, as the floor's warm-up pod.
    let metricsBefore = '';
    /** The steer server's CPU (user + system, ms) from each timed round's create until its pod was Ready. */
    const serverCpuMs: number[] = [];
    /** One floor sample after each timed round, the first after an untimed warm-up pod (see the header). */
    const floorMs: number[] = [];
    const floorShape = () => (lastPod ? { clusterDns: true, tokenMount: (lastPod.spec?.volumes ?? []).some((v) => v.projected) } : undefined);
    const floorOpts = { cgroupRoot: runtimeInfo.cgroupRoot, podLogDir: runtimeInfo.podLogDir };
    for (let i = -1; i < n; i++) {
      if (i === 0) metricsBefore = await scrape();
      round = new Round();
      const r = round;
      const cpu0 = processCpuMs(up.info.pid);
      r.t0 = performance.now();
      await client.create(Resources.deployments, NS, deployment);
      r.mark('answered');
      await r.until(() => r.at.ready !== undefined, 'pod Ready');
      if (i >= 0) serverCpuMs.push(processCpuMs(up.info.pid) - cpu0);
      if (i >= 0) {
        rounds.push({ ...r.at });
        console.log(`round ${i + 1}: ${MILESTONES.map((m) => `${m} ${r.at[m]?.toFixed(0)}`).join(', ')} ms; load ${loadavg()}`);
      }
      r.t0 = 0;
      await client.delete(Resources.deployments, NS, APP, { propagationPolicy: 'Foreground' });
      await r.until(() => r.podGone, 'pod gone');
      for (let t = 0; t < 100; t++) {
        const left = await client.list(Resources.deployments, { namespace: NS }).then((l) => l.items.length);
        if (!left) break;
        await sleep(100);
      }
      await sleep(Number(o.gapMs));
      if (i >= 0) {
        const floor = await measureCriFloor(cri, { ...floorOpts, sequentialCount: 1, concurrentCount: 0, warmup: i === 0, steerShape: floorShape() });
        floorMs.push(...floor.sequential.samplesMs);
        console.log(`  floor ${i + 1}: ${floor.sequential.samplesMs[0]!.toFixed(0)} ms`);
        await sleep(Number(o.gapMs));
      }
    }
    const metricsAfter = await scrape();

    // 3 → 30: until all 30 are Ready, from the same watch.
    const scaleMs: number[] = [];
    const scaleMetrics: Array<[string, string]> = [];
    const scaleFloorMs: number[] = [];
    /** The steer server's CPU (user + system, ms) from each scale's patch until all 30 were Ready. */
    const scaleCpuMs: number[] = [];
    for (let i = 0; i < Number(o.scaleRounds); i++) {
      round = new Round();
      const r = round;
      r.t0 = performance.now(); // the watch marks nothing of interest here, but wakes waiters
      await client.create(Resources.deployments, NS, { ...deployment, spec: { ...deployment.spec!, replicas: 3 } });
      await r.until(() => readyPods.size === 3 && live.size === 3, '3 Ready', 120_000);
      const before = await scrape();
      const t0 = performance.now();
      const waveCpu0 = processCpuMs(up.info.pid);
      const w = (wave = { t0, created: new Map(), bound: new Map(), ready: new Map() });
      for (const name of live) for (const m of [w.created, w.bound, w.ready]) m.set(name, -1); // the 3 already there
      await client.patch(Resources.deployments, NS, APP, { spec: { replicas: 30 } }, 'merge', 'scale');
      await r.until(() => readyPods.size === 30, '30 Ready', 180_000);
      scaleMs.push(performance.now() - t0);
      scaleCpuMs.push(processCpuMs(up.info.pid) - waveCpu0);
      wave = undefined;
      scaleMetrics.push([before, await scrape()]);
      // Where the wave's time went: the 27 new pods' creates and bindings, then their starts on the node.
      const spread = (m: Map<string, number>) => {
        const xs = [...m.values()].filter((x) => x >= 0).sort((a, b) => a - b);
        return xs.length ? `${xs[0]!.toFixed(0)}–${xs[xs.length - 1]!.toFixed(0)}` : '-';
      };
      console.log(`scale round ${i + 1}: 3 → 30 Ready in ${scaleMs[i]!.toFixed(0)} ms (the 27 created ${spread(w.created)}, bound ${spread(w.bound)}, Ready ${spread(w.ready)} ms), steer server CPU ${scaleCpuMs[i]!.toFixed(0)} ms; load ${loadavg()}`);
      r.t0 = 0;
      await client.delete(Resources.deployments, NS, APP, { propagationPolicy: 'Foreground' });
      await r.until(() => live.size === 0, 'pods gone', 180_000);
      for (let t = 0; t < 100; t++) {
        const left = await client.list(Resources.deployments, { namespace: NS }).then((l) => l.items.length);
        if (!left) break;
        await sleep(100);
      }
      await sleep(Number(o.gapMs));
      const floor = await measureCriFloor(cri, { ...floorOpts, sequentialCount: 0, concurrentCount: 27, warmup: false, steerShape: floorShape() });
      scaleFloorMs.push(floor.concurrent.totalMs);
      console.log(`  floor of 27 at once ${i + 1}: ${floor.concurrent.totalMs.toFixed(0)} ms`);
      await sleep(Number(o.gapMs));
    }

    console.log(`\nsteer: 1-replica Deployment create → pod Ready, ms after the create was sent (from watches; ${rounds.length} rounds: min / median / max, median step)`);
    let prev = 0;
    for (const m of MILESTONES) {
      const xs = rounds.map((r) => r[m] ?? NaN);
      const med = percentile(xs, 50);
      const steps = rounds.map((r, k) => (r[m] ?? NaN) - (k >= 0 && m !== 'answered' ? (r[MILESTONES[MILESTONES.indexOf(m) - 1]] ?? 0) : 0));
      console.log(`  ${LABELS[m].padEnd(44)} ${Math.min(...xs).toFixed(0).padStart(5)} / ${med.toFixed(0).padStart(5)} / ${Math.max(...xs).toFixed(0).padStart(5)}   +${percentile(steps, 50).toFixed(0)}`);
      prev = med;
    }
    const ready = prev;
    console.log(`steer server CPU (user + system) per round, create → Ready: mean ${(serverCpuMs.reduce((a, b) => a + b, 0) / Math.max(1, serverCpuMs.length)).toFixed(0)} ms (${serverCpuMs.map((x) => x.toFixed(0)).join(' ')}; 10 ms ticks)`);
    console.log(startPhasesBreakdown(metricsBefore, metricsAfter, 'the node agent\'s own timing of these starts'));
    const f = percentile(floorMs, 50);
    console.log(`CRI floor, the same pod shape (ImageStatus + RunPodSandbox + CreateContainer + StartContainer), one after each round, p50 of ${floorMs.length}: ${f.toFixed(0)} ms (samples ${floorMs.map((x) => x.toFixed(0)).join(' ')})`);
    console.log(`steer create → Ready (watch) / CRI floor: ${(ready / f).toFixed(2)}×   (bound → Ready alone: ${(percentile(rounds.map((r) => (r.ready ?? NaN) - (r.bound ?? NaN)), 50) / f).toFixed(2)}×)`);
    if (scaleMs.length) {
      const sm = percentile(scaleMs, 50);
      const fm = percentile(scaleFloorMs, 50);
      console.log(`steer 3 → 30 all Ready (watch), ${scaleMs.length} rounds: ${Math.min(...scaleMs).toFixed(0)} / ${sm.toFixed(0)} / ${Math.max(...scaleMs).toFixed(0)} ms (${scaleMs.map((x) => x.toFixed(0)).join(' ')})`);
      console.log(`CRI floor, 27 at once, one after each scale round: ${Math.min(...scaleFloorMs).toFixed(0)} / ${fm.toFixed(0)} / ${Math.max(...scaleFloorMs).toFixed(0)} ms (${scaleFloorMs.map((x) => x.toFixed(0)).join(' ')})`);
      console.log(`steer 3 → 30 / CRI floor of 27: ${(sm / fm).toFixed(2)}×`);
      console.log(`steer server CPU (user + system) per 3 → 30, until all 30 Ready: median ${percentile(scaleCpuMs, 50).toFixed(0)} ms (${scaleCpuMs.map((x) => x.toFixed(0)).join(' ')}; 10 ms ticks)`);
      const merged = scaleMetrics.map(([b, a]) => startPhasesTotals(b, a));
      console.log(formatStartPhases(sumTotals(merged), 'the node agent\'s own timing of the 27 starts of each 3 → 30'));
    }
    console.log(`load average at the end: ${loadavg()} on ${os.cpus().length} cores`);
  } finally {
    for (const h of handles) h.stop();
    cri?.close();
    client?.close();
    if (!o.keep) await downBenchCluster(o.stateDir);
  }
}

/** A process's CPU time so far (user + system, ms; /proc/PID/stat counts 10 ms ticks). */
function processCpuMs(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

type Totals = Map<string, { sum: number; count: number }>;

/** What the agent observed between two scrapes: its start phases, its whole pod start and its CRI calls. */
function startPhasesTotals(before: string, after: string): Totals {
  const out: Totals = new Map();
  const diff = (name: string, label: string, prefix: string) => {
    const b = histogramTotals(before, name, label);
    for (const [k, v] of histogramTotals(after, name, label)) {
      const count = v.count - (b.get(k)?.count ?? 0);
      if (count > 0) out.set(prefix + k, { sum: v.sum - (b.get(k)?.sum ?? 0), count });
    }
  };
  diff('steer_node_agent_pod_start_phase_seconds', 'phase', 'phase:');
  diff('kubelet_pod_start_duration_seconds', 'node', 'total:');
  diff('kubelet_runtime_operations_duration_seconds', 'operation_type', 'cri:');
  return out;
}

function sumTotals(all: Totals[]): Totals {
  const out: Totals = new Map();
  for (const t of all) for (const [k, v] of t) out.set(k, { sum: (out.get(k)?.sum ?? 0) + v.sum, count: (out.get(k)?.count ?? 0) + v.count });
  return out;
}

function formatStartPhases(t: Totals, what: string): string {
  const mean = (k: string) => { const v = t.get(k); return v ? (1000 * v.sum) / v.count : NaN; };
  const phases = [...t.keys()].filter((k) => k.startsWith('phase:'));
  if (!phases.length) return `${what}: no steer_node_agent_pod_start_phase_seconds (an agent without them)`;
  const starts = Math.max(...phases.map((k) => t.get(k)!.count));
  const total = [...t.keys()].find((k) => k.startsWith('total:'));
  const cri = ['image_status', 'run_podsandbox', 'podsandbox_status', 'create_container', 'start_container', 'container_status'].filter((op) => t.has(`cri:${op}`));
  return [
    `${what} (steer_node_agent_pod_start_phase_seconds, mean ms of ${starts} starts): ` +
      phases.map((k) => `${k.slice(6)} ${mean(k).toFixed(1)}`).join(', ') +
      `; sum ${phases.reduce((a, k) => a + mean(k), 0).toFixed(1)}` +
      (total ? `; seen bound → all running (kubelet_pod_start_duration_seconds) ${mean(total).toFixed(1)}` : ''),
    `  CRI calls meanwhile (kubelet_runtime_operations_duration_seconds, mean ms): ${cri.map((op) => `${op} ${mean(`cri:${op}`).toFixed(1)} ×${t.get(`cri:${op}`)!.count}`).join(', ')}`,
  ].join('\n');
}

function startPhasesBreakdown(before: string, after: string, what: string): string {
  return formatStartPhases(startPhasesTotals(before, after), what);
}

function loadavg(): string {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack || err.message : String(err)}\n`);
    process.exit(1);
  });
}
