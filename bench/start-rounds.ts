// steer's pod start timed next to the raw CRI floor of the same work, rounds and floor samples
// alternating (issue 20's "pod start ≤ 1.3× and 3→30 ≤ 1.2× the raw CRI floor of the same run"); shared
// by bench/pod-start.ts and bench/swarm.ts.
// A start round: a 1-replica Deployment is created and, from watches opened beforehand (no polling),
// the bench's clock records each milestone after the create was sent: create answered, ReplicaSet
// created (Deployment controller), pod created (ReplicaSet controller), bound (scheduler), container
// running in the API and pod Ready (node agent: sandbox, container, status write). Then the Deployment
// is removed and its pod waited gone, and one floor sample is taken (bench/cri-floor.ts): a single pod
// started with the sandbox and container shape the node agent gave this pod (cluster DNS config,
// /etc/hosts and service-account token bind mounts).
// A scale round: the Deployment at 3 replicas, all Ready, scaled to 30 → all 30 Ready (from the pod
// watch), then removed, then the floor of 27 such pods started at once.
// Rounds and floor samples alternate, so a machine that gets busier or quieter during the run moves both
// sides of the ratio alike; `between` (a pause, or until the node is quiet) runs before each of them.
import * as fs from 'node:fs';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { histogramDelta } from './bench-cluster';
import type { KubeClient } from '../lib/client/client';
import { Resources } from '../lib/api/resources';
import { IMAGES, type ContainerRuntime } from '../node-agent';
import { measureCriFloor, percentile } from './cri-floor';

const MILESTONES = ['answered', 'replicaSet', 'pod', 'bound', 'running', 'ready'] as const;
export type Milestone = (typeof MILESTONES)[number];
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

  mark(m: Milestone): void {
    if (!this.t0 || this.at[m] !== undefined) return;
    this.at[m] = performance.now() - this.t0;
    this.wake();
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

/** The nginx Deployment the rounds create, labelled app=<app>. */
export function benchDeployment(app: string, replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app, labels: { app } },
    spec: {
      replicas,
      selector: { matchLabels: { app } },
      template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'nginx', image: IMAGES.nginx, ports: [{ containerPort: 80 }] }] } },
    },
  };
}

export interface RoundsOptions {
  client: KubeClient;
  cri: ContainerRuntime;
  namespace: string;
  /** The Deployment's name and app label; no other object may carry that label. */
  app: string;
  /** The steer server's PID: its CPU per round. */
  serverPid: number;
  floorOpts: { cgroupRoot: string; podLogDir: string };
  /** Before each round and each floor sample (a pause, or until the node is quiet). */
  between: () => Promise<void>;
  /** The node agent's /metrics ('' when there is none): its own timing of the timed rounds. */
  scrape: () => Promise<string>;
  log: (line: string) => void;
}

export interface StartRoundsResult {
  rounds: Array<Partial<Record<Milestone, number>>>;
  /** One floor sample after each timed round. */
  floorMs: number[];
  /** The steer server's CPU (user + system, ms) from each timed round's create until its pod was Ready. */
  serverCpuMs: number[];
  /** The agent's metrics before the first and after the last timed round. */
  metrics: [string, string];
}

export interface ScaleRoundsResult {
  /** 3 → 30, until all 30 Ready (watch), per round. */
  scaleMs: number[];
  /** The floor of 27 at once after each round. */
  floorMs: number[];
  serverCpuMs: number[];
  /** The agent's metrics around each 3 → 30. */
  metrics: Array<[string, string]>;
}

/** Watches of the rounds' Deployment: its ReplicaSet and pods, open for as long as the rounds run. */
export class StartRounds {
  private round = new Round();
  /** The last pod seen: the floor starts its pods in the same shape. */
  lastPod?: Pod;
  /** Pods of the Deployment that exist, and those of them Ready (the scale rounds count them). */
  private readonly live = new Set<string>();
  private readonly readyPods = new Set<string>();
  /** During a 3 → 30 round: when each pod was first seen created, bound and Ready (ms after the scale was sent). */
  private wave: { t0: number; created: Map<string, number>; bound: Map<string, number>; ready: Map<string, number> } | undefined;
  private readonly handles: Array<{ stop(): void }> = [];

