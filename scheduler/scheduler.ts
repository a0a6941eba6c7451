// The Scheduler (kube-scheduler's scheduler.go): informers on nodes and pods feed the cache (nodes +
// placed pods) and the scheduling queue (pending pods whose spec.schedulerName is ours), through the
// handlers of eventhandlers.ts. One loop pops a pod and runs a scheduling cycle (schedule-one.ts)
// synchronously against the cache; the bindings it starts run concurrently, at most parallelBinds at
// a time, so API latency never serializes the loop. The loop runs only while leading (start.ts
// campaigns for the lease when leader election is on).
import * as os from 'node:os';
import type { Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod, Service } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import type { ReplicaSet } from 'kubernetes-types/apps/v1';
import type { KubeClient, KubeObject } from '../lib/client/client';
import { EventRecorder } from '../lib/client/events';
import { Informer } from '../lib/client/informer';
import type { SharedInformerFactory } from '../lib/client/shared-informers';
import { Resources, type ResourceType } from '../lib/api/resources';
import { SchedulerCache } from './cache';
import { addAllEventHandlers } from './eventhandlers';
import { Framework, Profile } from './framework/framework';
import type { ObjectListers, QueuedPodInfo } from './framework/types';
import { registerPendingPodsSource } from './metrics';
import { defaultProfile, ScorePluginName } from './profile';
import { SchedulingQueue } from './queue/scheduling-queue';
import { CycleContext, scheduleOne } from './schedule-one';

/** How a Scheduler schedules (start.ts adds how it is run: leader election, metrics server). */
export interface SchedulerConfig {
  client: KubeClient;
  /** Pods whose spec.schedulerName equals this are ours (default "default-scheduler"). */
  schedulerName?: string;
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
  /**
   * Informers shared with the other components of this process (`steer server`): the scheduler reads
   * its kinds from them instead of watching each again, starts them, and leaves stopping them to their
   * owner. Their client only lists and watches; bindings, events and status go through `client`.
   */
  informers?: SharedInformerFactory;
}

export class Scheduler {
  readonly schedulerName: string;
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly framework: Framework;
  private readonly recorder: EventRecorder;
  private readonly podInformer: Informer<Pod>;
  private readonly nodeInformer: Informer<Node>;
  /** For pod affinity's namespaceSelector and PodTopologySpread's default (Service / ReplicaSet) selectors. */
  private readonly namespaceInformer: Informer<Namespace>;
  private readonly serviceInformer: Informer<Service>;
  private readonly replicaSetInformer: Informer<ReplicaSet>;
  /** Claims, volumes and classes for the VolumeBinding plugin. */
  private readonly claimInformer: Informer<PersistentVolumeClaim>;
  private readonly volumeInformer: Informer<PersistentVolume>;
  private readonly storageClassInformer: Informer<StorageClass>;
  /** PodDisruptionBudgets: preemption spares the pods they protect when it can. */
  private readonly budgetInformer: Informer<PodDisruptionBudget>;
  /** Set when the informers belong to the process (stop leaves them running). */
  private readonly sharedInformers?: SharedInformerFactory;
  readonly listers: ObjectListers;
  /** What a scheduling cycle reads and writes. */
  private readonly cycle: CycleContext;
  private readonly parallelBinds: number;
  private bindsInFlight = 0;
  private bindSlotWaiters: Array<() => void> = [];
  private readonly allBindsDone = new Set<Promise<void>>();
  private leading = false;
  private leadingWaiters: Array<() => void> = [];
  private stopped = false;
  private loopDone?: Promise<void>;
  private unregisterMetrics?: () => void;

