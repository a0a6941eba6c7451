// Hollow nodes (kubemark style): N node agents in one process, each on its own in-memory FakeRuntime,
// sharing one pod informer (all pods, split by spec.nodeName), one event recorder and one HTTP server.
// They register real Nodes, renew real Leases and drive pods to Running + Ready, so the scheduler and
// controllers can be tested at scale without containers. stopNode(name) silences one node's heartbeat
// (its Lease goes stale) for node-lifecycle tests; resumeNode(name) brings it back.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KubeClient } from '../lib/client/client';
import { EventRecorder } from '../lib/client/events';
import { DEFAULT_LEASE_DURATION_SECONDS, DEFAULT_LEASE_RENEW_INTERVAL_MS, NodeAgent } from './agent';
import { FakeRuntime } from './runtime/fake-runtime';
import { InformerPodSource } from './pod-source';
import { ServiceEnvSource } from './service-env';
import type { ServiceAccountTokenManager } from './volumes/tokens';
import type { Prober } from './probes';
import { RunningAgentServer, startAgentServer } from './server';

export interface HollowNodesOptions {
  client: KubeClient;
  count: number;
  namePrefix?: string;
  /** Made-up capacity per node. */
  cpu?: number;
  memoryBytes?: number;
  maxPods?: number;
  labels?: Record<string, string>;
  stateDir?: string;
  relistIntervalMs?: number;
  leaseRenewIntervalMs?: number;
  leaseDurationSeconds?: number;
  nodeStatusReportIntervalMs?: number;
  /** One HTTP server for all hollow nodes on this port (0 = free; false = none). */
  port?: number | false;
  /** Every pod is re-synced this often (default 30 s). */
  resyncIntervalMs?: number;
  /** How often running pods' configMap, secret, downwardAPI and projected volumes are rewritten (default 60 s). */
  volumeRefreshIntervalMs?: number;
  /** Service-account tokens for projected volumes (default: each agent's own manager on the TokenRequest API). */
  tokens?: ServiceAccountTokenManager;
  /** CRI stats poll period for /stats and the metrics API (default 0: off). */
  statsIntervalMs?: number;
  /** Runs the nodes' probes (default: every probe succeeds, there is nothing to talk to); chaos tests fail some. */
  prober?: Prober;
  /** How many nodes register at once (keeps a big start from flooding the apiserver). */
  startConcurrency?: number;
  log?: (msg: string) => void;
}

export interface HollowNodes {
  names: string[];
  agents: NodeAgent[];
  runtimes: Map<string, FakeRuntime>;
  port: number;
  agent(name: string): NodeAgent | undefined;
  /** Stops one node's Lease heartbeat (and node status updates): the node goes silent. */
  stopNode(name: string): void;
  /** Resumes a silenced node's heartbeat. */
  resumeNode(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Probes on hollow nodes have nothing to talk to: they all succeed. */
const hollowProber: Prober = { run: async () => ({ ok: true, output: '' }) };

export async function startHollowNodes(o: HollowNodesOptions): Promise<HollowNodes> {
  const prefix = o.namePrefix ?? 'hollow-node-';
  const stateDir = o.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'steer-hollow-'));
  const ownState = !o.stateDir;
  const source = new InformerPodSource(o.client);
  // One Services informer for every hollow node's service variables, as one pod informer serves them all.
  const services = new ServiceEnvSource(o.client);
  const events = new EventRecorder(o.client, { component: 'kubelet', host: `${prefix}*` });
  const agents: NodeAgent[] = [];
  const runtimes = new Map<string, FakeRuntime>();
  let server: RunningAgentServer | undefined;
  if (o.port !== false) server = await startAgentServer(() => agents, '127.0.0.1', o.port ?? 0);
  await source.start();
  await services.start();
  const names = Array.from({ length: o.count }, (_, i) => `${prefix}${i}`);
  const started: NodeAgent[] = [];
  const stopAll = async () => {
    await Promise.all(started.map((a) => a.stop().catch(() => undefined)));
    source.stop();
    services.stop();
    await events.flush();
    await server?.close();
    if (ownState) fs.rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    const concurrency = Math.max(1, o.startConcurrency ?? 20);
    for (let i = 0; i < names.length; i += concurrency) {
      await Promise.all(
        names.slice(i, i + concurrency).map(async (name, j) => {
          const n = i + j;
          const runtime = new FakeRuntime({ ipPrefix: 100 + (n % 100), recordCalls: false, exitEvents: true });
          runtimes.set(name, runtime);
          const agent = new NodeAgent({
            client: o.client,
            nodeName: name,
            runtime,
            stateDir: path.join(stateDir, name),
            services,
            cgroupFs: false,
            // Loopback when they serve HTTP, so the apiserver (logs, metrics API) can reach their shared port.
            address: o.port === false || o.port === undefined ? `10.250.${(n >> 8) & 255}.${n & 255}` : '127.0.0.1',
            port: server?.port ?? 10250,
            facts: {
              cpu: o.cpu ?? 4,
              memoryBytes: o.memoryBytes ?? 16 * 1024 ** 3,
              maxPods: o.maxPods ?? 110,
              ephemeralStorageBytes: 100 * 1024 ** 3,
              labels: { 'node.steer.io/hollow': 'true', ...(o.labels || {}) },
            },
            relistIntervalMs: o.relistIntervalMs ?? 1000,
            resyncIntervalMs: o.resyncIntervalMs ?? 60_000,
            volumeRefreshIntervalMs: o.volumeRefreshIntervalMs,
            tokens: o.tokens,
            leaseRenewIntervalMs: o.leaseRenewIntervalMs ?? DEFAULT_LEASE_RENEW_INTERVAL_MS,
            leaseDurationSeconds: o.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS,
            nodeStatusReportIntervalMs: o.nodeStatusReportIntervalMs ?? 5 * 60_000,
            nodeStatusUpdateIntervalMs: 10_000,
            statsIntervalMs: o.statsIntervalMs ?? 0,
            pidWatchIntervalMs: 0, // fake containers have no host processes
            workers: 2,
            podSource: source,
            prober: o.prober ?? hollowProber,
            events,
            log: o.log,
          });
          started.push(agent);
          await agent.start();
          agents.push(agent);
        }),
      );
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  const byName = new Map(agents.map((a) => [a.nodeName, a]));
  return {
    names,
    agents,
    runtimes,
    port: server?.port ?? 0,
    agent: (name) => byName.get(name),
    stopNode: (name) => {
      const a = byName.get(name);
      if (!a) throw new Error(`no hollow node ${name}`);
      a.heartbeat.stop();
      a.pauseNodeStatus(true);
    },
    resumeNode: async (name) => {
      const a = byName.get(name);
      if (!a) throw new Error(`no hollow node ${name}`);
      a.pauseNodeStatus(false);
      await a.heartbeat.start();
      await a.syncNodeStatus(true);
    },
    stop: stopAll,
  };
}
