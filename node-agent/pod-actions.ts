// The executor of the pure sync core's decisions (kubelet's kuberuntime manager): creates a pod's
// sandbox, pulls, creates and starts its containers, kills and removes them through the
// ContainerRuntime, and removes everything of a deleted or orphaned pod. It owns the per-pod state
// that outlives one sync — the crash back-off, the image manager, the start blocks that failed pulls
// and creates leave, when it last changed each pod — and forget() drops all of it. It never writes
// into the core's SyncResult: apply() returns the waiting reason of a container it could not start.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Container, EphemeralContainer, Pod } from 'kubernetes-types/core/v1';
import type { EventRecorder } from '../lib/client/events';
import { Backoff, BackoffOptions } from './backoff';
import { podDir, podMemoryDir, prepareVolume, removePodDirs, removeTree, unmountableClaims, writeEtcHosts } from './host-files';
import { applyFsGroup } from './volumes/local-path';
import { HeldEvents, ImageManager, type PullResult } from './images';
import { ObservedContainer, observedContainer, ObservedPod, ObservedSandbox, observedSandbox } from './observed';
import type { Pleg } from './pleg';
import type { PodDataSource } from './pod-data';
import { asMountedVolume, containerConfig, containerMounts, PodData, podCgroupParent, podIPOf, podLogDirectory, podSandboxConfig, resolveEnv, SandboxOptions, volumeHostPaths, volumeSupplementalGroups } from './podspec';
import type { ProbeManager } from './probes';
import { DefaultHookRunner, HookRunner, MIN_GRACE_SECONDS, runPreStop } from './lifecycle';
import { prepareTerminationMessageFile, terminationMessageFile } from './termination-message';
import { ContainerRuntime, PodSandboxConfig, RuntimeError } from './runtime/runtime';
import type { PodDeleter } from './status-writer';
import { gracePeriodSeconds, hasHostPorts, isSidecar, PodAction, StartBlock, SyncContext, Waiting } from './sync';
import { removePodCgroups } from './runtime/cgroups';
import { podContainer } from '../lib/api/pod';
import type { ServiceAccountTokenManager } from './volumes/tokens';
import type { PodStartPhase } from './metrics';

/** How long a container waits after CreateContainerConfigError or CreateContainerError. */
const CREATE_RETRY_MS = 2000;
/** A deleted pod's dead sandboxes wait at most this long for the kills and starts in flight before they are removed. */
const REMOVAL_DEFER_MAX_MS = 10_000;
/**
 * Sandboxes of gone pods removed at once. Each removal runs the CNI chain inside containerd (1.6 forces
 * a stop first): 27 at once took the machine's two cores for seconds, and a killed container's restart
 * right after a scale-down waited behind them (0.42 s → 1.1 s to serving again).
 */
const REMOVALS_AT_ONCE = 2;
/** How often a put-off removal looks again. */
const REMOVAL_RETRY_MS = 250;

export interface PodActionsOptions {
  nodeName: string;
  /** The node's address, for status.hostIP in the containers' env. */
  hostIP: string;
  runtime: ContainerRuntime;
  recorder: Pick<EventRecorder, 'event'>;
  /** The PLEG cache: actions add what they create, and killPod reads a fresh relist. */
  pleg: Pleg;
  probes: ProbeManager;
  data: PodDataSource;
  deleter: PodDeleter;
  /** Pod directories (volumes, /etc/hosts) live under <stateDir>/pods/<uid>. */
  stateDir: string;
  sandbox: SandboxOptions;
  /** Where cgroup hierarchies are mounted, for removing a pod's cgroups (false: leave them). */
  cgroupFs: string | false;
  backoff?: BackoffOptions;
  imageBackoff?: BackoffOptions;
  /** A pod is forgotten: the agent drops its own per-pod records too. */
  onForget?: (uid: string) => void;
  /** Tokens for projected serviceAccountToken sources (none: such volumes fail to mount). */
  tokens?: ServiceAccountTokenManager;
  /** The service environment of a pod (KUBERNETES_SERVICE_HOST, ...); throws while it is not known yet. */
  serviceEnv?: (pod: Pod) => Record<string, string>;
  /** How often a running pod's configMap, secret, downwardAPI and projected volumes are rewritten (default 60 s). */
  volumeRefreshIntervalMs?: number;
  /** Whether the pods' memory dirs are on a tmpfs (host-files.ts ensureMemoryRoot; none: they are not). */
  memoryBacked?: () => boolean;
  /** Runs the containers' postStart and preStop hooks (default: exec, httpGet and sleep on the runtime). */
  hooks?: HookRunner;
}

