// Where one pod's start goes on `steer up`, precisely, next to the raw CRI floor of the same work on
// the same containerd (issue 20's "pod start ≤ 1.3× raw CRI"). Per round: a 1-replica nginx Deployment
// is created and, from watches opened beforehand (no polling), the bench's clock records each
// milestone after the create was sent: create answered, ReplicaSet created (Deployment controller),
// pod created (ReplicaSet controller), bound (scheduler), container running in the API and pod Ready
// (node agent: sandbox, container, status write). Then the Deployment is removed and its pod waited
// gone. The floor (bench/cri-floor.ts) starts single pods with the sandbox and container shape the
// node agent gives this pod (cluster DNS config, /etc/hosts and service-account token bind mounts).
// Usage (root; under the bench lock):
//   npm run build && flock /tmp/steer-bench.lock node dist/bench/pod-start.js [--rounds 8] [--floor-count 8]
//        [--gap-ms 1000] [--state-dir DIR] [--keep]
import * as fs from 'node:fs';
import * as os from 'node:os';
import { Command } from 'commander';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { Pod } from 'kubernetes-types/core/v1';
import { downBenchCluster, upBenchCluster } from './bench-cluster';
import { KubeClient } from '../lib/client/client';
import { Resources } from '../lib/api/resources';
import { CriRuntime, IMAGES } from '../node-agent';
import { measureCriFloor, percentile } from './cri-floor';

const NS = 'default';
const APP = 'bench-pod-start';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const MILESTONES = ['answered', 'replicaSet', 'pod', 'bound', 'running', 'ready'] as const;
type Milestone = (typeof MILESTONES)[number];
const LABELS: Record<Milestone, string> = {
  answered: 'Deployment create answered',
  replicaSet: 'ReplicaSet created (Deployment controller)',
  pod: 'pod created (ReplicaSet controller)',
  bound: 'pod bound (scheduler)',
  running: 'container running in the API (node agent)',
  ready: 'pod Ready in the API (node agent)',
};

/** Milestones of the current round, ms after the create was sent (performance.now clock). */
class Round {
  t0 = 0;
  readonly at: Partial<Record<Milestone, number>> = {};
  private waiters: Array<() => void> = [];
  podGone = false;

  mark(m: Milestone): void {
    if (!this.t0 || this.at[m] !== undefined) return;
    this.at[m] = performance.now() - this.t0;
    for (const w of this.waiters.splice(0)) w();
  }

  wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async until(done: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!done()) {
      if (Date.now() > end) throw new Error(`timed out: ${what}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }
}

async function main(argv: string[]): Promise<void> {
  const o = new Command('pod-start-bench')
    .option('--rounds <n>', 'Deployments created, one at a time', '8')
    .option('--floor-count <n>', 'CRI floor: single pod starts', '8')
    .option('--gap-ms <ms>', 'pause after a round (its pod gone) before the next', '1000')
    .option('--state-dir <dir>', 'state dir of the steer cluster', '/var/lib/steer-bench/pod-start')
    .option('--bridge <name>', 'CNI bridge', 'steerbpstart')
    .option('--pod-subnet <cidr>', 'pod subnet', '10.214.0.0/24')
    .option('--api-port <port>', 'apiserver port (loopback)', '27453')
    .option('--agent-port <port>', 'node agent port (the next two are taken too)', '21260')
    .option('--keep', 'leave the cluster running afterwards', false)
    .parse(argv)
    .opts<{ rounds: string; floorCount: string; gapMs: string; stateDir: string; bridge: string; podSubnet: string; apiPort: string; agentPort: string; keep: boolean }>();
  if (process.getuid?.() !== 0) throw new Error('bench/pod-start needs root (containerd, CNI and cgroups)');
  let client: KubeClient | undefined;
  let cri: CriRuntime | undefined;
  const handles: Array<{ stop(): void }> = [];
  try {
    const up = await upBenchCluster({ stateDir: o.stateDir, nodeName: 'steer-bench-pod-start', apiPort: Number(o.apiPort), agentPort: Number(o.agentPort), bridge: o.bridge, podSubnet: o.podSubnet });
    client = KubeClient.load({ kubeconfig: up.kubeconfig });
    const runtimeInfo = JSON.parse(fs.readFileSync(up.paths.runtimeInfo, 'utf8')) as { criSocket: string; cgroupRoot: string; podLogDir: string };
    cri = new CriRuntime(runtimeInfo.criSocket);
    console.log(`steer up: server PID ${up.info.pid}; load ${loadavg()}`);

    let round = new Round();
    let lastPod: Pod | undefined;
    handles.push(
      await client.watch<ReplicaSet>(Resources.replicasets, { namespace: NS, labelSelector: `app=${APP}` }, (e) => {
        if (e.type === 'ADDED') round.mark('replicaSet');
      }, () => undefined),
    );
    handles.push(
      await client.watch<Pod>(Resources.pods, { namespace: NS, labelSelector: `app=${APP}` }, (e) => {
        if (e.type === 'BOOKMARK' || e.type === 'ERROR') return;
        if (e.type === 'DELETED') {
          round.podGone = true;
          round.wake();
          return;
        }
        const p = e.object;
        if (p.metadata?.deletionTimestamp) return;
        lastPod = p;
        round.mark('pod');
        if (p.spec?.nodeName) round.mark('bound');
        if (p.status?.containerStatuses?.[0]?.state?.running) round.mark('running');
        if ((p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')) round.mark('ready');
      }, () => undefined),
    );
    await sleep(500);

    const deployment: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: APP, labels: { app: APP } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: APP } },
        template: { metadata: { labels: { app: APP } }, spec: { containers: [{ name: 'nginx', image: IMAGES.nginx, ports: [{ containerPort: 80 }] }] } },
      },
    };
    const rounds: Array<Partial<Record<Milestone, number>>> = [];
    const n = Number(o.rounds);
    // One untimed round first: the image, the first CNI ADD and the server's code paths warm, as the floor's warm-up pod.
    for (let i = -1; i < n; i++) {
      round = new Round();
      const r = round;
      r.t0 = performance.now();
      await client.create(Resources.deployments, NS, deployment);
      r.mark('answered');
      await r.until(() => r.at.ready !== undefined, 'pod Ready');
      if (i >= 0) {
        rounds.push({ ...r.at });
        console.log(`round ${i + 1}: ${MILESTONES.map((m) => `${m} ${r.at[m]?.toFixed(0)}`).join(', ')} ms; load ${loadavg()}`);
      }
      r.t0 = 0;
      await client.delete(Resources.deployments, NS, APP, { propagationPolicy: 'Foreground' });
      await r.until(() => r.podGone, 'pod gone');
      for (let t = 0; t < 100; t++) {
        const left = await client.list(Resources.deployments, { namespace: NS }).then((l) => l.items.length);
        if (!left) break;
        await sleep(100);
      }
      await sleep(Number(o.gapMs));
    }

    // The floor: the same pod's shape on the same containerd.
    const shape = lastPod;
    const floor = await measureCriFloor(cri, {
      cgroupRoot: runtimeInfo.cgroupRoot,
      podLogDir: runtimeInfo.podLogDir,
      sequentialCount: Number(o.floorCount),
      concurrentCount: 0,
      steerShape: shape ? { clusterDns: true, tokenMount: (shape.spec?.volumes ?? []).some((v) => v.projected) } : undefined,
    });

    console.log(`\nsteer: 1-replica Deployment create → pod Ready, ms after the create was sent (from watches; ${rounds.length} rounds: min / median / max, median step)`);
    let prev = 0;
    for (const m of MILESTONES) {
      const xs = rounds.map((r) => r[m] ?? NaN);
      const med = percentile(xs, 50);
      const steps = rounds.map((r, k) => (r[m] ?? NaN) - (k >= 0 && m !== 'answered' ? (r[MILESTONES[MILESTONES.indexOf(m) - 1]] ?? 0) : 0));
      console.log(`  ${LABELS[m].padEnd(44)} ${Math.min(...xs).toFixed(0).padStart(5)} / ${med.toFixed(0).padStart(5)} / ${Math.max(...xs).toFixed(0).padStart(5)}   +${percentile(steps, 50).toFixed(0)}`);
      prev = med;
    }
    const ready = prev;
    const f = floor.sequential.p50Ms;
    console.log(`CRI floor, the same pod shape (ImageStatus + RunPodSandbox + CreateContainer + StartContainer), p50 of ${floor.sequential.count}: ${f.toFixed(0)} ms (samples ${floor.sequential.samplesMs.map((x) => x.toFixed(0)).join(' ')})`);
    console.log(`steer create → Ready (watch) / CRI floor: ${(ready / f).toFixed(2)}×   (bound → Ready alone: ${(percentile(rounds.map((r) => (r.ready ?? NaN) - (r.bound ?? NaN)), 50) / f).toFixed(2)}×)`);
    console.log(`load average at the end: ${loadavg()} on ${os.cpus().length} cores`);
  } finally {
    for (const h of handles) h.stop();
    cri?.close();
    client?.close();
    if (!o.keep) await downBenchCluster(o.stateDir);
  }
}

function loadavg(): string {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack || err.message : String(err)}\n`);
    process.exit(1);
  });
}
