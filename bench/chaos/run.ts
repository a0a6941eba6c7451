// One chaos run: a ChaosCluster, workloads that roll, scale and heal, faults drawn from one seed, the
// invariant monitor watching throughout, then a settle phase (faults off) in which every workload must
// converge. The test suite runs it briefly with a fixed seed; bench/chaos.ts soaks it.
//
// A seed fixes the sequence of actions and faults and each component's fault stream; the interleaving
// with real time (the machine's load) still varies, so a seed reproduces the run's shape, and a
// violation's report names what happened around it.
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1';
import type { Job } from 'kubernetes-types/batch/v1';
import type { Container, Pod, PodSpec } from 'kubernetes-types/core/v1';
import { isPodReady } from '../../lib/api/pod';
import { Resources } from '../../lib/api/resources';
import { isNotFound, KubeClient } from '../../lib/client/client';
import type { ClientFaults } from './client';
import { ChaosCluster, NODE_GRACE_SECONDS, POOL_LABEL } from './cluster';
import { InvariantMonitor, isActive, Violation } from './invariants';
import { WriteLedger } from './ledger';
import { Prng } from './prng';

export interface ChaosRunOptions {
  seed: number;
  /** How long workloads and faults run (ms) before the settle phase. */
  durationMs: number;
  /** How long the workloads may take to converge once faults stop (ms). */
  settleTimeoutMs?: number;
  faults?: ClientFaults;
  stableNodes?: number;
  chaosNodes?: number;
  /** The guarded Deployment's replicas (the case: 50, maxSurge 5, maxUnavailable 0). */
  webReplicas?: number;
  /** Mean pause between actions (ms). */
  actionIntervalMs?: number;
  /**
   * Also restart the apiserver now and then (same storage and port; watches resume or re-list).
   */
  apiserverRestarts?: boolean;
  /** Also kill -9 the apiserver now and then (it then runs as a process: needs a build). */
  apiserverKills?: boolean;
  log?: (msg: string) => void;
}

export interface ChaosReport {
  seed: number;
  runMs: number;
  checks: number;
  violations: Violation[];
  /** Workload operations and faults carried out. */
  operations: number;
  byKind: Record<string, number>;
  faults: Record<string, number>;
}

export const DEFAULT_FAULTS: ClientFaults = { watchDelayMaxMs: 300, watchCutMeanMs: 15_000, watchGoneShare: 0.4, conflictChance: 0.05, writeDelayMaxMs: 50 };

const ns = 'default';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function container(image: string, env: string): Container {
  return { name: 'main', image, env: [{ name: 'GEN', value: env }], readinessProbe: { exec: { command: ['true'] }, periodSeconds: 1 } };
}

function podSpec(pool: string | undefined, image: string, env: string, extra: Partial<PodSpec> = {}): PodSpec {
  return { ...(pool ? { nodeSelector: { [POOL_LABEL]: pool } } : {}), terminationGracePeriodSeconds: 0, containers: [container(image, env)], ...extra };
}

function deployment(name: string, replicas: number, pool: string, surge: number | string, unavailable: number | string, guarded: boolean): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name, ...(guarded ? { 'chaos.steer.io/guarded': 'true' } : {}) } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
      template: { metadata: { labels: { app: name } }, spec: podSpec(pool, `${name}:1`, '0') },
    },
  };
}

