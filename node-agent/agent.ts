// The node agent (steer's kubelet): registers the Node, heartbeats its Lease, and turns the pods bound
// to the node into sandboxes and containers. Pod informer events, PLEG relists and probe flips only
// enqueue a pod uid; a worker then syncs that pod level-based: observe the runtime (a relist newer
// than the moment it started), ask the pure core (sync.ts) what to do, have PodActions apply the
// actions through the ContainerRuntime, and write the status computed by status.ts when it changed
// (status-writer.ts). This file is the loop and the wiring; node-agent/README.md maps the rest.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Pod, PodStatus, Service } from 'kubernetes-types/core/v1';
import type { KubeClient } from '../lib/client/client';
import type { SharedInformerFactory } from '../lib/client/shared-informers';
import { Resources } from '../lib/api/resources';
import { EventRecorder } from '../lib/client/events';
import { WorkQueue } from '../lib/client/workqueue';
import { runWorkers } from '../lib/client/controller';
import type { BackoffOptions } from './backoff';
import { agentRegistry, instrumentRuntime, POD_START_PHASES, podStartDuration, podStartPhaseDuration, registerAgentMetrics } from './metrics';
import { hostFacts, LeaseHeartbeat, NodeFacts, NodeStatusManager } from './node-status';
import { newestContainer, ObservedPod, sortObserved } from './observed';
import { Pleg } from './pleg';
import { newSyncState, PodActions, SyncState, timePhase } from './pod-actions';
import { ApiPodData } from './pod-data';
import { InformerPodSource, PodSource } from './pod-source';
import { HeldEvents } from './images';
import { ensureMemoryRoot } from './host-files';
import { parseResolvConf, podIPOf } from './podspec';
import { TerminationMessages } from './termination-message';
import { DefaultProber, ProbeManager, Prober } from './probes';
import type { ContainerRuntime } from './runtime/runtime';
import { collectUsage, type PodUsage } from './stats';
import { computePodStatus } from './status';
import { StatusWriter } from './status-writer';
import { computePodActions, SyncResult, Waiting } from './sync';
import { isPodTerminal } from '../lib/api/pod';
import { type AgentTermination, DeadlineExceeded, endedByAgent, msUntilActiveDeadline } from './pod-termination';
import { EvictionManager, type EvictionOptions } from './eviction/manager';
import { DefaultImageGcPolicy, ImageGarbageCollector, type ImageGcPolicy } from './image-gc';
import { ServiceEnvSource } from './service-env';
import { apiTokenRequester, ServiceAccountTokenManager } from './volumes/tokens';
import { podTokenRequests } from './volumes/projection';
import { localPathRoot, sweepLocalPathVolumes } from './volumes/local-path';
import { LocalPathRootAnnotation } from '../lib/api/storage';
import { readHostUsage, type HostUsage } from './host-stats';

// Kubernetes' heartbeat: the kubelet renews its 40 s Lease every 10 s (a quarter of it), and the node
// lifecycle controller's 40 s grace period (controllers/node-lifecycle.ts) sees four renewals in it, so a
// slow apiserver or a loaded node does not get the node's pods evicted. An idle node's heartbeat is then
// 6 writes a minute (it was 30 with a 2 s renewal and a 5 s grace); a lost node is noticed in 40–45 s.
export const DEFAULT_LEASE_RENEW_INTERVAL_MS = 10_000;
export const DEFAULT_LEASE_DURATION_SECONDS = 40;

