// The node agent (steer's kubelet): registers the Node, heartbeats its Lease, and turns the pods bound
// to the node into sandboxes and containers. Pod informer events, PLEG relists and probe flips only
// enqueue a pod uid; a worker then syncs that pod level-based: observe the runtime (a relist newer
// than the moment it started), ask the pure core (sync.ts) what to do, apply the actions through the
// ContainerRuntime, and write the status computed by status.ts when it changed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConfigMap, Pod, PodStatus, Secret } from 'kubernetes-types/core/v1';
import type { NodeStatus } from 'kubernetes-types/core/v1';
import { ApiError, isNotFound, KubeClient } from '../lib/client/client';
import { EventRecorder } from '../lib/client/events';
import { resourcePath, Resources } from '../lib/api/resources';
import { WorkQueue } from '../lib/client/workqueue';
import { runWorkers } from '../lib/client/controller';
import { Backoff, BackoffOptions } from './backoff';
import { podDir, prepareVolume, removePodCgroups, removeTree, writeEtcHosts } from './host-files';
import { agentRegistry, instrumentRuntime, podStartDuration, registerAgentMetrics } from './metrics';
import { newestContainer, ObservedContainer, observedContainer, ObservedPod, ObservedSandbox, observedSandbox, sortObserved } from './observed';
import { Pleg } from './pleg';
import { InformerPodSource, PodSource } from './pod-source';
import {
  containerConfig,
  containerMounts,
  parseResolvConf,
  PodData,
  podCgroupParent,
  podLogDirectory,
  podSandboxConfig,
  referencedData,
  resolveEnv,
  SandboxOptions,
  volumeHostPaths,
} from './podspec';
import { DefaultProber, ProbeManager, Prober } from './probes';
import { ContainerRuntime, ContainerStats, RuntimeError, RuntimeVersion } from './runtime/runtime';
import { computePodStatus } from './status';
import { computePodActions, gracePeriodSeconds, PodAction, StartBlock, SyncResult } from './sync';

// steer's fast heartbeat (Kubernetes renews every 10 s with a 40 s lease): the node lifecycle
// controller's 5 s grace period must see at least two renewals, so a lost node is noticed in seconds.
export const DEFAULT_LEASE_RENEW_INTERVAL_MS = 2_000;
export const DEFAULT_LEASE_DURATION_SECONDS = 10;
import { hostFacts, LeaseHeartbeat, NodeFacts, nodeObject, nodeStatus, registerNode, statusFingerprint, updateNodeStatus } from './node-status';

export interface NodeAgentOptions {
  client: KubeClient;
  nodeName: string;
  runtime: ContainerRuntime;
  /** Pod directories (volumes, /etc/hosts) live under <stateDir>/pods/<uid>. */
  stateDir: string;
  /** Container logs: <logRoot>/<ns>_<pod>_<uid>/<container>/<attempt>.log (default <stateDir>/pod-logs). */
  logRoot?: string;
  /** Parent cgroup of every pod (default /steerpods); cgroupFs is where hierarchies are mounted. */
  cgroupRoot?: string;
  cgroupFs?: string | false;
  /** The node's InternalIP (default: first non-loopback IPv4). */
  address?: string;
  /** The port reported in daemonEndpoints (the HTTP server's, set by startNodeAgent). */
  port?: number;
  maxPods?: number;
  /** This node's pod CIDR, registered as spec.podCIDR/podCIDRs (cross-node pod routes use it). */
  podCIDR?: string;
  labels?: Record<string, string>;
  /** Host facts override (hollow nodes report made-up capacity). */
  facts?: Partial<NodeFacts>;
  leaseDurationSeconds?: number;
  leaseRenewIntervalMs?: number;
  /** How often the Node status is re-sent even when nothing changed (default 60 s). */
  nodeStatusReportIntervalMs?: number;
  /** How often unchanged things are checked (node status, runtime health). Default 10 s. */
  nodeStatusUpdateIntervalMs?: number;
  /** PLEG relist period (default 100 ms). */
  relistIntervalMs?: number;
  /** How often host PIDs of running containers are checked for a fast exit (default 20 ms; 0 = off). */
  pidWatchIntervalMs?: number;
  /** Every pod is re-synced this often even without events (default 10 s). */
  resyncIntervalMs?: number;
  backoff?: BackoffOptions;
  imageBackoff?: BackoffOptions;
  clusterDNS?: string[];
  clusterDomain?: string;
  resolvConf?: string;
  workers?: number;
  podSource?: PodSource;
  prober?: Prober;
  events?: EventRecorder;
  /** CRI stats poll period for metrics and /stats/summary (default 10 s; 0 = off). */
  statsIntervalMs?: number;
  log?: (msg: string) => void;
}