export async function runChaos(o: ChaosRunOptions): Promise<ChaosReport> {
  const log = o.log ?? (() => undefined);
  const rng = new Prng(o.seed);
  const act = rng.fork('actions');
  const faults = o.faults ?? DEFAULT_FAULTS;
  let monitor: InvariantMonitor | undefined;
  let ledger: WriteLedger | undefined;
  const cluster = new ChaosCluster({
    rng,
    faults,
    stableNodes: o.stableNodes ?? 4,
    chaosNodes: o.chaosNodes ?? 3,
    beforeGcWrite: (w) => monitor?.beforeGcWrite(w) ?? Promise.resolve(),
    apiserverProcess: o.apiserverKills,
    log,
  });
  const byKind: Record<string, number> = {};
  const count = (kind: string) => (byKind[kind] = (byKind[kind] ?? 0) + 1);
  await cluster.start();
  const client: KubeClient = cluster.client;
  const started = Date.now();
  try {
    monitor = new InvariantMonitor({
      client,
      namespace: ns,
      guarded: (d) => d.metadata?.labels?.['chaos.steer.io/guarded'] === 'true',
      containers: () => cluster.containers(),
      explainContainer: (c) => cluster.explainContainer(c),
      apiserverDownMs: (from, to) => cluster.apiserverDownMs(from, to),
      log,
    });
    await monitor.start();
    // Answered writes are never lost, whatever happens to the apiserver: checked after each of its
    // restarts and at the end.
    ledger = new WriteLedger(client, ns, rng.fork('ledger'));
    ledger.start();
    const checkLedger = async (when: string) => {
      const lost = await ledger!.lost();
      monitor!.checks += ledger!.entries.size;
      for (const l of lost) monitor!.violate('answered-write-kept', `${when}: ${l}`);
    };

    // ---- workloads ----
    const webReplicas = o.webReplicas ?? 50;
    await client.create(Resources.deployments, ns, deployment('web', webReplicas, 'stable', 5, 0, true));
    await client.create(Resources.deployments, ns, deployment('churn', 8, 'chaos', '25%', '25%', false));
    const ds: DaemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: ns },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        template: { metadata: { labels: { app: 'agent' } }, spec: podSpec(undefined, 'agent:1', '0') },
      },
    };
    await client.create(Resources.daemonsets, ns, ds);
    const sts: StatefulSet = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: ns },
      spec: {
        replicas: 3,
        serviceName: 'db',
        podManagementPolicy: 'OrderedReady',
        selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: podSpec('stable', 'db:1', '0') },
      },
    };
    await client.create(Resources.statefulsets, ns, sts);

    cluster.setFaults(faults);
    log(`seed ${o.seed}: cluster up, faults on`);

    // ---- the action loop ----
    const jobCompletions = new Map<string, number>(); // the driver's jobs still open
    const exitedOk = new Set<string>(); // pods whose container the driver made exit 0
    // Successes still to come: completions less the pods that succeeded or were made to exit 0 and live on.
    const successBudget = (j: Job, pods: Pod[]) =>
      (j.spec?.completions ?? 1) - pods.filter((p) => p.status?.phase === 'Succeeded' || (exitedOk.has(p.metadata!.uid!) && p.status?.phase !== 'Failed' && !p.metadata?.deletionTimestamp)).length;
    let jobSeq = 0;
    let tempSeq = 0;
    let gen = 1;
    const notReady = new Set<string>();
    const listPods = async (app: string) => (await client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: `app=${app}` })).items.filter(isActive);
    const jobPods = async (job: string) => (await client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: `job-name=${job}` })).items;
    const patch = (r: typeof Resources.deployments, name: string, body: unknown) => client.patch(r, ns, name, body, 'merge');

    const actions: Array<[number, string, () => Promise<boolean>]> = [
      [3, 'web-rollout', async () => {
        gen++;
        await patch(Resources.deployments, 'web', { spec: { template: { spec: { containers: [container(`web:${gen}`, String(gen))] } } } });
        return true;
      }],
      [1, 'web-scale', async () => {
        // Scaled only between rollouts: a scale in mid-rollout is proportional scaling, which may take
        // pods from every ReplicaSet and which Kubernetes does not bound by maxUnavailable.
        const d = await client.get<Deployment>(Resources.deployments, ns, 'web');
        const st = d.status ?? {};
        const want = d.spec?.replicas ?? 1;
        if (!((st.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && st.updatedReplicas === want && st.availableReplicas === want && st.replicas === want)) return false;
        await patch(Resources.deployments, 'web', { spec: { replicas: act.pick([webReplicas - 10, webReplicas, webReplicas + 5]) } });
        return true;
      }],
      [2, 'churn-rollout', async () => {
        gen++;
        await patch(Resources.deployments, 'churn', { spec: { template: { spec: { containers: [container(`churn:${gen}`, String(gen))] } } } });
        return true;
      }],
      [2, 'churn-scale', async () => {
        await patch(Resources.deployments, 'churn', { spec: { replicas: act.int(3, 12) } });
        return true;
      }],
      [2, 'pod-delete', async () => {
        // Never the guarded Deployment's: a deleted pod is a disruption its bounds do not promise to cover.
        const pods = await listPods(act.pick(['churn', 'agent', 'db']));
        if (!pods.length) return false;
        const p = act.pick(pods);
        await client.delete(Resources.pods, ns, p.metadata!.name!).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e)));
        return true;
      }],
      [1, 'daemonset-update', async () => {
        gen++;
        await patch(Resources.daemonsets, 'agent', { spec: { template: { spec: { containers: [container(`agent:${gen}`, String(gen))] } } } });
        return true;
      }],
      [1, 'statefulset-scale', async () => {
        await patch(Resources.statefulsets, 'db', { spec: { replicas: act.int(2, 5) } });
        return true;
      }],
      [2, 'job-create', async () => {
        const name = `job-${++jobSeq}`;
        const completions = act.int(2, 5);
        const job: Job = {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name, namespace: ns },
          spec: { completions, parallelism: act.int(1, 3), backoffLimit: 20, template: { spec: { ...podSpec(undefined, 'job:1', '0'), restartPolicy: 'Never' } } },
        };
        await client.create(Resources.jobs, ns, job);
        jobCompletions.set(name, 0);
        return true;
      }],
      [4, 'job-pod-exit', async () => {
        const open = [...jobCompletions.keys()];
        if (!open.length) return false;
        const name = act.pick(open);
        const j = await client.get<Job>(Resources.jobs, ns, name).catch(() => undefined);
        if (!j) return false;
        const pods = await jobPods(name);
        const running = pods.filter((p) => isActive(p) && p.status?.phase === 'Running' && !exitedOk.has(p.metadata!.uid!));
        if (!running.length) return false;
        const p = act.pick(running);
        // Never more successes than completions: exit 0 only while successes are short of it.
        const fail = act.chance(0.25) || successBudget(j, pods) <= 0;
        if (!(await cluster.exitContainer(p, fail ? 1 : 0))) return false;
        if (!fail) exitedOk.add(p.metadata!.uid!);
        return true;
      }],
      [1, 'job-delete', async () => {
        const jobs = (await client.list<Job>(Resources.jobs, { namespace: ns })).items.filter((j) => j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True'));
        if (!jobs.length) return false;
        const j = act.pick(jobs);
        await client.delete(Resources.jobs, ns, j.metadata!.name!, { propagationPolicy: 'Background' });
        jobCompletions.delete(j.metadata!.name!);
        return true;
      }],
      [1, 'temp-create-delete', async () => {
        const name = `temp-${++tempSeq}`;
        await client.create(Resources.deployments, ns, deployment(name, act.int(1, 3), 'chaos', 1, 0, false));
        const old = `temp-${tempSeq - 2}`;
        if (tempSeq > 2) await client.delete(Resources.deployments, ns, old, { propagationPolicy: act.pick(['Background', 'Foreground']) }).catch(() => undefined);
        return true;
      }],
      // ---- faults beyond the clients' ----
      [1, 'restart-controller-manager', async () => (await cluster.restart('controller-manager'), true)],
      [1, 'restart-garbage-collector', async () => (await cluster.restart('garbage-collector'), true)],
      [1, 'restart-scheduler', async () => (await cluster.restart('scheduler'), true)],
      // Down well within the nodes' grace (their heartbeats fail meanwhile), long enough to be noticed.
      [o.apiserverRestarts ? 1 : 0, 'restart-apiserver', async () => {
        await cluster.restartApiServer(act.int(200, 3000));
        await checkLedger('after an apiserver restart');
        return true;
      }],
      [o.apiserverKills ? 1 : 0, 'kill-apiserver', async () => {
        await cluster.killApiServer(act.int(200, 3000));
        await checkLedger('after kill -9 of the apiserver');
        return true;
      }],
      [1, 'node-not-ready', async () => {
        const name = act.pick(cluster.chaos.names);
        if (notReady.has(name) || notReady.size >= cluster.chaos.names.length - 1) return false;
        notReady.add(name);
        cluster.chaos.stopNode(name);
        // Silent for longer than the node-lifecycle grace, so the outage is noticed (taints, evictions).
        const downMs = act.int(NODE_GRACE_SECONDS * 1000 + 3000, NODE_GRACE_SECONDS * 1000 + 12_000);
        setTimeout(() => {
          void cluster.chaos.resumeNode(name).catch(() => undefined).finally(() => notReady.delete(name));
        }, downMs);
        return true;
      }],
      [2, 'probe-fail', async () => {
        const pods = (await listPods(act.pick(['churn', 'agent']))).filter((p) => p.metadata?.labels?.app === 'churn' || cluster.chaos.names.includes(p.spec?.nodeName ?? ''));
        if (!pods.length) return false;
        const uid = act.pick(pods).metadata!.uid!;
        cluster.failingProbes.add(uid);
        setTimeout(() => cluster.failingProbes.delete(uid), act.int(2000, 6000));
        return true;
      }],
      [2, 'container-exit', async () => {
        const pods = (await listPods('churn')).filter((p) => p.status?.phase === 'Running');
        if (!pods.length) return false;
        return cluster.exitContainer(act.pick(pods), 1);
      }],
    ];
    const totalWeight = actions.reduce((n, a) => n + a[0], 0);
    const pickAction = () => {
      let x = act.next() * totalWeight;
      for (const a of actions) if ((x -= a[0]) < 0) return a;
      return actions[actions.length - 1];
    };
    const interval = o.actionIntervalMs ?? 700;
    while (Date.now() - started < o.durationMs) {
      const [, kind, fn] = pickAction();
      try {
        if (await fn()) {
          count(kind);
          log(`action ${kind}`);
        }
      } catch (err) {
        log(`action ${kind} failed: ${(err as Error).message}`);
      }
      await sleep(act.next() * 2 * interval);
    }

    // ---- settle: faults off, everything must converge ----
    const runMs = Date.now() - started;
    cluster.setFaults('off');
    cluster.failingProbes.clear();
    await sleep(200);
    for (const name of cluster.chaos.names) await cluster.chaos.resumeNode(name).catch(() => undefined);
    const deadline = Date.now() + (o.settleTimeoutMs ?? 90_000);
    let pending: string[] = [];
    while (Date.now() < deadline) {
      // Jobs finish: their running pods succeed as far as completions allow.
      for (const name of jobCompletions.keys()) {
        const j = await client.get<Job>(Resources.jobs, ns, name).catch(() => undefined);
        if (!j || j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')) continue;
        const pods = await jobPods(name);
        const running = pods.filter((p) => isActive(p) && p.status?.phase === 'Running' && !exitedOk.has(p.metadata!.uid!));
        for (const p of running.slice(0, Math.max(0, successBudget(j, pods)))) {
          if (await cluster.exitContainer(p, 0)) exitedOk.add(p.metadata!.uid!);
        }
      }
      pending = await unconverged(client);
      if (!pending.length) break;
      await sleep(1000);
    }
    if (pending.length) monitor.violate('converges', `not converged ${Math.round((o.settleTimeoutMs ?? 90_000) / 1000)} s after faults stopped: ${pending.join('; ')}`);
    await ledger.stop();
    await checkLedger('at the end');
    await sleep(2000); // deferred checks
    const faultCounts: Record<string, number> = { ...cluster.faultCounts() };
    for (const [k, v] of Object.entries(cluster.restarts)) faultCounts[`restart-${k}`] = v;
    const operations = Object.values(byKind).reduce((a, b) => a + b, 0) + Object.values(faultCounts).reduce((a, b) => a + b, 0);
    return { seed: o.seed, runMs, checks: monitor.checks, violations: [...monitor.violations], operations, byKind, faults: faultCounts };
  } finally {
    await ledger?.stop();
    monitor?.stop();
    await cluster.stop();
  }
}