/** What one sync learned while acting, so later actions of the same sync need not ask again. */
export interface SyncState {
  observed: ObservedPod;
  sandbox?: { id: string; ip: string; attempt: number };
  /** Statuses of the sandbox created and containers started by this sync. */
  createdSandbox?: ObservedSandbox;
  started: ObservedContainer[];
  /** Set by any action other than a successful create/start: the status then needs a fresh relist. */
  needsRelist: boolean;
  /** The pod's ConfigMaps and Secrets: fetched at most once per sync. */
  data?: Promise<PodData>;
  /** The sandbox config: computed at most once per sync. */
  sandboxConfig?: PodSandboxConfig;
  /** Image checks (or pulls) begun ahead of their StartContainer, by container key (prefetchImage). */
  pulls?: Map<string, { result: Promise<PullResult>; events: HeldEvents }>;
  /**
   * Where this sync's Created and Started events wait while it starts containers (none: sent at once).
   * Each goes out when the sync's next container start begins, or, for the last one, once the pod
   * status is written (the agent releases them): their writes would otherwise queue on the apiserver
   * just before the status PATCH that shows the container running.
   */
  startEvents?: HeldEvents;
  /** Set for a new pod's first start: ms spent in each phase (the agent observes them as steer_node_agent_pod_start_phase_seconds). */
  phases?: Partial<Record<PodStartPhase, number>>;
}

/** Adds the time since `since` (performance.now()) to the phase, when the sync times its phases; returns now. */
export function timePhase(state: SyncState, phase: PodStartPhase, since: number): number {
  const now = performance.now();
  if (state.phases) state.phases[phase] = (state.phases[phase] ?? 0) + (now - since);
  return now;
}

export function newSyncState(observed: ObservedPod): SyncState {
  return { observed, started: [], needsRelist: false };
}

/** ok false: the remaining actions of this sync must wait; waiting: the started container's reason. */
export interface ApplyResult {
  ok: boolean;
  waiting?: Waiting;
}

interface StartBlockEntry {
  reason: string;
  message: string;
  until: number;
}

export class PodActions {
  readonly images: ImageManager;
  private readonly runtime: ContainerRuntime;
  private readonly crashBackoff: Backoff;
  /** Per container (`uid/name`): a failed pull or create holds its next start back until `until`. */
  private readonly startBlocks = new Map<string, StartBlockEntry>();
  /** When this agent last changed a pod in the runtime: its next sync needs a relist begun after. */
  private readonly lastActionAt = new Map<string, number>();
  /** When each pod's volumes were last written (the kubelet's remount of its running pods' volumes). */
  private readonly volumesSetUpAt = new Map<string, number>();
  /** Pods whose volume setup failed: their next sandbox (and any container) waits for a full setup that succeeds, which clears the entry. */
  private readonly mountFailed = new Set<string>();
  /** Kills, sandbox creations and container starts under way: removing dead sandboxes (garbage) waits for them, so they get the CPU first. */
  private urgentInFlight = 0;
  /** Dead pods' removals under way (at most REMOVALS_AT_ONCE). */
  private removalsInFlight = 0;
  /** When each gone pod's removal was first put off for the kills and starts in flight. */
  private readonly removalDeferredAt = new Map<string, number>();

  private readonly hooks: HookRunner;

  constructor(private readonly o: PodActionsOptions) {
    this.runtime = o.runtime;
    this.hooks = o.hooks ?? new DefaultHookRunner(o.runtime);
    this.crashBackoff = new Backoff(o.backoff);
    this.images = new ImageManager(o.runtime, o.recorder, o.imageBackoff);
  }

  /** The back-off, probe and start-block state the pure core reads. */
  syncContext(now = Date.now()): SyncContext {
    return {
      now,
      backoffRemaining: (k, t, at) => this.crashBackoff.remaining(k, t, at),
      backoffDelay: (k) => this.crashBackoff.delay(k),
      probes: this.o.probes,
      startBlocked: (k, at): StartBlock | undefined => {
        const b = this.startBlocks.get(k);
        if (!b || b.until <= at) return undefined;
        return { reason: b.reason, message: b.message, remainingMs: b.until - at };
      },
    };
  }

  /** When apply last ran for the pod (0: never). */
  lastChanged(uid: string): number {
    return this.lastActionAt.get(uid) ?? 0;
  }

  /** Drops expired back-off entries. */
  gc(now: number): void {
    this.crashBackoff.gc(now);
    this.images.gc(now);
  }

