// One scheduling cycle and its binding (kube-scheduler's schedule_one.go): run the framework for a
// popped pod against the cache's snapshot, assume the pod onto the chosen node at once (so the next
// pod sees it), then bind through the API in the background. A pod that fits nowhere, or whose
// binding fails, gets a FailedScheduling event and a PodScheduled=False condition and goes back to
// the queue.
import type { Pod, PodCondition } from 'kubernetes-types/core/v1';
import { Resources } from '../lib/api/resources';
import { rfc3339 } from '../lib/api/time';
import { disruptionTarget, podStatusPatch } from '../lib/api/pod';
import type { KubeClient } from '../lib/client/client';
import { isNotFound } from '../lib/client/client';
import type { EventRecorder } from '../lib/client/events';
import type { SchedulerCache } from './cache';
import { FitError, Framework } from './framework/framework';
import { isBeingDeleted, newPodInfo } from './framework/pod-info';
import type { ObjectListers, PreemptionCandidate, QueuedPodInfo } from './framework/types';
import { CycleState } from './framework/types';
import { podSchedulingDuration, preemptionAttempts, preemptionVictims, scheduleAttempts, schedulingAttemptDuration } from './metrics';
import type { SchedulingQueue } from './queue/scheduling-queue';

/** The scheduler's parts a cycle reads and writes. */
export interface CycleContext {
  readonly schedulerName: string;
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
  readonly framework: Framework;
  readonly listers: ObjectListers;
  readonly client: KubeClient;
  readonly recorder: EventRecorder;
  /** The informer's copy of a pod: the freshest there is. */
  currentPod(namespace: string | undefined, name: string): Pod | undefined;
}

/**
 * One scheduling cycle for a popped pod. Returns the binding under way when the pod was assumed onto a
 * node (the caller bounds how many run at once), undefined when the cycle ended here.
 */
export function scheduleOne(ctx: CycleContext, q: QueuedPodInfo): Promise<void> | undefined {
  const { cache, queue, framework } = ctx;
  const start = performance.now();
  const uid = q.podInfo.uid;
  const md = q.podInfo.pod.metadata ?? {};
  // The informer's copy is the freshest: skip a pod deleted, bound or being deleted meanwhile.
  const current = ctx.currentPod(md.namespace, md.name ?? '');
  if (!current || current.metadata?.uid !== uid || current.spec?.nodeName || isBeingDeleted(current) || cache.nodeOf(uid) !== undefined) {
    queue.done(uid);
    return undefined;
  }
  if (current !== q.podInfo.pod) q.podInfo = newPodInfo(current);
  const podInfo = q.podInfo;
  const cycle = queue.schedulingCycle;
  const state = new CycleState();
  let nodeName: string;
  const snapshot = cache.snapshot(ctx.listers);
  try {
    nodeName = framework.schedulePod(state, podInfo, snapshot).nodeName;
  } catch (err) {
    const profile = ctx.schedulerName;
    if (err instanceof FitError) {
      scheduleAttempts.inc({ result: 'unschedulable', profile });
      // Preemption: evicting lower-priority pods somewhere may make room; the pod waits for them to go.
      const preemption = err.preFilterStatus ? undefined : framework.runPostFilter(state, podInfo, snapshot, err.nodeStatuses);
      if (preemption && 'victims' in preemption) void preempt(ctx, current, preemption);
      schedulingAttemptDuration.observe({ result: 'unschedulable', profile }, (performance.now() - start) / 1000);
      q.unschedulablePlugins = err.unschedulablePlugins;
      queue.addUnschedulable(q, cycle);
      reportFailure(ctx, current, 'Unschedulable', err.message);
    } else {
      scheduleAttempts.inc({ result: 'error', profile });
      schedulingAttemptDuration.observe({ result: 'error', profile }, (performance.now() - start) / 1000);
      queue.addBackoff(q);
      reportFailure(ctx, current, 'SchedulerError', `running the scheduling algorithm: ${(err as Error).message}`);
    }
    return undefined;
  }

  cache.assumePod(podInfo, nodeName);
  const reserveStatus = framework.runReserve(state, podInfo, nodeName);
  if (reserveStatus) {
    cache.forgetPod(uid);
    scheduleAttempts.inc({ result: 'error', profile: ctx.schedulerName });
    queue.addBackoff(q);
    reportFailure(ctx, current, 'SchedulerError', reserveStatus.reasons.join(', '));
    return undefined;
  }
  return bind(ctx, q, state, nodeName, start);
}

