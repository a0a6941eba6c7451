// The kubelet's eviction manager (pkg/kubelet/eviction/eviction_manager.go), reduced to what a node
// without separate image and container filesystems needs: every monitoring interval (10 s) it observes
// memory.available (capacity − the working set, as cadvisor's root cgroup), nodefs.available and
// nodefs.inodesFree (the state dir's filesystem) and pid.available; the node's MemoryPressure,
// DiskPressure and PIDPressure conditions follow the thresholds crossed (held for the transition
// period, 5 min by default); while a hard threshold (or a soft one past its grace period) is met, one
// pod per interval is evicted — the first in kube's ranking for that signal — through the agent: its
// status turns Failed, reason Evicted, with a DisruptionTarget condition (TerminationByKubelet) and an
// Evicted event, and the sync stops it (1 s grace for a hard threshold, as the kubelet's
// immediateEvictionGracePeriodSeconds; a soft one's grace is capped by maxPodGracePeriodSeconds).
// Not done: image and dead-container garbage collection before evicting for disk, per-pod disk and PID
// usage in the ranking, minimum-reclaim amounts, memcg notifications between intervals.
import * as fs from 'node:fs';
import type { Pod } from 'kubernetes-types/core/v1';
import type { AgentTermination } from '../pod-termination';
import { rfc3339 } from '../../lib/api/time';
import { workingSetBytes } from '../host-stats';
import type { PodUsage } from '../stats';
import { parseDuration } from '../../lib/api/duration';
import { crossed, DefaultEvictionHard, evictionMessage, type Observations, parseThresholds, type PodCandidate, type Pressure, rankForEviction, Signals, type Threshold, ThresholdState } from './thresholds';

/** Reads the node's signals from /proc and the state dir's filesystem. */
export function readObservations(stateDir: string): Observations {
  const meminfo = fs.readFileSync('/proc/meminfo', 'utf8');
  const total = Number(/^MemTotal:\s+(\d+) kB$/m.exec(meminfo)?.[1] ?? 0) * 1024;
  const fsStats = fs.statfsSync(stateDir);
  const pidMax = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim());
  // /proc/loadavg's fourth field: running/total scheduling entities (threads, which take PIDs).
  const threads = Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[3]?.split('/')[1] ?? 0);
  return {
    'memory.available': { capacity: total, available: total - workingSetBytes(meminfo) },
    'nodefs.available': { capacity: fsStats.blocks * fsStats.bsize, available: fsStats.bavail * fsStats.bsize },
    'nodefs.inodesFree': { capacity: fsStats.files, available: fsStats.ffree },
    'pid.available': { capacity: pidMax, available: pidMax - threads },
  };
}

/** How the agent ends an evicted pod: a termination with all its parts. */
export type Eviction = Required<AgentTermination> & { reason: 'Evicted' };

/** What the manager needs of the agent. */
export interface EvictionHost {
  /** The pods that may be evicted: bound here, not terminal, not being deleted or evicted. */
  activePods(): Pod[];
  /** Containers' memory, by pod uid (one CRI stats call; only read under memory pressure). */
  usage(): Promise<PodUsage[]>;
  evict(pod: Pod, eviction: Eviction): void;
  /** The node conditions changed: send the node status now. */
  pressureChanged(): void;
  /** Frees what the node can before a pod is evicted for disk (unused images); absent: nothing to free. */
  reclaimDisk?(): Promise<void>;
  log(msg: string): void;
}

export interface EvictionOptions {
  hard?: Threshold[];
  soft?: Threshold[];
  /** How long a pressure condition stays after its last crossing (default 5 min, --eviction-pressure-transition-period). */
  pressureTransitionPeriodMs?: number;
  /** A soft eviction's grace period cap (default 0: the pod's own, --eviction-max-pod-grace-period). */
  maxPodGracePeriodSeconds?: number;
  /** Default 10 s (the kubelet's housekeeping of evictions). */
  monitoringIntervalMs?: number;
  /** Where the signals come from (tests inject them; default readObservations of the state dir). */
  observe?: () => Observations;
}

const HardEvictionGraceSeconds = 1;

/** The kubelet's eviction flags as `steer node-agent` takes them. */
export interface EvictionFlags {
  evictionHard: string;
  evictionSoft?: string;
  evictionSoftGracePeriod?: string;
  evictionPressureTransitionPeriod: string;
  evictionMaxPodGracePeriod: number;
}

