// The scheduler: informers on nodes and pods feed the cache (nodes + placed pods) and the scheduling
// queue (pending pods whose spec.schedulerName is ours). One loop pops a pod, runs the framework
// synchronously against the cache, assumes the pod onto the chosen node (so the next pod sees it at
// once), and hands the binding to a bounded set of concurrent bind requests, so API latency never
// serializes the loop. A pod that fits nowhere gets a FailedScheduling event and a PodScheduled=False
// condition and waits for a cluster event that may help it.
import * as http from 'node:http';
import * as os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Namespace, Node, Pod, PodCondition, Service } from 'kubernetes-types/core/v1';
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import type { KubeClient } from '../lib/client/client';
import { isNotFound } from '../lib/client/client';
import { EventRecorder } from '../lib/client/events';
import { Informer } from '../lib/client/informer';
import { LeaderElector } from '../lib/client/leader-election';
import { Resources } from '../lib/api/resources';
import { serveMetrics } from '../lib/component/metrics';
import { SchedulerCache, isTerminal } from './cache';
import { FitError, Framework, Profile } from './framework/framework';
import { newPodInfo } from './framework/pod-info';
import type { ClusterEvent, ObjectListers, QueuedPodInfo } from './framework/types';
import { CycleState } from './framework/types';
import {
  podSchedulingDuration,
  registerPendingPodsSource,
  scheduleAttempts,
  schedulingAttemptDuration,
} from './metrics';
import { DefaultSchedulerName, defaultProfile, ScorePluginName } from './profile';
import { SchedulingQueue } from './queue/scheduling-queue';
import { rfc3339 } from '../lib/api/time';

export interface LeaderElectionOptions {
  namespace?: string; // default kube-system
  name?: string; // default kube-scheduler (or the scheduler name for another scheduler)
  identity?: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
}

export interface SchedulerOptions {
  client: KubeClient;
  /** Pods whose spec.schedulerName equals this are ours (default "default-scheduler"). */
  schedulerName?: string;
  leaderElect?: boolean;
  leaderElection?: LeaderElectionOptions;
  /** Port for /metrics and /healthz (on metricsHost); 0 or unset: no server (as --metrics-port 0). */
  metricsPort?: number;
  metricsHost?: string; // default 127.0.0.1
  /** The metrics server's address, where port 0 picks a free port (tests); overrides metricsPort. */
  metricsListen?: { host?: string; port: number };
  /** Share of nodes to find feasible before scoring; 0 (default) = adaptive, 100 = all. */
  percentageOfNodesToScore?: number;
  scoreWeights?: Partial<Record<ScorePluginName, number>>;
  /** A custom profile (plugins per extension point) instead of the default one; schedulerName is taken from it. */
  profile?: Profile;
  /**
   * Bind requests in flight at most (default 256). More than the client's sockets on purpose: the
   * loop keeps scheduling while bindings wait for a socket, so the connections never idle between a
   * bind's answer and the next pod's decision.
   */
  parallelBinds?: number;
  podInitialBackoffSeconds?: number; // default 1
  podMaxBackoffSeconds?: number; // default 10
  /** An unschedulable pod is retried after this long even without a relevant event (default 60). */
  podMaxInUnschedulablePodsSeconds?: number;
}

export interface RunningScheduler {
  /** The metrics server's port, when one was started. */
  readonly metricsPort?: number;
  readonly scheduler: Scheduler;
  stop(): Promise<void>;
}

/** The parts of a Node that scheduling looks at; a change elsewhere (heartbeats) moves no pods. */
function nodeSchedulingSignature(n: Node): string {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return JSON.stringify([n.status?.allocatable, n.metadata?.labels, n.spec?.taints, n.spec?.unschedulable, ready]);
}

function isBeingDeleted(p: Pod): boolean {
  return !!p.metadata?.deletionTimestamp;
}

