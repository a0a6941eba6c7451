// The pure heart of the node agent: given a pod and what the runtime shows of it, decide what to do
// next (kubelet's computePodActions). No I/O, no timers: time, back-off state and probe results come
// in through SyncContext, so every case is a table test. The agent loop (agent.ts) applies the actions.
import type { Container, Pod } from 'kubernetes-types/core/v1';
import { createHash } from 'node:crypto';
import { ObservedContainer, ObservedPod, newestContainer } from './observed';
import { stableJson } from '../lib/api/json';
import { isPodTerminal } from '../lib/api/pod';

export type PodAction =
  /**
   * Stop every running container (grace period) and every ready sandbox of the pod; a deleted pod's
   * sandboxes only if it has host ports (otherwise they are removed after the object, as garbage).
   */
  | { type: 'KillPod'; gracePeriodSeconds: number; reason: string }
  | { type: 'CreateSandbox'; attempt: number }
  /** Pull (per imagePullPolicy), create and start one container in the newest sandbox (ephemeral: one of spec.ephemeralContainers). */
  | { type: 'StartContainer'; name: string; init: boolean; ephemeral?: true; attempt: number; backoffKey?: string; crashedAt?: number }
  | { type: 'KillContainer'; id: string; name: string; gracePeriodSeconds: number; reason: string; message: string }
  | { type: 'RemoveContainer'; id: string; name: string }
  | { type: 'RemoveSandbox'; id: string }
  /** No container runs: remove volumes (and what else nothing holds), then delete the pod object. */
  | { type: 'FinalizeDeletion' };

export type ProbeResult = 'success' | 'failure' | 'unknown';

export interface ProbeView {
  liveness(containerId: string): ProbeResult;
  startup(containerId: string): ProbeResult;
  readiness(containerId: string): ProbeResult;
}

/** Why a container cannot be started right now (image pull or create failures), from the loop. */
export interface StartBlock {
  reason: string; // ImagePullBackOff, ErrImagePull, CreateContainerError, ...
  message: string;
  remainingMs: number;
}

export interface SyncContext {
  now: number;
  /** Crash back-off: ms still to wait after a failure at eventTime (0 = go). */
  backoffRemaining(key: string, eventTime: number, now: number): number;
  backoffDelay(key: string): number;
  probes: ProbeView;
  startBlocked(key: string, now: number): StartBlock | undefined;
}

export interface Waiting {
  reason: string;
  message: string;
}

export interface SyncResult {
  actions: PodAction[];
  /** Containers that are waiting for a reason the runtime cannot show (CrashLoopBackOff, ...). */
  waiting: Record<string, Waiting>;
  /** Sync this pod again after this long (a back-off ends). */
  requeueAfterMs?: number;
}

export const noProbes: ProbeView = {
  liveness: () => 'success',
  startup: () => 'success',
  readiness: () => 'success',
};

export function backoffKey(uid: string, containerName: string): string {
  return `${uid}/${containerName}`;
}

/** A stable hash of a container's spec; a running container with another hash is restarted. */
export function containerHash(c: Container): string {
  return createHash('sha256').update(stableJson(c)).digest('hex').slice(0, 16);
}


export function gracePeriodSeconds(pod: Pod): number {
  const md = pod.metadata || {};
  if (md.deletionTimestamp && md.deletionGracePeriodSeconds !== undefined) return md.deletionGracePeriodSeconds;
  return pod.spec?.terminationGracePeriodSeconds ?? 30;
}