  /**
   * Begins a container's image check (or pull) now, for its StartContainer later in this sync: the
   * first container's image and the sandbox need nothing of each other, so the check runs while the
   * sandbox is created instead of after it. The StartContainer takes the result as it would its own.
   */
  prefetchImage(pod: Pod, a: Extract<PodAction, { type: 'StartContainer' }>, state: SyncState): void {
    const spec = (a.init ? pod.spec?.initContainers : pod.spec?.containers)?.find((c) => c.name === a.name);
    if (!spec) return;
    const key = `${pod.metadata?.uid}/${a.name}`;
    const events = new HeldEvents();
    const result = this.images.ensureImage(pod, spec.image || '', spec.imagePullPolicy, key, events);
    result.catch(() => undefined); // a sync that stops before the start (sandbox failed) never reads it
    (state.pulls ??= new Map()).set(key, { result, events });
  }

  /** Applies one action of the core's plan. */
  async apply(pod: Pod, a: PodAction, state: SyncState): Promise<ApplyResult> {
    let result: ApplyResult = { ok: false };
    try {
      result = await this.perform(pod, a, state);
      return result;
    } finally {
      if (!result.ok || (a.type !== 'CreateSandbox' && a.type !== 'StartContainer')) state.needsRelist = true;
      this.lastActionAt.set(pod.metadata?.uid || '', Date.now());
    }
  }

  private async perform(pod: Pod, a: PodAction, state: SyncState): Promise<ApplyResult> {
    const urgent = a.type === 'KillPod' || a.type === 'CreateSandbox' || a.type === 'StartContainer';
    if (urgent) this.urgentInFlight++;
    try {
      return await this.performNow(pod, a, state);
    } finally {
      if (urgent) this.urgentInFlight--;
    }
  }

  private async performNow(pod: Pod, a: PodAction, state: SyncState): Promise<ApplyResult> {
    switch (a.type) {
      case 'KillPod':
        await this.killPod(pod, a.gracePeriodSeconds, a.reason === 'deleted');
        return { ok: true };
      case 'CreateSandbox':
        return { ok: await this.createSandbox(pod, a.attempt, state) };
      case 'StartContainer':
        return this.startContainer(pod, a, state);
      case 'KillContainer': {
        const msg = a.reason === 'Unknown' || a.reason === 'SpecChanged' ? `Stopping container ${a.name}` : a.message;
        this.o.recorder.event(pod, 'Normal', 'Killing', msg);
        const sandbox = state.observed.sandboxes.find((s) => s.state === 'SANDBOX_READY');
        await this.killContainer(pod, a.id, a.name, a.gracePeriodSeconds, podIPOf(pod, sandbox?.ip ?? '', this.o.hostIP));
        return { ok: true };
      }
      case 'RemoveContainer':
        await this.removeContainerAndLog(a.id);
        return { ok: true };
      case 'RemoveSandbox':
        // No StopPodSandbox first: RemovePodSandbox stops it itself, and each stop runs the CNI chain.
        await this.runtime.removePodSandbox(a.id).catch(ignoreNotFound);
        return { ok: true };
      case 'FinalizeDeletion':
        return { ok: true }; // the agent's sync calls finalizeDeletion itself
    }
  }

  /**
   * No container runs: the pod's directories (volumes) go, and its cgroups unless its sandbox still runs
   * in them, then the API object, as the kubelet deletes it once its containers are stopped and its
   * volumes gone. What is left in the runtime (a deleted pod's sandbox, dead containers from before) is
   * garbage (the kubelet's container GC removes it later): the sync of the delete notification removes
   * it through cleanupOrphan, with the cgroups, after the kills and starts in flight, two at a time.
   */
  async finalizeDeletion(pod: Pod, observed: ObservedPod): Promise<void> {
    const uid = pod.metadata!.uid!;
    if (observed.containers.some((c) => c.state === 'CONTAINER_RUNNING')) {
      // Not stopped after all (should not happen: the core finalizes only when no container runs).
      await this.removeAll(uid, observed, podCgroupParent(this.o.sandbox.cgroupRoot, uid), podLogDirectory(this.o.sandbox.logRoot, pod));
    } else {
      const cgroupFs = this.o.cgroupFs;
      const sandboxRuns = observed.sandboxes.some((s) => s.state === 'SANDBOX_READY');
      await Promise.all([
        cgroupFs && !sandboxRuns && removePodCgroups(podCgroupParent(this.o.sandbox.cgroupRoot, uid), cgroupFs),
        removePodDirs(this.o.stateDir, uid),
        // Nothing of it left in the runtime: no later cleanupOrphan will remove its logs.
        !observed.sandboxes.length && !observed.containers.length && removeTree(podLogDirectory(this.o.sandbox.logRoot, pod)),
      ]);
    }
    await this.o.deleter.deletePod(pod);
    this.forget(uid);
  }