export interface NodeAgentOptions {
  client: KubeClient;
  nodeName: string;
  runtime: ContainerRuntime;
  /**
   * Pod directories (volumes, /etc/hosts) live under <stateDir>/pods/<uid>; secret, projected and
   * downwardAPI volumes and emptyDirs of medium Memory under <stateDir>/memory/<uid> (host-files.ts
   * podMemoryDir).
   */
  stateDir: string;
  /**
   * Mount a tmpfs on <stateDir>/memory at start (unless it is one already), so secret, projected and
   * downwardAPI volumes (service-account tokens among them) stay in memory as the kubelet keeps them,
   * and each emptyDir of medium Memory gets a tmpfs of its own, sized as the kubelet sizes it. Needs
   * CAP_SYS_ADMIN; without it, or off (tests, hollow nodes), they stay on disk. Whoever removes
   * the state dir unmounts it first (`steer down`, the runtime teardown for a dir under it).
   */
  tmpfsVolumes?: boolean;
  /**
   * The node's CPU and memory in its Summary (`kubectl top nodes`) from the host's /proc, as the kubelet
   * reports its root cgroup; off (tests, hollow nodes sharing one machine): the sum of its pods'.
   */
  hostUsage?: boolean;
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
  /** How often the Node status is re-sent even when nothing changed (default 5 min, kubelet's nodeStatusReportFrequency: the Lease is the heartbeat). */
  nodeStatusReportIntervalMs?: number;
  /** How often unchanged things are checked (node status, runtime health). Default 10 s. */
  nodeStatusUpdateIntervalMs?: number;
  /** PLEG relist period (default 100 ms; with the runtime's exit events it backs off to 60 s while nothing changes). */
  relistIntervalMs?: number;
  /** How often host PIDs of running containers are checked for a fast exit when the runtime has no exit events (default 20 ms; 0 = off). */
  pidWatchIntervalMs?: number;
  /** Every pod is re-synced this often even without events (default 60 s, kubelet's syncFrequency: changes come as events). */
  resyncIntervalMs?: number;
  /**
   * How often what the runtime runs is checked against the pods the source holds, and what belongs to
   * no pod is removed (default 2 s, kubelet's housekeeping period).
   */
  housekeepingIntervalMs?: number;
  backoff?: BackoffOptions;
  imageBackoff?: BackoffOptions;
  clusterDNS?: string[];
  clusterDomain?: string;
  resolvConf?: string;
  /**
   * Pods synced at once (default: the node's maxPods, as the kubelet gives every pod a worker of its own).
   * With 16, a 3 → 30 scale-up's last 11 pods waited for the first 16 starts to end, seconds under load,
   * while containerd starts 27 at once in the CRI floor.
   */
  workers?: number;
  podSource?: PodSource;
  prober?: Prober;
  events?: EventRecorder;
  /** CRI stats poll period for metrics and /stats/summary (default 10 s; 0 = off). */
  statsIntervalMs?: number;
  /** How often local-path volume directories whose PersistentVolume is gone are removed (default 10 s). */
  localPathSweepIntervalMs?: number;
  /** The Services for containers' service variables; shared by hollow nodes (default: the agent's own informer). */
  services?: ServiceEnvSource;
  /**
   * Informers shared with the other components of this process (`steer server`): the Services for the
   * service variables, the service proxy and cluster DNS (with their Endpoints) come from them instead
   * of watches of the agent's own. Left running when the agent stops.
   */
  informers?: SharedInformerFactory;
  /** Service-account tokens for projected volumes (default: the agent's own manager on the TokenRequest API). */
  tokens?: ServiceAccountTokenManager;
  /** How often running pods' configMap, secret, downwardAPI and projected volumes are rewritten (default 60 s). */
  volumeRefreshIntervalMs?: number;
  /**
   * Node-pressure eviction (eviction/manager.ts: thresholds, MemoryPressure/DiskPressure/PIDPressure,
   * pods evicted). Off unless given: it reads the host's memory, disk and PIDs, which hollow nodes and
   * test agents sharing one machine must not act on; `steer server` and `steer node-agent --runtime cri`
   * turn it on with the kubelet's defaults.
   */
  eviction?: EvictionOptions;
  /**
   * Image garbage collection (image-gc.ts: unused images removed, least recently used first, when the
   * image filesystem — the state dir's unless imageFsPath says — is fuller than the high threshold).
   * Off unless given, as eviction; `steer server` and `steer node-agent --runtime cri` turn it on.
   */
  imageGc?: Partial<ImageGcPolicy> & { protectedImages?: string[]; imageFsPath?: string; intervalMs?: number };
  log?: (msg: string) => void;
}

