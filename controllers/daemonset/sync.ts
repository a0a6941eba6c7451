// One DaemonSet sync as a pure function (Kubernetes' daemon controller: manage, rollingUpdate,
// updateDaemonSetStatus): which nodes need a daemon pod, which pods must go (wrong node, node gone,
// duplicates, failed, or replaced by a rolling update within maxUnavailable), and the status.
import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { ControllerRevisionHashLabel, nodeShouldRunDaemonPod, withDaemonTolerations } from './util';
import { byCreationTimestamp } from '../shared/creation-order';
import { computeTemplateHash } from '../shared/template-hash';
import { newControllerRef } from '../shared/controller-ref';
import { scaledValue } from '../shared/int-or-percent';
import { availableAt, isPodAvailable, isPodReady } from '../../lib/api/pod';

export interface DaemonSetSyncInput {
  daemonSet: DaemonSet;
  nodes: Node[];
  /** The pods this DaemonSet controls (after adoption). */
  pods: Pod[];
  now: Date;
  /**
   * False while creates or deletes of an earlier sync have not shown up in the cache yet: then only
   * status is computed, so a slow watch never causes a second pod on a node (Kubernetes' expectations).
   */
  expectationsSatisfied?: boolean;
  /**
   * Nodes where a daemon pod recently failed, with the time (ms) before which no new one is created
   * there: a node agent that keeps rejecting the pod must not make the controller loop hot.
   */
  createBackoffUntil?: Map<string, number>;
}

export interface DaemonSetPlan {
  /** Nodes to create a daemon pod on. */
  createOn: string[];
  /** Pods to delete. */
  delete: Pod[];
  status: DaemonSetStatus;
  /** The template hash daemon pods carry in the controller-revision-hash label. */
  hash: string;
  requeueAfterMs?: number;
}

/** The template hash of a DaemonSet (its pods' controller-revision-hash label). */
export function daemonSetHash(ds: DaemonSet): string {
  return computeTemplateHash(ds.spec?.template, ds.status?.collisionCount);
}

function isTerminating(p: Pod): boolean {
  return !!p.metadata?.deletionTimestamp;
}

/** Oldest first, and among equals running before pending (Kubernetes' podByCreationTimestampAndPhase). */
function byAgeAndPhase(a: Pod, b: Pod): number {
  const d = byCreationTimestamp(a, b);
  if (d !== 0) return d;
  const rank = (p: Pod) => (p.status?.phase === 'Running' ? 0 : 1);
  return rank(a) - rank(b);
}

/** Daemon pods grouped by the node they are bound to; pods terminal and being deleted are left out. */
export function podsByNode(pods: Pod[]): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  for (const p of pods) {
    const phase = p.status?.phase;
    if (isTerminating(p) && (phase === 'Failed' || phase === 'Succeeded')) continue;
    const node = p.spec?.nodeName ?? '';
    let list = out.get(node);
    if (!list) out.set(node, (list = []));
    list.push(p);
  }
  return out;
}

/** maxUnavailable resolved against the number of nodes that should run a pod (rounded up; at least 1). */
export function resolveMaxUnavailable(ds: DaemonSet, desiredNumberScheduled: number): number {
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  const unavailable = scaledValue(ru?.maxUnavailable ?? 1, desiredNumberScheduled, true);
  // maxSurge is not supported: a DaemonSet here replaces pods in place, so something must be allowed to go.
  return unavailable === 0 && desiredNumberScheduled > 0 ? 1 : unavailable;
}

