// Node agent benchmark on real containerd, every figure next to the floor measured in the same run
// (bench/cri-floor.ts: the raw CRI sequence PullImage (cached) + RunPodSandbox + CreateContainer +
// StartContainer with nothing of steer around it):
//   1. one pod at a time, created already bound (spec.nodeName) → seen Running through a watch, ×N:
//      p50/p99 and the ratio to the floor's sequential p50/p99 (goal ≤ 1.3×);
//   2. M pods bound at once until all are seen Running: total, ratio to M concurrent CRI sequences
//      (goal ≤ 1.2×);
//   3. a container's process killed (SIGKILL from the host) → nginx serving on the pod IP again: p50
//      (goal ≤ 0.3 s) over K pods (one kill each: a second kill would be CrashLoopBackOff by design);
//   4. the agent's RSS with M pods running (the apiserver runs in a child process, so this process is
//      the agent plus the small benchmark driver).
// Usage: npm run build && node dist/bench/node-agent.js [--count 10] [--concurrent 30] [--kills 5]
//        [--state-dir DIR] [--keep]
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import { Command } from 'commander';
import type { Pod } from 'kubernetes-types/core/v1';
import { KubeClient, WatchHandle } from '../lib/client/client';
import { Resources } from '../lib/api/resources';
import { CriRuntime, IMAGES, startNodeAgent, teardownRuntime } from '../node-agent';
import { ensureBenchRuntime } from './bench-cluster';
import { startCriBenchAgent } from './cri-agent';
import { formatCriFloor, measureCriFloor, measureRestartFloor, percentile } from './cri-floor';
import { startApiServerChild } from './apiserver-child';

const NS = 'default';

/** Tracks pods through one watch: resolves waiters when a pod is Running (all containers running) or gone. */
class PodWatcher {
  private handle?: WatchHandle;
  private readonly running = new Map<string, number>(); // name → time first seen Running
  private readonly gone = new Set<string>();
  private readonly waiters: { check: () => boolean; resolve: () => void }[] = [];

  constructor(private readonly client: KubeClient) {}

  async start(): Promise<void> {
    const list = await this.client.list<Pod>(Resources.pods, { namespace: NS });
    this.handle = await this.client.watch<Pod>(
      Resources.pods,
      { namespace: NS, resourceVersion: list.metadata.resourceVersion },
      (ev) => {
        const name = ev.object.metadata?.name || '';
        const now = performance.now();
        if (ev.type === 'DELETED') this.gone.add(name);
        else {
          this.gone.delete(name);
          const cs = ev.object.status?.containerStatuses || [];
          if (ev.object.status?.phase === 'Running' && cs.length && cs.every((c) => c.state?.running) && !this.running.has(name)) this.running.set(name, now);
          if (ev.object.status?.phase !== 'Running') this.running.delete(name);
        }
        for (const w of this.waiters.splice(0)) {
          if (w.check()) w.resolve();
          else this.waiters.push(w);
        }
      },
      (err) => {
        if (err) console.error(`watch ended: ${err.message}`);
      },
    );
  }

  stop(): void {
    this.handle?.stop();
  }

  private until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ check, resolve }));
  }

  runningAt(name: string): Promise<number> {
    return this.until(() => this.running.has(name)).then(() => this.running.get(name)!);
  }

  goneAt(name: string): Promise<void> {
    return this.until(() => this.gone.has(name));
  }
}

function nginxPod(name: string, nodeName: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { bench: 'node-agent' } },
    spec: { nodeName, terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: IMAGES.nginx, imagePullPolicy: 'IfNotPresent' }] },
  };
}