export class Scheduler {
  readonly schedulerName: string;
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly framework: Framework;
  private readonly client: KubeClient;
  private readonly recorder: EventRecorder;
  private readonly podInformer: Informer<Pod>;
  private readonly nodeInformer: Informer<Node>;
  /** For pod affinity's namespaceSelector and PodTopologySpread's default (Service / ReplicaSet) selectors. */
  private readonly namespaceInformer: Informer<Namespace>;
  private readonly serviceInformer: Informer<Service>;
  private readonly replicaSetInformer: Informer<ReplicaSet>;
  readonly listers: ObjectListers;
  private readonly parallelBinds: number;
  private bindsInFlight = 0;
  private bindSlotWaiters: Array<() => void> = [];
  private readonly allBindsDone = new Set<Promise<void>>();
  private leading = false;
  private leadingWaiters: Array<() => void> = [];
  private stopped = false;
  private loopDone?: Promise<void>;
  private unregisterMetrics?: () => void;

  constructor(opts: SchedulerOptions) {
    this.client = opts.client;
    const profile = opts.profile ?? defaultProfile(opts.client, { schedulerName: opts.schedulerName, scoreWeights: opts.scoreWeights });
    this.schedulerName = profile.schedulerName;
    this.parallelBinds = Math.max(1, opts.parallelBinds ?? 256);
    this.framework = new Framework(profile, opts.percentageOfNodesToScore ?? 0);
    const sort = this.framework.profile.queueSort;
    this.queue = new SchedulingQueue({
      less: (a, b) => sort.less(a, b),
      initialBackoffMs: (opts.podInitialBackoffSeconds ?? 1) * 1000,
      maxBackoffMs: (opts.podMaxBackoffSeconds ?? 10) * 1000,
      maxUnschedulableMs: (opts.podMaxInUnschedulablePodsSeconds ?? 60) * 1000,
      eventPlugins: this.framework.eventPlugins(),
    });
    this.recorder = new EventRecorder(opts.client, { component: this.schedulerName, host: os.hostname() });
    this.nodeInformer = new Informer<Node>(opts.client, Resources.nodes);
    this.podInformer = new Informer<Pod>(opts.client, Resources.pods);
    this.namespaceInformer = new Informer<Namespace>(opts.client, Resources.namespaces);
    this.serviceInformer = new Informer<Service>(opts.client, Resources.services);
    this.replicaSetInformer = new Informer<ReplicaSet>(opts.client, Resources.replicasets);
    this.listers = {
      namespaceLabels: (name) => {
        const ns = this.namespaceInformer.get(undefined, name);
        return ns ? (ns.metadata?.labels ?? {}) : undefined;
      },
      services: (namespace) => this.serviceInformer.list(namespace),
      replicaSet: (namespace, name) => this.replicaSetInformer.get(namespace, name),
    };
    this.wireInformers();
  }

  /** Starts the informers and waits until both have listed. */
  async startInformers(): Promise<void> {
    this.unregisterMetrics = registerPendingPodsSource(() => this.queue.lengths());
    await Promise.all([
      this.nodeInformer.start(),
      this.podInformer.start(),
      this.namespaceInformer.start(),
      this.serviceInformer.start(),
      this.replicaSetInformer.start(),
    ]);
  }

  /** Starts scheduling (call when leading, or at once without leader election). */
  startLeading(): void {
    this.leading = true;
    const waiters = this.leadingWaiters;
    this.leadingWaiters = [];
    for (const w of waiters) w();
    if (!this.loopDone) this.loopDone = this.loop();
  }

  isLeading(): boolean {
    return this.leading;
  }

  /** Pauses scheduling: a scheduler that lost its lease must not bind. */
  stopLeading(): void {
    this.leading = false;
  }