export class NodeAgent {
  readonly nodeName: string;
  readonly runtime: ContainerRuntime;
  readonly client: KubeClient;
  readonly probes: ProbeManager;
  readonly pleg: Pleg;
  readonly queue: WorkQueue<string>;
  readonly heartbeat: LeaseHeartbeat;
  private readonly actions: PodActions;
  private readonly tokens: ServiceAccountTokenManager;
  /** The memory dir is a tmpfs (known once start has mounted it). */
  private memoryBacked = false;
  private readonly nodeStatus: NodeStatusManager;
  private readonly statusWriter: StatusWriter;
  private readonly pods = new Map<string, Pod>();
  /** When each pod was first seen bound to this node (performance.now()), until its containers all ran. */
  private readonly firstSeen = new Map<string, number>();
  private readonly terminationMessages: TerminationMessages;
  /**
   * Pods whose object this agent's final DELETE removed, until the watch reports them gone. A sync
   * woken in between (the relist seeing the sandbox gone, a late watch event) has nothing left to do;
   * before, each sent the DELETE again and got a 404: about one per pod under churn.
   */
  private readonly deletedFromApi = new Set<string>();
  private readonly startRecorded = new Set<string>();
  /** Pods the agent ends itself (evictions), by uid, until they are gone. */
  private readonly endings = new Map<string, AgentTermination>();
  private readonly eviction?: EvictionManager;
  private readonly imageGc?: ImageGarbageCollector;
  private nodeUid = '';
  private readonly recorder: EventRecorder;
  private readonly ownRecorder: boolean;
  private readonly podSource: PodSource;
  private readonly ownSource?: InformerPodSource;
  private readonly services: ServiceEnvSource;
  private readonly ownServices: boolean;
  private readonly logRoot: string;
  private readonly facts: NodeFacts;
  private unsubscribe?: () => void;
  private unregisterMetrics?: () => void;
  private timers: NodeJS.Timeout[] = [];
  private workersDone?: Promise<void>;
  private stopped = false;
  private usage: PodUsage[] = [];
  private usageReadAt = 0;
  private usageCollectedAt = 0;
  private readonly log: (msg: string) => void;

