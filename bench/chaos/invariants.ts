// The invariants a chaos run checks, each as Kubernetes defines it, against what the pods and the
// objects' status really are: an observer with its own fault-free informers (one watch per kind, so the
// history of each kind is seen complete and in order; every object shares one revision counter, so
// resourceVersions order events across kinds). A check that depends on two kinds waits a moment and
// reads the other kind's history up to the event's resourceVersion, so watch skew between the
// observer's own informers is never reported as a violation.
//
// Checked:
// - rollout: a guarded Deployment's ready pods stay within [replicas − maxUnavailable, replicas +
//   maxSurge] once they got there after the last scale (toward maxSurge, a ReplicaSet's young pods
//   beyond what its spec and its status say are not counted: surgeCountedReady), and its status never
//   says otherwise;
// - ReplicaSet: a new pod never takes the active pods above the most replicas the ReplicaSet asked for
//   lately (a double create after a missed watch), and extra pods never outlive a deletion's time
//   (while the apiserver is down, and a moment after, no deletion can happen: that time is not counted);
// - DaemonSet: at most one active pod per node (with maxSurge: one old next to one new);
// - Job: status.succeeded never above completions, never going back, at completion equal to
//   completions and never more than the distinct pods that succeeded;
// - StatefulSet: never two active pods with one ordinal; with OrderedReady, a pod is created only when
//   every lower ordinal is Running and Ready;
// - garbage collection never deletes an object whose owner is alive (checked on the collector's own
//   deletes, before they are sent);
// - no pod stays bound to a node that does not exist; a node agent never keeps running a container
//   for a pod that is gone;
// - what a watch (or a re-list) delivers never takes an object back to an older resourceVersion.
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { isPodReady } from '../../lib/api/pod';
import { resourceForKind, Resources } from '../../lib/api/resources';
import { isNotFound, KubeClient, KubeObject } from '../../lib/client/client';
import { Informer } from '../../lib/client/informer';
import type { OutgoingWrite } from './client';

export interface Violation {
  invariant: string;
  at: string;
  detail: string;
}

/** A container a node runs, for the "no container for a gone pod" check. */
export interface RunningContainer {
  node: string;
  podUid: string;
  id: string;
}

const rvOf = (o: KubeObject | undefined): number => Number(o?.metadata?.resourceVersion ?? 0);
/** How long a deferred check waits at most for the observer's other informer to catch up (ms). */
const MAX_CATCH_UP_MS = 30_000;

/** Neither finished nor being deleted (Kubernetes' IsPodActive). */
export function isActive(p: Pod): boolean {
  const phase = p.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !p.metadata?.deletionTimestamp;
}