/** What one sync learned while acting, so later actions need not ask the runtime again. */
interface SyncState {
  observed: ObservedPod;
  sandbox?: { id: string; ip: string; attempt: number };
  /** Statuses of the sandbox created and containers started by this sync. */
  createdSandbox?: ObservedSandbox;
  started: ObservedContainer[];
  /** Set by any action other than create/start: the status then needs a fresh relist. */
  needsRelist: boolean;
}

export interface PodUsage {
  namespace: string;
  pod: string;
  uid: string;
  container: string;
  containerId: string;
  cpuSeconds: number;
  memoryBytes: number;
  timestamp: number;
}

export class NodeAgent {
  readonly nodeName: string;
  readonly runtime: ContainerRuntime;
  readonly client: KubeClient;
  readonly probes: ProbeManager;
  readonly pleg: Pleg;
  readonly queue: WorkQueue<string>;
  readonly heartbeat: LeaseHeartbeat;
  private readonly pods = new Map<string, Pod>();
  private readonly firstSeen = new Map<string, number>();
  /** When this agent last changed a pod in the runtime: its next sync needs a relist begun after. */
  private readonly lastActionAt = new Map<string, number>();
  private readonly startRecorded = new Set<string>();
  private readonly crashBackoff: Backoff;
  private readonly imageBackoff: Backoff;
  private readonly startBlocks = new Map<string, { reason: string; message: string; until: number }>();
  private readonly recorder: EventRecorder;
  private readonly ownRecorder: boolean;
  private readonly podSource: PodSource;
  private readonly ownSource?: InformerPodSource;
  private readonly sandboxOpts: SandboxOptions;
  private readonly logRoot: string;
  private readonly cgroupFs: string | false;
  private facts: NodeFacts;
  private runtimeVersion: RuntimeVersion = { runtimeName: 'unknown', runtimeVersion: '', runtimeApiVersion: '' };
  private lastNodeStatus?: NodeStatus;
  private lastNodeFingerprint = '';
  private lastNodeReport = 0;
  private nodeUid = '';
  private unsubscribe?: () => void;
  private unregisterMetrics?: () => void;
  private timers: NodeJS.Timeout[] = [];
  private workersDone?: Promise<void>;
  private stopped = false;
  private nodeStatusPaused = false;
  private usage: PodUsage[] = [];
  private readonly log: (msg: string) => void;

  constructor(private readonly o: NodeAgentOptions) {
    this.nodeName = o.nodeName;
    this.client = o.client;
    this.runtime = instrumentRuntime(o.runtime, o.nodeName);
    this.log = o.log || ((m) => console.error(`node-agent ${o.nodeName}: ${m}`));
    this.crashBackoff = new Backoff(o.backoff);
    this.imageBackoff = new Backoff(o.imageBackoff);
    this.ownRecorder = !o.events;
    this.recorder = o.events || new EventRecorder(o.client, { component: 'kubelet', host: o.nodeName });
    if (o.podSource) this.podSource = o.podSource;
    else this.podSource = this.ownSource = new InformerPodSource(o.client, o.nodeName);
    this.logRoot = o.logRoot || path.join(o.stateDir, 'pod-logs');
    this.cgroupFs = o.cgroupFs === undefined ? '/sys/fs/cgroup' : o.cgroupFs;
    let hostDns = { servers: [] as string[], searches: [] as string[], options: [] as string[] };
    try {
      hostDns = parseResolvConf(fs.readFileSync(o.resolvConf || '/etc/resolv.conf', 'utf8'));
    } catch {
      /* no host resolver config */
    }
    this.sandboxOpts = {
      nodeName: o.nodeName,
      logRoot: this.logRoot,
      cgroupRoot: o.cgroupRoot || '/steerpods',
      clusterDNS: o.clusterDNS || [],
      clusterDomain: o.clusterDomain || 'cluster.local',
      hostDns,
    };
    this.facts = { ...hostFacts(o.nodeName, { address: o.address, port: o.port ?? 10250, maxPods: o.maxPods, stateDir: o.stateDir }), podCIDR: o.podCIDR, ...o.facts };
    this.facts.labels = { ...(o.labels || {}), ...(o.facts?.labels || {}) };
    this.queue = new WorkQueue<string>('node-agent', { baseDelayMs: 200, maxDelayMs: 10_000, registry: agentRegistry });
    this.probes = new ProbeManager({
      nodeName: o.nodeName,
      prober: o.prober || new DefaultProber(this.runtime),
      onChange: (uid) => this.queue.add(uid),
      onFailure: (t, kind, output) => {
        this.recorder.event(t.pod, 'Warning', 'Unhealthy', ProbeManager.eventMessage(kind, output));
      },
    });
    this.pleg = new Pleg({
      runtime: this.runtime,
      nodeName: o.nodeName,
      intervalMs: o.relistIntervalMs ?? 100,
      pidWatchMs: o.pidWatchIntervalMs ?? 20,
      onChange: (uids) => {
        for (const u of uids) this.queue.add(u);
      },
      onError: (err) => this.log(`relist failed: ${(err as Error).message}`),
    });
    this.heartbeat = new LeaseHeartbeat(o.client, o.nodeName, {
      durationSeconds: o.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_SECONDS,
      renewIntervalMs: o.leaseRenewIntervalMs ?? DEFAULT_LEASE_RENEW_INTERVAL_MS,
      onError: (err) => this.log(`lease renewal failed: ${(err as Error).message}`),
    });
  }

