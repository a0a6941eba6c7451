// A `steer up` cluster of a benchmark's own (state dir, apiserver and component ports, bridge, pod
// subnet), so it never meets /var/lib/steer or another benchmark's cluster: a server left over from an
// earlier run of the same benchmark is stopped first. `steer down --purge` (down()) removes it.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import { clusterPaths, down, runningServerPid, up } from '../cli/cluster';
import type { Streams, UpResult } from '../cli/cluster';
import { ensureRuntime, teardownRuntime } from '../node-agent';

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

/** What this process must undo if a signal ends the run before its own teardown does. */
const signalCleanups = new Set<() => Promise<void>>();
let signalHandlersInstalled = false;

/**
 * Runs `cleanup` if SIGINT or SIGTERM ends the benchmark (--keep or not: an interrupted run removes what
 * it started), where Node's default would skip the benchmark's finally and leave its servers, containerd,
 * dockerd and pods running. Returns the unregistration, for once the benchmark's own teardown has run.
 */
export function cleanupOnSignal(cleanup: () => Promise<void>): () => void {
  if (!signalHandlersInstalled) {
    signalHandlersInstalled = true;
    for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      process.once(sig, () => {
        process.stderr.write(`${sig}: removing what the benchmark started\n`);
        void Promise.allSettled([...signalCleanups].map((c) => c())).finally(() => process.exit(code));
      });
    }
  }
  signalCleanups.add(cleanup);
  return () => signalCleanups.delete(cleanup);
}

export async function upBenchCluster(o: BenchClusterOptions): Promise<UpResult> {
  if (runningServerPid(clusterPaths(o.stateDir))) await down({ stateDir: o.stateDir, purge: true }, quietStreams);
  cleanupOnSignal(() => downBenchCluster(o.stateDir));
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

/** A benchmark's own containerd, CNI and registry (ensureRuntime), torn down if a signal ends the run. */
export async function ensureBenchRuntime(o: Parameters<typeof ensureRuntime>[0]): ReturnType<typeof ensureRuntime> {
  const info = await ensureRuntime(o);
  cleanupOnSignal(() => teardownRuntime(info.stateDir));
  return info;
}

export function downBenchCluster(stateDir: string): Promise<void> {
  return down({ stateDir, purge: true }, quietStreams);
}

/** The node agent's /metrics over HTTPS with the admin identity (allowed nodes/metrics). */
export function agentMetrics(pki: string, target: string): Promise<string> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const read = (f: string) => fs.readFileSync(path.join(pki, f));
  return new Promise((resolve, reject) => {
    const req = https.get({ host, port, path: '/metrics', ca: read('ca.crt'), cert: read('admin.crt'), key: read('admin.key'), servername: net.isIP(host) ? undefined : host, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('agent /metrics: timeout')));
    req.on('error', reject);
  });
}

/** Sum and count per label value of a histogram in a Prometheus text scrape (e.g. operation_type of kubelet_runtime_operations_duration_seconds). */
export function histogramTotals(text: string, name: string, label: string): Map<string, { sum: number; count: number }> {
  const out = new Map<string, { sum: number; count: number }>();
  for (const m of text.matchAll(new RegExp(`^${name}_(sum|count)\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    const key = new RegExp(`${label}="([^"]*)"`).exec(m[2])?.[1] ?? '';
    const e = out.get(key) ?? { sum: 0, count: 0 };
    e[m[1] as 'sum' | 'count'] = Number(m[3]);
    out.set(key, e);
  }
  return out;
}

/** What a histogram gained between two scrapes, per label value (only values observed meanwhile). */
export function histogramDelta(before: string, after: string, name: string, label: string): Map<string, { sum: number; count: number }> {
  const b = histogramTotals(before, name, label);
  const out = new Map<string, { sum: number; count: number }>();
  for (const [k, v] of histogramTotals(after, name, label)) {
    const count = v.count - (b.get(k)?.count ?? 0);
    if (count > 0) out.set(k, { sum: v.sum - (b.get(k)?.sum ?? 0), count });
  }
  return out;
}
