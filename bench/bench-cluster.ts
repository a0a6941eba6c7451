// A `steer up` cluster of a benchmark's own (state dir, apiserver and component ports, bridge, pod
// subnet), so it never meets /var/lib/steer or another benchmark's cluster: a server left over from an
// earlier run of the same benchmark is stopped first. `steer down --purge` (down()) removes it.
import { clusterPaths, down, runningServerPid, up } from '../cli/cluster';
import type { Streams, UpResult } from '../cli/cluster';

export interface BenchClusterOptions {
  stateDir: string;
  nodeName: string;
  apiPort: number;
  /** The node agent's port; the scheduler's and the controllers' metrics ports are the next two. */
  agentPort: number;
  bridge: string;
  podSubnet: string;
  /** Node/V8 flags of the server process instead of steer up's (bench/soak.ts compares them). */
  serverNodeFlags?: readonly string[];
  /** More environment of the server process only. */
  serverEnv?: Readonly<Record<string, string>>;
}

export const quietStreams: Streams = { out: () => undefined, err: (t) => process.stderr.write(t) };

export async function upBenchCluster(o: BenchClusterOptions): Promise<UpResult> {
  if (runningServerPid(clusterPaths(o.stateDir))) await down({ stateDir: o.stateDir, purge: true }, quietStreams);
  return up(
    {
      stateDir: o.stateDir,
      listen: `127.0.0.1:${o.apiPort}`,
      nodeName: o.nodeName,
      agentPort: o.agentPort,
      schedulerMetricsPort: o.agentPort + 1,
      controllersMetricsPort: o.agentPort + 2,
      podSubnet: o.podSubnet,
      bridge: o.bridge,
      installDeps: false,
      manifest: false,
      timeoutMs: 180_000,
      writeUserKubeconfig: false,
      serverNodeFlags: o.serverNodeFlags,
      serverEnv: o.serverEnv,
    },
    quietStreams,
  );
}

export function downBenchCluster(stateDir: string): Promise<void> {
  return down({ stateDir, purge: true }, quietStreams);
}