  get address(): string {
    return this.facts.address;
  }

  /** Registers the node, starts the heartbeat, the pod watch, PLEG and the workers. */
  async start(): Promise<void> {
    fs.mkdirSync(path.join(this.o.stateDir, 'pods'), { recursive: true });
    fs.mkdirSync(this.logRoot, { recursive: true });
    this.runtimeVersion = await this.runtime.version();
    const node = await registerNode(this.client, nodeObject(this.facts, await this.computeNodeStatus()));
    this.nodeUid = node.metadata?.uid || '';
    this.lastNodeFingerprint = statusFingerprint(node.status || {});
    this.lastNodeReport = Date.now();
    this.heartbeat.setOwner(this.nodeUid);
    await this.heartbeat.start();
    this.unregisterMetrics = registerAgentMetrics({
      nodeName: this.nodeName,
      runningPods: () => this.countRunningPods(),
      runningContainers: () => this.countRunningContainers(),
      containerUsage: () => this.usage.map((u) => ({ namespace: u.namespace, pod: u.pod, container: u.container, cpuSeconds: u.cpuSeconds, memoryBytes: u.memoryBytes })),
    });
    // First the runtime's view, then the API's: pods whose objects are gone are cleaned up by sync.
    await this.pleg.start();
    this.unsubscribe = this.podSource.subscribe(this.nodeName, (pod, deleted) => this.onPod(pod, deleted));
    if (this.ownSource) await this.ownSource.start();
    for (const p of this.podSource.list(this.nodeName)) this.onPod(p, false);
    // Re-adoption: every pod the runtime knows gets a sync, including ones whose API object is gone.
    for (const uid of this.pleg.allPods().keys()) this.queue.add(uid);
    this.workersDone = runWorkers(this.queue, this.o.workers ?? 8, (uid) => this.syncPod(uid), {
      controller: 'node-agent',
      onError: (uid, err) => {
        if (!this.stopped) this.log(`sync of pod ${String(uid)} failed: ${(err as Error).message}`);
      },
    });
    const every = (ms: number, fn: () => Promise<void>) => {
      if (!ms) return;
      const t = setInterval(() => {
        if (!this.stopped) fn().catch((err) => this.log((err as Error).message));
      }, ms);
      t.unref?.();
      this.timers.push(t);
    };
    every(this.o.resyncIntervalMs ?? 10_000, async () => {
      for (const uid of this.pods.keys()) this.queue.add(uid);
      this.crashBackoff.gc(Date.now());
      this.imageBackoff.gc(Date.now());
    });
    every(this.o.nodeStatusUpdateIntervalMs ?? 10_000, () => this.syncNodeStatus());
    every(this.o.statsIntervalMs ?? 10_000, () => this.collectStats());
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.heartbeat.stop();
    this.pleg.stop();
    this.probes.stop();
    this.unsubscribe?.();
    this.ownSource?.stop();
    this.queue.shutDown();
    await this.workersDone;
    this.unregisterMetrics?.();
    if (this.ownRecorder) await this.recorder.flush();
  }

  /** Pods bound to this node, as last seen from the API. */
  listPods(): Pod[] {
    return [...this.pods.values()];
  }

  findPod(namespace: string, name: string): Pod | undefined {
    for (const p of this.pods.values()) if (p.metadata?.namespace === namespace && p.metadata?.name === name) return p;
    return undefined;
  }

  observed(uid: string): ObservedPod | undefined {
    return this.pleg.allPods().get(uid);
  }

  containerUsage(): PodUsage[] {
    return this.usage;
  }

  nodeFacts(): NodeFacts {
    return this.facts;
  }