/** A sidecar: an init container with restartPolicy Always, which keeps running beside the pod's containers. */
export function isSidecar(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

export function restartPolicy(pod: Pod): 'Always' | 'OnFailure' | 'Never' {
  const p = pod.spec?.restartPolicy;
  return p === 'OnFailure' || p === 'Never' ? p : 'Always';
}

function isRunning(c: ObservedContainer | undefined): boolean {
  return !!c && c.state === 'CONTAINER_RUNNING';
}

function isExited(c: ObservedContainer | undefined): boolean {
  return !!c && c.state === 'CONTAINER_EXITED';
}

/**
 * Would a restart policy start again a container that exited this way (the kubelet's
 * ShouldContainerBeRestarted)? An init container that succeeded never runs again.
 */
export function policyRestarts(policy: string, c: ObservedContainer, init = false): boolean {
  if (init && c.exitCode === 0) return false;
  if (policy === 'Always') return true;
  if (policy === 'OnFailure') return c.exitCode !== 0;
  return false;
}

/** Would the pod's policy restart a container that exited this way? */
export function shouldRestart(pod: Pod, c: ObservedContainer): boolean {
  return policyRestarts(restartPolicy(pod), c);
}

/**
 * The pod is finished when nothing will run again: every init container done or failed for good and
 * no regular container that the restart policy would (re)start. Computed from the runtime alone, so a
 * pod whose sandbox was stopped after completion is not brought back.
 */
export function isPodFinished(pod: Pod, observed: ObservedPod): boolean {
  const policy = restartPolicy(pod);
  if (policy === 'Always') return false;
  const spec = pod.spec;
  if (!spec) return false;
  for (const ic of spec.initContainers || []) {
    // A sidecar never completes: the pod finishes with its regular containers, and the sidecars are stopped.
    if (isSidecar(ic)) continue;
    const c = newestContainer(observed, ic.name, true);
    if (!c) return false;
    if (isExited(c) && c.exitCode !== 0 && policy === 'Never') return true;
    if (!isExited(c) || c.exitCode !== 0) return false;
  }
  for (const sc of spec.containers) {
    const c = newestContainer(observed, sc.name, false);
    if (!c || !isExited(c)) return false;
    if (shouldRestart(pod, c)) return false;
  }
  return true;
}

/** Does a container of the pod map a host port (the sandbox's portmap rules)? */
export function hasHostPorts(pod: Pod): boolean {
  return (pod.spec?.containers ?? []).some((c) => (c.ports ?? []).some((p) => !!p.hostPort));
}

/** Decides the next actions for one pod. */
export function computePodActions(pod: Pod, observed: ObservedPod, ctx: SyncContext): SyncResult {
  const result: SyncResult = { actions: [], waiting: {} };
  const spec = pod.spec;
  const uid = pod.metadata?.uid || observed.uid;
  const running = observed.containers.filter(isRunning);
  const readySandboxes = observed.sandboxes.filter((s) => s.state === 'SANDBOX_READY');

  gcDeadContainers(pod, observed, result);

  // Deletion: stop the containers with the grace period, then finalize. The sandbox (pause container,
  // network) is garbage once no container runs, torn down after the object is gone and behind the
  // node's starts and kills (its CNI DEL and two runc runs are most of a pod's teardown: 27 at once took
  // the two cores for seconds). A pod with host ports keeps the kubelet's order, its sandbox stopped
  // first: a replacement on this node must not find the old DNAT rules in front of its own.
  if (pod.metadata?.deletionTimestamp || !spec) {
    if (running.length || (readySandboxes.length && hasHostPorts(pod))) {
      result.actions.push({ type: 'KillPod', gracePeriodSeconds: gracePeriodSeconds(pod), reason: 'deleted' });
    } else {
      result.actions.push({ type: 'FinalizeDeletion' });
    }
    return result;
  }

  // A finished pod (terminal phase written, or nothing left to run) only gets stopped.
  if (isPodTerminal(pod) || isPodFinished(pod, observed)) {
    if (running.length || readySandboxes.length) {
      result.actions.push({ type: 'KillPod', gracePeriodSeconds: gracePeriodSeconds(pod), reason: 'completed' });
    }
    return result;
  }

  const sandbox = observed.sandboxes[0];
  const needSandbox =
    !sandbox || sandbox.state !== 'SANDBOX_READY' || readySandboxes.length > 1 || (!spec.hostNetwork && !sandbox.ip);
  if (needSandbox) {
    const attempt = sandbox ? sandbox.attempt + 1 : 0;
    if (running.length || readySandboxes.length) {
      result.actions.push({ type: 'KillPod', gracePeriodSeconds: gracePeriodSeconds(pod), reason: 'sandbox changed' });
    }
    result.actions.push({ type: 'CreateSandbox', attempt });
    // In a new sandbox init containers run again from the first; OnFailure keeps what succeeded.
    const inits = spec.initContainers || [];
    if (inits.length) {
      planStart(pod, observed, inits[0], true, uid, ctx, result, false);
    } else {
      for (const c of spec.containers) {
        const last = newestContainer(observed, c.name, false);
        if (last && isExited(last) && !shouldRestart(pod, last)) continue;
        planStart(pod, observed, c, false, uid, ctx, result, false);
      }
    }
    return result;
  }

  // Init containers, one at a time, in order, in the current sandbox; a sidecar lets the next one start
  // once it has started, and keeps running. Once a regular container exists the pod is initialized (the
  // kubelet's HasAnyRegularContainerCreated): then only the sidecars are kept running.
  const inits = spec.initContainers || [];
  const initialized = spec.containers.some((sc) => newestContainer(observed, sc.name, false, sandbox.id));
  for (const ic of initialized ? inits.filter(isSidecar) : inits) {
    const c = newestContainer(observed, ic.name, true, sandbox.id);
    if (isSidecar(ic)) {
      const up = keepSidecar(pod, observed, ic, c, uid, ctx, result);
      // Before the pod is initialized the next init container waits until this one has started.
      if (!initialized && !(up && c && (!ic.startupProbe || ctx.probes.startup(c.id) === 'success'))) return result;
      continue;
    }
    if (!c) {
      planStart(pod, observed, ic, true, uid, ctx, result, false);
      return result;
    }
    if (isRunning(c)) return result;
    if (isExited(c) && c.exitCode === 0) continue;
    // Failed, or created and never started.
    if (c.state !== 'CONTAINER_EXITED') {
      result.actions.push({ type: 'KillContainer', id: c.id, name: c.name, gracePeriodSeconds: 0, reason: 'Unknown', message: 'container in an unknown state' });
    }
    if (restartPolicy(pod) === 'Never') {
      result.actions.push({ type: 'KillPod', gracePeriodSeconds: gracePeriodSeconds(pod), reason: 'init container failed' });
      return result;
    }
    planStart(pod, observed, ic, true, uid, ctx, result, isExited(c));
    return result;
  }

  // Regular containers.
  let keep = 0;
  for (const sc of spec.containers) {
    const c = newestContainer(observed, sc.name, false, sandbox.id);
    if (!c) {
      const last = newestContainer(observed, sc.name, false);
      if (last && isExited(last) && !shouldRestart(pod, last)) continue;
      planStart(pod, observed, sc, false, uid, ctx, result, false);
      continue;
    }
    if (isRunning(c)) {
      const why = restartReason(sc, c, ctx);
      if (!why) {
        keep++;
        continue;
      }
      result.actions.push({ type: 'KillContainer', id: c.id, name: c.name, gracePeriodSeconds: containerGrace(pod), ...why });
      // A restart caused by the agent itself is not a crash: no back-off (as in kubelet).
      if (restartPolicy(pod) !== 'Never') planStart(pod, observed, sc, false, uid, ctx, result, false);
      continue;
    }
    if (!isExited(c)) {
      // Created but never started (the agent died in between), or unknown: replace it.
      result.actions.push({ type: 'KillContainer', id: c.id, name: c.name, gracePeriodSeconds: 0, reason: 'Unknown', message: 'container in an unknown state' });
      planStart(pod, observed, sc, false, uid, ctx, result, false);
      continue;
    }
    if (shouldRestart(pod, c)) planStart(pod, observed, sc, false, uid, ctx, result, true);
  }
  // The sidecars alone never keep a pod running: only the regular containers' starts and waits count.
  const regular = new Set(spec.containers.map((c) => c.name));
  const starts = result.actions.filter((a) => a.type === 'StartContainer' && !a.init).length;
  const waits = Object.keys(result.waiting).filter((n) => regular.has(n)).length;
  if (keep === 0 && starts === 0 && waits === 0) {
    result.actions.push({ type: 'KillPod', gracePeriodSeconds: gracePeriodSeconds(pod), reason: 'no containers to run' });
    return result;
  }
  // Ephemeral containers (kubectl debug): each started once in the running pod, never restarted, and
  // never what keeps a pod running (as the kubelet's EphemeralContainersToStart).
  for (const ec of spec.ephemeralContainers || []) {
    if (observed.containers.some((c) => c.ephemeral && c.name === ec.name)) continue;
    planStart(pod, observed, ec as Container, false, uid, ctx, result, false, true);
  }
  return result;
}

/** Why a running container must be stopped and started again: its spec changed, or a probe says so. */
function restartReason(spec: Container, c: ObservedContainer, ctx: SyncContext): { reason: string; message: string } | undefined {
  if (c.hash && c.hash !== containerHash(spec)) return { reason: 'SpecChanged', message: `Container ${spec.name} definition changed, will be restarted` };
  if (spec.startupProbe && ctx.probes.startup(c.id) === 'failure') return { reason: 'StartupProbeFailed', message: `Container ${spec.name} failed startup probe, will be restarted` };
  if (spec.livenessProbe && ctx.probes.liveness(c.id) === 'failure') return { reason: 'LivenessProbeFailed', message: `Container ${spec.name} failed liveness probe, will be restarted` };
  return undefined;
}

/**
 * A sidecar in the current sandbox, as the kubelet keeps one: started when missing, started again (after
 * its back-off) whenever it exited, whatever the pod's restart policy, and restarted when its spec or
 * probes say so. Returns whether it runs on.
 */
function keepSidecar(pod: Pod, observed: ObservedPod, ic: Container, c: ObservedContainer | undefined, uid: string, ctx: SyncContext, result: SyncResult): boolean {
  if (!c) {
    planStart(pod, observed, ic, true, uid, ctx, result, false);
    return false;
  }
  if (isRunning(c)) {
    const why = restartReason(ic, c, ctx);
    if (!why) return true;
    result.actions.push({ type: 'KillContainer', id: c.id, name: c.name, gracePeriodSeconds: containerGrace(pod), ...why });
    planStart(pod, observed, ic, true, uid, ctx, result, false);
    return false;
  }
  if (!isExited(c)) {
    result.actions.push({ type: 'KillContainer', id: c.id, name: c.name, gracePeriodSeconds: 0, reason: 'Unknown', message: 'container in an unknown state' });
    planStart(pod, observed, ic, true, uid, ctx, result, false);
    return false;
  }
  planStart(pod, observed, ic, true, uid, ctx, result, true);
  return false;
}

function containerGrace(pod: Pod): number {
  return pod.spec?.terminationGracePeriodSeconds ?? 30;
}

/** Adds a StartContainer, or a waiting reason when back-off or a start failure holds it back. */
function planStart(
  pod: Pod,
  observed: ObservedPod,
  c: Container,
  init: boolean,
  uid: string,
  ctx: SyncContext,
  result: SyncResult,
  afterCrash: boolean,
  ephemeral = false,
): void {
  const key = backoffKey(uid, c.name);
  const last = newestContainer(observed, c.name, init);
  const attempt = last ? last.attempt + 1 : 0;
  const requeue = (ms: number) => {
    result.requeueAfterMs = result.requeueAfterMs === undefined ? ms : Math.min(result.requeueAfterMs, ms);
  };
  const blocked = ctx.startBlocked(key, ctx.now);
  if (blocked && blocked.remainingMs > 0) {
    result.waiting[c.name] = { reason: blocked.reason, message: blocked.message };
    requeue(blocked.remainingMs);
    return;
  }
  if (afterCrash && last && isExited(last)) {
    const remaining = ctx.backoffRemaining(key, last.finishedAt, ctx.now);
    if (remaining > 0) {
      const delay = Math.round(ctx.backoffDelay(key) / 1000);
      const md = pod.metadata || {};
      result.waiting[c.name] = {
        reason: 'CrashLoopBackOff',
        message: `back-off ${formatDuration(delay)} restarting failed container=${c.name} pod=${md.name}_${md.namespace}(${uid})`,
      };
      requeue(remaining);
      return;
    }
    result.actions.push({ type: 'StartContainer', name: c.name, init, attempt, backoffKey: key, crashedAt: last.finishedAt });
    return;
  }
  result.actions.push({ type: 'StartContainer', name: c.name, init, attempt, ...(ephemeral ? { ephemeral: true as const } : {}) });
}

/** Go's duration style, as kubelet prints it: 10s, 1m20s, 5m0s. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60);
  return `${m}m${seconds % 60}s`;
}

/**
 * Keeps, per container name, the newest instance and the one before it (lastState and `previous`
 * logs); older exited instances are removed, as are stopped sandboxes that no kept container uses.
 */
function gcDeadContainers(pod: Pod, observed: ObservedPod, result: SyncResult): void {
  const seen = new Map<string, number>();
  const kept = new Set<string>();
  for (const c of observed.containers) {
    const k = `${c.ephemeral ? 'e' : c.init ? 'i' : 'c'}/${c.name}`;
    const n = (seen.get(k) || 0) + 1;
    seen.set(k, n);
    if (n > 2 && isExited(c)) result.actions.push({ type: 'RemoveContainer', id: c.id, name: c.name });
    else kept.add(c.podSandboxId);
  }
  if (pod.metadata?.deletionTimestamp) return;
  for (const s of observed.sandboxes.slice(1)) {
    if (s.state !== 'SANDBOX_READY' && !kept.has(s.id)) result.actions.push({ type: 'RemoveSandbox', id: s.id });
  }
}
