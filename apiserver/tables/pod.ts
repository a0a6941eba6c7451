// The pod printer: STATUS, READY and RESTARTS computed as kubectl's printPod does, and the wide columns.
import type { Pod } from 'kubernetes-types/core/v1';
import { isPodReady } from '../../lib/api/pod';
import { age, ageCol, col, formatAge, meta, nameCol, none, Printer } from './common';

/** The STATUS, READY and RESTARTS of a pod as kubectl shows them (printPod). */
export function podStatusSummary(pod: Pod, now: number): { status: string; ready: string; restarts: number | string } {
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};
  let restarts = 0;
  let restartableInits = 0;
  let readyContainers = 0;
  let lastRestart = 0;
  let reason: string = status.reason || status.phase || '';

  for (const c of spec.initContainers ?? []) if (c.restartPolicy === 'Always') restartableInits++;
  const totalContainers = (spec.containers ?? []).length + restartableInits;

  const scheduled = (status.conditions ?? []).find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'SchedulingGated') reason = 'SchedulingGated';

  const noteRestart = (finishedAt: string | undefined): void => {
    const t = finishedAt ? Date.parse(finishedAt) : NaN;
    if (!Number.isNaN(t) && t > lastRestart) lastRestart = t;
  };

  let initializing = false;
  const initSpecs = spec.initContainers ?? [];
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    restarts += cs.restartCount ?? 0;
    noteRestart(cs.lastState?.terminated?.finishedAt);
    const restartable = initSpecs.find((c) => c.name === cs.name)?.restartPolicy === 'Always';
    if (restartable && cs.started) {
      if (cs.ready) readyContainers++;
      continue;
    }
    const terminated = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (terminated) {
      if (!terminated.reason) {
        reason = terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode}`;
      } else {
        reason = `Init:${terminated.reason}`;
      }
    } else if (waiting && waiting.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  const initialized = (status.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = 0;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += cs.restartCount ?? 0;
      noteRestart(cs.lastState?.terminated?.finishedAt);
      const waiting = cs.state?.waiting;
      const terminated = cs.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
      else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = isPodReady(pod) ? 'Running' : 'NotReady';
    }
  }

  if (pod.metadata?.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';

  const restartsCell: number | string = restarts !== 0 && lastRestart > 0 ? `${restarts} (${formatAge(now - lastRestart)} ago)` : restarts;
  return { status: reason, ready: `${readyContainers}/${totalContainers}`, restarts: restartsCell };
}

export const podPrinter: Printer = {
  columns: [
    nameCol,
    col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    ageCol,
    col('IP', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
    col('Node', "NodeName is a request to schedule this pod onto a specific node.", 1),
    col('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.', 1),
    col('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
  ],
  cells(obj, now) {
    const pod = obj as Pod;
    const { status, ready, restarts } = podStatusSummary(pod, now);
    const gates = pod.spec?.readinessGates ?? [];
    let gatesCell = none;
    if (gates.length > 0) {
      const conditions = pod.status?.conditions ?? [];
      const trueCount = gates.filter((g) => conditions.some((c) => c.type === g.conditionType && c.status === 'True')).length;
      gatesCell = `${trueCount}/${gates.length}`;
    }
    return [
      meta(obj).name ?? '',
      ready,
      status,
      restarts,
      age(obj, now),
      pod.status?.podIP || none,
      pod.spec?.nodeName || none,
      pod.status?.nominatedNodeName || none,
      gatesCell,
    ];
  },
};