  constructor(opts: SchedulerConfig) {
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
    const shared = (this.sharedInformers = opts.informers);
    const informerFor = <T extends KubeObject>(rt: ResourceType): Informer<T> => (shared ? shared.informerFor<T>(rt) : new Informer<T>(opts.client, rt));
    this.nodeInformer = informerFor<Node>(Resources.nodes);
    this.podInformer = informerFor<Pod>(Resources.pods);
    this.namespaceInformer = informerFor<Namespace>(Resources.namespaces);
    this.serviceInformer = informerFor<Service>(Resources.services);
    this.replicaSetInformer = informerFor<ReplicaSet>(Resources.replicasets);
    this.claimInformer = informerFor<PersistentVolumeClaim>(Resources.persistentvolumeclaims);
    this.volumeInformer = informerFor<PersistentVolume>(Resources.persistentvolumes);
    this.storageClassInformer = informerFor<StorageClass>(Resources.storageclasses);
    this.budgetInformer = informerFor<PodDisruptionBudget>(Resources.poddisruptionbudgets);
    // A claim, volume or class change may make a pod waiting on volumes schedulable.
    const volumeChange = () => this.queue.moveAllToActiveOrBackoff('VolumeChange');
    // Pre-bind waits for claims to be Bound: it hears of every claim change at once, no polling.
    const claimWatchers = new Set<() => void>();
    const claimChange = () => {
      for (const fn of [...claimWatchers]) fn();
    };
    this.claimInformer.onAdd(claimChange);
    this.claimInformer.onUpdate(claimChange);
    for (const inf of [this.claimInformer, this.volumeInformer, this.storageClassInformer] as Array<Informer<KubeObject>>) {
      inf.onAdd(volumeChange);
      inf.onUpdate(volumeChange);
    }
    this.listers = {
      namespaceLabels: (name) => {
        const ns = this.namespaceInformer.get(undefined, name);
        return ns ? (ns.metadata?.labels ?? {}) : undefined;
      },
      services: (namespace) => this.serviceInformer.list(namespace),
      replicaSet: (namespace, name) => this.replicaSetInformer.get(namespace, name),
      claim: (namespace, name) => this.claimInformer.get(namespace, name),
      volumes: () => this.volumeInformer.list(),
      storageClass: (name) => this.storageClassInformer.get(undefined, name),
      storageClasses: () => this.storageClassInformer.list(),
      podDisruptionBudgets: (namespace) => this.budgetInformer.list(namespace),
      onClaimChange: (fn) => {
        claimWatchers.add(fn);
        return () => claimWatchers.delete(fn);
      },
    };
    this.cycle = {
      schedulerName: this.schedulerName,
      cache: this.cache,
      queue: this.queue,
      framework: this.framework,
      listers: this.listers,
      client: opts.client,
      recorder: this.recorder,
      currentPod: (namespace, name) => this.podInformer.get(namespace, name),
    };
    addAllEventHandlers(this, this.nodeInformer, this.podInformer);
    // What the recorder kept about a pod's events (FailedScheduling repeats) is no use once it is gone.
    this.podInformer.onDelete((p) => this.recorder.forgetObject(p.metadata?.uid ?? ''));
  }

  /** Starts the informers and waits until both have listed. */
  async startInformers(): Promise<void> {
    this.unregisterMetrics = registerPendingPodsSource(() => this.queue.lengths());
    this.sharedInformers?.start();
    // start() is idempotent: on shared informers it returns the first list of the one already running.
    await Promise.all([
      this.nodeInformer.start(),
      this.podInformer.start(),
      this.namespaceInformer.start(),
      this.serviceInformer.start(),
      this.replicaSetInformer.start(),
      this.claimInformer.start(),
      this.volumeInformer.start(),
      this.storageClassInformer.start(),
      this.budgetInformer.start(),
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
    if (!this.sharedInformers) {
      for (const inf of [this.nodeInformer, this.podInformer, this.namespaceInformer, this.serviceInformer, this.replicaSetInformer, this.claimInformer, this.volumeInformer, this.storageClassInformer, this.budgetInformer]) inf.stop();
    }
    this.unregisterMetrics?.();
    // Give queued events a moment to be written, but never hang shutdown on them.
    await Promise.race([this.recorder.flush(), new Promise((r) => setTimeout(r, 2000).unref())]);
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

  /** One scheduling cycle for a popped pod; its binding, if any, continues in the background. */
  scheduleOne(q: QueuedPodInfo): void {
    const binding = scheduleOne(this.cycle, q);
    if (!binding) return;
    this.bindsInFlight++;
    const done = binding.finally(() => {
      this.bindsInFlight--;
      this.allBindsDone.delete(done);
      const w = this.bindSlotWaiters.shift();
      if (w) w();
    });
    this.allBindsDone.add(done);
  }
}
