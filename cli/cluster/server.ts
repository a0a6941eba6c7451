// `steer server`: the whole single-node cluster in ONE process, as k3s does — apiserver (LevelDB, or etcd),
// scheduler, controllers and a node agent on containerd, each started through its component's exported
// start function. One Node.js heap for all four keeps steer's own memory small. Runs until SIGTERM /
// SIGINT, then stops the components in reverse order.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { startApiServer, type StorageOptions } from '../../apiserver';
import { startControllers } from '../../controllers';
import { KubeClient } from '../../lib/client/client';
import { writeKubeconfig } from '../../lib/client/kubeconfig';
import { CriRuntime, RuntimeInfo, ensureRuntime, startNodeAgent } from '../../node-agent';
import { startScheduler } from '../../scheduler';
import { ClusterPaths, ServerInfo, clusterPaths, readJson, writeJson } from './state';

/** What `steer up` and the `steer server` it starts share: the state directory, the node, ports, networks. */
export interface ClusterOptions {
  stateDir?: string;
  nodeName: string;
  agentPort: number;
  schedulerMetricsPort: number;
  controllersMetricsPort: number;
  podSubnet?: string;
  /** Service ClusterIP range (the apiserver's default 10.96.0.0/12). */
  serviceCidr?: string;
  bridge?: string;
}

export interface ServerOptions extends ClusterOptions {
  /** The apiserver's address. */
  host: string;
  port: number;
  /** The apiserver's storage (default: LevelDB in the state dir). */
  storage?: StorageOptions;
}

interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} steer server: ${msg}\n`);
}

/** Starts every component; resolves with a stop function once all are up. */
export async function startServer(o: ServerOptions): Promise<{ info: ServerInfo; stop(): Promise<void> }> {
  const paths: ClusterPaths = clusterPaths(o.stateDir);
  const started: Stoppable[] = [];
  const stopAll = async () => {
    for (const s of [...started].reverse()) {
      try {
        await s.stop();
        log(`${s.name} stopped`);
      } catch (err) {
        log(`${s.name} stop failed: ${(err as Error).message}`);
      }
    }
  };
  try {
    let runtime = readJson<RuntimeInfo>(paths.runtimeInfo);
    if (!runtime || !fs.existsSync(runtime.criSocket)) {
      log('setting up the container runtime');
      runtime = await ensureRuntime({ stateDir: paths.runtime, nodeName: o.nodeName, podSubnet: o.podSubnet, bridge: o.bridge });
      writeJson(paths.runtimeInfo, runtime);
    }

    fs.mkdirSync(paths.apiserverData, { recursive: true });
    const api = await startApiServer({ ...o.storage, host: o.host, port: o.port, dataDir: paths.apiserverData, serviceClusterIPRange: o.serviceCidr });
    started.push({ name: 'apiserver', stop: () => api.close() });
    log(`apiserver listening on ${api.url}${o.storage?.storage === 'etcd' ? ` (etcd ${o.storage.etcdServers?.join(',')})` : ''}`);
    // The in-process components reach the apiserver over loopback HTTP, exactly as separate processes would.
    const localUrl = `http://127.0.0.1:${api.port}`;
    const client = KubeClient.forServer(o.host === '0.0.0.0' || o.host === '127.0.0.1' ? localUrl : api.url);
    started.push({ name: 'client', stop: async () => client.close() });
    if (!fs.existsSync(paths.kubeconfig)) writeKubeconfig(paths.kubeconfig, { server: api.url });

    // One controller manager in this cluster: no Lease to campaign for before the controllers run.
    const ctl = await startControllers({
      client,
      metricsPort: o.controllersMetricsPort,
      metricsHost: '127.0.0.1',
      leaderElect: false,
    });
    started.push({ name: 'controllers', stop: () => ctl.stop() });
    log('controllers started');

    const sched = await startScheduler({ client, metricsPort: o.schedulerMetricsPort, metricsHost: '127.0.0.1' });
    started.push({ name: 'scheduler', stop: () => sched.stop() });
    log('scheduler started');

    const cri = new CriRuntime(runtime.criSocket);
    started.push({ name: 'CRI client', stop: async () => cri.close() });
    const agent = await startNodeAgent({
      client,
      nodeName: o.nodeName,
      runtime: cri,
      stateDir: paths.agent,
      logRoot: runtime.podLogDir,
      cgroupRoot: runtime.cgroupRoot,
      port: o.agentPort,
      // ClusterIPs and NodePorts; chains named after the bridge, which no other live runtime shares.
      serviceProxy: { instance: runtime.bridge, clusterCIDR: runtime.podSubnet },
    });
    started.push({ name: 'node agent', stop: () => agent.stop() });
    log(`node agent ${agent.nodeName} started (${agent.url || 'no HTTP server'})`);

    // Prometheus finds the node agent through this file (file_sd_configs in manifests/prometheus.yml):
    // the agent listens on the node's address, which only the running agent knows.
    if (agent.url) {
      writeJson(paths.prometheusNodeTargets, [{ targets: [new URL(agent.url).host], labels: { node: agent.nodeName } }]);
    }

    const info: ServerInfo = {
      pid: process.pid,
      apiserverUrl: api.url,
      nodeName: agent.nodeName,
      agentPort: agent.port,
      schedulerMetricsPort: o.schedulerMetricsPort,
      controllersMetricsPort: o.controllersMetricsPort,
    };
    writeJson(paths.serverInfo, info);
    return { info, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Runs the server in the foreground until a signal; the PID file names this process. */
export async function runServer(o: ServerOptions): Promise<void> {
  const paths = clusterPaths(o.stateDir);
  fs.mkdirSync(paths.root, { recursive: true });
  fs.writeFileSync(paths.pidFile, `${process.pid}\n`);
  // One component's stray error must leave a trace in the log before the process goes.
  process.on('uncaughtException', (err) => {
    log(`uncaught exception: ${err.stack || err.message}`);
    process.exit(70);
  });
  process.on('unhandledRejection', (reason) => {
    log(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
  });
  process.on('exit', (code) => log(`exiting with code ${code}`));
  const { stop } = await startServer(o);
  log('all components are running');
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (sig: string) => {
      if (stopping) return;
      stopping = true;
      log(`${sig}: stopping`);
      stop().finally(resolve);
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
  try {
    fs.unlinkSync(paths.serverInfo);
  } catch {
    // already gone
  }
  log('stopped');
  // Every component has stopped; a timer or socket one of them left open must not keep the process
  // (and so `steer down`) waiting.
  process.exit(0);
}

export function defaultNodeName(): string {
  return os.hostname().toLowerCase().replace(/[^a-z0-9.-]/g, '-') || 'steer-node';
}
