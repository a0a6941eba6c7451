// Desired vs observed for each workload kind, read as kubectl reads them: a Deployment's READY is
// readyReplicas/spec.replicas, a DaemonSet's is numberReady/desiredNumberScheduled, a StatefulSet's
// readyReplicas/spec.replicas, a Job's COMPLETIONS succeeded/spec.completions. Δ is what the loop still
// has to close: replicas missing (positive) or in excess (negative), or outdated ones during a rollout.
import type { DaemonSet, Deployment, StatefulSet } from 'kubernetes-types/apps/v1';
import type { Job } from 'kubernetes-types/batch/v1';
import type { KubeObject } from './api';
import type { WorkloadKind } from './kinds';

export interface WorkloadState {
  /** What the spec asks for. */
  desired: number;
  /** Ready (or, for Jobs, succeeded) as the status reports it. */
  ready: number;
  /** Pods the controller has (Deployments, StatefulSets: status.replicas; DaemonSets: currentNumberScheduled; Jobs: active). */
  current: number;
  updated?: number;
  available?: number;
  /** desired − ready, or desired − current when there are too many; 0 once the rollout is done too. */
  delta: number;
  /** The controller has seen the latest spec and every number matches it. */
  converged: boolean;
  /** kubectl's READY / COMPLETIONS cell: "1/3". */
  label: string;
  /** What is still going on, in words (empty once converged). */
  progress: string;
}

function observedLatest(o: KubeObject & { status?: { observedGeneration?: number } }): boolean {
  return (o.status?.observedGeneration ?? 0) >= (o.metadata?.generation ?? 0);
}

function state(desired: number, ready: number, current: number, updated: number | undefined, available: number | undefined, latest: boolean): WorkloadState {
  const excess = current > desired ? desired - current : 0;
  const missing = desired - ready;
  const outdated = updated !== undefined ? desired - updated : 0;
  const delta = excess !== 0 ? excess : missing !== 0 ? missing : outdated;
  const converged = latest && delta === 0 && current === desired && (available === undefined || available === desired);
  let progress = '';
  if (!converged) {
    if (!latest) progress = 'the controller has not seen the latest spec yet';
    else if (excess) progress = `${-excess} to remove`;
    else if (missing > 0) progress = `${missing} not ready yet`;
    else if (outdated > 0) progress = `${outdated} to update`;
    else if (available !== undefined && available < desired) progress = `${desired - available} not available yet`;
    else progress = 'settling';
  }
  return { desired, ready, current, updated, available, delta, converged, label: `${ready}/${desired}`, progress };
}

export function workloadState(kind: WorkloadKind, obj: KubeObject): WorkloadState {
  switch (kind) {
    case 'deployments': {
      const d = obj as Deployment & KubeObject;
      const s = d.status ?? {};
      return state(d.spec?.replicas ?? 1, s.readyReplicas ?? 0, s.replicas ?? 0, s.updatedReplicas ?? 0, s.availableReplicas ?? 0, observedLatest(d));
    }
    case 'statefulsets': {
      const d = obj as StatefulSet & KubeObject;
      const s = d.status ?? { replicas: 0 };
      return state(d.spec?.replicas ?? 1, s.readyReplicas ?? 0, s.replicas ?? 0, s.updatedReplicas ?? 0, s.availableReplicas ?? s.readyReplicas ?? 0, observedLatest(d));
    }
    case 'daemonsets': {
      const d = obj as DaemonSet & KubeObject;
      const s = d.status ?? { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
      return state(s.desiredNumberScheduled ?? 0, s.numberReady ?? 0, s.currentNumberScheduled ?? 0, s.updatedNumberScheduled ?? 0, s.numberAvailable ?? 0, observedLatest(d));
    }
    case 'jobs': {
      const j = obj as Job & KubeObject;
      const s = j.status ?? {};
      const desired = j.spec?.completions ?? 1;
      const succeeded = s.succeeded ?? 0;
      const finished = (s.conditions ?? []).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
      const delta = finished ? 0 : desired - succeeded;
      return {
        desired,
        ready: succeeded,
        current: s.active ?? 0,
        delta,
        converged: !!finished,
        label: `${succeeded}/${desired}`,
        progress: finished ? '' : `${s.active ?? 0} running, ${s.failed ?? 0} failed`,
      };
    }
  }
}

/** The Deployment's rollout revision (deployment.kubernetes.io/revision). */
export function revisionOf(o: KubeObject): number {
  const v = Number(o.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? '0');
  return Number.isFinite(v) ? v : 0;
}