/** What has not converged yet: Deployments, the DaemonSet, the StatefulSet, Jobs. */
async function unconverged(client: KubeClient): Promise<string[]> {
  const out: string[] = [];
  const pods = (await client.list<Pod>(Resources.pods, { namespace: ns })).items;
  for (const d of (await client.list<Deployment>(Resources.deployments, { namespace: ns })).items) {
    const st = d.status ?? {};
    const want = d.spec?.replicas ?? 1;
    const ready = pods.filter((p) => isActive(p) && isPodReady(p) && p.metadata?.labels?.app === d.metadata?.name).length;
    const ok = (st.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && st.updatedReplicas === want && st.availableReplicas === want && (st.replicas ?? 0) === want && ready === want;
    if (!ok && !d.metadata?.deletionTimestamp) {
      // What each of its ReplicaSets asks, says and really has: where a stuck rollout is stuck.
      const rss = (await client.list<ReplicaSet>(Resources.replicasets, { namespace: ns })).items.filter((rs) => rs.metadata?.ownerReferences?.some((r) => r.uid === d.metadata?.uid));
      const detail = rss
        .filter((rs) => (rs.spec?.replicas ?? 0) > 0 || (rs.status?.replicas ?? 0) > 0)
        .map((rs) => {
          const mine = pods.filter((p) => isActive(p) && p.metadata?.ownerReferences?.some((r) => r.uid === rs.metadata?.uid));
          return `${rs.metadata?.name} spec ${rs.spec?.replicas} gen ${rs.metadata?.generation}/${rs.status?.observedGeneration} status r${rs.status?.replicas} ready${rs.status?.readyReplicas} avail${rs.status?.availableReplicas}, pods ${mine.length} ready ${mine.filter(isPodReady).length}`;
        });
      out.push(`deployment ${d.metadata?.name}: want ${want}, status ${JSON.stringify({ r: st.replicas, u: st.updatedReplicas, a: st.availableReplicas, g: st.observedGeneration })} gen ${d.metadata?.generation}, ${ready} ready pods; ${detail.join(' | ')}`);
    }
  }
  for (const ds of (await client.list<DaemonSet>(Resources.daemonsets, { namespace: ns })).items) {
    const st = ds.status;
    const ok = st && (st.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0) && st.desiredNumberScheduled > 0 && st.numberReady === st.desiredNumberScheduled && st.updatedNumberScheduled === st.desiredNumberScheduled && st.currentNumberScheduled === st.desiredNumberScheduled;
    if (!ok) out.push(`daemonset ${ds.metadata?.name}: ${JSON.stringify(st)}`);
  }
  for (const s of (await client.list<StatefulSet>(Resources.statefulsets, { namespace: ns })).items) {
    const want = s.spec?.replicas ?? 1;
    if ((s.status?.readyReplicas ?? 0) !== want || (s.status?.replicas ?? 0) !== want) out.push(`statefulset ${s.metadata?.name}: want ${want}, ${JSON.stringify(s.status)}`);
  }
  for (const j of (await client.list<Job>(Resources.jobs, { namespace: ns })).items) {
    if (j.metadata?.deletionTimestamp) continue;
    if (!j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')) out.push(`job ${j.metadata?.name}: ${JSON.stringify({ s: j.status?.succeeded, a: j.status?.active, f: j.status?.failed })}`);
  }
  return out;
}