/** An int-or-percent against a total (percentages: surge rounds up, unavailable down). */
function scaled(v: number | string | undefined, total: number, roundUp: boolean, dflt: string): number {
  const x = v ?? dflt;
  if (typeof x === 'number') return x;
  const pct = Number(/^(\d+)%$/.exec(x)?.[1] ?? NaN);
  if (Number.isNaN(pct)) return 0;
  const exact = (pct * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** The bounds a RollingUpdate promises for replicas: [replicas − maxUnavailable, replicas + maxSurge]. */
export function rolloutBounds(d: Deployment): { replicas: number; min: number; max: number } {
  const replicas = d.spec?.replicas ?? 1;
  const ru = d.spec?.strategy?.rollingUpdate;
  const surge = scaled(ru?.maxSurge, replicas, true, '25%');
  let unavailable = scaled(ru?.maxUnavailable, replicas, false, '25%');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { replicas, min: replicas - unavailable, max: replicas + surge };
}

/** One ReplicaSet's (or the orphans') ready pods at a sample, and how many of them are young. */
export interface OwnerReady {
  ready: number;
  /** Created so recently that a controller's pod cache may not show them yet (see surgeCountedReady). */
  young: number;
}

/**
 * Ready pods as maxSurge bounds them: all of them, except a ReplicaSet's young pods beyond the larger of
 * its spec.replicas and status.replicas as of the sample (readyByOwner: controller uid → its ready pods,
 * 'orphan' for pods without one; owners rsAt does not know count in full).
 *
 * Kubernetes bounds the sum of the ReplicaSets' spec.replicas (NewRSNewReplicas adds up
 * GetReplicaCountForReplicaSets, spec only), and steer's controller also counts what status.replicas
 * and its pod cache show (util.ts replicasInUse). What neither can count is a pod a ReplicaSet's
 * controller created for an earlier, larger spec that no cache shows yet: Kubernetes' syncReplicaSet
 * does not manage while such creates are unobserved, yet still writes status (replicas from the same
 * cache, observedGeneration current), so after a scale-down the ReplicaSet's spec and status both name
 * fewer pods than it has and the new ReplicaSet may grow into their room. Found by seed 22: the
 * controller-manager's pod cache stood still for 5 s while two ReplicaSets created 5 and 4 pods that
 * became Ready, their spec then 0 and status 1 and 0. Only young pods are let off — a cache lags by
 * seconds, not for ever, so an older pod beyond spec and status is one the controller could have seen
 * and still counts — and how long extra pods live stays bounded by replicaset-extra-pods-linger.
 */
export function surgeCountedReady(readyByOwner: ReadonlyMap<string, OwnerReady>, rsAt: (uid: string) => ReplicaSet | undefined): number {
  let n = 0;
  for (const [uid, { ready, young }] of readyByOwner) {
    const rs = uid === 'orphan' ? undefined : rsAt(uid);
    const named = rs ? Math.max(rs.spec?.replicas ?? 1, rs.status?.replicas ?? 0) : ready;
    n += ready - Math.min(Math.max(0, ready - named), young);
  }
  return n;
}

/** The ordinal of a StatefulSet's pod (`<set>-<ordinal>`), or undefined. */
export function podOrdinal(podName: string, setName: string): number | undefined {
  if (!podName.startsWith(`${setName}-`)) return undefined;
  const s = podName.slice(setName.length + 1);
  return /^\d+$/.test(s) ? Number(s) : undefined;
}

/** Which node a DaemonSet pod is for: its binding, or the node its affinity names (before binding). */
export function daemonPodNode(p: Pod): string | undefined {
  if (p.spec?.nodeName) return p.spec.nodeName;
  for (const t of p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of t.matchFields ?? []) if (f.key === 'metadata.name' && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}

/**
 * Whether a DaemonSet's active pods on one node break "at most one daemon pod per node" as Kubernetes
 * defines it: with a RollingUpdate maxSurge above 0 an update starts the new pod before the old one
 * goes, so one pod of the current template next to one of an older template is allowed; never more,
 * and never two of one template. (steer's controller does not surge; a checker must not assume so.)
 */
export function daemonPodsExcess(ds: DaemonSet | undefined, pods: Pod[]): boolean {
  if (pods.length <= 1) return false;
  const ru = ds?.spec?.updateStrategy?.type === 'OnDelete' ? undefined : ds?.spec?.updateStrategy?.rollingUpdate;
  const surge = ru?.maxSurge ?? 0;
  const surges = typeof surge === 'number' ? surge > 0 : /^[1-9]\d*%$/.test(surge);
  if (!surges || pods.length > 2) return true;
  const hashes = pods.map((p) => p.metadata?.labels?.['controller-revision-hash']);
  return hashes[0] === hashes[1];
}

function controllerUid(o: KubeObject): string | undefined {
  return o.metadata?.ownerReferences?.find((r) => r.controller)?.uid;
}

function matchLabels(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** One kind's versions of one object, oldest first (resourceVersion, when seen, the object). */
export class History<T extends KubeObject> {
  private readonly versions = new Map<string, Array<{ rv: number; seenAt: number; obj: T }>>();

  constructor(private readonly clock: () => number = Date.now) {}

  record(uid: string, obj: T): void {
    let list = this.versions.get(uid);
    if (!list) this.versions.set(uid, (list = []));
    list.push({ rv: rvOf(obj), seenAt: this.clock(), obj });
    // Long enough for any deferred check; bounded so a soak does not grow.
    const cutoff = this.clock() - 120_000;
    while (list.length > 2 && list[0].seenAt < cutoff) list.shift();
  }

  /** The version current at resourceVersion rv (the newest one written before it). */
  at(uid: string, rv: number): T | undefined {
    const list = this.versions.get(uid) ?? [];
    let found: T | undefined;
    for (const v of list) if (v.rv <= rv) found = v.obj;
    return found;
  }

  all(uid: string): Array<{ rv: number; seenAt: number; obj: T }> {
    return this.versions.get(uid) ?? [];
  }

  /**
   * The versions written up to rv that were still in force at or after `since` (ms): a version counts
   * until the next one replaced it, not only from when it was seen — a ReplicaSet asked for 2 replicas
   * until the moment it was scaled to 0, however long before that the 2 was written.
   */
  inForce(uid: string, rv: number, since: number): T[] {
    const list = this.versions.get(uid) ?? [];
    const out: T[] = [];
    for (let i = 0; i < list.length && list[i].rv <= rv; i++) {
      const replacedAt = i + 1 < list.length ? list[i + 1].seenAt : Infinity;
      if (replacedAt >= since) out.push(list[i].obj);
    }
    return out;
  }
}

export interface MonitorOptions {
  client: KubeClient;
  namespace: string;
  /** Guarded Deployments (their pods suffer no involuntary disruption, so the rollout bounds must hold). */
  guarded: (d: Deployment) => boolean;
  /** The containers every node runs now. */
  containers?: () => Promise<RunningContainer[]>;
  /** What else is known of a container's pod (the API now, its node agent): a violation's context. */
  explainContainer?: (c: RunningContainer) => Promise<string>;
  /** How long extra pods may outlive a scale-down, and a container its pod (ms). */
  deletionGraceMs?: number;
  /**
   * How much of [from, to] (ms) the apiserver was down: no deletion can happen then, so that time does
   * not count against deletionGraceMs.
   */
  apiserverDownMs?: (from: number, to: number) => number;
  /** How long a deferred check waits for the observer's other informers (ms). */
  settleMs?: number;
  log?: (msg: string) => void;
}

export class InvariantMonitor {
  checks = 0;
  readonly violations: Violation[] = [];
  private readonly pods: Informer<Pod>;
  private readonly rss: Informer<ReplicaSet>;
  private readonly deployments: Informer<Deployment>;
  private readonly daemonSets: Informer<DaemonSet>;
  private readonly jobs: Informer<Job>;
  private readonly sets: Informer<StatefulSet>;
  private readonly nodes: Informer<Node>;
  private readonly rsHistory = new History<ReplicaSet>();
  private readonly deploymentHistory = new History<Deployment>();
  /** Per guarded Deployment: its ready pods after each pod event (rv, count). */
  private readonly readySamples = new Map<string, Array<{ rv: number; seenAt: number; ready: number }>>();
  /** Per Deployment: the rv of its last replicas change, and whether its status reached the bounds since. */
  private readonly statusArmed = new Map<string, { replicas: number; armed: boolean }>();
  private readonly jobSucceeded = new Map<string, number>();
  /** The resourceVersion at which each Job's highest status.succeeded was seen (a violation's context). */
  private readonly jobSucceededAt = new Map<string, number>();
  private readonly succeededPods = new Map<string, Set<string>>();
  /** Pods last seen Ready (uid → ms), for the ordered-start check. */
  private readonly readyAt = new Map<string, number>();
  private readonly firstSeenExcess = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private interval?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly o: MonitorOptions) {
    const namespace = o.namespace;
    this.pods = new Informer<Pod>(o.client, Resources.pods, { namespace });
    this.rss = new Informer<ReplicaSet>(o.client, Resources.replicasets, { namespace });
    this.deployments = new Informer<Deployment>(o.client, Resources.deployments, { namespace });
    this.daemonSets = new Informer<DaemonSet>(o.client, Resources.daemonsets, { namespace });
    this.jobs = new Informer<Job>(o.client, Resources.jobs, { namespace });
    this.sets = new Informer<StatefulSet>(o.client, Resources.statefulsets, { namespace });
    this.nodes = new Informer<Node>(o.client, Resources.nodes);
  }

  private get settleMs(): number {
    return this.o.settleMs ?? 1500;
  }

  violate(invariant: string, detail: string): void {
    this.violations.push({ invariant, at: new Date().toISOString(), detail });
    this.o.log?.(`VIOLATION ${invariant}: ${detail}`);
  }

  private later(fn: () => void, ms = this.settleMs): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  /**
   * Runs a check of the history at rv once the other kind's informer has seen everything up to rv: a
   * moment after the event, or — when that informer is still reconnecting after an apiserver outage
   * (its retry pause grows to 5 s) — once it is back and past rv (a bookmark at the latest). Checked
   * any earlier, a version written before rv (a ReplicaSet's larger replicas) could be missing and
   * the check would report what is only the observer's own lag.
   */
  private laterWhenSeen(other: { resourceVersion(): string } | Array<{ resourceVersion(): string }>, rv: number, fn: () => void, waitedMs = 0): void {
    this.later(() => {
      const seen = Math.min(...[other].flat().map((i) => Number(i.resourceVersion() || 0)));
      if (seen >= rv || waitedMs >= MAX_CATCH_UP_MS) return fn();
      if (waitedMs === 0) this.o.log?.(`monitor: a check at rv ${rv} waits for its other informer (at rv ${seen})`);
      this.laterWhenSeen(other, rv, fn, waitedMs + this.settleMs);
    });
  }

  async start(): Promise<void> {
    // A watch delivers each object's versions in order and a list is at least as new as any event before
    // it: an update to an older resourceVersion is the apiserver (or the informer) replaying the past,
    // which every controller's cache would suffer too (a Job's count going back was one).
    const inOrder = <T extends KubeObject>(kind: string, i: Informer<T>) =>
      i.onUpdate((old, obj) => {
        this.checks++;
        if (rvOf(obj) < rvOf(old)) this.violate('watch-never-goes-back', `${kind} ${obj.metadata?.name}: an update took it from rv ${rvOf(old)} back to rv ${rvOf(obj)}`);
      });
    inOrder('pod', this.pods);
    inOrder('replicaset', this.rss);
    inOrder('deployment', this.deployments);
    inOrder('daemonset', this.daemonSets);
    inOrder('job', this.jobs);
    inOrder('statefulset', this.sets);
    inOrder('node', this.nodes);
    this.rss.onAdd((rs) => this.rsHistory.record(rs.metadata!.uid!, rs));
    this.rss.onUpdate((_, rs) => this.rsHistory.record(rs.metadata!.uid!, rs));
    this.deployments.onAdd((d) => this.onDeployment(d));
    this.deployments.onUpdate((_, d) => this.onDeployment(d));
    this.jobs.onAdd((j) => this.onJob(j));
    this.jobs.onUpdate((_, j) => this.onJob(j));
    this.pods.onAdd((p) => this.onPod(p, true));
    this.pods.onUpdate((old, p) => this.onPod(p, controllerUid(old) !== controllerUid(p)));
    this.pods.onDelete((p) => this.onPod(p, false));
    await Promise.all([this.rss.start(), this.deployments.start(), this.daemonSets.start(), this.jobs.start(), this.sets.start(), this.nodes.start()]);
    await this.pods.start();
    this.interval = setInterval(() => void this.periodic(), 1000);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.interval);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const i of [this.pods, this.rss, this.deployments, this.daemonSets, this.jobs, this.sets, this.nodes]) i.stop();
  }

  // ---- Deployments: rollout bounds on the pods and in the status ----

  private guardedFor(p: Pod): Deployment[] {
    return this.deployments.list().filter((d) => this.o.guarded(d) && matchLabels(d.spec?.selector?.matchLabels, p.metadata?.labels));
  }

  /**
   * The Deployment's active ready pods by controller uid ('orphan' for pods without one), with how many
   * are young: created less than the deletion grace ago (the time the apiserver was down not counted),
   * the same allowance a cache's lag gets for extra pods (replicaset-extra-pods-linger).
   */
  private readyByOwner(d: Deployment): Map<string, OwnerReady> {
    const by = new Map<string, OwnerReady>();
    const now = Date.now();
    const grace = this.o.deletionGraceMs ?? 10_000;
    for (const p of this.pods.list()) {
      if (!isActive(p) || !isPodReady(p) || !matchLabels(d.spec?.selector?.matchLabels, p.metadata?.labels)) continue;
      const owner = controllerUid(p) ?? 'orphan';
      const e = by.get(owner) ?? { ready: 0, young: 0 };
      e.ready++;
      const created = Date.parse(p.metadata?.creationTimestamp ?? '');
      // creationTimestamp has whole seconds: a pod counts as young for up to a second longer.
      if (now - created - (this.o.apiserverDownMs?.(created, now) ?? 0) < grace + 1000) e.young++;
      by.set(owner, e);
    }
    return by;
  }

  private onDeployment(d: Deployment): void {
    const uid = d.metadata!.uid!;
    this.deploymentHistory.record(uid, d);
    if (!this.o.guarded(d)) return;
    // Status: once the status got within the bounds after the last replicas change, it must stay there.
    const b = rolloutBounds(d);
    const st = d.status ?? {};
    const available = st.availableReplicas ?? 0;
    let s = this.statusArmed.get(uid);
    if (!s || s.replicas !== b.replicas) this.statusArmed.set(uid, (s = { replicas: b.replicas, armed: false }));
    if (!s.armed) {
      s.armed = available >= b.min && available <= b.max && (st.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
      return;
    }
    const w = this.windowBounds(uid, rvOf(d)) ?? b;
    this.checks++;
    // status.replicas counts pods a ReplicaSet is deleting in the same sync (as Kubernetes' does): only
    // the availability it claims is bounded.
    if (available < w.min || available > w.max) {
      this.violate(
        'rollout-status',
        `deployment ${d.metadata?.name} rv ${rvOf(d)}: status availableReplicas ${available} outside [${w.min}, ${w.max}] (spec.replicas ${b.replicas})`,
      );
    }
  }

  /**
   * The loosest bounds of the Deployment's versions up to rv that are still recent: pods created or
   * kept under the bounds before a scale may show a moment after it.
   */
  private windowBounds(uid: string, rv: number): { min: number; max: number } | undefined {
    const current = this.deploymentHistory.at(uid, rv);
    if (!current) return undefined;
    const b = rolloutBounds(current);
    let { min, max } = b;
    const since = Date.now() - this.settleMs - (this.o.deletionGraceMs ?? 10_000);
    for (const v of this.deploymentHistory.inForce(uid, rv, since)) {
      const vb = rolloutBounds(v);
      min = Math.min(min, vb.min);
      max = Math.max(max, vb.max);
    }
    return { min, max };
  }

  /** Per ReplicaSet of the Deployment's pods now: spec (as of rv) and active/ready pods — a violation's context. */
  private breakdown(d: Deployment, rv: number): string {
    const by = new Map<string, { active: number; ready: number; name: string }>();
    for (const p of this.pods.list()) {
      if (!isActive(p) || !matchLabels(d.spec?.selector?.matchLabels, p.metadata?.labels)) continue;
      const ref = p.metadata?.ownerReferences?.find((r) => r.controller);
      const key = ref?.uid ?? 'orphan';
      const e = by.get(key) ?? { active: 0, ready: 0, name: ref?.name ?? 'orphan' };
      e.active++;
      if (isPodReady(p)) e.ready++;
      by.set(key, e);
    }
    return [...by.entries()]
      .map(([uid, e]) => {
        // The ReplicaSet as the controllers could read it at rv: what its status claimed.
        const rs = this.rsHistory.at(uid, rv);
        const st = rs?.status;
        const claimed = st ? ` (status rv ${rvOf(rs)}: r${st.replicas ?? 0} avail ${st.availableReplicas ?? 0} gen ${st.observedGeneration ?? '?'}/${rs?.metadata?.generation ?? '?'})` : '';
        return `${e.name} spec ${rs?.spec?.replicas ?? '?'} pods ${e.active} ready ${e.ready}${claimed}`;
      })
      .join(', ');
  }

  private sampleReady(d: Deployment, rv: number): void {
    const uid = d.metadata!.uid!;
    let list = this.readySamples.get(uid);
    if (!list) this.readySamples.set(uid, (list = []));
    const byOwner = this.readyByOwner(d);
    const ready = [...byOwner.values()].reduce((n, e) => n + e.ready, 0);
    list.push({ rv, seenAt: Date.now(), ready });
    const cutoff = Date.now() - 120_000;
    while (list.length > 2 && list[0].seenAt < cutoff) list.shift();
    const w = this.windowBounds(uid, rv);
    // Only a suspect sample needs its context (computed now, while the cache is at rv).
    const context = w && (ready < w.min || ready > w.max) ? this.breakdown(d, rv) : '';
    // The ReplicaSets' specs and statuses at rv too: both informers must be past it.
    this.laterWhenSeen([this.deployments, this.rss], rv, () => this.checkRollout(uid, rv, ready, byOwner, context));
  }

  /** Ready pods at rv against the bounds of the Deployment as it was at rv, once they were reached. */
  private checkRollout(uid: string, rv: number, ready: number, byOwner: ReadonlyMap<string, OwnerReady>, context: string): void {
    const d = this.deploymentHistory.at(uid, rv);
    if (!d) return;
    const b = rolloutBounds(d);
    // The last replicas change before rv: the bounds hold only once the pods got within them after it.
    let scaledAt = 0;
    let prev: number | undefined;
    for (const v of this.deploymentHistory.all(uid)) {
      if (v.rv > rv) break;
      const r = v.obj.spec?.replicas ?? 1;
      if (prev !== undefined && r !== prev) scaledAt = v.rv;
      prev = r;
    }
    const samples = (this.readySamples.get(uid) ?? []).filter((s) => s.rv > scaledAt && s.rv < rv);
    const w = this.windowBounds(uid, rv) ?? b;
    this.checks++;
    if (ready < w.min && samples.some((s) => s.ready >= b.min)) {
      this.violate('rollout-min-ready', `deployment ${d.metadata?.name} at rv ${rv}: ${ready} ready pods < replicas ${b.replicas} − maxUnavailable = ${b.min} (${context})`);
    }
    const counted = ready > w.max ? surgeCountedReady(byOwner, (rsUid) => this.rsHistory.at(rsUid, rv)) : ready;
    if (counted <= w.max && ready > w.max) this.o.log?.(`monitor: deployment ${d.metadata?.name} at rv ${rv}: ${ready} ready pods, ${ready - counted} beyond their ReplicaSet's spec and status, young (${context})`);
    if (counted > w.max && samples.some((s) => s.ready <= b.max)) {
      const beyond = counted < ready ? ` (${ready} with young pods beyond their ReplicaSet's spec and status)` : '';
      this.violate('rollout-max-ready', `deployment ${d.metadata?.name} at rv ${rv}: ${counted} ready pods${beyond} > replicas ${b.replicas} + maxSurge = ${b.max} (${context})`);
    }
  }

  // ---- Pods: ReplicaSets, DaemonSets, StatefulSets, Jobs ----

  private onPod(p: Pod, added: boolean): void {
    const rv = rvOf(p);
    for (const d of this.guardedFor(p)) this.sampleReady(d, rv);
    if (isPodReady(p) && isActive(p)) this.readyAt.set(p.metadata!.uid!, Date.now());
    const owner = p.metadata?.ownerReferences?.find((r) => r.controller);
    if (!owner) return;
    if (owner.kind === 'Job' && p.status?.phase === 'Succeeded') {
      let set = this.succeededPods.get(owner.uid);
      if (!set) this.succeededPods.set(owner.uid, (set = new Set()));
      set.add(p.metadata!.uid!);
    }
    if (!added || !isActive(p)) return;
    if (owner.kind === 'ReplicaSet') {
      const mine = this.pods.list().filter((x) => isActive(x) && controllerUid(x) === owner.uid);
      // A suspect create's context, taken now: the active pods (name, rv, created).
      const context = mine.map((x) => `${x.metadata?.name?.slice(-5)}@${x.metadata?.resourceVersion}/${x.metadata?.creationTimestamp?.slice(11, 19)}`).join(' ');
      this.laterWhenSeen(this.rss, rv, () => this.checkReplicaSetCreate(owner.uid, p, rv, mine.length, context));
    } else if (owner.kind === 'DaemonSet') {
      const node = daemonPodNode(p);
      const same = this.pods.list().filter((x) => isActive(x) && controllerUid(x) === owner.uid && daemonPodNode(x) === node);
      this.checks++;
      const ds = this.daemonSets.list().find((x) => x.metadata?.uid === owner.uid);
      if (node && daemonPodsExcess(ds, same)) {
        const describe = (x: Pod) =>
          `${x.metadata?.name} (created ${x.metadata?.creationTimestamp} rv ${x.metadata?.resourceVersion}, hash ${x.metadata?.labels?.['controller-revision-hash']}, ${x.status?.phase ?? 'no phase'}${isPodReady(x) ? ', ready' : ''})`;
        this.violate('daemonset-one-per-node', `daemonset ${owner.name}: ${same.length} active pods for node ${node}: ${same.map(describe).join(', ')}`);
      }
    } else if (owner.kind === 'StatefulSet') {
      this.checkOrderedStart(owner.name, owner.uid, p);
    }
  }

  /** A pod added to a ReplicaSet: the active pods may not exceed the most replicas it asked for lately. */
  private checkReplicaSetCreate(uid: string, p: Pod, rv: number, active: number, pods: string): void {
    const windowStart = Date.now() - this.settleMs - (this.o.deletionGraceMs ?? 10_000);
    let most = this.rsHistory.at(uid, rv)?.spec?.replicas;
    for (const v of this.rsHistory.inForce(uid, rv, windowStart)) most = Math.max(most ?? 0, v.spec?.replicas ?? 0);
    if (most === undefined) return; // the ReplicaSet was never seen (deleted at once)
    this.checks++;
    if (active > most) {
      const specs = this.rsHistory
        .all(uid)
        .filter((v) => v.seenAt >= windowStart - 30_000)
        .map((v) => `${v.rv}:${v.obj.spec?.replicas}`)
        .join(' ');
      this.violate(
        'replicaset-no-extra-create',
        `replicaset ${p.metadata?.ownerReferences?.[0]?.name}: pod ${p.metadata?.name} made ${active} active pods at rv ${rv}, but replicas was at most ${most} (replicas by rv: ${specs}; pods: ${pods})`,
      );
    }
  }

  private checkOrderedStart(setName: string, setUid: string, p: Pod): void {
    const ordinal = podOrdinal(p.metadata?.name ?? '', setName);
    if (ordinal === undefined) return;
    const mine = this.pods.list().filter((x) => isActive(x) && controllerUid(x) === setUid);
    const same = mine.filter((x) => podOrdinal(x.metadata?.name ?? '', setName) === ordinal);
    this.checks++;
    if (same.length > 1) this.violate('statefulset-one-per-ordinal', `statefulset ${setName}: ${same.length} active pods with ordinal ${ordinal}`);
    const set = this.sets.list().find((s) => s.metadata?.uid === setUid);
    if ((set?.spec?.podManagementPolicy ?? 'OrderedReady') !== 'OrderedReady') return;
    // Kubernetes creates ordinal i only when 0…i−1 are Running and Ready; the controller saw that a
    // moment ago (a pod that turned unready since is allowed for a few seconds).
    const recently = Date.now() - 5000;
    for (let j = 0; j < ordinal; j++) {
      const pred = mine.find((x) => podOrdinal(x.metadata?.name ?? '', setName) === j);
      this.checks++;
      const ok = pred && (isPodReady(pred) || (this.readyAt.get(pred.metadata!.uid!) ?? 0) >= recently);
      if (!ok) this.violate('statefulset-ordered-start', `statefulset ${setName}: pod ${p.metadata?.name} created while ordinal ${j} was ${pred ? 'not Ready' : 'missing'}`);
    }
  }

  private onJob(j: Job): void {
    const uid = j.metadata!.uid!;
    const succeeded = j.status?.succeeded ?? 0;
    const completions = j.spec?.completions ?? 1;
    const before = this.jobSucceeded.get(uid) ?? 0;
    if (succeeded >= before) this.jobSucceededAt.set(uid, rvOf(j));
    this.jobSucceeded.set(uid, Math.max(before, succeeded));
    this.checks += 2;
    if (succeeded > completions) this.violate('job-not-beyond-completions', `job ${j.metadata?.name}: status.succeeded ${succeeded} > completions ${completions}`);
    if (succeeded < before) {
      this.violate('job-counted-once', `job ${j.metadata?.name}: status.succeeded went back from ${before} (rv ${this.jobSucceededAt.get(uid)}) to ${succeeded} (rv ${rvOf(j)}, uid ${uid})`);
    }
    const complete = j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True');
    if (complete) {
      this.laterWhenSeen(this.pods, rvOf(j), () => {
        // Counted once: never more successes than pods that succeeded, and Complete at exactly
        // completions. (More pods may succeed than are counted: a pod still running when the Job
        // completes is deleted, and may exit 0 on its way out.)
        const seen = this.succeededPods.get(uid)?.size ?? 0;
        this.checks += 2;
        if (succeeded > seen) this.violate('job-counted-once', `job ${j.metadata?.name}: Complete with status.succeeded ${succeeded}, but only ${seen} distinct pods succeeded`);
        if (succeeded !== completions) this.violate('job-counted-once', `job ${j.metadata?.name}: Complete with status.succeeded ${succeeded}, completions ${completions}`);
      });
    }
  }

  // ---- Periodic: lingering extra pods, pods on missing nodes, containers of gone pods ----

  private readonly lingering = new Map<string, number>();

  private async periodic(): Promise<void> {
    const now = Date.now();
    const grace = this.o.deletionGraceMs ?? 10_000;
    const pods = this.pods.list();
    const seen = new Set<string>();
    const note = (key: string, bad: boolean, report: () => void) => {
      this.checks++;
      if (!bad) return;
      seen.add(key);
      const since = this.firstSeenExcess.get(key) ?? now;
      this.firstSeenExcess.set(key, since);
      const down = this.o.apiserverDownMs?.(since, now) ?? 0;
      if (now - since - down > grace && !this.lingering.has(key)) {
        this.lingering.set(key, now);
        report();
      }
    };
    for (const rs of this.rss.list()) {
      const active = pods.filter((x) => isActive(x) && controllerUid(x) === rs.metadata?.uid).length;
      const want = rs.spec?.replicas ?? 1;
      note(`rs/${rs.metadata?.uid}`, active > want, () => this.violate('replicaset-extra-pods-linger', `replicaset ${rs.metadata?.name}: ${active} active pods > replicas ${want} for over ${grace} ms`));
    }
    const nodeNames = new Set(this.nodes.list().map((n) => n.metadata?.name));
    for (const p of pods) {
      const node = p.spec?.nodeName;
      if (!node || !isActive(p)) continue;
      note(`pod-node/${p.metadata?.uid}`, !nodeNames.has(node), () => this.violate('no-pod-on-deleted-node', `pod ${p.metadata?.name} bound to node ${node}, which does not exist`));
    }
    if (this.o.containers) {
      const uids = new Set(pods.map((p) => p.metadata?.uid));
      let running: RunningContainer[] = [];
      try {
        running = await this.o.containers();
      } catch {
        /* a runtime stopping with the run */
      }
      for (const c of running) {
        note(`container/${c.id}`, !uids.has(c.podUid), () => {
          const report = (why: string) => this.violate('no-container-for-gone-pod', `node ${c.node} runs container ${c.id} of pod ${c.podUid}, which is gone${why}`);
          if (!this.o.explainContainer) return report('');
          void this.o.explainContainer(c).then((why) => report(` (${why})`), (err: Error) => report(` (${err.message})`));
        });
      }
    }
    for (const key of [...this.firstSeenExcess.keys()]) if (!seen.has(key)) this.firstSeenExcess.delete(key);
  }

  // ---- Garbage collection: checked on the collector's own deletes, before they are sent ----

  /** Pass as the garbage collector's client's beforeWrite: a DELETE of an object whose owner is alive is a violation. */
  readonly beforeGcWrite = async (w: OutgoingWrite): Promise<void> => {
    if (w.method !== 'DELETE') return;
    let target: KubeObject;
    try {
      target = await this.o.client.request<KubeObject>('GET', w.path);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const md = target.metadata ?? {};
    const preconditionUid = (w.body as { preconditions?: { uid?: string } } | undefined)?.preconditions?.uid;
    if (preconditionUid && preconditionUid !== md.uid) return; // the delete will be refused
    for (const ref of md.ownerReferences ?? []) {
      const rt = resourceForKind(ref.apiVersion, ref.kind);
      if (!rt) continue;
      this.checks++;
      try {
        const owner = await this.o.client.get<KubeObject>(rt, rt.namespaced ? md.namespace : undefined, ref.name);
        if (owner.metadata?.uid === ref.uid && !owner.metadata?.deletionTimestamp) {
          this.violate('gc-live-owner', `garbage collector deletes ${w.path} while its owner ${ref.kind} ${ref.name} (${ref.uid}) is alive`);
        }
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  };
}
