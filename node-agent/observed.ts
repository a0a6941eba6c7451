// What the runtime shows of one pod, in the shape the pure sync and status code reads: its sandboxes
// and containers (newest first), built from CRI objects by their labels.
import type { ContainerState, ContainerStatus, PodSandboxStatus, SandboxState } from './runtime/runtime';
import { LABEL_CONTAINER_HASH, LABEL_CONTAINER_KIND, LABEL_CONTAINER_NAME } from './labels';

export interface ObservedSandbox {
  id: string;
  attempt: number;
  state: SandboxState;
  createdAt: number;
  ip: string;
}

export interface ObservedContainer {
  id: string;
  podSandboxId: string;
  name: string;
  init: boolean;
  /** One of the pod's ephemeral containers (kubectl debug); init is false for it. */
  ephemeral: boolean;
  attempt: number;
  state: ContainerState;
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  image: string;
  imageRef: string;
  hash: string;
  logPath: string;
  /** Host PID of a running container's init, when the runtime tells it. */
  pid?: number;
}

export interface ObservedPod {
  uid: string;
  sandboxes: ObservedSandbox[]; // newest first
  containers: ObservedContainer[]; // newest first
}

export function emptyObserved(uid: string): ObservedPod {
  return { uid, sandboxes: [], containers: [] };
}

export function observedSandbox(s: PodSandboxStatus): ObservedSandbox {
  return { id: s.id, attempt: s.attempt, state: s.state, createdAt: s.createdAt, ip: s.ip };
}

export function observedContainer(c: ContainerStatus): ObservedContainer {
  return {
    id: c.id,
    podSandboxId: c.podSandboxId,
    name: c.labels[LABEL_CONTAINER_NAME] || c.name,
    init: c.labels[LABEL_CONTAINER_KIND] === 'init',
    ephemeral: c.labels[LABEL_CONTAINER_KIND] === 'ephemeral',
    attempt: c.attempt,
    state: c.state,
    createdAt: c.createdAt,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    exitCode: c.exitCode,
    reason: c.reason,
    message: c.message,
    image: c.image,
    imageRef: c.imageRef,
    hash: c.labels[LABEL_CONTAINER_HASH] || '',
    logPath: c.logPath,
    pid: c.pid,
  };
}

/** Sorts newest first: by attempt, then creation time. */
export function sortObserved(p: ObservedPod): ObservedPod {
  p.sandboxes.sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
  p.containers.sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
  return p;
}

/** The newest instance of a container by name (any sandbox), optionally only in one sandbox. */
export function newestContainer(p: ObservedPod, name: string, init: boolean, sandboxId?: string): ObservedContainer | undefined {
  return p.containers.find((c) => c.name === name && c.init === init && (!sandboxId || c.podSandboxId === sandboxId));
}

/** The instance before the newest one: lastState and `previous` logs come from it. */
export function previousContainer(p: ObservedPod, name: string, init: boolean): ObservedContainer | undefined {
  let seen = false;
  for (const c of p.containers) {
    if (c.name !== name || c.init !== init) continue;
    if (seen) return c;
    seen = true;
  }
  return undefined;
}