  constructor(private readonly o: NodeAgentOptions) {
    this.nodeName = o.nodeName;
    this.client = o.client;
    this.runtime = instrumentRuntime(o.runtime, o.nodeName);
    this.log = o.log || ((m) => console.error(`node-agent ${o.nodeName}: ${m}`));
    this.ownRecorder = !o.events;
    this.recorder = o.events || new EventRecorder(o.client, { component: 'kubelet', host: o.nodeName });
    if (o.podSource) this.podSource = o.podSource;
    else this.podSource = this.ownSource = new InformerPodSource(o.client, o.nodeName);
    this.logRoot = o.logRoot || path.join(o.stateDir, 'pod-logs');
    this.terminationMessages = new TerminationMessages(o.stateDir);
    this.ownServices = !o.services;
    this.services = o.services ?? new ServiceEnvSource(o.client, o.informers?.informerFor<Service>(Resources.services));
    let hostDns = { servers: [] as string[], searches: [] as string[], options: [] as string[] };
    try {
      hostDns = parseResolvConf(fs.readFileSync(o.resolvConf || '/etc/resolv.conf', 'utf8'));
    } catch {
      /* no host resolver config */
    }
    this.facts = {
      ...hostFacts(o.nodeName, { address: o.address, port: o.port ?? 10250, maxPods: o.maxPods, stateDir: o.stateDir }),
      podCIDR: o.podCIDR,
      // The local-path provisioner puts this node's volumes under this directory (volumes/local-path.ts).
      annotations: { [LocalPathRootAnnotation]: localPathRoot(o.stateDir) },
      ...o.facts,
    };
    this.facts.labels = { ...(o.labels || {}), ...(o.facts?.labels || {}) };
    this.nodeStatus = new NodeStatusManager(o.client, this.runtime, this.facts, o.nodeStatusReportIntervalMs ?? 5 * 60_000);
    this.statusWriter = new StatusWriter(o.client);
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
    this.tokens = o.tokens ?? new ServiceAccountTokenManager(apiTokenRequester(o.client));
    this.actions = new PodActions({
      nodeName: o.nodeName,
      hostIP: this.facts.address,
      runtime: this.runtime,
      recorder: this.recorder,
      pleg: this.pleg,
      probes: this.probes,
      data: new ApiPodData(o.client),
      deleter: this.statusWriter,
      stateDir: o.stateDir,
      sandbox: {
        nodeName: o.nodeName,
        logRoot: this.logRoot,
        cgroupRoot: o.cgroupRoot || '/steerpods',
        clusterDNS: o.clusterDNS || [],
        clusterDomain: o.clusterDomain || 'cluster.local',
        hostDns,
      },
      cgroupFs: o.cgroupFs === undefined ? '/sys/fs/cgroup' : o.cgroupFs,
      backoff: o.backoff,
      imageBackoff: o.imageBackoff,
      tokens: this.tokens,
      serviceEnv: (pod) => this.services.envFor(pod),
      volumeRefreshIntervalMs: o.volumeRefreshIntervalMs,
      memoryBacked: () => this.memoryBacked,
      onForget: (uid) => {
        this.terminationMessages.forget(uid);
        this.firstSeen.delete(uid);
        this.startRecorded.delete(uid);
        this.recorder.forgetObject(uid);
        this.endings.delete(uid);
      },
    });
    if (o.imageGc) {
      const fsPath = o.imageGc.imageFsPath ?? o.stateDir;
      this.imageGc = new ImageGarbageCollector({ ...DefaultImageGcPolicy, ...o.imageGc }, {
        runtime: this.runtime,
        observed: () => this.pleg.allPods().values(),
        filesystem: () => {
          const st = fs.statfsSync(fsPath);
          return { capacity: st.blocks * st.bsize, available: st.bavail * st.bsize };
        },
        protectedImages: o.imageGc.protectedImages ?? [],
        failed: (message) => this.recorder.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: this.nodeName, uid: this.nodeUid } }, 'Warning', 'FreeDiskSpaceFailed', message),
        log: this.log,
      });
    }
    if (o.eviction) {
      const imageGc = this.imageGc;
      this.eviction = new EvictionManager({ ...o.eviction, stateDir: o.stateDir }, {
        reclaimDisk: imageGc ? () => imageGc.freeAll().then(() => undefined) : undefined,
        activePods: () => [...this.pods.entries()].filter(([uid, p]) => !isPodTerminal(p) && !p.metadata?.deletionTimestamp && !this.endings.has(uid)).map(([, p]) => p),
        usage: () => collectUsage(this.runtime, this.pleg.allPods(), (uid) => this.pods.get(uid)),
        evict: (pod, e) => this.evict(pod, e),
        pressureChanged: () => void this.syncNodeStatus(true).catch((err: Error) => this.log(`node status: ${err.message}`)),
        log: this.log,
      });
      const eviction = this.eviction;
      this.nodeStatus.pressures = () => eviction.pressures();
    }
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
    this.memoryBacked = await ensureMemoryRoot(this.o.stateDir, !!this.o.tmpfsVolumes, this.log);
    const node = await this.nodeStatus.register();
    this.nodeUid = node.metadata?.uid || '';
    this.heartbeat.setOwner(this.nodeUid);
    await this.heartbeat.start();
    this.unregisterMetrics = registerAgentMetrics({
      nodeName: this.nodeName,
      runningPods: () => this.countRunningPods(),
      runningContainers: () => this.countRunningContainers(),
      containerUsage: () => this.containerUsage().map((u) => ({ namespace: u.namespace, pod: u.pod, container: u.container, cpuSeconds: u.cpuSeconds, memoryBytes: u.memoryBytes })),
    });
    // First the runtime's view, then the API's: pods whose objects are gone are cleaned up by sync.
    await this.pleg.start();
    // Containers need the service variables: list Services before the first pod is synced, but never wait
    // long for it (a node that may not list Services still runs its pods' sandboxes; their containers
    // wait with CreateContainerConfigError, as the kubelet's do, until the list succeeds).
    if (this.ownServices) {
      let timer: NodeJS.Timeout | undefined;
      const listed = this.services.start().catch((err: unknown) => this.log(`listing services failed: ${(err as Error).message}`));
      await Promise.race([listed, new Promise<void>((resolve) => (timer = setTimeout(resolve, 5000)))]);
      clearTimeout(timer);
    }
    this.unsubscribe = this.podSource.subscribe(this.nodeName, (pod, deleted) => this.onPod(pod, deleted));
    if (this.ownSource) await this.ownSource.start();
    for (const p of this.podSource.list(this.nodeName)) this.onPod(p, false);
    // Re-adoption: every pod the runtime knows gets a sync, including ones whose API object is gone.
    for (const uid of this.pleg.allPods().keys()) this.queue.add(uid);
    this.workersDone = runWorkers(this.queue, this.o.workers ?? this.facts.maxPods, (uid) => this.syncPod(uid), {
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
    every(this.o.resyncIntervalMs ?? 60_000, async () => {
      for (const uid of this.pods.keys()) this.queue.add(uid);
      this.actions.gc(Date.now());
    });
    // Housekeeping (kubelet's HandlePodCleanups): the runtime's pods that the source no longer has are
    // synced, which removes them. A delete is otherwise noticed only through its notification; one that
    // never arrives (a handler that missed it, a watch that lost it) would leave the pod running forever,
    // since a running container that does not change gives the PLEG nothing to report.
    every(this.o.housekeepingIntervalMs ?? 2000, async () => {
      if (!this.podSource.hasSynced()) return;
      const desired = new Set(this.podSource.list(this.nodeName).map((p) => p.metadata?.uid));
      for (const uid of this.pleg.allPods().keys()) {
        if (desired.has(uid)) continue;
        this.pods.delete(uid);
        this.queue.add(uid);
      }
    });
    every(this.o.nodeStatusUpdateIntervalMs ?? 10_000, () => this.syncNodeStatus());
    // CRI stats cost containerd a walk of every container's cgroups: polled only while someone reads
    // them (a Prometheus scrape, /stats/summary); an idle node does not pay for them.
    const statsEvery = this.o.statsIntervalMs ?? 10_000;
    every(statsEvery, async () => {
      if (Date.now() - this.usageReadAt < 3 * statsEvery) await this.collectStats();
    });
    every(this.o.localPathSweepIntervalMs ?? 10_000, () => sweepLocalPathVolumes(localPathRoot(this.o.stateDir), this.o.client).then(() => undefined));
    this.eviction?.start();
    // The kubelet's ImageGCPeriod.
    if (this.imageGc) {
      const gc = this.imageGc;
      every(this.o.imageGc?.intervalMs ?? 5 * 60_000, () => gc.collect().then(() => undefined));
    }
  }

  /** The image garbage collector (when on): tests drive its passes. */
  get imageGarbageCollector(): ImageGarbageCollector | undefined {
    return this.imageGc;
  }

  /** Ends a pod on the eviction manager's word: the next sync stops it and writes its Failed status. */
  evict(pod: Pod, eviction: AgentTermination): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    this.endings.set(uid, eviction);
    this.recorder.event(pod, 'Warning', eviction.reason, eviction.message);
    this.queue.add(uid);
  }

  /** The eviction manager (when on): tests drive its passes. */
  get evictionManager(): EvictionManager | undefined {
    return this.eviction;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.eviction?.stop();
    this.heartbeat.stop();
    this.pleg.stop();
    this.probes.stop();
    this.unsubscribe?.();
    this.ownSource?.stop();
    if (this.ownServices) this.services.stop();
    this.queue.shutDown();
    await this.workersDone;
    this.unregisterMetrics?.();
    if (this.ownRecorder) await this.recorder.flush();
  }

  /** Sizes of everything the agent keeps per pod or container: after churn, only live pods' (tests, soak). */
  bookkeeping(): Record<string, number> {
    return {
      pods: this.pods.size,
      firstSeen: this.firstSeen.size,
      deletedFromApi: this.deletedFromApi.size,
      startRecorded: this.startRecorded.size,
      plegPods: this.pleg.allPods().size,
      queue: this.queue.tracked(),
      // What the event recorder keeps per pod (shared by hollow nodes: then every agent's pods).
      eventsSeen: this.recorder.cached('Pod').seen,
      eventsSimilar: this.recorder.cached('Pod').similar,
      ...this.actions.bookkeeping(),
    };
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

  /** The last CRI stats (polling goes on while they are read; see start()). */
  containerUsage(): PodUsage[] {
    this.usageReadAt = Date.now();
    return this.usage;
  }

  /** Stats no older than `maxAgeMs` (default the stats interval): collected now when they are. */
  async freshContainerUsage(maxAgeMs = this.o.statsIntervalMs ?? 10_000): Promise<PodUsage[]> {
    if (Date.now() - this.usageCollectedAt > maxAgeMs) await this.collectStats();
    return this.containerUsage();
  }

  nodeFacts(): NodeFacts {
    return this.facts;
  }

  /** The whole node's usage now (hostUsage), or undefined: the Summary then sums the pods'. */
  nodeUsage(): HostUsage | undefined {
    if (!this.o.hostUsage) return undefined;
    try {
      return readHostUsage();
    } catch {
      return undefined;
    }
  }

  private onPod(pod: Pod, deleted: boolean): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    if (deleted) {
      this.pods.delete(uid);
      this.deletedFromApi.delete(uid);
    } else {
      if (this.deletedFromApi.has(uid)) return; // news older than its final DELETE
      this.pods.set(uid, pod);
      if (!this.firstSeen.has(uid)) this.firstSeen.set(uid, performance.now());
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

  /** The deleted pod's last step: nothing of it left on the node, its object deleted. */
  private async finalizeDeletion(pod: Pod, observed: ObservedPod): Promise<void> {
    await this.actions.finalizeDeletion(pod, observed);
    const uid = pod.metadata!.uid!;
    // Unless the watch has reported it gone meanwhile.
    if (this.pods.has(uid)) this.deletedFromApi.add(uid);
  }

  /** One level-based sync of one pod; the return value asks for a timed re-sync. */
  async syncPod(uid: string): Promise<{ requeueAfterMs?: number } | void> {
    if (this.stopped) return;
    const syncStart = performance.now();
    const pod = this.pods.get(uid);
    if (pod && this.deletedFromApi.has(uid)) return;
    // The PLEG cache is good enough unless this agent changed the pod since the last relist began:
    // nobody else creates or removes our objects, and exits trigger this sync from a relist.
    const observed = await this.pleg.observe(uid, this.actions.lastChanged(uid));
    if (!pod) {
      if (!this.podSource.hasSynced()) return;
      const { retryAfterMs } = await this.actions.cleanupOrphan(uid, observed);
      if (retryAfterMs !== undefined) return { requeueAfterMs: retryAfterMs };
      return;
    }
    // An evicted pod, or one past its active deadline, is ended here: the sync sees it terminal, stops it
    // and writes the terminal status; before the deadline, the pod is synced again at it.
    const untilDeadline = msUntilActiveDeadline(pod, Date.now());
    const ending = isPodTerminal(pod) ? undefined : (this.endings.get(uid) ?? (untilDeadline !== undefined && untilDeadline <= 0 ? DeadlineExceeded : undefined));
    const subject = ending ? endedByAgent(pod, ending) : pod;
    if (ending === DeadlineExceeded) this.recorder.event(pod, 'Normal', DeadlineExceeded.reason, DeadlineExceeded.message);
    const result = computePodActions(subject, observed, this.actions.syncContext());
    if (untilDeadline !== undefined && untilDeadline > 0) result.requeueAfterMs = Math.min(result.requeueAfterMs ?? untilDeadline, untilDeadline);
    const state = newSyncState(observed);
    const firstAction = result.actions[0];
    const seen = this.firstSeen.get(uid);
    // A new pod's first start: its phases are timed (steer_node_agent_pod_start_phase_seconds).
    if (firstAction?.type === 'CreateSandbox' && firstAction.attempt === 0 && seen !== undefined && !this.startRecorded.has(uid)) state.phases = { queued: syncStart - seen };
    if (result.actions.some((x) => x.type === 'StartContainer')) state.startEvents = new HeldEvents();
    try {
      return await this.act(uid, pod, observed, result, state, subject);
    } finally {
      // The last started container's Created and Started events: after the status write (or whatever ended the sync).
      state.startEvents?.release(this.recorder);
    }
  }

  /**
   * One sync's actions through PodActions, then the pod's status computed and written. subject is the
   * pod as the sync decides on it (the pod itself, or the pod as the agent ended it); the status is
   * written against the pod as the API has it.
   */
  private async act(uid: string, pod: Pod, observed: ObservedPod, result: SyncResult, state: SyncState, subject: Pod = pod): Promise<{ requeueAfterMs?: number } | void> {
    // Waiting reasons of containers the actions could not start; they win over the core's.
    const waiting: Record<string, Waiting> = {};
    let changedRuntime = false;
    // The first container's image check runs while the sandbox is created (neither needs the other),
    // and the pod's service-account tokens are asked for while its volume setup reads its ConfigMaps
    // and Secrets (the setup then finds them under way or cached).
    if (result.actions[0]?.type === 'CreateSandbox') {
      const first = result.actions.find((x) => x.type === 'StartContainer');
      if (first?.type === 'StartContainer') this.actions.prefetchImage(pod, first, state);
      this.prefetchTokens(pod);
    }
    // An action that fails (a volume that cannot be set up, a sandbox containerd refuses) still lets the
    // pod's status be written, ContainerCreating and all, as the kubelet sets it before it mounts; the
    // error then fails the sync so that it is retried with back-off.
    let failed: unknown;
    try {
      for (const a of result.actions) {
        if (this.stopped) return;
        if (a.type === 'FinalizeDeletion') {
          await this.finalizeDeletion(pod, observed);
          return;
        }
        if (a.type === 'KillPod' && pod.metadata?.deletionTimestamp) {
          // A deleted pod, stopped with its grace period: remove it in this same sync when nothing runs
          // any more, instead of a status write, a requeue and another sync first.
          const applied = await this.actions.apply(pod, a, state);
          if (!applied.ok || this.stopped) break;
          const stopped = await this.pleg.observe(uid, Date.now());
          if (computePodActions(pod, stopped, this.actions.syncContext()).actions.some((x) => x.type === 'FinalizeDeletion')) {
            await this.finalizeDeletion(pod, stopped);
            return;
          }
          changedRuntime = true;
          continue;
        }
        changedRuntime = true;
        const applied = await this.actions.apply(pod, a, state);
        if (applied.waiting && a.type === 'StartContainer') waiting[a.name] = applied.waiting;
        if (!applied.ok) break; // later actions depend on this one (a sandbox, an init container)
      }
    } catch (err) {
      failed = err;
      changedRuntime = true;
      state.needsRelist = true;
    }
    if (this.stopped) return;
    const actionsDone = performance.now();
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
    const podIP = after.sandboxes[0]?.state === 'SANDBOX_READY' ? podIPOf(pod, after.sandboxes[0].ip, this.facts.address) : '';
    // A running pod's volumes follow their ConfigMaps and Secrets, and its tokens are renewed in time.
    if (after.sandboxes[0]?.state === 'SANDBOX_READY' && !pod.metadata?.deletionTimestamp) await this.actions.refreshVolumes(pod, state);
    this.probes.syncPod(
      pod,
      after.containers.filter((c) => c.state === 'CONTAINER_RUNNING' && !c.ephemeral).map((c) => ({ containerId: c.id, name: c.name, startedAt: c.startedAt })),
      podIP,
    );
    after = await this.terminationMessages.fill(pod, after);
    const status = computePodStatus(subject, after, {
      now: Date.now(),
      runtimeName: this.nodeStatus.runtimeName,
      hostIP: this.facts.address,
      probes: this.probes,
      waiting: { ...result.waiting, ...waiting },
    });
    const started = this.recordStartLatency(uid, pod, status);
    const written = await this.statusWriter.writeStatus(pod, status);
    if (started && state.phases) this.observeStartPhases(state, actionsDone);
    if (written) this.pods.set(uid, written);
    if (failed !== undefined) throw failed;
    // Anything that changed the runtime gets one more pass, to see its effect and go on (next init container).
    if (changedRuntime) return { requeueAfterMs: Math.min(result.requeueAfterMs ?? 50, 50) };
    if (result.requeueAfterMs !== undefined) return { requeueAfterMs: result.requeueAfterMs };
  }

  /** Starts the pod's TokenRequests; a failure is left for the volume setup to meet and report. */
  private prefetchTokens(pod: Pod): void {
    for (const r of podTokenRequests(pod)) this.tokens.getServiceAccountToken(r.namespace, r.serviceAccount, r.spec).catch(() => undefined);
  }

  /** Observes the pod's start duration once all its containers run; true when it did so now. */
  private recordStartLatency(uid: string, pod: Pod, status: PodStatus): boolean {
    if (this.startRecorded.has(uid)) return false;
    const all = status.containerStatuses || [];
    if (status.phase !== 'Running' || !all.length || !all.every((c) => c.state?.running)) return false;
    this.startRecorded.add(uid);
    const seen = this.firstSeen.get(uid);
    if (seen === undefined || pod.metadata?.deletionTimestamp) return false;
    podStartDuration.observe({ node: this.nodeName }, (performance.now() - seen) / 1000);
    return true;
  }

  /** The phases of a start that ran in one sync, the status write (since the actions ended) included. */
  private observeStartPhases(state: SyncState, actionsDone: number): void {
    timePhase(state, 'status', actionsDone);
    for (const phase of POD_START_PHASES) {
      const ms = state.phases?.[phase];
      if (ms !== undefined) podStartPhaseDuration.observe({ node: this.nodeName, phase }, ms / 1000);
    }
  }

  // ---------------------------------------------------------------- node and stats

  /** Stops (or resumes) Node status updates, e.g. to simulate a silent node. */
  pauseNodeStatus(paused: boolean): void {
    this.nodeStatus.pause(paused);
  }

  /** Sends the node status when it changed, or every nodeStatusReportInterval (heartbeat times). */
  syncNodeStatus(force = false): Promise<void> {
    return this.nodeStatus.sync(force);
  }

  /** Polls CRI stats for metrics and /stats/summary. */
  async collectStats(): Promise<void> {
    this.usage = await collectUsage(this.runtime, this.pleg.allPods(), (uid) => this.pods.get(uid));
    this.usageCollectedAt = Date.now();
  }

  // ---------------------------------------------------------------- for the HTTP server

  /** The newest instance of a pod's container (and the one before), for logs. */
  containerFor(pod: Pod, name: string, previous: boolean): { id: string; logPath: string; running: boolean } | undefined {
    const obs = this.pleg.allPods().get(pod.metadata?.uid || '');
    if (!obs) return undefined;
    const ephemeral = (pod.spec?.ephemeralContainers || []).some((c) => c.name === name);
    const init = !ephemeral && !(pod.spec?.containers || []).some((c) => c.name === name);
    const list = obs.containers.filter((c) => c.name === name && c.init === init && c.ephemeral === ephemeral);
    const c = previous ? list[1] : list[0];
    if (!c) return undefined;
    return { id: c.id, logPath: c.logPath, running: c.state === 'CONTAINER_RUNNING' };
  }

  /** The pod's ready sandbox and its IP ('' when it has none), newest first (port-forward). */
  readySandboxAddress(pod: Pod): { id: string; ip: string } | undefined {
    const obs = this.pleg.allPods().get(pod.metadata?.uid || '');
    const s = obs?.sandboxes.find((x) => x.state === 'SANDBOX_READY');
    return s && { id: s.id, ip: s.ip };
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