  /**
   * The runtime has objects of a pod the API no longer has: stop and remove them. When no container of
   * it runs (what finalizeDeletion left of a deleted pod: its sandbox, dead containers) they are only
   * garbage: their removal waits while other pods are being killed or started, up to
   * REMOVAL_DEFER_MAX_MS, runs REMOVALS_AT_ONCE at a time, and otherwise asks to be called again after
   * retryAfterMs.
   */
  async cleanupOrphan(uid: string, observed: ObservedPod, now = Date.now()): Promise<{ retryAfterMs?: number }> {
    if (!observed.sandboxes.length && !observed.containers.length) {
      this.forget(uid);
      return {};
    }
    // A sandbox with no container running is garbage too: a deleted pod's, left by finalizeDeletion.
    const running = observed.containers.some((c) => c.state === 'CONTAINER_RUNNING');
    if (!running) {
      if (this.urgentInFlight > 0) {
        const since = this.removalDeferredAt.get(uid) ?? now;
        this.removalDeferredAt.set(uid, since);
        if (now - since < REMOVAL_DEFER_MAX_MS) return { retryAfterMs: REMOVAL_RETRY_MS };
      }
      if (this.removalsInFlight >= REMOVALS_AT_ONCE) return { retryAfterMs: REMOVAL_RETRY_MS };
    }
    if (!running) this.removalsInFlight++;
    try {
      // Stop gracefully first: a pod deleted with grace 0 by someone else still gets a short stop.
      await Promise.all(observed.containers.filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => this.stopContainerQuietly(c.id, 2)));
      await this.removeAll(uid, observed, podCgroupParent(this.o.sandbox.cgroupRoot, uid));
    } finally {
      if (!running) this.removalsInFlight--;
    }
    this.o.pleg.forgetRemoved(uid);
    this.forget(uid);
    return {};
  }

  /** How many pods or containers each per-pod record holds (churn tests: they shrink back). */
  bookkeeping(): Record<string, number> {
    return {
      lastActionAt: this.lastActionAt.size,
      startBlocks: this.startBlocks.size,
      volumesSetUpAt: this.volumesSetUpAt.size,
      mountFailed: this.mountFailed.size,
      removalDeferredAt: this.removalDeferredAt.size,
      crashBackoff: this.crashBackoff.size(),
      expectedExits: this.o.pleg.expectedExitCount(),
      probeWorkers: this.o.probes.size(),
    };
  }

  /** Drops everything kept about a pod that is gone. */
  forget(uid: string): void {
    this.lastActionAt.delete(uid);
    this.crashBackoff.deletePrefix(`${uid}/`);
    this.images.forgetPod(uid);
    for (const k of this.startBlocks.keys()) if (k.startsWith(`${uid}/`)) this.startBlocks.delete(k);
    this.o.probes.removePod(uid);
    this.volumesSetUpAt.delete(uid);
    this.mountFailed.delete(uid);
    this.removalDeferredAt.delete(uid);
    this.o.tokens?.deleteServiceAccountTokens(uid);
    this.o.onForget?.(uid);
  }

  private podData(pod: Pod, state: SyncState): Promise<PodData> {
    return (state.data ??= this.o.data.podData(pod));
  }

  private sandboxConfig(pod: Pod, attempt: number, state: SyncState): PodSandboxConfig {
    if (state.sandboxConfig?.attempt !== attempt) state.sandboxConfig = podSandboxConfig(pod, attempt, this.o.sandbox);
    return state.sandboxConfig;
  }

  /**
   * The pod's volumes are set up while its sandbox is created: neither needs the other (the sandbox
   * mounts no volume; the containers, created after both, do), so a start waits for the longer of the
   * two instead of their sum (the volumes' API reads, token request and files: ~12 ms of a ~200 ms
   * start). As the kubelet, which creates no sandbox before the pod's volumes are mounted, a pod whose
   * volumes fail is left without one: the sandbox just made is removed, and the pod's later tries
   * (mountFailed) set the volumes up first and create a sandbox only once they succeed.
   */
  private async createSandbox(pod: Pod, attempt: number, state: SyncState): Promise<boolean> {
    const uid = pod.metadata!.uid!;
    let t0 = performance.now();
    const setUp = this.setUpVolumes(pod, state).then(
      () => undefined,
      (err: Error) => err,
    );
    if (this.mountFailed.has(uid)) {
      const failed = await setUp;
      if (failed) throw this.failedMount(pod, failed);
      t0 = timePhase(state, 'volumes', t0);
    }
    const cfg = this.sandboxConfig(pod, attempt, state);
    await fs.promises.mkdir(cfg.logDirectory, { recursive: true });
    let id: string;
    let t: number;
    try {
      // kubelet's LookupRuntimeHandler: the pod's RuntimeClass names the CRI handler its sandbox runs with.
      const className = pod.spec?.runtimeClassName;
      id = await this.runtime.runPodSandbox(className ? { ...cfg, runtimeHandler: await this.o.data.runtimeHandler(className) } : cfg);
      if (attempt > 0) this.o.recorder.event(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
      const st = await this.runtime.podSandboxStatus(id);
      this.o.pleg.remember(st);
      state.sandbox = { id, ip: st.ip, attempt };
      state.createdSandbox = observedSandbox(st);
      await writeEtcHosts(path.join(podDir(this.o.stateDir, uid), 'etc-hosts'), pod, st.ip);
      t = timePhase(state, 'sandbox', t0);
    } catch (err) {
      const failed = await setUp;
      if (failed) {
        this.mountFailed.add(uid);
        throw this.failedMount(pod, failed);
      }
      this.o.recorder.event(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(err as Error).message}`);
      throw err;
    }
    const failed = await setUp;
    // The phase is the wait for the volumes beyond the sandbox, so that the phases still add up to the start.
    timePhase(state, 'volumes', t);
    if (failed) {
      this.mountFailed.add(uid);
      state.sandbox = undefined;
      state.createdSandbox = undefined;
      // A sandbox that cannot be removed now stays; its containers still wait for the volumes (startContainer).
      await this.runtime.removePodSandbox(id).catch(() => undefined);
      throw this.failedMount(pod, failed);
    }
    return true;
  }

  /** Records a failed volume setup (FailedMount) and returns the error for the sync to fail with. */
  private failedMount(pod: Pod, err: Error): Error {
    this.o.recorder.event(pod, 'Warning', 'FailedMount', `MountVolume.SetUp failed: ${err.message}`);
    return err;
  }

  /** The host directories of the pod's volumes (on disk, and the memory-backed kinds on the tmpfs). */
  private volumePaths(pod: Pod, data: PodData): ReturnType<typeof volumeHostPaths> {
    const uid = pod.metadata?.uid || '';
    const disk = podDir(this.o.stateDir, uid);
    const memory = podMemoryDir(this.o.stateDir, uid);
    const paths = volumeHostPaths(pod, disk, memory, data);
    // A running pod an earlier agent set up keeps its secret, projected and downwardAPI volumes in the
    // pod dir, which its containers bind-mount: their refreshes and new containers stay there too.
    for (const v of paths.values()) {
      if (!v.path.startsWith(memory + path.sep)) continue;
      const onDisk = disk + v.path.slice(memory.length);
      if (fs.existsSync(onDisk)) v.path = onDisk;
    }
    return paths;
  }

  private async setUpVolumes(pod: Pod, state: SyncState, only?: (kind: string) => boolean): Promise<void> {
    const data = await this.podData(pod, state);
    const unmountable = only ? undefined : unmountableClaims(pod, data);
    if (unmountable) throw new Error(unmountable);
    const paths = this.volumePaths(pod, data);
    const memory = podMemoryDir(this.o.stateDir, pod.metadata?.uid || '');
    const fsGroup = pod.spec?.securityContext?.fsGroup;
    const fsGroupChangePolicy = pod.spec?.securityContext?.fsGroupChangePolicy;
    for (const [name, v] of paths) {
      if (only && !only(v.kind)) continue;
      const vol = asMountedVolume(pod, (pod.spec?.volumes || []).find((x) => x.name === name)!);
      // Only a volume in the memory dir: one an earlier agent set up in the pod dir stays a plain directory.
      const memoryBacked = !!this.o.memoryBacked?.() && v.path.startsWith(memory + path.sep);
      await prepareVolume(vol, v.path, { pod, data, tokens: this.o.tokens }, { memoryBacked });
      // fsGroup: the writable volumes that support ownership (emptyDir, claims not mounted read-only), as
      // the kubelet applies it; OnRootMismatch skips the walk when the volume's root already fits.
      if (fsGroup !== undefined && fsGroup !== null && (v.kind === 'emptyDir' || v.kind === 'persistentVolumeClaim') && !v.readOnly) {
        applyFsGroup(v.path, fsGroup, { policy: fsGroupChangePolicy === 'OnRootMismatch' ? 'OnRootMismatch' : 'Always' });
      }
    }
    // subPaths of writable volumes are created on first use, as the kubelet does.
    if (!only) {
      for (const c of [...(pod.spec?.initContainers || []), ...(pod.spec?.containers || [])]) {
        for (const m of c.volumeMounts || []) {
          const v = paths.get(m.name);
          if (m.subPath && v && (v.kind === 'emptyDir' || v.kind === 'persistentVolumeClaim') && !v.readOnly) fs.mkdirSync(path.join(v.path, m.subPath), { recursive: true });
        }
      }
    }
    this.volumesSetUpAt.set(pod.metadata?.uid || '', Date.now());
    if (!only) this.mountFailed.delete(pod.metadata?.uid || '');
  }

  /**
   * Rewrites a running pod's configMap, secret, downwardAPI and projected volumes once the refresh interval
   * has passed: new ConfigMap and Secret contents, and service-account tokens renewed before they expire.
   * Each volume changes atomically; a failure leaves the old files and is reported as FailedMount.
   */
  async refreshVolumes(pod: Pod, state: SyncState): Promise<void> {
    const uid = pod.metadata?.uid || '';
    const last = this.volumesSetUpAt.get(uid);
    // Never set up by this agent (it restarted and adopted the pod): rewrite them now.
    if (last !== undefined && Date.now() - last < (this.o.volumeRefreshIntervalMs ?? 60_000)) return;
    const refreshed = new Set(['configMap', 'secret', 'downwardAPI', 'projected']);
    try {
      await this.setUpVolumes(pod, state, (kind) => refreshed.has(kind));
    } catch (err) {
      this.volumesSetUpAt.set(uid, Date.now()); // retried at the next interval, not on every sync
      this.o.recorder.event(pod, 'Warning', 'FailedMount', `MountVolume.SetUp failed: ${(err as Error).message}`);
    }
  }

  /** A start failed: record the event, hold the next start back for a while, report the reason. */
  private failStart(pod: Pod, key: string, reason: string, message: string, retryAfterMs: number): ApplyResult {
    this.o.recorder.event(pod, 'Warning', 'Failed', `Error: ${message}`);
    this.startBlocks.set(key, { reason, message, until: Date.now() + retryAfterMs });
    return { ok: false, waiting: { reason, message } };
  }

  private async startContainer(pod: Pod, a: Extract<PodAction, { type: 'StartContainer' }>, state: SyncState): Promise<ApplyResult> {
    const uid = pod.metadata!.uid!;
    const spec = podContainer(pod, a.name);
    if (!spec) return { ok: false };
    const key = `${uid}/${a.name}`;
    const image = spec.image || '';
    // The events of a container this sync started before go out now (this start may wait for a pull).
    state.startEvents?.release(this.o.recorder);
    const prefetched = state.pulls?.get(key);
    state.pulls?.delete(key);
    let t = performance.now();
    const pulled = await (prefetched?.result ?? this.images.ensureImage(pod, image, spec.imagePullPolicy, key));
    prefetched?.events.release(this.o.recorder);
    t = timePhase(state, 'image', t);
    if (!pulled.ok) {
      this.startBlocks.set(key, { reason: pulled.reason, message: pulled.message, until: Date.now() + pulled.retryAfterMs });
      // The first failure reads ErrImagePull; the syncs during the back-off then show ImagePullBackOff.
      return { ok: false, waiting: { reason: pulled.reason === 'ImagePullBackOff' ? 'ErrImagePull' : pulled.reason, message: pulled.message } };
    }
    // The sandbox this sync created, else the ready one it observed (sync.ts only starts containers then).
    const sandbox = state.sandbox ?? state.observed.sandboxes.find((s) => s.state === 'SANDBOX_READY');
    if (!sandbox) return { ok: false };
    // A sandbox left from a failed mount (its removal failed too): no container before the volumes.
    if (this.mountFailed.has(uid)) await this.setUpVolumes(pod, state).catch((err: Error) => Promise.reject(this.failedMount(pod, err)));
    let env: { name: string; value: string }[];
    let mounts;
    let volumeGroups: number[];
    try {
      const data = await this.podData(pod, state);
      env = resolveEnv(pod, spec, { podIP: podIPOf(pod, sandbox.ip, this.o.hostIP), hostIP: this.o.hostIP, nodeName: this.o.nodeName, data, serviceEnv: this.o.serviceEnv?.(pod) });
      mounts = containerMounts(spec, this.volumePaths(pod, data));
      volumeGroups = volumeSupplementalGroups(data);
    } catch (err) {
      return this.failStart(pod, key, 'CreateContainerConfigError', (err as Error).message, CREATE_RETRY_MS);
    }
    // The kubelet's termination message file: one per start, read once the container has exited.
    const messagePath = spec.terminationMessagePath;
    if (messagePath && !mounts.some((m) => m.containerPath === messagePath)) {
      const file = terminationMessageFile(this.o.stateDir, uid, a.name, a.attempt);
      try {
        await prepareTerminationMessageFile(file);
      } catch (err) {
        return this.failStart(pod, key, 'CreateContainerConfigError', `cannot create the termination message file: ${(err as Error).message}`, CREATE_RETRY_MS);
      }
      mounts.push({ containerPath: messagePath, hostPath: file, readonly: false });
    }
    const etcHosts = path.join(podDir(this.o.stateDir, uid), 'etc-hosts');
    if (fs.existsSync(etcHosts) && !mounts.some((m) => m.containerPath === '/etc/hosts')) {
      mounts.push({ containerPath: '/etc/hosts', hostPath: etcHosts, readonly: false });
    }
    // An ephemeral container with a target joins the PID namespace of that container's running instance.
    const targetName = a.ephemeral ? (spec as EphemeralContainer).targetContainerName : undefined;
    let targetId: string | undefined;
    if (targetName) {
      targetId = state.observed.containers.find((c) => c.name === targetName && !c.ephemeral && c.state === 'CONTAINER_RUNNING' && c.podSandboxId === sandbox.id)?.id;
      if (!targetId) return this.failStart(pod, key, 'CreateContainerConfigError', `target container "${targetName}" is not running`, CREATE_RETRY_MS);
    }
    const sandboxCfg = this.sandboxConfig(pod, sandbox.attempt, state);
    const kind = a.ephemeral ? 'ephemeral' : a.init ? 'init' : 'regular';
    const cfg = containerConfig(pod, spec, kind, a.attempt, { nodeName: this.o.nodeName, env, mounts, gracePeriodSeconds: gracePeriodSeconds(pod), volumeGroups, targetId });
    await fs.promises.mkdir(path.join(sandboxCfg.logDirectory, a.name), { recursive: true });
    let id: string;
    try {
      id = await this.runtime.createContainer(sandbox.id, cfg, sandboxCfg);
    } catch (err) {
      return this.failStart(pod, key, 'CreateContainerError', (err as Error).message, CREATE_RETRY_MS);
    }
    t = timePhase(state, 'create', t);
    (state.startEvents ?? this.o.recorder).event(pod, 'Normal', 'Created', `Created container ${a.name}`);
    if (a.backoffKey && a.crashedAt !== undefined) this.crashBackoff.next(a.backoffKey, a.crashedAt);
    try {
      await this.runtime.startContainer(id);
    } catch (err) {
      // No start block: the created container is in the runtime now, and the core replaces it next sync.
      const message = (err as Error).message;
      state.startEvents?.release(this.o.recorder); // Created before Failed
      this.o.recorder.event(pod, 'Warning', 'Failed', `Error: ${message}`);
      return { ok: false, waiting: { reason: 'RunContainerError', message } };
    }
    this.startBlocks.delete(key);
    (state.startEvents ?? this.o.recorder).event(pod, 'Normal', 'Started', `Started container ${a.name}`);
    const postStart = a.ephemeral ? undefined : spec.lifecycle?.postStart;
    if (postStart) {
      const podIP = podIPOf(pod, sandbox.ip, this.o.hostIP);
      try {
        await this.hooks.run(postStart, { pod, container: spec, containerId: id, podIP }, 0);
      } catch (err) {
        // As the kubelet: the hook's output stays out of the event (it may hold secrets); the container is
        // killed (its preStop hook runs) and started again as the restart policy says.
        state.startEvents?.release(this.o.recorder);
        this.o.recorder.event(pod, 'Warning', 'FailedPostStartHook', 'PostStartHook failed');
        await this.killContainer(pod, id, a.name, gracePeriodSeconds(pod), podIP);
        return { ok: false, waiting: { reason: 'PostStartHookError', message: (err as Error).message } };
      }
    }
    const plain = await this.runtime.containerStatus(id, { verbose: this.o.pleg.wantsPids() });
    const st = plain.podSandboxId ? plain : { ...plain, podSandboxId: sandbox.id };
    timePhase(state, 'start', t);
    this.o.pleg.rememberContainer(st);
    state.started.push(observedContainer(st));
    return { ok: true };
  }

  /**
   * Stops the pod's containers with the grace period, then its ready sandboxes. A deleted pod's (`remove`)
   * sandboxes are left to cleanupOrphan, after the object is gone (sync.ts says why), unless the pod has
   * host ports: then they are removed here instead of stopped, as containerd 1.6's RemovePodSandbox stops
   * the sandbox itself (the pause container, one CNI DEL) and removes it with its stopped containers,
   * while removing a sandbox stopped before runs the whole CNI chain a second time (27 pods: 0.75 core-s
   * of containerd's CPU, `node dist/bench/cri-floor.js --teardown-phases 27`).
   */
  private async killPod(pod: Pod, grace: number, remove: boolean): Promise<void> {
    const uid = pod.metadata?.uid || '';
    const obs = await this.o.pleg.observe(uid, Date.now());
    const running = obs.containers.filter((c) => c.state === 'CONTAINER_RUNNING');
    const sandboxes = remove && !hasHostPorts(pod) ? [] : obs.sandboxes.filter((s) => s.state === 'SANDBOX_READY');
    this.o.pleg.expectExits([...running.map((c) => c.id), ...sandboxes.map((s) => s.id)]);
    const sandbox = obs.sandboxes.find((s) => s.state === 'SANDBOX_READY');
    const podIP = podIPOf(pod, sandbox?.ip ?? '', this.o.hostIP);
    const kill = async (c: ObservedContainer, seconds: number) => {
      this.o.recorder.event(pod, 'Normal', 'Killing', `Stopping container ${c.name}`);
      await this.killContainer(pod, c.id, c.name, seconds, podIP);
    };
    // The containers first, then the sidecars, the last one first, each with what is left of the grace
    // period (as the kubelet since 1.29): a sidecar serves the containers until they are gone.
    const sidecars = (pod.spec?.initContainers || []).filter(isSidecar).map((c) => c.name);
    const isSidecarContainer = (c: ObservedContainer) => c.init && sidecars.includes(c.name);
    const started = Date.now();
    await Promise.all(running.filter((c) => !isSidecarContainer(c)).map((c) => kill(c, grace)));
    for (const name of [...sidecars].reverse()) {
      const left = grace > 0 ? Math.max(MIN_GRACE_SECONDS, grace - Math.floor((Date.now() - started) / 1000)) : 0;
      await Promise.all(running.filter((c) => isSidecarContainer(c) && c.name === name).map((c) => kill(c, left)));
    }
    for (const s of sandboxes) {
      if (remove) await this.runtime.removePodSandbox(s.id).catch(ignoreNotFound);
      else await this.runtime.stopPodSandbox(s.id);
    }
    this.o.probes.removePod(uid);
  }

  /** Stops a container as the kubelet's killContainer: its preStop hook first, within the grace period. */
  private async killContainer(pod: Pod, id: string, name: string, grace: number, podIP: string): Promise<void> {
    const spec = podContainer(pod, name);
    const preStop = spec?.lifecycle?.preStop;
    if (spec && preStop && grace > 0) {
      grace = await runPreStop(this.hooks, preStop, { pod, container: spec, containerId: id, podIP }, grace, () =>
        this.o.recorder.event(pod, 'Warning', 'FailedPreStopHook', 'PreStopHook failed'),
      );
    }
    await this.stopContainerQuietly(id, grace);
  }

  private async stopContainerQuietly(id: string, grace: number): Promise<void> {
    this.o.pleg.expectExits([id]);
    try {
      await this.runtime.stopContainer(id, grace);
    } catch (err) {
      if (!(err instanceof RuntimeError && err.code === 5)) throw err;
    }
  }

  private async removeContainerAndLog(id: string): Promise<void> {
    let logPath = '';
    try {
      logPath = (await this.runtime.containerStatus(id, { verbose: false })).logPath;
    } catch {
      /* gone */
    }
    await this.runtime.removeContainer(id).catch(ignoreNotFound);
    if (logPath) await removeTree(logPath);
  }

  private async removeAll(uid: string, observed: ObservedPod, cgroupParent: string, logDir?: string): Promise<void> {
    for (const c of observed.containers) {
      if (c.state === 'CONTAINER_RUNNING') await this.stopContainerQuietly(c.id, 0);
    }
    // RemovePodSandbox alone, ready sandbox or not: it stops the sandbox itself, and a StopPodSandbox
    // before it would run the CNI chain twice.
    this.o.pleg.expectExits(observed.sandboxes.filter((s) => s.state === 'SANDBOX_READY').map((s) => s.id));
    await Promise.all(observed.sandboxes.map((s) => this.runtime.removePodSandbox(s.id).catch(ignoreNotFound)));
    // Containers outside a known sandbox (should not happen) are removed one by one.
    for (const c of observed.containers) {
      if (!observed.sandboxes.some((s) => s.id === c.podSandboxId)) await this.runtime.removeContainer(c.id).catch(ignoreNotFound);
    }
    const cgroupFs = this.o.cgroupFs;
    const logRoot = this.o.sandbox.logRoot;
    await Promise.all([
      cgroupFs && removePodCgroups(cgroupParent, cgroupFs),
      removePodDirs(this.o.stateDir, uid),
      logDir
        ? removeTree(logDir)
        : // The pod object is gone, so find its log directory by uid.
          fs.promises.readdir(logRoot).then(
            (dirs) => Promise.all(dirs.filter((d) => d.endsWith(`_${uid}`)).map((d) => removeTree(path.join(logRoot, d)))),
            () => undefined, // none
          ),
    ]);
  }
}

function ignoreNotFound(err: unknown): void {
  if (err instanceof RuntimeError && err.code === 5) return;
  throw err;
}
