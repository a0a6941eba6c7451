// PLEG (kubelet's pod lifecycle event generator) plus the runtime cache: relists the runtime's
// sandboxes and containers every `intervalMs`, keeps per-pod observations (only objects labelled with
// this node), and reports which pods changed. Where the runtime has exit events (containerd's
// /tasks/exit), an exit refreshes that one container at once and relisting backs off, doubling up to
// `maxIntervalMs` while nothing changes (kubelet's evented PLEG): a node with pods and nothing
// happening does almost nothing; without events it relists every `intervalMs` and watches host PIDs. Pod workers ask for an observation newer than a moment
// (`observe(uid, since)`), which joins a relist that started after it, so concurrent workers share one
// relist instead of each listing the runtime. Detailed statuses are fetched only for new or changed
// objects, so a steady relist is two list calls.
import * as fs from 'node:fs';
import type { ContainerExitEvent, ContainerRuntime, ContainerState, ContainerStatus, PodSandboxStatus, SandboxState } from './runtime/runtime';
import { LABEL_NODE, LABEL_POD_UID } from './labels';
import { ObservedContainer, ObservedPod, ObservedSandbox, emptyObserved, observedContainer, observedSandbox, sortObserved } from './observed';
import { plegRelistDuration } from './metrics';

export interface PlegOptions {
  runtime: ContainerRuntime;
  nodeName: string;
  intervalMs: number;
  /**
   * With exit events: the longest relist period while nothing changes (default 60 s; the relist is then
   * only a safety net, as kubelet's evented PLEG relists every 300 s).
   */
  maxIntervalMs?: number;
  /**
   * Also watch the host PIDs of running containers this often (ms; 0 = off) and relist at once when
   * one dies: CRI has no exit events on containerd 1.6, and this cuts exit detection to a few ms
   * without relisting the runtime that often.
   */
  pidWatchMs?: number;
  /** Called with the uids of pods whose runtime state changed. */
  onChange: (uids: string[]) => void;
  onError?: (err: unknown) => void;
}

export class Pleg {
  private pods = new Map<string, ObservedPod>();
  private readonly sandboxCache = new Map<string, { state: SandboxState; obs: ObservedSandbox }>();
  private readonly containerCache = new Map<string, { state: ContainerState; obs: ObservedContainer }>();
  private current?: { startedAt: number; done: Promise<void> };
  private next?: { done: Promise<void> };
  private timer?: NodeJS.Timeout;
  private pidTimer?: NodeJS.Timeout;
  private readonly refreshing = new Set<string>();
  private stopped = false;
  private lastCompleted = 0;
  /** When the newest relist that succeeded started (ms since epoch; -1: none yet). */
  private lastSucceededStart = -1;
  private relistCount = 0;
  /** The period until the next timed relist (grows while nothing changes and exit events flow). */
  private period: number;
  private lastRelistChanged = false;
  private stopEvents?: () => void;
  /** IDs this agent is stopping itself: their exit events need no refresh (its own sync relists). */
  private readonly expectedExits = new Set<string>();
  /**
   * Containers known exited from their exit event while the runtime's status may still say running
   * (containerd's CRI plugin records an exit tens of ms after /tasks/exit): a relist keeps them exited.
   */
  private readonly exitedByEvent = new Set<string>();
  private resubscribeTimer?: NodeJS.Timeout;

  constructor(private readonly o: PlegOptions) {
    this.period = o.intervalMs;
  }

