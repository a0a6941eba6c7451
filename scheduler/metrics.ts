// The scheduler's Prometheus metrics (kube-scheduler's names), in the scheduler's registry
// (lib/metrics.ts), which its /metrics serves. Module-level singletons shared by every scheduler in the
// process; the pending-pods gauge sums the queues of all running schedulers when scraped.
import { exponentialBuckets } from 'prom-client';
import { componentRegistry, counter, gauge, histogram } from '../lib/component/metrics';
import type { QueueName } from './queue/scheduling-queue';

const registry = componentRegistry('scheduler');

export const scheduleAttempts = counter({
  name: 'scheduler_schedule_attempts_total',
  help: 'Number of attempts to schedule pods, by the result. unschedulable means a pod could not be scheduled, while error means an internal scheduler problem.',
  labelNames: ['result', 'profile'] as const,
}, registry);

export const schedulingAttemptDuration = histogram({
  name: 'scheduler_scheduling_attempt_duration_seconds',
  help: 'Scheduling attempt latency in seconds (scheduling algorithm + binding)',
  labelNames: ['result', 'profile'] as const,
  buckets: exponentialBuckets(0.001, 2, 15),
}, registry);

export const podSchedulingDuration = histogram({
  name: 'scheduler_pod_scheduling_duration_seconds',
  help: 'E2e latency for a pod being scheduled which may include multiple scheduling attempts.',
  labelNames: ['attempts'] as const,
  buckets: exponentialBuckets(0.01, 2, 20),
}, registry);

export const preemptionAttempts = counter({
  name: 'scheduler_preemption_attempts_total',
  help: 'Total preemption attempts in the cluster till now',
  labelNames: [] as const,
}, registry);

export const preemptionVictims = histogram({
  name: 'scheduler_preemption_victims',
  help: 'Number of selected preemption victims',
  labelNames: [] as const,
  buckets: exponentialBuckets(1, 2, 7),
}, registry);

type QueueLengths = () => Record<QueueName, number>;
const pendingSources = new Set<QueueLengths>();

export const pendingPods = gauge({
  name: 'scheduler_pending_pods',
  help: "Number of pending pods, by the queue type. 'active' means number of pods in activeQ; 'backoff' means number of pods in backoffQ; 'unschedulable' means number of pods in unschedulablePods; 'gated' means pods waiting for their schedulingGates to be removed.",
  labelNames: ['queue'] as const,
  collect() {
    const sum: Record<QueueName, number> = { active: 0, backoff: 0, unschedulable: 0, gated: 0 };
    for (const lengths of pendingSources) {
      const l = lengths();
      sum.active += l.active;
      sum.backoff += l.backoff;
      sum.unschedulable += l.unschedulable;
      sum.gated += l.gated;
    }
    for (const [queue, n] of Object.entries(sum)) this.set({ queue }, n);
  },
}, registry);

/** Counts a running scheduler's queue in scheduler_pending_pods; returns the function that stops it. */
export function registerPendingPodsSource(lengths: QueueLengths): () => void {
  pendingSources.add(lengths);
  return () => pendingSources.delete(lengths);
}