/** The binding cycle: bind through the framework; on failure forget the assumption and retry later. */
async function bind(ctx: CycleContext, q: QueuedPodInfo, state: CycleState, nodeName: string, start: number): Promise<void> {
  const { cache, queue, framework } = ctx;
  const podInfo = q.podInfo;
  const pod = podInfo.pod;
  const profile = ctx.schedulerName;
  let status;
  try {
    status = (await framework.runPreBind(state, podInfo, nodeName)) ?? (await framework.runBind(pod, nodeName));
  } catch (err) {
    status = { code: 'Error' as const, reasons: [(err as Error).message] };
  }
  const seconds = (performance.now() - start) / 1000;
  if (status) {
    // Forget the assumption so the node's resources are free again, then retry after a back-off.
    cache.forgetPod(podInfo.uid);
    framework.runUnreserve(state, podInfo, nodeName);
    scheduleAttempts.inc({ result: 'error', profile });
    schedulingAttemptDuration.observe({ result: 'error', profile }, seconds);
    const latest = ctx.currentPod(pod.metadata?.namespace, pod.metadata?.name ?? '');
    if (latest && !latest.spec?.nodeName && latest.metadata?.uid === podInfo.uid) {
      queue.addBackoff(q);
      reportFailure(ctx, latest, 'SchedulerError', `Binding rejected: ${status.reasons.join(', ')}`);
    } else {
      queue.done(podInfo.uid);
    }
    return;
  }
  queue.done(podInfo.uid);
  scheduleAttempts.inc({ result: 'scheduled', profile });
  schedulingAttemptDuration.observe({ result: 'scheduled', profile }, seconds);
  podSchedulingDuration.observe({ attempts: String(q.attempts) }, (Date.now() - q.initialAttemptTimestamp) / 1000);
  const md = pod.metadata ?? {};
  ctx.recorder.event({ apiVersion: 'v1', kind: 'Pod', metadata: md }, 'Normal', 'Scheduled', `Successfully assigned ${md.namespace}/${md.name} to ${nodeName}`);
}

/**
 * Carries a preemption out, as kube's prepareCandidate: the preemptor's status.nominatedNodeName names
 * the node it waits for, and each victim is marked DisruptionTarget (PreemptionByScheduler), deleted
 * with its own grace period (conditional on its uid) and told why (a Preempted event).
 */
async function preempt(ctx: CycleContext, pod: Pod, c: PreemptionCandidate): Promise<void> {
  const md = pod.metadata ?? {};
  preemptionAttempts.inc();
  preemptionVictims.observe(c.victims.length);
  const logged = (what: string) => (err: unknown) => {
    if (!isNotFound(err)) console.error(`scheduler: preemption for ${md.namespace}/${md.name}: ${what}: ${(err as Error).message}`);
  };
  await ctx.client.patch(Resources.pods, md.namespace, md.name ?? '', { status: { nominatedNodeName: c.nodeName } }, 'merge', 'status').catch(logged('nominate'));
  const condition = disruptionTarget('PreemptionByScheduler', `${ctx.schedulerName}: preempting to accommodate a higher priority pod`, rfc3339());
  await Promise.all(
    c.victims.map(async (v) => {
      const vmd = v.pod.metadata ?? {};
      try {
        const patch = podStatusPatch(v.pod, { condition });
        if (patch) await ctx.client.patch(Resources.pods, vmd.namespace, vmd.name ?? '', patch, 'strategic', 'status');
        await ctx.client.delete(Resources.pods, vmd.namespace, vmd.name ?? '', { preconditions: { uid: vmd.uid } });
        ctx.recorder.event({ apiVersion: 'v1', kind: 'Pod', metadata: vmd }, 'Normal', 'Preempted', `Preempted by pod ${md.uid} on node ${c.nodeName}`);
      } catch (err) {
        logged(`evict ${vmd.namespace}/${vmd.name}`)(err);
      }
    }),
  );
}

/** FailedScheduling event + PodScheduled=False condition (written only when it changed). */
function reportFailure(ctx: CycleContext, pod: Pod, reason: 'Unschedulable' | 'SchedulerError', message: string): void {
  const md = pod.metadata ?? {};
  ctx.recorder.event({ apiVersion: 'v1', kind: 'Pod', metadata: md }, 'Warning', 'FailedScheduling', message);
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
  ctx.client
    .patch<Pod>(Resources.pods, md.namespace, md.name ?? '', { status: { conditions: next } }, 'merge', 'status')
    .catch((err: unknown) => {
      if (!isNotFound(err)) console.error(`scheduler: could not update status of pod ${md.namespace}/${md.name}: ${(err as Error).message}`);
    });
}