  private onPod(pod: Pod, deleted: boolean): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    if (deleted) this.pods.delete(uid);
    else {
      this.pods.set(uid, pod);
      if (!this.firstSeen.has(uid)) this.firstSeen.set(uid, Date.now());
    }
    this.queue.add(uid);
  }

  private countRunningPods(): number {
    let n = 0;
    for (const p of this.pleg.allPods().values()) if (p.sandboxes.some((s) => s.state === 'SANDBOX_READY')) n++;
    return n;
  }

  private countRunningContainers(): number {
    let n = 0;
    for (const p of this.pleg.allPods().values()) n += p.containers.filter((c) => c.state === 'CONTAINER_RUNNING').length;
    return n;
  }

  // ---------------------------------------------------------------- pod sync

  /** One level-based sync of one pod; the return value asks for a timed re-sync. */
  async syncPod(uid: string): Promise<{ requeueAfterMs?: number } | void> {
    if (this.stopped) return;
    const pod = this.pods.get(uid);
    // The PLEG cache is good enough unless this agent changed the pod since the last relist began:
    // nobody else creates or removes our objects, and exits trigger this sync from a relist.
    const observed = await this.pleg.observe(uid, this.lastActionAt.get(uid) ?? 0);
    if (!pod) {
      await this.cleanupOrphan(uid, observed);
      return;
    }
    const result = computePodActions(pod, observed, this.syncContext());
    let changedRuntime = false;
    let finalized = false;
    const state: SyncState = { observed, started: [], needsRelist: false };
    for (const a of result.actions) {
      if (this.stopped) return;
      if (a.type === 'FinalizeDeletion') {
        await this.finalizeDeletion(pod, observed);
        finalized = true;
        break;
      }
      let ok = false;
      try {
        ok = await this.apply(pod, a, result, state);
      } finally {
        if (!ok || (a.type !== 'CreateSandbox' && a.type !== 'StartContainer')) state.needsRelist = true;
        changedRuntime = true;
        this.lastActionAt.set(uid, Date.now());
      }
      if (!ok) break; // later actions depend on this one (a sandbox, an init container)
    }
    if (finalized || this.stopped) return;
    // When this sync only created and started things, it knows their statuses already; anything else
    // (kills, removals, failures) is read back with a fresh relist.
    let after = observed;
    if (changedRuntime && state.needsRelist) after = await this.pleg.observe(uid, Date.now());
    else if (changedRuntime) {
      after = sortObserved({
        uid,
        sandboxes: state.createdSandbox ? [state.createdSandbox, ...observed.sandboxes] : observed.sandboxes,
        containers: [...state.started, ...observed.containers],
      });
    }
    const podIP = after.sandboxes[0]?.state === 'SANDBOX_READY' ? after.sandboxes[0].ip : '';
    this.probes.syncPod(
      pod,
      after.containers.filter((c) => c.state === 'CONTAINER_RUNNING' && !c.init).map((c) => ({ containerId: c.id, name: c.name, startedAt: c.startedAt })),
      podIP,
    );
    const status = computePodStatus(pod, after, {
      now: Date.now(),
      runtimeName: this.runtimeVersion.runtimeName,
      hostIP: this.facts.address,
      probes: this.probes,
      waiting: result.waiting,
    });
    this.recordStartLatency(uid, pod, status);
    await this.writeStatus(pod, status);
    // Anything that changed the runtime gets one more pass, to see its effect and go on (next init container).
    if (changedRuntime) return { requeueAfterMs: Math.min(result.requeueAfterMs ?? 50, 50) };
    if (result.requeueAfterMs !== undefined) return { requeueAfterMs: result.requeueAfterMs };
  }

  private syncContext() {
    return {
      now: Date.now(),
      backoffRemaining: (k: string, t: number, now: number) => this.crashBackoff.remaining(k, t, now),
      backoffDelay: (k: string) => this.crashBackoff.delay(k),
      probes: this.probes,
      startBlocked: (k: string, now: number): StartBlock | undefined => {
        const b = this.startBlocks.get(k);
        if (!b) return undefined;
        if (b.until <= now) return undefined;
        return { reason: b.reason, message: b.message, remainingMs: b.until - now };
      },
    };
  }

  private recordStartLatency(uid: string, pod: Pod, status: PodStatus): void {
    if (this.startRecorded.has(uid)) return;
    const all = status.containerStatuses || [];
    if (status.phase !== 'Running' || !all.length || !all.every((c) => c.state?.running)) return;
    this.startRecorded.add(uid);
    const seen = this.firstSeen.get(uid);
    if (seen !== undefined && !pod.metadata?.deletionTimestamp) podStartDuration.observe({ node: this.nodeName }, (Date.now() - seen) / 1000);
  }

  /** Applies one action; false when the remaining actions of this sync must wait. */
  private async apply(pod: Pod, a: PodAction, result: SyncResult, state: SyncState): Promise<boolean> {
    switch (a.type) {
      case 'KillPod':
        await this.killPod(pod, a.gracePeriodSeconds);
        return true;
      case 'CreateSandbox':
        return this.createSandbox(pod, a.attempt, state);
      case 'StartContainer':
        return this.startContainer(pod, a, result, state);
      case 'KillContainer': {
        const msg = a.reason === 'Unknown' || a.reason === 'SpecChanged' ? `Stopping container ${a.name}` : a.message;
        this.recorder.event(pod, 'Normal', 'Killing', msg);
        await this.stopContainerQuietly(a.id, a.gracePeriodSeconds);
        return true;
      }
      case 'RemoveContainer':
        await this.removeContainerAndLog(a.id);
        return true;
      case 'RemoveSandbox':
        await this.runtime.stopPodSandbox(a.id).catch(() => undefined);
        await this.runtime.removePodSandbox(a.id).catch(ignoreNotFound);
        return true;
      case 'FinalizeDeletion':
        return true; // handled by syncPod
    }
  }

  private async stopContainerQuietly(id: string, grace: number): Promise<void> {
    try {
      await this.runtime.stopContainer(id, grace);
    } catch (err) {
      if (!(err instanceof RuntimeError && err.code === 5)) throw err;
    }
  }

  private async removeContainerAndLog(id: string): Promise<void> {
    let logPath = '';
    try {
      logPath = (await this.runtime.containerStatus(id)).logPath;
    } catch {
      /* gone */
    }
    await this.runtime.removeContainer(id).catch(ignoreNotFound);
    if (logPath) removeTree(logPath);
  }

  private async killPod(pod: Pod, grace: number): Promise<void> {
    const uid = pod.metadata?.uid || '';
    const obs = await this.pleg.observe(uid, Date.now());
    const running = obs.containers.filter((c) => c.state === 'CONTAINER_RUNNING');
    await Promise.all(
      running.map(async (c) => {
        this.recorder.event(pod, 'Normal', 'Killing', `Stopping container ${c.name}`);
        await this.stopContainerQuietly(c.id, grace);
      }),
    );
    for (const s of obs.sandboxes) {
      if (s.state === 'SANDBOX_READY') await this.runtime.stopPodSandbox(s.id);
    }
    this.probes.removePod(uid);
  }

  private async podData(pod: Pod): Promise<PodData> {
    const ns = pod.metadata?.namespace || 'default';
    const refs = referencedData(pod);
    const data: PodData = { configMaps: {}, secrets: {} };
    await Promise.all([
      ...refs.configMaps.map(async (name) => {
        try {
          const cm = await this.client.get<ConfigMap>(Resources.configmaps, ns, name);
          data.configMaps[name] = { ...(cm.data || {}) };
          for (const [k, v] of Object.entries(cm.binaryData || {})) data.configMaps[name]![k] = Buffer.from(v, 'base64').toString('utf8');
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }),
      ...refs.secrets.map(async (name) => {
        try {
          const s = await this.client.get<Secret>(Resources.secrets, ns, name);
          const d: Record<string, string> = {};
          for (const [k, v] of Object.entries(s.data || {})) d[k] = Buffer.from(v, 'base64').toString('utf8');
          for (const [k, v] of Object.entries(s.stringData || {})) d[k] = v;
          data.secrets[name] = d;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }),
    ]);
    return data;
  }

  private async createSandbox(pod: Pod, attempt: number, state: SyncState): Promise<boolean> {
    const uid = pod.metadata!.uid!;
    const dir = podDir(this.o.stateDir, uid);
    try {
      const data = await this.podData(pod);
      for (const [name, v] of volumeHostPaths(pod, dir)) {
        const vol = (pod.spec?.volumes || []).find((x) => x.name === name)!;
        prepareVolume(vol, v.path, data);
      }
    } catch (err) {
      this.recorder.event(pod, 'Warning', 'FailedMount', `MountVolume.SetUp failed: ${(err as Error).message}`);
      throw err;
    }
    const cfg = podSandboxConfig(pod, attempt, this.sandboxOpts);
    fs.mkdirSync(cfg.logDirectory, { recursive: true });
    try {
      const id = await this.runtime.runPodSandbox(cfg);
      if (attempt > 0) this.recorder.event(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
      const st = await this.runtime.podSandboxStatus(id);
      this.pleg.remember(st);
      state.sandbox = { id, ip: st.ip, attempt };
      state.createdSandbox = observedSandbox(st);
      if (!pod.spec?.hostNetwork) writeEtcHosts(path.join(dir, 'etc-hosts'), pod, st.ip);
      return true;
    } catch (err) {
      this.recorder.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(err as Error).message}`);
      throw err;
    }
  }

  private async ensureImage(pod: Pod, image: string, policy: string, key: string): Promise<boolean> {
    const present = await this.runtime.imageStatus(image);
    if (policy === 'Never') {
      if (present) return true;
      const msg = `Container image "${image}" is not present with pull policy of Never`;
      this.recorder.event(pod, 'Warning', 'ErrImageNeverPull', msg);
      this.startBlocks.set(key, { reason: 'ErrImageNeverPull', message: msg, until: Date.now() + 10_000 });
      return false;
    }
    if (present && policy !== 'Always') {
      this.recorder.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return true;
    }
    this.recorder.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const t0 = Date.now();
    try {
      await this.runtime.pullImage(image);
    } catch (err) {
      const msg = `Failed to pull image "${image}": ${(err as Error).message}`;
      this.recorder.event(pod, 'Warning', 'Failed', msg);
      const delay = this.imageBackoff.next(key, Date.now());
      this.startBlocks.set(key, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"`, until: Date.now() + delay });
      return false;
    }
    this.imageBackoff.delete(key);
    this.recorder.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${((Date.now() - t0) / 1000).toFixed(3)}s`);
    return true;
  }

  private async startContainer(pod: Pod, a: Extract<PodAction, { type: 'StartContainer' }>, result: SyncResult, state: SyncState): Promise<boolean> {
    const uid = pod.metadata!.uid!;
    const spec = (a.init ? pod.spec?.initContainers : pod.spec?.containers)?.find((c) => c.name === a.name);
    if (!spec) return false;
    const key = `${uid}/${a.name}`;
    const image = spec.image || '';
    const tag = image.includes('@') ? 'digest' : (/:([^/:]+)$/.exec(image)?.[1] ?? 'latest');
    const policy = spec.imagePullPolicy || (tag === 'latest' ? 'Always' : 'IfNotPresent');
    if (!(await this.ensureImage(pod, image, policy, key))) {
      const b = this.startBlocks.get(key);
      if (b) result.waiting[a.name] = { reason: b.reason === 'ImagePullBackOff' ? 'ErrImagePull' : b.reason, message: b.message };
      return false;
    }
    // The sandbox this sync created, else the ready one it observed (sync.ts only starts containers then).
    const sandbox = state.sandbox ?? state.observed.sandboxes.find((s) => s.state === 'SANDBOX_READY');
    if (!sandbox) return false;
    const dir = podDir(this.o.stateDir, uid);
    let cfgEnv: { name: string; value: string }[];
    let mounts;
    try {
      const data = await this.podData(pod);
      cfgEnv = resolveEnv(pod, spec, { podIP: sandbox.ip, hostIP: this.facts.address, nodeName: this.nodeName, data });
      mounts = containerMounts(spec, volumeHostPaths(pod, dir));
    } catch (err) {
      const msg = (err as Error).message;
      this.recorder.event(pod, 'Warning', 'Failed', `Error: ${msg}`);
      this.startBlocks.set(key, { reason: 'CreateContainerConfigError', message: msg, until: Date.now() + 2000 });
      result.waiting[a.name] = { reason: 'CreateContainerConfigError', message: msg };
      return false;
    }
    const etcHosts = path.join(dir, 'etc-hosts');
    if (!pod.spec?.hostNetwork && fs.existsSync(etcHosts) && !mounts.some((m) => m.containerPath === '/etc/hosts')) {
      mounts.push({ containerPath: '/etc/hosts', hostPath: etcHosts, readonly: false });
    }
    const sandboxCfg = podSandboxConfig(pod, sandbox.attempt, this.sandboxOpts);
    const cfg = containerConfig(pod, spec, a.init, a.attempt, { nodeName: this.nodeName, env: cfgEnv, mounts, gracePeriodSeconds: gracePeriodSeconds(pod) });
    fs.mkdirSync(path.join(sandboxCfg.logDirectory, a.name), { recursive: true });
    let id: string;
    try {
      id = await this.runtime.createContainer(sandbox.id, cfg, sandboxCfg);
    } catch (err) {
      const msg = (err as Error).message;
      this.recorder.event(pod, 'Warning', 'Failed', `Error: ${msg}`);
      this.startBlocks.set(key, { reason: 'CreateContainerError', message: msg, until: Date.now() + 2000 });
      result.waiting[a.name] = { reason: 'CreateContainerError', message: msg };
      return false;
    }
    this.recorder.event(pod, 'Normal', 'Created', `Created container ${a.name}`);
    if (a.backoffKey && a.crashedAt !== undefined) this.crashBackoff.next(a.backoffKey, a.crashedAt);
    try {
      await this.runtime.startContainer(id);
    } catch (err) {
      const msg = (err as Error).message;
      this.recorder.event(pod, 'Warning', 'Failed', `Error: ${msg}`);
      result.waiting[a.name] = { reason: 'RunContainerError', message: msg };
      return false;
    }
    this.startBlocks.delete(key);
    this.recorder.event(pod, 'Normal', 'Started', `Started container ${a.name}`);
    const st = await this.runtime.containerStatus(id);
    this.pleg.rememberContainer(st);
    state.started.push(observedContainer(st));
    return true;
  }

  /** Everything is stopped: remove runtime objects and host files, then the API object. */
  private async finalizeDeletion(pod: Pod, observed: ObservedPod): Promise<void> {
    const uid = pod.metadata!.uid!;
    await this.removeAll(uid, observed, podCgroupParent(this.sandboxOpts.cgroupRoot, uid), podLogDirectory(this.logRoot, pod));
    try {
      // The uid check and grace 0 go in the query and a GET, not a DeleteOptions body: lib/client sends a
      // DELETE body without Content-Length, which Node's HTTP server cannot frame (400).
      const cur = await this.client.get<Pod>(Resources.pods, pod.metadata?.namespace, pod.metadata!.name!);
      if (cur.metadata?.uid === uid) {
        await this.client.request('DELETE', resourcePath(Resources.pods, { namespace: pod.metadata?.namespace, name: pod.metadata!.name! }), {
          query: { gracePeriodSeconds: 0 },
        });
      }
    } catch (err) {
      // Already gone, or a new pod with the same name (precondition failed): ours is gone either way.
      if (!isNotFound(err) && !(err instanceof ApiError && err.code === 409)) throw err;
    }
    this.forget(uid);
  }

  private forget(uid: string): void {
    this.firstSeen.delete(uid);
    this.lastActionAt.delete(uid);
    this.startRecorded.delete(uid);
    this.crashBackoff.deletePrefix(`${uid}/`);
    this.imageBackoff.deletePrefix(`${uid}/`);
    for (const k of this.startBlocks.keys()) if (k.startsWith(`${uid}/`)) this.startBlocks.delete(k);
    this.probes.removePod(uid);
  }

  private async removeAll(uid: string, observed: ObservedPod, cgroupParent: string, logDir?: string): Promise<void> {
    for (const c of observed.containers) {
      if (c.state === 'CONTAINER_RUNNING') await this.stopContainerQuietly(c.id, 0);
    }
    for (const s of observed.sandboxes) {
      await this.runtime.stopPodSandbox(s.id).catch(ignoreNotFound);
      await this.runtime.removePodSandbox(s.id).catch(ignoreNotFound);
    }
    // Containers outside a known sandbox (should not happen) are removed one by one.
    for (const c of observed.containers) {
      if (!observed.sandboxes.some((s) => s.id === c.podSandboxId)) await this.runtime.removeContainer(c.id).catch(ignoreNotFound);
    }
    if (this.cgroupFs) removePodCgroups(this.cgroupFs, cgroupParent);
    removeTree(podDir(this.o.stateDir, uid));
    if (logDir) removeTree(logDir);
    else {
      // The pod object is gone, so find its log directory by uid.
      try {
        for (const d of fs.readdirSync(this.logRoot)) if (d.endsWith(`_${uid}`)) removeTree(path.join(this.logRoot, d));
      } catch {
        /* none */
      }
    }
  }

  /** The runtime has objects of a pod the API no longer has: stop and remove them. */
  private async cleanupOrphan(uid: string, observed: ObservedPod): Promise<void> {
    if (!this.podSource.hasSynced()) return;
    if (!observed.sandboxes.length && !observed.containers.length) {
      this.forget(uid);
      return;
    }
    // Stop gracefully first: a pod deleted with grace 0 by someone else still gets a short stop.
    await Promise.all(observed.containers.filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => this.stopContainerQuietly(c.id, 2)));
    await this.removeAll(uid, observed, podCgroupParent(this.sandboxOpts.cgroupRoot, uid));
    this.forget(uid);
  }

  // ---------------------------------------------------------------- status

  /** Writes the fields the agent owns, only when they differ from what the API has. */
  private async writeStatus(pod: Pod, status: PodStatus): Promise<void> {
    const old = (pod.status || {}) as Record<string, unknown>;
    const next = status as Record<string, unknown>;
    const patch: Record<string, unknown> = {};
    for (const k of Object.keys(next)) {
      if (JSON.stringify(old[k]) !== JSON.stringify(next[k])) patch[k] = next[k];
    }
    if (!Object.keys(patch).length) return;
    const md = pod.metadata!;
    try {
      const updated = await this.client.patch<Pod>(Resources.pods, md.namespace, md.name!, { metadata: { uid: md.uid }, status: patch }, 'merge', 'status');
      if (updated?.metadata?.uid === md.uid) this.pods.set(md.uid!, updated);
    } catch (err) {
      if (isNotFound(err)) return;
      if (err instanceof ApiError && (err.code === 415 || err.code === 405)) {
        // A server without merge patch on status: a full PUT of the status.
        const cur = await this.client.get<Pod>(Resources.pods, md.namespace, md.name!);
        if (cur.metadata?.uid !== md.uid) return;
        const updated = await this.client.update<Pod>(Resources.pods, { ...cur, status: { ...cur.status, ...status } }, 'status');
        this.pods.set(md.uid!, updated);
        return;
      }
      throw err;
    }
  }

  // ---------------------------------------------------------------- node

  private async computeNodeStatus(): Promise<NodeStatus> {
    let rs = { runtimeReady: false, networkReady: false, message: 'runtime status unknown' } as Awaited<ReturnType<ContainerRuntime['status']>>;
    try {
      rs = await this.runtime.status();
    } catch (err) {
      rs = { runtimeReady: false, networkReady: false, message: (err as Error).message };
    }
    const s = nodeStatus(this.facts, this.runtimeVersion, rs, Date.now(), this.lastNodeStatus);
    this.lastNodeStatus = s;
    return s;
  }

  /** Stops (or resumes) Node status updates, e.g. to simulate a silent node. */
  pauseNodeStatus(paused: boolean): void {
    this.nodeStatusPaused = paused;
  }

  /** Sends the node status when it changed, or every nodeStatusReportInterval (heartbeat times). */
  async syncNodeStatus(force = false): Promise<void> {
    if (this.nodeStatusPaused) return;
    const s = await this.computeNodeStatus();
    const fp = statusFingerprint(s);
    const due = Date.now() - this.lastNodeReport >= (this.o.nodeStatusReportIntervalMs ?? 60_000);
    if (!force && !due && fp === this.lastNodeFingerprint) return;
    await updateNodeStatus(this.client, this.nodeName, s);
    this.lastNodeFingerprint = fp;
    this.lastNodeReport = Date.now();
  }

  /** Polls CRI stats for metrics and /stats/summary. */
  async collectStats(): Promise<void> {
    const stats: ContainerStats[] = await this.runtime.containerStats();
    const byId = new Map<string, { uid: string; name: string }>();
    for (const p of this.pleg.allPods().values()) for (const c of p.containers) byId.set(c.id, { uid: p.uid, name: c.name });
    const out: PodUsage[] = [];
    for (const s of stats) {
      const c = byId.get(s.id);
      if (!c) continue;
      const pod = this.pods.get(c.uid);
      out.push({
        namespace: pod?.metadata?.namespace || '',
        pod: pod?.metadata?.name || '',
        uid: c.uid,
        container: c.name,
        containerId: s.id,
        cpuSeconds: s.cpuUsageCoreNanoSeconds / 1e9,
        memoryBytes: s.memoryWorkingSetBytes,
        timestamp: s.timestamp,
      });
    }
    this.usage = out;
  }

  /** The newest instance of a pod's container (and the one before), for logs. */
  containerFor(pod: Pod, name: string, previous: boolean): { id: string; logPath: string; running: boolean } | undefined {
    const obs = this.pleg.allPods().get(pod.metadata?.uid || '');
    if (!obs) return undefined;
    const init = !(pod.spec?.containers || []).some((c) => c.name === name);
    const list = obs.containers.filter((c) => c.name === name && c.init === init);
    const c = previous ? list[1] : list[0];
    if (!c) return undefined;
    return { id: c.id, logPath: c.logPath, running: c.state === 'CONTAINER_RUNNING' };
  }

  /** Is the container still running (for log follow)? */
  isContainerRunning(uid: string, id: string): boolean {
    const obs = this.pleg.allPods().get(uid);
    return !!obs && obs.containers.some((c) => c.id === id && c.state === 'CONTAINER_RUNNING');
  }

  newest(uid: string, name: string) {
    const obs = this.pleg.allPods().get(uid);
    return obs ? newestContainer(obs, name, false) : undefined;
  }
}

function ignoreNotFound(err: unknown): void {
  if (err instanceof RuntimeError && err.code === 5) return;
  throw err;
}