function httpOk(host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host, port: 80, path: '/', timeout: 200, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function rssMiB(pid = process.pid): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('node-agent-bench')
    .option('--count <n>', 'pods started one at a time', '10')
    .option('--concurrent <n>', 'pods started at once', '30')
    .option('--kills <n>', 'pods whose process is killed once each', '5')
    .option('--state-dir <dir>', 'runtime state dir for the benchmark', '/var/lib/steer-bench/node-agent')
    .option('--bridge <name>', 'CNI bridge', 'steerbench1')
    .option('--pod-subnet <cidr>', 'pod subnet', '10.208.0.0/24')
    .option('--keep', 'leave the runtime running afterwards', false)
    .parse(argv);
  const o = program.opts<{ count: string; concurrent: string; kills: string; stateDir: string; bridge: string; podSubnet: string; keep: boolean }>();
  const count = Number(o.count);
  const concurrent = Number(o.concurrent);
  const kills = Number(o.kills);
  const info = await ensureBenchRuntime({ stateDir: o.stateDir, bridge: o.bridge, podSubnet: o.podSubnet });
  const cri = new CriRuntime(info.criSocket);
  const { url, child } = await startApiServerChild();
  const client = KubeClient.forServer(url);
  const nodeName = 'bench-node';
  let agent: Awaited<ReturnType<typeof startNodeAgent>> | undefined;
  const watcher = new PodWatcher(client);
  try {
    console.log(`node-agent bench: containerd ${info.criSocket}; apiserver in a child process at ${url}`);
    const floor = await measureCriFloor(cri, { cgroupRoot: info.cgroupRoot, podLogDir: info.podLogDir, sequentialCount: count, concurrentCount: concurrent });
    console.log(formatCriFloor(floor));
    // The floor: the same kill through raw CRI — exit event, new container, first HTTP 200 (bench/cri-floor.ts).
    const restartFloor = (await measureRestartFloor(cri, { cgroupRoot: info.cgroupRoot, podLogDir: info.podLogDir, count: kills })).samplesMs;

    agent = await startCriBenchAgent(client, cri, info, o.stateDir, nodeName, { log: (m) => console.error(m) });
    await watcher.start();
    const rssIdle = rssMiB();

    const deleteAll = async (names: string[]) => {
      await Promise.all(names.map((n) => client.delete(Resources.pods, NS, n)));
      await Promise.all(names.map((n) => watcher.goneAt(n)));
    };

    // 1. one at a time (after one warm-up pod)
    const one = async (name: string) => {
      const t0 = performance.now();
      await client.create(Resources.pods, NS, nginxPod(name, nodeName));
      const t1 = await watcher.runningAt(name);
      return t1 - t0;
    };
    await one('warmup');
    await deleteAll(['warmup']);
    const seq: number[] = [];
    for (let i = 0; i < count; i++) {
      seq.push(await one(`seq-${i}`));
      await deleteAll([`seq-${i}`]);
    }

    // 2. all at once
    const names = Array.from({ length: concurrent }, (_, i) => `conc-${i}`);
    const c0 = performance.now();
    await Promise.all(names.map((n) => client.create(Resources.pods, NS, nginxPod(n, nodeName))));
    const ends = await Promise.all(names.map((n) => watcher.runningAt(n)));
    const concTotal = Math.max(...ends) - c0;
    await new Promise((r) => setTimeout(r, 1000));
    const rss30 = rssMiB();

    // 3. kill → serving again, one kill per pod among the running ones
    const killSamples: number[] = [];
    for (const n of names.slice(0, kills)) {
      const pod = await client.get<Pod>(Resources.pods, NS, n);
      const ip = pod.status!.podIP!;
      const id = pod.status!.containerStatuses![0].containerID!.replace(/^containerd:\/\//, '');
      const pid = (await cri.containerStatus(id)).pid!;
      const t0 = performance.now();
      process.kill(pid, 'SIGKILL');
      // Wait for the old process to be gone, then for the new nginx to answer.
      for (;;) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      while (!(await httpOk(ip))) await new Promise((r) => setTimeout(r, 5));
      killSamples.push(performance.now() - t0);
    }
    await deleteAll(names);

    const f = (n: number) => n.toFixed(1);
    const r = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    const rows: [string, string, string, string, string][] = [
      ['figure', 'steer', 'floor', 'ratio', 'goal'],
      [`one pod bound→Running (watch) p50, ×${count}`, `${f(percentile(seq, 50))} ms`, `${f(floor.sequential.p50Ms)} ms`, r(percentile(seq, 50), floor.sequential.p50Ms), '≤ 1.3×'],
      [`one pod bound→Running (watch) p99, ×${count}`, `${f(percentile(seq, 99))} ms`, `${f(floor.sequential.p99Ms)} ms`, r(percentile(seq, 99), floor.sequential.p99Ms), '≤ 1.3×'],
      [`${concurrent} pods bound at once → all Running`, `${f(concTotal)} ms`, `${f(floor.concurrent.totalMs)} ms`, r(concTotal, floor.concurrent.totalMs), '≤ 1.2×'],
      [
        `killed container → serving again p50, ×${killSamples.length}`,
        `${f(percentile(killSamples, 50))} ms`,
        `${f(percentile(restartFloor, 50))} ms`,
        r(percentile(killSamples, 50), percentile(restartFloor, 50)),
        '≤ 300 ms',
      ],
      [`killed container → serving again max`, `${f(Math.max(...killSamples))} ms`, `${f(Math.max(...restartFloor))} ms`, '-', ''],
      ['agent RSS idle', `${f(rssIdle)} MiB`, '-', '-', ''],
      [`agent RSS with ${concurrent} pods`, `${f(rss30)} MiB`, '-', '-', ''],
    ];
    const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
    console.log('');
    for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  '));
    console.log(`\nsamples one-at-a-time (ms): ${seq.map(f).join(' ')}`);
    console.log(`samples kill→serving (ms): ${killSamples.map(f).join(' ')}`);
    console.log('floor of kill→serving: the same kill through raw CRI — exit event, new container, first HTTP 200 (bench/cri-floor.ts measureRestartFloor)');
    console.log(`load average at the end: ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${os.cpus().length} cores`);
  } finally {
    watcher.stop();
    await agent?.stop();
    cri.close();
    client.close();
    child.kill('SIGTERM');
    if (!o.keep) await teardownRuntime(info.stateDir);
  }
}

if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack || err.message : String(err)}\n`);
    process.exit(1);
  });
}
