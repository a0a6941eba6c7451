// Pure computation of a pod's status from what the runtime shows, like kubelet's
// generateAPIPodStatus + getPhase: container states, restart counts, readiness, conditions, phase.
// Transition times are carried over from the previous status when a condition did not change, so a
// status computed twice from the same observation is identical (and is not written again).
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1';
import { ObservedContainer, ObservedPod, newestContainer, previousContainer } from './observed';
import { isSidecar, policyRestarts, ProbeView, Waiting, restartPolicy } from './sync';
import { podIPOf } from './podspec';
import { qosClass } from '../lib/api/pod';
import { isPodTerminal } from '../lib/api/pod';
import { rfc3339 } from '../lib/api/time';

export interface StatusContext {
  now: number;
  /** 'containerd', 'fake': containerIDs are '<runtime>://<id>'. */
  runtimeName: string;
  hostIP: string;
  probes: ProbeView;
  waiting: Record<string, Waiting>;
}


function terminatedState(c: ObservedContainer, runtimeName: string): ContainerState {
  return {
    terminated: {
      exitCode: c.exitCode,
      reason: c.reason || (c.exitCode === 0 ? 'Completed' : 'Error'),
      ...(c.message ? { message: c.message } : {}),
      startedAt: c.startedAt ? rfc3339(c.startedAt) : undefined,
      finishedAt: c.finishedAt ? rfc3339(c.finishedAt) : undefined,
      containerID: `${runtimeName}://${c.id}`,
    },
  };
}

function containerStatus(
  /** The pod's restart policy ('Never' for an ephemeral container). */
  policy: string,
  spec: Container,
  init: boolean,
  observed: ObservedPod,
  ctx: StatusContext,
  initializing: boolean,
): ContainerStatus {
  const cur = newestContainer(observed, spec.name, init);
  const prev = previousContainer(observed, spec.name, init);
  // Only a container that starts again shows the waiting reason of a failed start; one that stays exited
  // shows how it ended.
  const startsAgain = isSidecar(spec) || !cur || cur.state !== 'CONTAINER_EXITED' || policyRestarts(policy, cur, init);
  const waiting = startsAgain ? ctx.waiting[spec.name] : undefined;
  const out: ContainerStatus = {
    name: spec.name,
    image: spec.image || '',
    imageID: cur?.imageRef || '',
    ready: false,
    restartCount: cur ? cur.attempt : 0,
    state: {},
    lastState: {},
  };
  if (cur) out.containerID = `${ctx.runtimeName}://${cur.id}`;
  if (waiting) {
    out.state = { waiting: { reason: waiting.reason, message: waiting.message } };
    if (cur && cur.state === 'CONTAINER_EXITED') out.lastState = terminatedState(cur, ctx.runtimeName);
    else if (prev && prev.state === 'CONTAINER_EXITED') out.lastState = terminatedState(prev, ctx.runtimeName);
  } else if (!cur) {
    out.state = { waiting: { reason: initializing ? 'PodInitializing' : 'ContainerCreating' } };
  } else if (cur.state === 'CONTAINER_RUNNING') {
    out.state = { running: { startedAt: rfc3339(cur.startedAt || cur.createdAt) } };
    const started = !spec.startupProbe || ctx.probes.startup(cur.id) === 'success';
    out.started = started;
    // A sidecar is ready as a container is; a plain init container never.
    out.ready = (!init || isSidecar(spec)) && started && (!spec.readinessProbe || ctx.probes.readiness(cur.id) === 'success');
    if (prev && prev.state === 'CONTAINER_EXITED') out.lastState = terminatedState(prev, ctx.runtimeName);
  } else if (cur.state === 'CONTAINER_EXITED') {
    out.state = terminatedState(cur, ctx.runtimeName);
    out.started = false;
    if (prev && prev.state === 'CONTAINER_EXITED') out.lastState = terminatedState(prev, ctx.runtimeName);
  } else {
    out.state = { waiting: { reason: 'ContainerCreating' } };
  }
  return out;
}

/** kubelet's getPhase over the computed container statuses. */
export function podPhase(pod: Pod, initStatuses: ContainerStatus[], statuses: ContainerStatus[]): PodStatus['phase'] {
  const policy = restartPolicy(pod);
  let pendingInit = 0;
  let failedInit = 0;
  const inits = pod.spec?.initContainers || [];
  for (const [i, s] of initStatuses.entries()) {
    if (inits[i] && isSidecar(inits[i])) continue; // counted with the containers below
    if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting && s.lastState?.terminated && s.lastState.terminated.exitCode !== 0) failedInit++;
    else pendingInit++;
  }
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0 || failedInit > 0) return 'Pending';
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.lastState?.terminated) {
      stopped++;
      if (s.lastState.terminated.exitCode === 0) succeeded++;
    } else waiting++;
  }
  // Sidecars as the kubelet's getPhase counts them: running ones keep the pod Running, exited ones (or in
  // back-off after one) are ignored, never-started ones keep it Pending.
  for (const [i, s] of initStatuses.entries()) {
    if (!inits[i] || !isSidecar(inits[i])) continue;
    if (s.state?.running) running++;
    else if (!s.state?.terminated && !s.lastState?.terminated) waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'OnFailure') return 'Running';
    return 'Failed';
  }
  return 'Pending';
}

