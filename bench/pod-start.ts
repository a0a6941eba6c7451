// Where one pod's start goes on `steer up`, precisely, next to the raw CRI floor of the same work on
// the same containerd (issue 20's "pod start ≤ 1.3× raw CRI"): the start rounds of bench/start-rounds.ts,
// each followed by a floor sample, a pause (--gap-ms) before each of them. With --scale-rounds N, then
// N scale rounds: 3 → 30 until all 30 Ready, each followed by the floor of 27 pods started at once (the
// swarm bench's 3→30 step without Docker, its 100 ms polls or HTTP checks).
// Beside the watches' milestones: the steer server's CPU per round, and the node agent's own timing of
// the same starts from its /metrics (steer_node_agent_pod_start_phase_seconds by phase, and its CRI calls).
// Usage (root; under the bench lock):
//   npm run build && flock /tmp/steer-e2e.lock node dist/bench/pod-start.js [--rounds 8]
//        [--scale-rounds 0] [--gap-ms 1000] [--state-dir DIR] [--node-flags '...'] [--keep]
import * as fs from 'node:fs';
import * as os from 'node:os';
import { Command } from 'commander';
import { agentMetrics, downBenchCluster, upBenchCluster } from './bench-cluster';
import { KubeClient } from '../lib/client/client';
import { CriRuntime } from '../node-agent';
import { formatScaleRounds, formatStartRounds, loadavg, StartRounds } from './start-rounds';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function main(argv: string[]): Promise<void> {
  const o = new Command('pod-start-bench')
    .option('--rounds <n>', 'Deployments created, one at a time', '8')
    .option('--scale-rounds <n>', 'then: 3 → 30 replicas, until all Ready, this many times (and the floor of 27 at once as often)', '0')
    .option('--gap-ms <ms>', 'pause after a round (its pod gone) before the next', '1000')
    .option('--state-dir <dir>', 'state dir of the steer cluster', '/var/lib/steer-bench/pod-start')
    .option('--bridge <name>', 'CNI bridge', 'steerbpstart')
    .option('--pod-subnet <cidr>', 'pod subnet', '10.214.0.0/24')
    .option('--api-port <port>', 'apiserver port (loopback)', '27453')
    .option('--agent-port <port>', 'node agent port (the next two are taken too)', '21260')
    .option('--node-flags <flags>', "the server process' Node/V8 flags, space-separated (default steer up's)")
    .option('--keep', 'leave the cluster running afterwards', false)
    .parse(argv)
    .opts<{ rounds: string; scaleRounds: string; gapMs: string; stateDir: string; bridge: string; podSubnet: string; apiPort: string; agentPort: string; nodeFlags?: string; keep: boolean }>();
  if (process.getuid?.() !== 0) throw new Error('bench/pod-start needs root (containerd, CNI and cgroups)');
  let client: KubeClient | undefined;
  let cri: CriRuntime | undefined;
  let rounds: StartRounds | undefined;
  try {
    const up = await upBenchCluster({ stateDir: o.stateDir, nodeName: 'steer-bench-pod-start', apiPort: Number(o.apiPort), agentPort: Number(o.agentPort), bridge: o.bridge, podSubnet: o.podSubnet, serverNodeFlags: o.nodeFlags === undefined ? undefined : o.nodeFlags.split(/\s+/).filter(Boolean) });
    client = KubeClient.load({ kubeconfig: up.kubeconfig });
    const runtimeInfo = JSON.parse(fs.readFileSync(up.paths.runtimeInfo, 'utf8')) as { criSocket: string; cgroupRoot: string; podLogDir: string };
    cri = new CriRuntime(runtimeInfo.criSocket);
    console.log(`steer up: server PID ${up.info.pid}; load ${loadavg()}`);
    const targets = fs.existsSync(up.paths.prometheusNodeTargets)
      ? (JSON.parse(fs.readFileSync(up.paths.prometheusNodeTargets, 'utf8')) as Array<{ targets: string[] }>).flatMap((t) => t.targets)
      : [];
    rounds = await StartRounds.open({
      client,
      cri,
      namespace: 'default',
      app: 'bench-pod-start',
      serverPid: up.info.pid,
      floorOpts: { cgroupRoot: runtimeInfo.cgroupRoot, podLogDir: runtimeInfo.podLogDir },
      between: () => sleep(Number(o.gapMs)),
      scrape: () => (targets[0] ? agentMetrics(up.paths.pki, targets[0]).catch(() => '') : Promise.resolve('')),
      log: (line) => console.log(line),
    });
    await sleep(500);
    const starts = await rounds.startRounds(Number(o.rounds));
    const scales = await rounds.scaleRounds(Number(o.scaleRounds));
    console.log('');
    for (const line of [...formatStartRounds(starts), ...formatScaleRounds(scales)]) console.log(line);
    console.log(`load average at the end: ${loadavg()} on ${os.cpus().length} cores`);
  } finally {
    rounds?.stop();
    cri?.close();
    client?.close();
    if (!o.keep) await downBenchCluster(o.stateDir);
  }
}

if (require.main === module) {
  main(process.argv).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack || err.message : String(err)}\n`);
    process.exit(1);
  });
}