export function planDaemonSet(input: DaemonSetSyncInput): DaemonSetPlan {
  const { daemonSet: ds, nodes, pods, now } = input;
  const hash = daemonSetHash(ds);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const byNode = podsByNode(pods);
  const nodeNames = new Set(nodes.map((n) => n.metadata?.name ?? ''));
  const createOn: string[] = [];
  const toDelete = new Map<string, Pod>();
  const del = (p: Pod) => toDelete.set(p.metadata?.name ?? '', p);
  let requeueAt: number | undefined;
  const requeueBy = (t: number) => {
    requeueAt = requeueAt === undefined ? t : Math.min(requeueAt, t);
  };

  const sortedNodes = [...nodes].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  const placement = new Map(sortedNodes.map((n) => [n.metadata?.name ?? '', nodeShouldRunDaemonPod(n, ds)]));

  if (input.expectationsSatisfied !== false) {
    // manage: one pod on every node that should run one, none elsewhere.
    for (const node of sortedNodes) {
      const name = node.metadata?.name ?? '';
      const { shouldRun, shouldContinueRunning } = placement.get(name)!;
      const here = byNode.get(name);
      if (shouldRun && !here) {
        const until = input.createBackoffUntil?.get(name);
        if (until !== undefined && until > now.getTime()) requeueBy(until);
        else createOn.push(name);
      } else if (shouldContinueRunning && here) {
        const running: Pod[] = [];
        for (const p of here) {
          if (isTerminating(p)) continue;
          // A failed daemon pod is deleted; its replacement comes with the next sync.
          if (p.status?.phase === 'Failed') del(p);
          else running.push(p);
        }
        running.sort(byAgeAndPhase);
        for (const extra of running.slice(1)) del(extra);
      } else if (!shouldContinueRunning && here) {
        for (const p of here) if (!isTerminating(p)) del(p);
      }
    }
    // Pods bound to nodes that no longer exist (or to none).
    for (const [nodeName, list] of byNode) {
      if (nodeNames.has(nodeName)) continue;
      for (const p of list) if (!isTerminating(p)) del(p);
    }

    // rollingUpdate: replace old pods, at most maxUnavailable unavailable at once.
    if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      const desired = [...placement.values()].filter((p) => p.shouldRun).length;
      const maxUnavailable = resolveMaxUnavailable(ds, desired);
      let numUnavailable = 0;
      const replaceNow: Pod[] = [];
      const candidates: Pod[] = [];
      for (const node of sortedNodes) {
        const name = node.metadata?.name ?? '';
        const here = byNode.get(name);
        if (!here) {
          // A node that should run a pod but has none (e.g. its old pod just went) is unavailable too.
          if (placement.get(name)!.shouldRun) numUnavailable++;
          continue;
        }
        let newPod: Pod | undefined;
        let oldPod: Pod | undefined;
        let ok = true;
        for (const p of here) {
          if (isTerminating(p)) continue;
          if (p.metadata?.labels?.[ControllerRevisionHashLabel] === hash) {
            if (newPod) ok = false;
            newPod = p;
          } else {
            if (oldPod) ok = false;
            oldPod = p;
          }
        }
        if (!ok || (!newPod && !oldPod) || (newPod && oldPod)) {
          // manage cleans this node up; count it as unavailable meanwhile.
          numUnavailable++;
          continue;
        }
        if (newPod) {
          if (!isPodAvailable(newPod, minReady, now)) numUnavailable++;
          continue;
        }
        if (!isPodAvailable(oldPod!, minReady, now)) replaceNow.push(oldPod!);
        else if (numUnavailable < maxUnavailable) candidates.push(oldPod!);
      }
      const room = Math.max(0, Math.min(maxUnavailable - numUnavailable, candidates.length));
      for (const p of [...replaceNow, ...candidates.slice(0, room)]) del(p);
    }
  }

  // status
  let desiredNumberScheduled = 0;
  let currentNumberScheduled = 0;
  let numberMisscheduled = 0;
  let numberReady = 0;
  let numberAvailable = 0;
  let updatedNumberScheduled = 0;
  for (const node of sortedNodes) {
    const name = node.metadata?.name ?? '';
    const here = byNode.get(name);
    if (placement.get(name)!.shouldRun) {
      desiredNumberScheduled++;
      if (!here) continue;
      currentNumberScheduled++;
      const pod = [...here].sort(byAgeAndPhase)[0];
      if (isPodReady(pod)) {
        numberReady++;
        if (isPodAvailable(pod, minReady, now)) numberAvailable++;
        else {
          const at = availableAt(pod, minReady);
          if (at !== undefined) requeueBy(at);
        }
      }
      if (pod.metadata?.labels?.[ControllerRevisionHashLabel] === hash) updatedNumberScheduled++;
    } else if (here) {
      numberMisscheduled++;
    }
  }
  const status: DaemonSetStatus = {
    observedGeneration: ds.metadata?.generation ?? 0,
    currentNumberScheduled,
    numberMisscheduled,
    desiredNumberScheduled,
    numberReady,
    updatedNumberScheduled,
    numberAvailable,
    numberUnavailable: desiredNumberScheduled - numberAvailable,
  };
  if (ds.status?.collisionCount !== undefined) status.collisionCount = ds.status.collisionCount;
  if (ds.status?.conditions) status.conditions = ds.status.conditions;
  return {
    createOn,
    delete: [...toDelete.values()],
    status,
    hash,
    requeueAfterMs: requeueAt === undefined ? undefined : Math.max(0, requeueAt - now.getTime()) + 50,
  };
}

/**
 * The daemon pod for a node: the template with the hash label, a controller reference, the daemon
 * tolerations, and spec.nodeName set directly. steer binds daemon pods itself (as Kubernetes did before
 * 1.12) instead of leaving them to the scheduler with node affinity: the pod must land on exactly this
 * node whatever the scheduler's view, and no scheduler needs to run for node-level agents to start.
 */
export function newDaemonPod(ds: DaemonSet, nodeName: string, hash: string): Pod {
  const template = structuredClone(ds.spec?.template ?? {});
  const spec = template.spec ?? { containers: [] };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ds.metadata?.name}-`,
      namespace: ds.metadata?.namespace,
      labels: { ...(template.metadata?.labels ?? {}), [ControllerRevisionHashLabel]: hash },
      annotations: template.metadata?.annotations,
      ownerReferences: [newControllerRef(ds, 'apps/v1', 'DaemonSet')],
    },
    spec: { ...spec, nodeName, tolerations: withDaemonTolerations(spec) },
  };
}