  private constructor(private readonly o: RoundsOptions) {}

  static async open(o: RoundsOptions): Promise<StartRounds> {
    const s = new StartRounds(o);
    const selector = { namespace: o.namespace, labelSelector: `app=${o.app}` };
    s.handles.push(await o.client.watch<ReplicaSet>(Resources.replicasets, selector, (e) => e.type === 'ADDED' && s.round.mark('replicaSet'), () => undefined));
    s.handles.push(await o.client.watch<Pod>(Resources.pods, selector, (e) => s.onPod(e.type, e.object), () => undefined));
    return s;
  }

  private onPod(type: string, p: Pod): void {
    if (type === 'BOOKMARK' || type === 'ERROR') return;
    const name = p.metadata?.name ?? '';
    const round = this.round;
    if (type === 'DELETED') {
      this.live.delete(name);
      this.readyPods.delete(name);
      round.wake();
      return;
    }
    if (p.metadata?.deletionTimestamp) {
      this.readyPods.delete(name);
      round.wake();
      return;
    }
    this.live.add(name);
    const ready = (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    if (ready) this.readyPods.add(name);
    else this.readyPods.delete(name);
    round.wake();
    this.lastPod = p;
    const wave = this.wave;
    if (wave) {
      const at = performance.now() - wave.t0;
      if (!wave.created.has(name)) wave.created.set(name, at);
      if (p.spec?.nodeName && !wave.bound.has(name)) wave.bound.set(name, at);
      if (ready && !wave.ready.has(name)) wave.ready.set(name, at);
    }
    round.mark('pod');
    if (p.spec?.nodeName) round.mark('bound');
    if (p.status?.containerStatuses?.[0]?.state?.running) round.mark('running');
    if (ready) round.mark('ready');
  }

  private floorShape() {
    return this.lastPod ? { clusterDns: true, tokenMount: (this.lastPod.spec?.volumes ?? []).some((v) => !!v.projected) } : undefined;
  }

  /** Removes the Deployment and waits until its pods and it are gone. */
  private async removeDeployment(r: Round, timeoutMs: number): Promise<void> {
    const { client, namespace, app } = this.o;
    await client.delete(Resources.deployments, namespace, app, { propagationPolicy: 'Foreground' });
    await r.until(() => this.live.size === 0, 'pods gone', timeoutMs);
    for (let t = 0; t < 100; t++) {
      const left = await client.list<Deployment>(Resources.deployments, { namespace }).then((l) => l.items.filter((d) => d.metadata?.name === app).length);
      if (!left) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** One untimed round first (the image, the first CNI ADD and the server's code paths warm, as the floor's warm-up pod), then n timed ones, each followed by a floor sample. */
  async startRounds(n: number): Promise<StartRoundsResult> {
    const { client, namespace, app, serverPid, log } = this.o;
    const out: StartRoundsResult = { rounds: [], floorMs: [], serverCpuMs: [], metrics: ['', ''] };
    for (let i = -1; i < n; i++) {
      if (i === 0) out.metrics[0] = await this.o.scrape();
      await this.o.between();
      const r = (this.round = new Round());
      const cpu0 = processCpuMs(serverPid);
      r.t0 = performance.now();
      await client.create(Resources.deployments, namespace, benchDeployment(app, 1));
      r.mark('answered');
      await r.until(() => r.at.ready !== undefined, 'pod Ready');
      if (i >= 0) {
        out.serverCpuMs.push(processCpuMs(serverPid) - cpu0);
        out.rounds.push({ ...r.at });
        log(`round ${i + 1}: ${MILESTONES.map((m) => `${m} ${r.at[m]?.toFixed(0)}`).join(', ')} ms; load ${loadavg()}`);
      }
      r.t0 = 0;
      await this.removeDeployment(r, 60_000);
      if (i < 0) continue;
      await this.o.between();
      const floor = await measureCriFloor(this.o.cri, { ...this.o.floorOpts, sequentialCount: 1, concurrentCount: 0, warmup: i === 0, steerShape: this.floorShape() });
      out.floorMs.push(...floor.sequential.samplesMs);
      log(`  floor ${i + 1}: ${floor.sequential.samplesMs[0]!.toFixed(0)} ms`);
    }
    out.metrics[1] = await this.o.scrape();
    return out;
  }

  /** n times: 3 → 30 until all Ready, removed, then the floor of 27 at once. */
  async scaleRounds(n: number): Promise<ScaleRoundsResult> {
    const { client, namespace, app, serverPid, log } = this.o;
    const out: ScaleRoundsResult = { scaleMs: [], floorMs: [], serverCpuMs: [], metrics: [] };
    for (let i = 0; i < n; i++) {
      await this.o.between();
      const r = (this.round = new Round());
      r.t0 = performance.now(); // the watch marks nothing of interest here, but wakes waiters
      await client.create(Resources.deployments, namespace, benchDeployment(app, 3));
      await r.until(() => this.readyPods.size === 3 && this.live.size === 3, '3 Ready', 120_000);
      await this.o.between();
      const before = await this.o.scrape();
      const t0 = performance.now();
      const cpu0 = processCpuMs(serverPid);
      const w = (this.wave = { t0, created: new Map(), bound: new Map(), ready: new Map() });
      for (const name of this.live) for (const m of [w.created, w.bound, w.ready]) m.set(name, -1); // the 3 already there
      await client.patch(Resources.deployments, namespace, app, { spec: { replicas: 30 } }, 'merge', 'scale');
      await r.until(() => this.readyPods.size === 30, '30 Ready', 180_000);
      out.scaleMs.push(performance.now() - t0);
      out.serverCpuMs.push(processCpuMs(serverPid) - cpu0);
      this.wave = undefined;
      out.metrics.push([before, await this.o.scrape()]);
      // Where the wave's time went: the 27 new pods' creates and bindings, then their starts on the node.
      const spread = (m: Map<string, number>) => {
        const xs = [...m.values()].filter((x) => x >= 0).sort((a, b) => a - b);
        return xs.length ? `${xs[0]!.toFixed(0)}–${xs[xs.length - 1]!.toFixed(0)}` : '-';
      };
      log(`scale round ${i + 1}: 3 → 30 Ready in ${out.scaleMs[i]!.toFixed(0)} ms (the 27 created ${spread(w.created)}, bound ${spread(w.bound)}, Ready ${spread(w.ready)} ms), steer server CPU ${out.serverCpuMs[i]!.toFixed(0)} ms; load ${loadavg()}`);
      r.t0 = 0;
      await this.removeDeployment(r, 180_000);
      await this.o.between();
      const floor = await measureCriFloor(this.o.cri, { ...this.o.floorOpts, sequentialCount: 0, concurrentCount: 27, warmup: false, steerShape: this.floorShape() });
      out.floorMs.push(floor.concurrent.totalMs);
      log(`  floor of 27 at once ${i + 1}: ${floor.concurrent.totalMs.toFixed(0)} ms`);
    }
    return out;
  }

  stop(): void {
    for (const h of this.handles) h.stop();
  }
}

/** The start rounds' report: milestones, server CPU, the agent's own timing, the floor and the ratios. */
export function formatStartRounds(s: StartRoundsResult): string[] {
  const lines = [`steer: 1-replica Deployment create → pod Ready, ms after the create was sent (from watches; ${s.rounds.length} rounds: min / median / max, median step)`];
  for (const m of MILESTONES) {
    const xs = s.rounds.map((r) => r[m] ?? NaN);
    const prev = MILESTONES[MILESTONES.indexOf(m) - 1];
    const steps = s.rounds.map((r) => (r[m] ?? NaN) - (prev ? (r[prev] ?? 0) : 0));
    lines.push(`  ${LABELS[m].padEnd(44)} ${Math.min(...xs).toFixed(0).padStart(5)} / ${percentile(xs, 50).toFixed(0).padStart(5)} / ${Math.max(...xs).toFixed(0).padStart(5)}   +${percentile(steps, 50).toFixed(0)}`);
  }
  lines.push(`steer server CPU (user + system) per round, create → Ready: mean ${(s.serverCpuMs.reduce((a, b) => a + b, 0) / Math.max(1, s.serverCpuMs.length)).toFixed(0)} ms (${s.serverCpuMs.map((x) => x.toFixed(0)).join(' ')}; 10 ms ticks)`);
  lines.push(formatStartPhases(startPhasesTotals(...s.metrics), "the node agent's own timing of these starts"));
  const r = startRatios(s);
  lines.push(`CRI floor, the same pod shape (ImageStatus + RunPodSandbox + CreateContainer + StartContainer), one after each round, p50 of ${s.floorMs.length}: ${r.floorMs.toFixed(0)} ms (samples ${s.floorMs.map((x) => x.toFixed(0)).join(' ')})`);
  lines.push(`steer create → Ready (watch) / CRI floor: ${r.ready.toFixed(2)}×   (bound → Ready alone: ${r.boundToReady.toFixed(2)}×)`);
  return lines;
}

/** Medians: create → Ready and bound → Ready against the floor. */
export function startRatios(s: StartRoundsResult): { readyMs: number; floorMs: number; ready: number; boundToReady: number } {
  const readyMs = percentile(s.rounds.map((r) => r.ready ?? NaN), 50);
  const floorMs = percentile(s.floorMs, 50);
  return { readyMs, floorMs, ready: readyMs / floorMs, boundToReady: percentile(s.rounds.map((r) => (r.ready ?? NaN) - (r.bound ?? NaN)), 50) / floorMs };
}

/** The scale rounds' report. */
export function formatScaleRounds(s: ScaleRoundsResult): string[] {
  if (!s.scaleMs.length) return [];
  const sm = percentile(s.scaleMs, 50);
  const fm = percentile(s.floorMs, 50);
  const mmm = (xs: number[]) => `${Math.min(...xs).toFixed(0)} / ${percentile(xs, 50).toFixed(0)} / ${Math.max(...xs).toFixed(0)} ms (${xs.map((x) => x.toFixed(0)).join(' ')})`;
  return [
    `steer 3 → 30 all Ready (watch), ${s.scaleMs.length} rounds: ${mmm(s.scaleMs)}`,
    `CRI floor, 27 at once, one after each scale round: ${mmm(s.floorMs)}`,
    `steer 3 → 30 / CRI floor of 27: ${(sm / fm).toFixed(2)}×`,
    `steer server CPU (user + system) per 3 → 30, until all 30 Ready: median ${percentile(s.serverCpuMs, 50).toFixed(0)} ms (${s.serverCpuMs.map((x) => x.toFixed(0)).join(' ')}; 10 ms ticks)`,
    formatStartPhases(sumTotals(s.metrics.map(([b, a]) => startPhasesTotals(b, a))), "the node agent's own timing of the 27 starts of each 3 → 30"),
  ];
}

/** A process's CPU time so far (user + system, ms; /proc/PID/stat counts 10 ms ticks). */
export function processCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

export function loadavg(): string {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

type Totals = Map<string, { sum: number; count: number }>;

/** What the agent observed between two scrapes: its start phases, its whole pod start and its CRI calls. */
function startPhasesTotals(before: string, after: string): Totals {
  const out: Totals = new Map();
  const diff = (name: string, label: string, prefix: string) => {
    for (const [k, v] of histogramDelta(before, after, name, label)) out.set(prefix + k, v);
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
  const mean = (k: string) => {
    const v = t.get(k);
    return v ? (1000 * v.sum) / v.count : NaN;
  };
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
