// A chaos cluster, all in this process: a real apiserver (on LevelDB in a temporary directory, so it
// can be restarted on the same storage and port: restartApiServer; or, with apiserverProcess, a
// `steer apiserver` child process, which killApiServer can also kill -9), the controller manager, the
// garbage collector as a manager of its own (so its deletes can be checked apart), the scheduler and
// two pools of hollow nodes — `stable` (control-plane faults only: the guarded rollouts live there)
// and `chaos` (nodes go NotReady, probes fail, containers exit). Every component talks through its own
// ChaosClient; a restart crashes that client (the component dies mid-sync) and starts the component
// afresh on a new one. The components are started through their faces, as `steer server` starts them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { startApiServer, type RunningApiServer } from '../../apiserver';
import { allControllerNames, startControllers, type RunningControllers } from '../../controllers';
import { KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { LABEL_POD_UID, startHollowNodes, type HollowNodes, type Prober } from '../../node-agent';
import { startScheduler } from '../../scheduler';
import { freePort, startSteer, type Proc } from '../ha-cluster';
import { chaosClient, ChaosClient, ClientFaults, emptyCounts, FaultCounts, OutgoingWrite } from './client';
import type { Prng } from './prng';
import type { RunningContainer } from './invariants';

export type ComponentName = 'controller-manager' | 'garbage-collector' | 'scheduler' | 'nodes-stable' | 'nodes-chaos';
export const POOL_LABEL = 'chaos.steer.io/pool';
/** How long a node may miss heartbeats before it is unreachable. */
export const NODE_GRACE_SECONDS = 15;

export interface ChaosClusterOptions {
  rng: Prng;
  faults: ClientFaults;
  stableNodes: number;
  chaosNodes: number;
  /** Checks the garbage collector's writes before they are sent. */
  beforeGcWrite?: (w: OutgoingWrite) => Promise<void>;
  /**
   * Run the apiserver as a `steer apiserver` process on LevelDB (bin/steer.js: needs a build), so
   * that killApiServer can kill it with SIGKILL; otherwise it runs in this process.
   */
  apiserverProcess?: boolean;
  log?: (msg: string) => void;
}

interface Restartable {
  chaos: ChaosClient;
  stop(): Promise<void>;
}

export class ChaosCluster {
  /** A fault-free client: the workload driver's and the invariant monitor's. */
  client!: KubeClient;
  stable!: HollowNodes;
  chaos!: HollowNodes;
  /** Pod uids whose readiness probes fail until removed. */
  readonly failingProbes = new Set<string>();
  readonly restarts: Record<string, number> = {};
  /** When the apiserver was down (restarted or killed): from, and to once it serves again (ms). */
  readonly outages: Array<{ from: number; to?: number }> = [];
  /** The in-process apiserver, or the apiserver process. */
  private api?: RunningApiServer;
  private apiProc?: Proc;
  private apiPort = 0;
  private dataDir!: string;
  private readonly components = new Map<ComponentName, Restartable>();
  private readonly clients: ChaosClient[] = [];
  private readonly generations = new Map<ComponentName, number>();

  constructor(private readonly o: ChaosClusterOptions) {}

  private newClient(name: ComponentName): ChaosClient {
    const gen = (this.generations.get(name) ?? 0) + 1;
    this.generations.set(name, gen);
    const c = chaosClient(this.client, name, this.o.rng.fork(`${name}#${gen}`), { ...this.o.faults }, name === 'garbage-collector' ? this.o.beforeGcWrite : undefined);
    // Quiet until the cluster is up; setFaults() turns chaos on.
    c.faults = { ...this.o.faults, ...(this.quiet ? QUIET : {}) };
    this.clients.push(c);
    return c;
  }

  private quiet = true;

  /** Sets every component's faults (the ones started later get them too). */
  setFaults(f: ClientFaults | 'off'): void {
    this.quiet = f === 'off';
    for (const c of this.clients) c.faults = f === 'off' ? { ...c.faults, ...QUIET } : { ...f };
    if (f !== 'off') this.o.faults = f;
  }

  async start(): Promise<void> {
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-chaos-'));
    if (this.o.apiserverProcess) this.apiPort = await freePort();
    await this.startApi();
    this.client = KubeClient.forServer(`http://127.0.0.1:${this.apiPort}`);
    const log = () => undefined;
    const prober: Prober = { run: async (_kind, _probe, t) => ({ ok: !this.failingProbes.has(t.pod.metadata?.uid ?? ''), output: '' }) };
    const pool = async (name: 'nodes-stable' | 'nodes-chaos', count: number, label: string) => {
      const chaos = this.newClient(name);
      const nodes = await startHollowNodes({ client: chaos.client, count, namePrefix: `${label}-`, labels: { [POOL_LABEL]: label }, port: false, leaseRenewIntervalMs: 1000, prober, log });
      this.components.set(name, { chaos, stop: () => nodes.stop() });
      return nodes;
    };
    this.stable = await pool('nodes-stable', this.o.stableNodes, 'stable');
    this.chaos = await pool('nodes-chaos', this.o.chaosNodes, 'chaos');
    await this.startComponent('scheduler');
    await this.startComponent('controller-manager');
    await this.startComponent('garbage-collector');
  }

  private async startComponent(name: 'scheduler' | 'controller-manager' | 'garbage-collector'): Promise<void> {
    const chaos = this.newClient(name);
    // What the components report (errors among it) goes to the run's log; routine lines are dropped.
    const log = (m: string) => {
      if (/error|fail/i.test(m)) this.o.log?.(`${name}: ${m}`);
    };
    let running: { stop(): Promise<void> };
    if (name === 'scheduler') running = await startScheduler({ client: chaos.client, log });
    else {
      const controllers = name === 'garbage-collector' ? (['garbage-collector'] as const) : allControllerNames.filter((c) => c !== 'garbage-collector');
      const rc: RunningControllers = await startControllers({
        client: chaos.client,
        log,
        leaderElect: false,
        controllers: [...controllers],
        // Long enough that a stable node's heartbeats, slowed by chaos and the machine's load, never
        // look like an outage (Kubernetes: 40 s); the chaos nodes' outages outlast it.
        nodeLifecycle: { nodeMonitorGracePeriodSeconds: NODE_GRACE_SECONDS },
      });
      running = rc;
    }
    this.components.set(name, { chaos, stop: () => running.stop() });
  }

  /** The component's process dies mid-sync (its client fails from now on) and a new one starts. */
  async restart(name: 'scheduler' | 'controller-manager' | 'garbage-collector'): Promise<void> {
    const old = this.components.get(name);
    if (old) {
      old.chaos.crash();
      await old.stop().catch(() => undefined);
    }
    this.restarts[name] = (this.restarts[name] ?? 0) + 1;
    await this.startComponent(name);
  }

  /** Starts the apiserver on the cluster's storage (and port, once it has one). */
  private async startApi(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        if (this.o.apiserverProcess) {
          const { proc } = await startSteer(
            'apiserver',
            // The endpoint reconciler's Lease writes are not what is measured: renewed rarely.
            ['apiserver', '--insecure-serving', '--listen', `127.0.0.1:${this.apiPort}`, '--data-dir', this.dataDir, '--endpoint-reconciler-interval', '30s'],
            /serving on http:\/\//,
          );
          this.apiProc = proc;
        } else {
          this.api = await startApiServer({ host: '127.0.0.1', port: this.apiPort, dataDir: this.dataDir });
          this.apiPort = this.api.port;
        }
        return;
      } catch (err) {
        // The port is ours to take again; a moment's wait covers a socket still closing (or, after a
        // kill -9, the LevelDB lock the dead process held being released).
        if (!/EADDRINUSE|LOCK/i.test(String((err as Error).message ?? err)) || attempt >= 20) throw err;
        await new Promise<void>((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  private async closeApi(): Promise<void> {
    if (this.apiProc) await this.apiProc.stop();
    else await this.api?.close();
  }

  /**
   * The apiserver restarts on the same storage and port, as kube-apiserver does on SIGTERM: new
   * requests are refused, the ones in flight get their answers, then it closes (every watch ends) and is
   * down for downMs. Watches resume from their resourceVersion on the new one (its history is on disk)
   * or, when that is too old, get 410 Gone and re-list.
   */
  async restartApiServer(downMs: number): Promise<void> {
    const outage: { from: number; to?: number } = { from: Date.now() };
    this.outages.push(outage);
    for (const c of this.clients) c.refuse(true);
    try {
      // Bounded, as kube-apiserver's shutdown is: a request stuck longer is cut.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(this.clients.map((c) => c.drained())), new Promise<void>((resolve) => (timer = setTimeout(resolve, 10_000)))]);
      clearTimeout(timer);
      await this.closeApi();
      await new Promise<void>((resolve) => setTimeout(resolve, downMs));
      await this.startApi();
    } finally {
      for (const c of this.clients) c.refuse(false);
      outage.to = Date.now();
    }
    this.restarts.apiserver = (this.restarts.apiserver ?? 0) + 1;
  }

  /**
   * kill -9 of the apiserver process mid-traffic: requests in flight lose their answers (they may or
   * may not have been stored), watches break, new connections are refused until it is back on the same
   * storage and port after downMs. Nothing answered may be lost.
   */
  async killApiServer(downMs: number): Promise<void> {
    if (!this.apiProc) throw new Error('killApiServer needs apiserverProcess');
    const outage: { from: number; to?: number } = { from: Date.now() };
    this.outages.push(outage);
    try {
      await this.apiProc.kill9();
      await new Promise<void>((resolve) => setTimeout(resolve, downMs));
      await this.startApi();
    } finally {
      outage.to = Date.now();
    }
    this.restarts['apiserver-kill'] = (this.restarts['apiserver-kill'] ?? 0) + 1;
  }

  /**
   * How much of [from, to] (ms) the apiserver was down, each outage taken to last reconnectMs longer:
   * the time its clients may still take to be back (an informer's retry pause grows to 5 s while it is
   * down).
   */
  apiserverDownMs(from: number, to: number, reconnectMs = 5000): number {
    let down = 0;
    for (const o of this.outages) {
      const end = Math.min(to, (o.to ?? to) + reconnectMs);
      down += Math.max(0, end - Math.max(from, o.from));
    }
    return down;
  }

  /** Every hollow node's running containers. */
  async containers(): Promise<RunningContainer[]> {
    const out: RunningContainer[] = [];
    for (const nodes of [this.stable, this.chaos]) {
      for (const [node, runtime] of nodes.runtimes) {
        for (const c of await runtime.listContainers()) {
          if (c.state === 'CONTAINER_RUNNING' && c.labels[LABEL_POD_UID]) out.push({ node, podUid: c.labels[LABEL_POD_UID], id: c.id });
        }
      }
    }
    return out;
  }

  /** Where a container's pod is: in the API now (by uid), and in its node agent's pods. */
  async explainContainer(c: RunningContainer): Promise<string> {
    const pods = (await this.client.list<Pod>(Resources.pods, {})).items;
    const p = pods.find((x) => x.metadata?.uid === c.podUid);
    const api = p ? `in the API: ${p.metadata?.name} on ${p.spec?.nodeName} ${p.status?.phase}${p.metadata?.deletionTimestamp ? ' deleting' : ''}` : 'not in the API';
    const agent = this.stable.agent(c.node) ?? this.chaos.agent(c.node);
    const known = agent?.listPods().find((x) => x.metadata?.uid === c.podUid);
    return `${api}; its node agent ${known ? `has it (${known.metadata?.name})` : 'does not have it'}`;
  }

  /** Makes the pod's running container exit (the node agent restarts it, or the pod finishes). */
  async exitContainer(p: Pod, exitCode: number): Promise<boolean> {
    const node = p.spec?.nodeName;
    const runtime = node ? (this.stable.runtimes.get(node) ?? this.chaos.runtimes.get(node)) : undefined;
    if (!runtime) return false;
    const c = (await runtime.listContainers()).find((x) => x.labels[LABEL_POD_UID] === p.metadata?.uid && x.state === 'CONTAINER_RUNNING');
    if (!c) return false;
    runtime.crash(c.id, exitCode);
    return true;
  }

  /** What chaos did through every client so far. */
  faultCounts(): FaultCounts {
    const sum = emptyCounts();
    for (const c of this.clients) for (const k of Object.keys(sum) as Array<keyof FaultCounts>) sum[k] += c.counts[k];
    return sum;
  }

  async stop(): Promise<void> {
    this.setFaults('off');
    for (const name of ['garbage-collector', 'controller-manager', 'scheduler', 'nodes-chaos', 'nodes-stable'] as ComponentName[]) {
      await this.components.get(name)?.stop().catch(() => undefined);
    }
    this.client.close();
    await this.closeApi();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

const QUIET: Partial<ClientFaults> = { watchDelayMaxMs: 0, watchCutMeanMs: 0, conflictChance: 0, writeDelayMaxMs: 0 };