function condition(
  old: PodCondition[] | undefined,
  type: string,
  ok: boolean,
  now: number,
  reason?: string,
  message?: string,
): PodCondition {
  const status = ok ? 'True' : 'False';
  const prev = old?.find((c) => c.type === type);
  const c: PodCondition = {
    type,
    status,
    lastTransitionTime: prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(now),
  };
  if (!ok && reason) c.reason = reason;
  if (!ok && message) c.message = message;
  return c;
}

export function computePodStatus(pod: Pod, observed: ObservedPod, ctx: StatusContext): PodStatus {
  const spec = pod.spec!;
  const old = pod.status || {};
  const inits = spec.initContainers || [];
  const policy = restartPolicy(pod);
  const initStatuses = inits.map((c) => containerStatus(policy, c, true, observed, ctx, false));
  // Initialized: every init container done, a sidecar once started; for good once a container exists
  // (the kubelet's HasAnyRegularContainerCreated), so a sidecar's restart does not undo it.
  const regularCreated = spec.containers.some((c) => newestContainer(observed, c.name, false));
  const initPending = (c: Container, i: number) => !regularCreated && (isSidecar(c) ? initStatuses[i].started !== true : initStatuses[i].state?.terminated?.exitCode !== 0);
  const initDone = !inits.some(initPending);
  const statuses = spec.containers.map((c) => containerStatus(policy, c, false, observed, ctx, !initDone));
  let phase = podPhase(pod, initStatuses, statuses);
  // A terminal phase is final.
  if (isPodTerminal(pod)) phase = old.phase;

  const sandbox = observed.sandboxes[0];
  const readyIP = sandbox && sandbox.state === 'SANDBOX_READY' ? podIPOf(pod, sandbox.ip, ctx.hostIP) : '';
  const podIP = readyIP || old.podIP;

  const notInit = inits.filter(initPending).map((c) => c.name);
  // Sidecars count toward ContainersReady and Ready, as since Kubernetes 1.29.
  const sidecarStatuses = initStatuses.filter((_, i) => isSidecar(inits[i]));
  const notReady = [...sidecarStatuses, ...statuses].filter((s) => !s.ready).map((s) => s.name);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const readyReason = terminal && phase === 'Succeeded' ? 'PodCompleted' : 'ContainersNotReady';
  const readyMsg = terminal && phase === 'Succeeded' ? undefined : `containers with unready status: [${notReady.join(' ')}]`;
  const conditions: PodCondition[] = [
    condition(old.conditions, 'Initialized', notInit.length === 0 || phase === 'Succeeded', ctx.now, 'ContainersNotInitialized', `containers with incomplete status: [${notInit.join(' ')}]`),
    condition(old.conditions, 'Ready', notReady.length === 0, ctx.now, readyReason, readyMsg),
    condition(old.conditions, 'ContainersReady', notReady.length === 0, ctx.now, readyReason, readyMsg),
    old.conditions?.find((c) => c.type === 'PodScheduled') || condition(undefined, 'PodScheduled', true, ctx.now),
  ];
  // Conditions owned by others (readiness gates, DisruptionTarget) are kept.
  for (const c of old.conditions || []) {
    if (!conditions.some((k) => k.type === c.type)) conditions.push(c);
  }

  const status: PodStatus = {
    phase,
    conditions,
    hostIP: ctx.hostIP,
    hostIPs: [{ ip: ctx.hostIP }],
    startTime: old.startTime || rfc3339(ctx.now),
    containerStatuses: statuses,
    qosClass: qosClass(pod.spec),
  };
  if (podIP) {
    status.podIP = podIP;
    status.podIPs = [{ ip: podIP }];
  }
  // A terminal status keeps why it ended (the agent's DeadlineExceeded, an eviction's reason).
  if (terminal && isPodTerminal(pod)) {
    if (old.reason) status.reason = old.reason;
    if (old.message) status.message = old.message;
  }
  if (inits.length) status.initContainerStatuses = initStatuses;
  // Ephemeral containers are never ready and never count toward the phase or the conditions.
  const ephemeral = spec.ephemeralContainers || [];
  if (ephemeral.length) status.ephemeralContainerStatuses = ephemeral.map((c) => ({ ...containerStatus('Never', c as Container, false, observed, ctx, false), ready: false }));
  return status;
}