  /** Resolves once every event recorded so far has been written. */
  flushEvents(): Promise<void> {
    return this.recorder.flush();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.leading = false;
    this.queue.close();
    for (const w of this.leadingWaiters.splice(0)) w();
    for (const w of this.bindSlotWaiters.splice(0)) w();
    await this.loopDone;
    await Promise.all([...this.allBindsDone]);
    this.nodeInformer.stop();
    this.podInformer.stop();
    this.namespaceInformer.stop();
    this.serviceInformer.stop();
    this.replicaSetInformer.stop();
    this.unregisterMetrics?.();
    // Give queued events a moment to be written, but never hang shutdown on them.
    await Promise.race([this.recorder.flush(), new Promise((r) => setTimeout(r, 2000).unref())]);
  }

  private isOurs(p: Pod): boolean {
    return (p.spec?.schedulerName || DefaultSchedulerName) === this.schedulerName;
  }

  private moveAll(event: ClusterEvent): void {
    this.queue.moveAllToActiveOrBackoff(event);
  }

  private wireInformers(): void {
    this.nodeInformer.onAdd((n) => {
      this.cache.addNode(n);
      this.moveAll('NodeAdd');
    });
    this.nodeInformer.onUpdate((oldNode, n) => {
      this.cache.updateNode(n);
      if (nodeSchedulingSignature(oldNode) !== nodeSchedulingSignature(n)) this.moveAll('NodeUpdate');
    });
    this.nodeInformer.onDelete((n) => this.cache.removeNode(n.metadata?.name ?? ''));

    this.podInformer.onAdd((p) => {
      if (p.spec?.nodeName) {
        this.cache.addOrUpdatePod(p);
        if (!isTerminal(p)) this.moveAll('PodAdd');
      } else if (this.isOurs(p) && !isBeingDeleted(p) && this.cache.nodeOf(p.metadata?.uid ?? '') === undefined) {
        this.queue.add(newPodInfo(p));
      }
    });
    this.podInformer.onUpdate((oldPod, p) => {
      const uid = p.metadata?.uid ?? '';
      if (p.spec?.nodeName) {
        const newlyBound = !oldPod.spec?.nodeName;
        if (newlyBound) this.queue.delete(uid); // bound (by us, or anyone)
        const freed = !isTerminal(oldPod) && isTerminal(p);
        this.cache.addOrUpdatePod(p);
        if (freed) this.moveAll('PodDelete');
        // A pod that just landed can satisfy a waiting pod's affinity (or change a spread's skew).
        else if (newlyBound && !isTerminal(p)) this.moveAll('PodAdd');
        return;
      }
      if (!this.isOurs(p)) return;
      if (isBeingDeleted(p)) {
        this.queue.delete(uid);
        return;
      }
      // Our own assumption, binding under way: the update (e.g. a status patch) changes nothing.
      if (this.cache.isAssumed(uid)) return;
      this.queue.update(newPodInfo(p));
    });
    this.podInformer.onDelete((p) => {
      const uid = p.metadata?.uid ?? '';
      this.queue.delete(uid);
      if (this.cache.nodeOf(uid) !== undefined) {
        this.cache.removePod(uid);
        this.moveAll('PodDelete');
      }
    });
  }

  private async waitForLeadership(): Promise<void> {
    if (this.leading || this.stopped) return;
    await new Promise<void>((resolve) => this.leadingWaiters.push(resolve));
  }

  private async loop(): Promise<void> {
    let sinceYield = 0;
    while (!this.stopped) {
      await this.waitForLeadership();
      if (this.stopped) break;
      const q = this.queue.tryPop();
      if (!q) {
        sinceYield = 0;
        await this.queue.waitForPod();
        continue;
      }
      if (!this.leading) {
        // Lost the lease between waking and popping: put it back untouched.
        this.queue.addBackoff(q);
        continue;
      }
      this.scheduleOne(q);
      if (this.bindsInFlight >= this.parallelBinds) {
        await new Promise<void>((resolve) => this.bindSlotWaiters.push(resolve));
        sinceYield = 0;
      } else if (++sinceYield >= 16) {
        // Let watch events and bind responses in between scheduling cycles.
        await new Promise<void>((resolve) => setImmediate(resolve));
        sinceYield = 0;
      }
    }
  }