  start(): Promise<void> {
    if (!this.subscribe()) this.startPidWatch();
    const first = this.relist();
    const tick = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.relist()
          .catch((err) => this.o.onError?.(err))
          .finally(() => {
            const max = Math.max(this.o.intervalMs, this.o.maxIntervalMs ?? 60_000);
            this.period = this.stopEvents && !this.lastRelistChanged ? Math.min(max, this.period * 2) : this.o.intervalMs;
            tick();
          });
      }, this.period);
      this.timer.unref?.();
    };
    return first.then(tick);
  }

  stop(): void {
    this.stopped = true;
    this.stopEvents?.();
    this.stopEvents = undefined;
    if (this.pidTimer) clearInterval(this.pidTimer);
    if (this.timer) clearTimeout(this.timer);
    if (this.resubscribeTimer) clearTimeout(this.resubscribeTimer);
  }

  /** Is the runtime's exit event stream in use (else relisting every intervalMs and the PID watch)? */
  eventDriven(): boolean {
    return !!this.stopEvents;
  }

  /**
   * Are host PIDs wanted (the PID watch, without an exit event stream)? Otherwise container statuses are
   * asked for plainly (ContainerRuntime.containerStatus). A stream that breaks later falls back to fast
   * relisting, which finds the exits of containers whose PIDs were not fetched.
   */
  wantsPids(): boolean {
    return !this.stopEvents;
  }

  /** The current timed relist period (ms). */
  relistPeriod(): number {
    return this.period;
  }

  private startPidWatch(): void {
    if (!this.o.pidWatchMs || this.pidTimer || this.stopped) return;
    this.pidTimer = setInterval(() => this.checkPids(), this.o.pidWatchMs);
    this.pidTimer.unref?.();
  }

  /** Subscribes to exit events; on a broken stream falls back to fast relisting and tries again later. */
  private subscribe(): boolean {
    const watch = this.o.runtime.watchContainerExits;
    if (!watch || this.stopped) return false;
    this.stopEvents = watch.call(
      this.o.runtime,
      (e) => this.onExit(e),
      (err) => {
        this.o.onError?.(err);
        this.stopEvents = undefined;
        this.period = this.o.intervalMs;
        this.startPidWatch();
        this.resubscribeTimer = setTimeout(() => {
          if (!this.subscribe()) return;
          if (this.pidTimer) clearInterval(this.pidTimer);
          this.pidTimer = undefined;
          void this.relist().catch((e) => this.o.onError?.(e)); // exits missed while the stream was down
        }, 5_000);
        this.resubscribeTimer.unref?.();
      },
    );
    return true;
  }

  /**
   * The agent is about to stop these containers or sandboxes: their exits are its own doing, and the
   * sync that stops them reads a fresh relist afterwards, so the exit events are not chased one by one
   * (a pod's teardown would otherwise cost a status poll per container and a relist per sandbox).
   */
  expectExits(ids: string[]): void {
    for (const id of ids) this.expectedExits.add(id);
  }

  /** How many expected exits are pending (bookkeeping; they go with their event or their object). */
  expectedExitCount(): number {
    return this.expectedExits.size;
  }

  /**
   * An init process exited: a running container is reported exited at once, from the event's exit code
   * and time (what a restart decision needs), then refreshed from the runtime; for a sandbox or an
   * unknown ID, a relist.
   */
  private onExit(e: ContainerExitEvent): void {
    const id = e.containerId;
    if (this.stopped) return;
    if (this.expectedExits.delete(id)) return;
    this.period = this.o.intervalMs;
    const cached = this.containerCache.get(id);
    if (cached && cached.state === 'CONTAINER_RUNNING') {
      // containerd's CRI plugin deletes the task before its status says exited (40–90 ms after a
      // SIGKILL on this machine kind), and a restart waited for that. The status read afterwards only
      // adds what the event lacks (OOMKilled, a message), reported as a second change when it does.
      const obs: ObservedContainer = { ...cached.obs, state: 'CONTAINER_EXITED', exitCode: e.exitStatus, finishedAt: e.exitedAt, reason: e.exitStatus === 0 ? 'Completed' : 'Error', pid: undefined };
      this.exitedByEvent.add(id);
      this.setContainer(obs);
      if (!this.refreshing.has(id)) void this.refreshDead(id);
      return;
    }
    if (cached) return; // already seen exited
    void this.relist().catch((err) => this.o.onError?.(err));
  }

  /** Pods seen in the last relist, by uid. */
  allPods(): Map<string, ObservedPod> {
    return this.pods;
  }

  relists(): number {
    return this.relistCount;
  }

  lastRelistAt(): number {
    return this.lastCompleted;
  }

  /**
   * This agent removed every object of the pod: drop it from the cache now. Until the next relist (up
   * to a minute away when idle) housekeeping would otherwise take it for an orphan every 2 s and remove
   * it again. A relist already under way may bring it back once; its sync then finds nothing to do.
   */
  forgetRemoved(uid: string): void {
    const p = this.pods.get(uid);
    if (!p) return;
    for (const s of p.sandboxes) this.sandboxCache.delete(s.id);
    for (const c of p.containers) this.containerCache.delete(c.id);
    this.pods.delete(uid);
  }

  /** Caches a sandbox status the caller just fetched, so the next relist need not fetch it again. */
  remember(st: PodSandboxStatus): void {
    this.sandboxCache.set(st.id, { state: st.state, obs: observedSandbox(st) });
  }

  /** Caches a container status the caller just fetched. */
  rememberContainer(st: ContainerStatus): void {
    this.containerCache.set(st.id, { state: st.state, obs: observedContainer(st) });
  }

  /** The pod as seen by a relist that started at or after `since` (ms since epoch). */
  async observe(uid: string, since: number): Promise<ObservedPod> {
    await this.relistAfter(since);
    return this.pods.get(uid) || emptyObserved(uid);
  }

  /** Waits for a relist that started at or after `since`. */
  relistAfter(since: number): Promise<void> {
    // A finished relist that started after the moment serves as it is (strictly after: one in the same
    // millisecond may have listed before the caller's change): a pod's periodic resync, with nothing
    // changed since, must not cost a relist (it cost one per resync wave, several a minute when idle).
    if (this.lastSucceededStart > since) return Promise.resolve();
    if (this.current && this.current.startedAt >= since) return this.current.done;
    if (!this.current) return this.relist();
    // One in flight started too early: queue exactly one more behind it, shared by all callers.
    if (!this.next) {
      const after = this.current.done.catch(() => undefined).then(() => {
        this.next = undefined;
        return this.relist();
      });
      this.next = { done: after };
    }
    return this.next.done;
  }

  /** One relist now (joins one in flight that is as fresh). */
  relist(): Promise<void> {
    if (this.current) {
      const cur = this.current;
      return cur.done.catch(() => undefined).then(() => this.relistAfter(Date.now()));
    }
    const startedAt = Date.now();
    const done = this.doRelist().then(() => {
      this.lastSucceededStart = Math.max(this.lastSucceededStart, startedAt);
    }).finally(() => {
      this.current = undefined;
      this.lastCompleted = Date.now();
    });
    this.current = { startedAt, done };
    return done;
  }

  private checkPids(): void {
    for (const [id, { state, obs }] of this.containerCache) {
      if (state !== 'CONTAINER_RUNNING' || !obs.pid || this.refreshing.has(id)) continue;
      if (!processAlive(obs.pid)) void this.refreshDead(id);
    }
  }

  /**
   * A running container's process is gone: ask the runtime for that one container's status (its
   * exit code) instead of relisting everything, and report its pod. The shim may need a moment to
   * record the exit, so it asks a few times before falling back to a full relist.
   */
  private async refreshDead(id: string): Promise<void> {
    this.refreshing.add(id);
    try {
      for (let i = 0; i < 10 && !this.stopped; i++) {
        let st: ContainerStatus;
        try {
          st = await this.o.runtime.containerStatus(id);
        } catch {
          break; // removed meanwhile: the relist settles it
        }
        if (st.state !== 'CONTAINER_RUNNING') {
          const fromEvent = this.exitedByEvent.delete(id) ? this.containerCache.get(id)?.obs : undefined;
          const obs = observedContainer(st);
          if (fromEvent && sameExit(fromEvent, obs)) this.containerCache.set(id, { state: st.state, obs: { ...obs, finishedAt: fromEvent.finishedAt } });
          else this.setContainer(obs);
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(5 << i, 200))); // the shim records the exit within ms
      }
      this.exitedByEvent.delete(id);
      await this.relist();
    } catch (err) {
      this.o.onError?.(err);
    } finally {
      this.refreshing.delete(id);
    }
  }

  /** Caches a container's new observation, puts it in its pod's and reports the pod changed. */
  private setContainer(obs: ObservedContainer): void {
    this.containerCache.set(obs.id, { state: obs.state, obs });
    for (const [uid, pod] of this.pods) {
      if (!pod.containers.some((c) => c.id === obs.id)) continue;
      this.pods.set(uid, { ...pod, containers: pod.containers.map((c) => (c.id === obs.id ? obs : c)) });
      this.o.onChange([uid]);
      return;
    }
  }

  private async doRelist(): Promise<void> {
    const end = plegRelistDuration.startTimer({ node: this.o.nodeName });
    const rt = this.o.runtime;
    const [sandboxes, containers] = await Promise.all([rt.listPodSandboxes(), rt.listContainers()]);
    const pods = new Map<string, ObservedPod>();
    const changed = new Set<string>();
    const seenSandboxes = new Set<string>();
    const seenContainers = new Set<string>();
    const fetches: Promise<void>[] = [];

    for (const s of sandboxes) {
      if (s.labels[LABEL_NODE] !== this.o.nodeName) continue;
      const uid = s.labels[LABEL_POD_UID] || s.uid;
      seenSandboxes.add(s.id);
      let p = pods.get(uid);
      if (!p) pods.set(uid, (p = emptyObserved(uid)));
      const cached = this.sandboxCache.get(s.id);
      if (cached && cached.state === s.state) {
        p.sandboxes.push(cached.obs);
        continue;
      }
      changed.add(uid);
      const pod = p;
      fetches.push(
        rt.podSandboxStatus(s.id).then(
          (st) => {
            const obs = observedSandbox(st);
            this.sandboxCache.set(s.id, { state: s.state, obs });
            pod.sandboxes.push(obs);
          },
          () => {
            // Gone between list and status: the next relist settles it.
          },
        ),
      );
    }
    for (const c of containers) {
      if (c.labels[LABEL_NODE] !== this.o.nodeName) continue;
      const uid = c.labels[LABEL_POD_UID];
      if (!uid) continue;
      seenContainers.add(c.id);
      let p = pods.get(uid);
      if (!p) pods.set(uid, (p = emptyObserved(uid)));
      const cached = this.containerCache.get(c.id);
      // An exit known from its event stands while the runtime still lists the container running.
      if (cached && (cached.state === c.state || (this.exitedByEvent.has(c.id) && c.state === 'CONTAINER_RUNNING'))) {
        p.containers.push(cached.obs);
        continue;
      }
      changed.add(uid);
      const pod = p;
      fetches.push(
        rt.containerStatus(c.id, { verbose: this.wantsPids() }).then(
          (st) => {
            const obs = observedContainer(st.podSandboxId ? st : { ...st, podSandboxId: c.podSandboxId });
            // Cache under the state the status showed: a container that exited between list and status
            // is fetched again next time, so its exit is not missed.
            this.containerCache.set(c.id, { state: st.state, obs });
            pod.containers.push(obs);
          },
          () => undefined,
        ),
      );
    }
    await Promise.all(fetches);
    for (const id of this.sandboxCache.keys()) if (!seenSandboxes.has(id)) this.sandboxCache.delete(id);
    for (const id of this.containerCache.keys()) if (!seenContainers.has(id)) this.containerCache.delete(id);
    for (const id of this.exitedByEvent) if (!seenContainers.has(id)) this.exitedByEvent.delete(id);
    for (const id of this.expectedExits) if (!seenContainers.has(id) && !seenSandboxes.has(id)) this.expectedExits.delete(id);
    for (const p of pods.values()) sortObserved(p);
    // Pods that disappeared, or lost objects, changed too.
    for (const [uid, old] of this.pods) {
      const now = pods.get(uid);
      if (!now || now.sandboxes.length !== old.sandboxes.length || now.containers.length !== old.containers.length) changed.add(uid);
    }
    this.pods = pods;
    this.relistCount++;
    this.lastRelistChanged = changed.size > 0;
    end();
    if (changed.size) this.o.onChange([...changed]);
  }
}

/**
 * Does the runtime's status of an exit say what its event said? (The same code and reason; the times
 * may differ by the event's rounding to ms.)
 */
function sameExit(fromEvent: ObservedContainer, fromStatus: ObservedContainer): boolean {
  return (
    fromEvent.exitCode === fromStatus.exitCode &&
    fromEvent.reason === fromStatus.reason &&
    !fromStatus.message &&
    Math.abs((fromEvent.finishedAt ?? 0) - (fromStatus.finishedAt ?? 0)) <= 1
  );
}

/** Is the process there and not a zombie? (/proc/<pid>/stat's state field after the command name.) */
function processAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.charAt(stat.lastIndexOf(')') + 2);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