/** The kubelet's defaults (hard thresholds of DefaultEvictionHard, a 5 min transition period). */
export function defaultEviction(): EvictionOptions {
  return evictionFromFlags({ evictionHard: DefaultEvictionHard, evictionPressureTransitionPeriod: '5m', evictionMaxPodGracePeriod: 0 });
}

/** The manager's options from the flags; throws with the flag's problem. */
export function evictionFromFlags(f: EvictionFlags): EvictionOptions {
  return {
    hard: parseThresholds(f.evictionHard, true),
    soft: parseThresholds(f.evictionSoft ?? '', false, f.evictionSoftGracePeriod ?? ''),
    pressureTransitionPeriodMs: parseDuration(f.evictionPressureTransitionPeriod, 's'),
    maxPodGracePeriodSeconds: f.evictionMaxPodGracePeriod,
  };
}

export class EvictionManager {
  private readonly state: ThresholdState;
  private readonly thresholds: Threshold[];
  private timer?: NodeJS.Timeout;
  private running = false;
  private last = '';
  /** Pods evicted so far (metrics, tests). */
  evictions = 0;

  constructor(
    private readonly o: EvictionOptions & { stateDir: string },
    private readonly host: EvictionHost,
  ) {
    this.state = new ThresholdState(o.pressureTransitionPeriodMs ?? 5 * 60_000);
    this.thresholds = [...(o.hard ?? []), ...(o.soft ?? [])];
  }

  start(): void {
    this.timer = setInterval(() => void this.synchronize(Date.now()).catch((err: Error) => this.host.log(`eviction manager: ${err.message}`)), this.o.monitoringIntervalMs ?? 10_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The pressure conditions to report now. */
  pressures(now = Date.now()): Set<Pressure> {
    return this.state.pressures(now);
  }

  /** One pass: observe, update the conditions, evict at most one pod; resolves with the evicted pod. */
  async synchronize(now: number): Promise<Pod | undefined> {
    if (this.running) return undefined;
    this.running = true;
    try {
      const observe = this.o.observe ?? (() => readObservations(this.o.stateDir));
      const obs = observe();
      const met = this.state.observe(this.thresholds, obs, now);
      const pressures = [...this.pressures(now)].sort().join();
      if (pressures !== this.last) {
        this.last = pressures;
        this.host.pressureChanged();
      }
      if (!met.length) return undefined;
      // Hard thresholds first, then in kube's signal order (memory first).
      const t = [...met].sort((a, b) => Number(b.hard) - Number(a.hard) || Signals.indexOf(a.signal) - Signals.indexOf(b.signal))[0];
      // Disk: node-level resources first (the kubelet's reclaimNodeLevelResources); no eviction if that was enough.
      if (t.signal.startsWith('nodefs.') && this.host.reclaimDisk) {
        await this.host.reclaimDisk();
        if (!crossed([t], observe()).length) {
          this.host.log(`eviction manager: ${t.signal} back above its threshold after freeing unused images; no pod evicted`);
          return undefined;
        }
      }
      const usage = t.signal === 'memory.available' ? await this.host.usage() : [];
      const byPod = new Map<string, Map<string, number>>();
      for (const u of usage) {
        const m = byPod.get(u.uid) ?? new Map<string, number>();
        m.set(u.container, u.memoryBytes);
        byPod.set(u.uid, m);
      }
      const candidates: PodCandidate[] = this.host.activePods().map((pod) => ({ pod, memoryByContainer: byPod.get(pod.metadata?.uid ?? '') ?? new Map() }));
      const victim = rankForEviction(t.signal, candidates)[0];
      if (!victim) {
        this.host.log(`eviction manager: ${t.signal} is below its threshold and no pod can be evicted`);
        return undefined;
      }
      const message = evictionMessage(t, obs[t.signal]!, victim);
      const own = victim.pod.spec?.terminationGracePeriodSeconds ?? 30;
      const max = this.o.maxPodGracePeriodSeconds ?? 0;
      this.host.evict(victim.pod, {
        reason: 'Evicted',
        message,
        condition: { type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', message, lastTransitionTime: rfc3339(now) },
        gracePeriodSeconds: t.hard ? Math.min(own, HardEvictionGraceSeconds) : max > 0 ? Math.min(own, max) : own,
      });
      this.evictions++;
      return victim.pod;
    } finally {
      this.running = false;
    }
  }
}