  /** One scheduling cycle for a popped pod; binding continues in the background. */
  scheduleOne(q: QueuedPodInfo): void {
    const start = performance.now();
    const uid = q.podInfo.uid;
    const md = q.podInfo.pod.metadata ?? {};
    // The informer's copy is the freshest: skip a pod deleted, bound or being deleted meanwhile.
    const current = this.podInformer.get(md.namespace, md.name ?? '');
    if (!current || current.metadata?.uid !== uid || current.spec?.nodeName || isBeingDeleted(current) || this.cache.nodeOf(uid) !== undefined) {
      this.queue.done(uid);
      return;
    }
    if (current !== q.podInfo.pod) q.podInfo = newPodInfo(current);
    const podInfo = q.podInfo;
    const cycle = this.queue.schedulingCycle;
    const state = new CycleState();
    let nodeName: string;
    try {
      nodeName = this.framework.schedulePod(state, podInfo, this.cache.snapshot(this.listers)).nodeName;
    } catch (err) {
      const profile = this.schedulerName;
      if (err instanceof FitError) {
        scheduleAttempts.inc({ result: 'unschedulable', profile });
        schedulingAttemptDuration.observe({ result: 'unschedulable', profile }, (performance.now() - start) / 1000);
        q.unschedulablePlugins = err.unschedulablePlugins;
        this.queue.addUnschedulable(q, cycle);
        this.reportFailure(current, 'Unschedulable', err.message);
      } else {
        scheduleAttempts.inc({ result: 'error', profile });
        schedulingAttemptDuration.observe({ result: 'error', profile }, (performance.now() - start) / 1000);
        this.queue.addBackoff(q);
        this.reportFailure(current, 'SchedulerError', `running the scheduling algorithm: ${(err as Error).message}`);
      }
      return;
    }

    this.cache.assumePod(podInfo, nodeName);
    const reserveStatus = this.framework.runReserve(state, podInfo, nodeName);
    if (reserveStatus) {
      this.cache.forgetPod(uid);
      scheduleAttempts.inc({ result: 'error', profile: this.schedulerName });
      this.queue.addBackoff(q);
      this.reportFailure(current, 'SchedulerError', reserveStatus.reasons.join(', '));
      return;
    }
    this.bindsInFlight++;
    const done = this.bind(q, state, nodeName, start).finally(() => {
      this.bindsInFlight--;
      this.allBindsDone.delete(done);
      const w = this.bindSlotWaiters.shift();
      if (w) w();
    });
    this.allBindsDone.add(done);
  }

  private async bind(q: QueuedPodInfo, state: CycleState, nodeName: string, start: number): Promise<void> {
    const podInfo = q.podInfo;
    const pod = podInfo.pod;
    const profile = this.schedulerName;
    let status;
    try {
      status = await this.framework.runBind(pod, nodeName);
    } catch (err) {
      status = { code: 'Error' as const, reasons: [(err as Error).message] };
    }
    const seconds = (performance.now() - start) / 1000;
    if (status) {
      // Forget the assumption so the node's resources are free again, then retry after a back-off.
      this.cache.forgetPod(podInfo.uid);
      this.framework.runUnreserve(state, podInfo, nodeName);
      scheduleAttempts.inc({ result: 'error', profile });
      schedulingAttemptDuration.observe({ result: 'error', profile }, seconds);
      const latest = this.podInformer.get(pod.metadata?.namespace, pod.metadata?.name ?? '');
      if (latest && !latest.spec?.nodeName && latest.metadata?.uid === podInfo.uid) {
        this.queue.addBackoff(q);
        this.reportFailure(latest, 'SchedulerError', `Binding rejected: ${status.reasons.join(', ')}`);
      } else {
        this.queue.done(podInfo.uid);
      }
      return;
    }
    this.queue.done(podInfo.uid);
    scheduleAttempts.inc({ result: 'scheduled', profile });
    schedulingAttemptDuration.observe({ result: 'scheduled', profile }, seconds);
    podSchedulingDuration.observe({ attempts: String(q.attempts) }, (Date.now() - q.initialAttemptTimestamp) / 1000);
    const md = pod.metadata ?? {};
    this.recorder.event(
      { apiVersion: 'v1', kind: 'Pod', metadata: md },
      'Normal',
      'Scheduled',
      `Successfully assigned ${md.namespace}/${md.name} to ${nodeName}`,
    );
  }

