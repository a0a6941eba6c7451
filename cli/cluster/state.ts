// Where a single-node steer cluster keeps its state (default /var/lib/steer, or --state-dir /
// $STEER_STATE_DIR):
//   apiserver/       LevelDB data of the apiserver
//   etcd/            the etcd member(s) of `steer up --etcd` / `steer etcd start`: data, logs, members.json
//   runtime/         containerd, CNI and pod state (the node-agent runtime setup's state dir)
//   agent/           the node agent's pod directories and container logs
//   logs/server.log  the all-in-one `steer server` process's log
//   server.pid       its PID;  server.json  its addresses;  runtime.json  what runtime setup reported
//   kubeconfig       the admin kubeconfig for steer, kubectl and client-node (CA and kubernetes-admin's certificate)
//   pki/             the cluster CA, certificates, keys, tokens and the components' kubeconfigs (cli/cluster/pki.ts)
//   prometheus-node-targets.json  the node agent's /metrics address for Prometheus' file_sd_configs
import * as fs from 'node:fs';
import * as path from 'node:path';

export const defaultStateDir = '/var/lib/steer';

export interface ClusterPaths {
  root: string;
  apiserverData: string;
  etcd: string;
  runtime: string;
  agent: string;
  logs: string;
  serverLog: string;
  pidFile: string;
  serverInfo: string;
  runtimeInfo: string;
  kubeconfig: string;
  pki: string;
  prometheusNodeTargets: string;
}

export function clusterPaths(stateDir?: string): ClusterPaths {
  const root = path.resolve(stateDir || process.env.STEER_STATE_DIR || defaultStateDir);
  return {
    root,
    apiserverData: path.join(root, 'apiserver'),
    etcd: path.join(root, 'etcd'),
    runtime: path.join(root, 'runtime'),
    agent: path.join(root, 'agent'),
    logs: path.join(root, 'logs'),
    serverLog: path.join(root, 'logs', 'server.log'),
    pidFile: path.join(root, 'server.pid'),
    serverInfo: path.join(root, 'server.json'),
    runtimeInfo: path.join(root, 'runtime.json'),
    kubeconfig: path.join(root, 'kubeconfig'),
    pki: path.join(root, 'pki'),
    prometheusNodeTargets: path.join(root, 'prometheus-node-targets.json'),
  };
}

/** What `steer server` records once every component is up. */
export interface ServerInfo {
  pid: number;
  apiserverUrl: string;
  nodeName: string;
  agentPort: number;
  schedulerMetricsPort: number;
  controllersMetricsPort: number;
}

export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The saved PID of the server process, when that process still runs. */
export function runningServerPid(paths: ClusterPaths): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(paths.pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!isAlive(pid)) return undefined;
  // A recycled PID belongs to some other program: only trust it when it is a steer server.
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!cmdline.includes('server')) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}