  /** FailedScheduling event + PodScheduled=False condition (written only when it changed). */
  private reportFailure(pod: Pod, reason: 'Unschedulable' | 'SchedulerError', message: string): void {
    const md = pod.metadata ?? {};
    this.recorder.event({ apiVersion: 'v1', kind: 'Pod', metadata: md }, 'Warning', 'FailedScheduling', message);
    const conditions = pod.status?.conditions ?? [];
    const existing = conditions.find((c) => c.type === 'PodScheduled');
    if (existing && existing.status === 'False' && existing.reason === reason && existing.message === message) return;
    const now = rfc3339();
    const condition: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      reason,
      message,
      lastTransitionTime: existing && existing.status === 'False' ? existing.lastTransitionTime : now,
    };
    const next = [...conditions.filter((c) => c.type !== 'PodScheduled'), condition];
    this.client
      .patch<Pod>(Resources.pods, md.namespace, md.name ?? '', { status: { conditions: next } }, 'merge', 'status')
      .catch((err: unknown) => {
        if (!isNotFound(err)) console.error(`scheduler: could not update status of pod ${md.namespace}/${md.name}: ${(err as Error).message}`);
      });
  }
}


/** Starts a scheduler: informers, then (when leading, with leader election) the scheduling loop. */
export async function startScheduler(opts: SchedulerOptions): Promise<RunningScheduler> {
  const scheduler = new Scheduler(opts);
  let metricsServer: http.Server | undefined;
  let metricsPort: number | undefined;
  const listen = opts.metricsListen ?? (opts.metricsPort ? { host: opts.metricsHost, port: opts.metricsPort } : undefined);
  if (listen) {
    metricsServer = await serveMetrics('scheduler', listen.host ?? '127.0.0.1', listen.port);
    metricsPort = (metricsServer.address() as { port: number }).port;
  }
  try {
    await scheduler.startInformers();
  } catch (err) {
    await scheduler.stop();
    metricsServer?.close();
    throw err;
  }
  let elector: LeaderElector | undefined;
  if (opts.leaderElect) {
    const le = opts.leaderElection ?? {};
    const name = scheduler.schedulerName === DefaultSchedulerName ? 'kube-scheduler' : scheduler.schedulerName;
    elector = new LeaderElector(opts.client, {
      namespace: le.namespace ?? 'kube-system',
      name: le.name ?? name,
      identity: le.identity ?? `${os.hostname()}_${randomUUID()}`,
      leaseDurationSeconds: le.leaseDurationSeconds ?? 15,
      renewDeadlineSeconds: le.renewDeadlineSeconds ?? 10,
      retryPeriodSeconds: le.retryPeriodSeconds ?? 2,
      onStartedLeading: () => scheduler.startLeading(),
      onStoppedLeading: () => scheduler.stopLeading(),
    });
    void elector.run();
  } else {
    scheduler.startLeading();
  }
  return {
    metricsPort,
    scheduler,
    async stop() {
      await elector?.stop();
      await scheduler.stop();
      if (metricsServer) await new Promise<void>((resolve) => metricsServer?.close(() => resolve()));
    },
  };
}
