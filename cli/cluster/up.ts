// `steer up`: one command from a fresh Debian 12 (root) to nginx running on a single-node cluster.
//   1. installs missing Debian packages (scripts/install-deps.sh);
//   2. sets up containerd, CNI and the local registry with its images (node-agent runtime setup);
//   3. with --etcd (or when the state dir has an etcd member already), starts one etcd member under the
//      state dir for the apiserver's storage instead of LevelDB;
//   4. starts `steer server` (all components in one background process; log and PID under the state dir);
//   5. writes the admin kubeconfig (the cluster CA and kubernetes-admin's client certificate, from the
//      PKI made in <state>/pki on the first run) for steer, kubectl and client-node;
//   6. waits for the node to be Ready, applies manifests/nginx.yaml, waits until it runs and prints how
//      to reach it.
// Every step is skipped when already done, so a second run is quick.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Deployment } from 'kubernetes-types/apps/v1';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { KubeClient } from '../../lib/client/client';
import { writeFileAtomic } from '../../lib/component/pki';
import { Resources } from '../../lib/api/resources';
import { isNodeReady } from '../../lib/api/node';
import { labelSelectorToString } from '../../lib/api/selectors';
import { ensureRuntime } from '../../node-agent';
import { Streams } from '../io';
import { loadManifests } from '../manifests';
import { Progress } from '../progress';
import { runApply } from '../verbs/apply';
import { packageRoot } from '../package-root';
import { readEtcdCluster, startEtcd } from './etcd';
import type { ClusterOptions } from './server';
import { CONSOLE_ADMIN } from './authorization';
import { adminKubeconfig, serverPki } from './pki';
import { ClusterPaths, ServerInfo, clusterPaths, readJson, runningServerPid, writeJson } from './state';

/**
 * V8 flags of the `steer server` process. --optimize-for-size makes V8 keep a small young generation and
 * grow the heap less eagerly: with nginx at 30 replicas the server's RSS went from 145–156 MiB (max
 * 158–175) to 103–104 MiB (max 106) in bench/server.ts, with no visible CPU cost (18–22 % of a core
 * either way). --max-semi-space-size=2 alone gave 116–138 MiB; 1 gave 126 (more promoted garbage).
 *
 * Under churn (bench/soak.ts, whose memory lines split RSS into V8's spaces and native memory) two more:
 * --heap-growing-percent=10 lets the old generation grow 10 % past what survived the last full GC
 * before the next one, instead of the 30 % --optimize-for-size allows: the heap held 11–12 MiB of
 * garbage above a live 43 MiB. --no-sparkplug: V8 never flushes Sparkplug's baseline code, so the code
 * space grew all through the churn (3.3 → 6.3 MiB in 10 minutes) as more functions got warm; without it
 * code stays bytecode until TurboFan optimizes the hot part. With both, after 21 cycles of 10 → 0 → 10:
 * V8 heap 49.4 MiB committed against 55.1, RSS 128.1 against 133.8 (load 20–30, one run each).
 *
 * Two more against what V8 keeps committed beyond the live heap (hollow soak, `--gc-every 0`, 40 cycles,
 * load 6–10, one run each, RSS mean over cycles 8–24 against 99.2 MiB without either):
 * --compact-on-every-full-gc evacuates every fragmented old-space page at each full GC, so freed
 * pages go back instead of staying committed half-empty: heap committed 36.4 → 32.9 MiB, RSS 94.6,
 * 101.2 → 95.4 MiB with 30 pods afterwards, server CPU per cycle 0.49 → 0.52 s (idle: no change).
 * --single-threaded-gc: no GC helper threads, whose work lists and malloc arenas stayed committed:
 * native memory (anonymous pages beyond the V8 heap) 15.4 → 13.0 MiB, RSS 95.9. Both together: RSS
 * 92.3. Two runs side by side at load 3–12 (40 cycles, RSS mean of the last two thirds): without
 * these two flags and with MALLOC_ARENA_MAX=2, 97.6 MiB, 97.4 with 30 pods afterwards, 0.52 s CPU per cycle;
 * with them 95.5 MiB (95.9 in a later run), 94.6 with 30 pods, 0.56 s per cycle.
 */
export const serverNodeFlags: readonly string[] = ['--optimize-for-size', '--heap-growing-percent=10', '--no-sparkplug', '--compact-on-every-full-gc', '--single-threaded-gc'];

/**
 * Environment of the `steer server` process on top of steer up's own. MALLOC_ARENA_MAX=2: glibc gives
 * every thread that allocates its own malloc arena and keeps each arena's peak; the server's threads
 * (V8's compiler and GC helpers, libuv's pool doing LevelDB, gzip and crypto work) held 31 MiB in 9
 * arenas after 10 minutes of churn (and the full GCs of a heap snapshot, whose parallel markers allocate
 * in their own threads); with 2, the second arena held 6.6 MiB after 50 cycles. With 1 (every thread
 * shares the main arena; the threads left allocate little next to the main thread): hollow soak,
 * 40 cycles, load 6–10, RSS mean of the last two thirds 97.3 against 99.9 MiB, native memory 14.0
 * against 15.7; with the flags above, 91.3 against 92.3 over cycles 7–19. A value the user set is kept.
 */
export function serverEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const [k, v] of Object.entries(SERVER_MALLOC_ENV)) out[k] = env[k] ?? v;
  return out;
}

/**
 * glibc's allocator settings of the server (glibc 2.36 reads these names as aliases of its
 * glibc.malloc.* tunables). MALLOC_ARENA_MAX: see serverEnv. A fixed mmap threshold of 64 KiB: blocks
 * that large (response bodies, LevelDB's reads, compiler zones) get pages of their own, given back at
 * free(); left dynamic, glibc raises the threshold to the largest block freed (up to 32 MiB) and the
 * trim threshold to twice that, so the top of the heap is then kept however much of it is free. The
 * 64 KiB trim threshold and top pad return a free top of the heap past that at once. Two soaks side by
 * side (bench/soak.ts --duration 900, load 11–35, one run each): RSS mean of the last third 105.8 MiB
 * without the last three, 105.3 with; with 30 pods afterwards 110.6 against 108.0; native memory (anon
 * beyond V8's heap and external) 11.3 against 10.2 MiB; server CPU per cycle 1.15 against 1.13 s.
 */
export const SERVER_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '1',
  MALLOC_MMAP_THRESHOLD_: '65536',
  MALLOC_TRIM_THRESHOLD_: '65536',
  MALLOC_TOP_PAD_: '65536',
};

/** The script `steer up` runs the server with. */
export function serverEntry(root: string): string {
  return path.join(root, 'bin', 'steer.js');
}

export interface UpOptions extends ClusterOptions {
  listen: string; // host:port of the apiserver
  installDeps: boolean;
  manifest?: string | false; // default manifests/nginx.yaml; false: apply nothing
  timeoutMs: number;
  /** Also write ~/.kube/config when it does not exist. */
  writeUserKubeconfig: boolean;
  /** Node/V8 flags of the server process instead of serverNodeFlags (bench/server.ts compares them). */
  serverNodeFlags?: readonly string[];
  /** More environment of the server process only (bench/soak.ts: allocator settings, a heap profiler). */
  serverEnv?: Readonly<Record<string, string>>;
  /** Keep the cluster's objects in one etcd member under the state dir instead of LevelDB. */
  etcd?: boolean;
  /** The member's client and peer ports (default 2379, 2380). */
  etcdPorts?: { client: number; peer: number };
}

export interface UpResult {
  paths: ClusterPaths;
  info: ServerInfo;
  kubeconfig: string;
  podIPs: string[];
  steps: Array<{ step: string; ms: number }>;
}

const requiredCommands = ['containerd', 'runc', 'docker-registry', 'skopeo', 'umoci', 'gcc', 'curl', 'iptables', 'ip'];

function missingCommands(): string[] {
  return requiredCommands.filter((c) => spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status !== 0);
}

async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, progress: Progress, onTick?: () => void): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  progress.update(what);
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastErr = err;
    }
    onTick?.();
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s: ${what}${lastErr ? ` (${(lastErr as Error).message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export async function up(o: UpOptions, streams: Streams): Promise<UpResult> {
  if (process.getuid && process.getuid() !== 0) throw new Error('steer up needs root (containerd, CNI and cgroups)');
  const paths = clusterPaths(o.stateDir);
  const steps: UpResult['steps'] = [];
  const progress = new Progress(streams);
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    progress.update(name);
    const v = await fn();
    const ms = Date.now() - t0;
    steps.push({ step: name, ms });
    progress.done(`✓ ${name} (${(ms / 1000).toFixed(1)}s)`);
    return v;
  };
  fs.mkdirSync(paths.logs, { recursive: true });
  const root = packageRoot();

  try {
    let pid = runningServerPid(paths);
    let info = pid ? readJson<ServerInfo>(paths.serverInfo) : undefined;
    const [apiHost] = splitHostPort(o.listen);
    // The cluster CA and every certificate and key (kept and reused on later runs).
    const pki = pid ? await serverPki({ ...o, host: apiHost }) : await step('certificates and keys', () => serverPki({ ...o, host: apiHost }));

    if (!pid) {
      if (o.installDeps) {
        await step('dependencies', async () => {
          const missing = missingCommands();
          if (missing.length === 0) return;
          streams.err(`installing Debian packages (missing: ${missing.join(' ')})\n`);
          const r = spawnSync('bash', [path.join(root, 'scripts', 'install-deps.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
          if (r.status !== 0) throw new Error(`scripts/install-deps.sh failed (exit ${r.status})`);
        });
      }
      await step('container runtime (containerd, CNI, local registry and images)', async () => {
        const runtime = await ensureRuntime({ stateDir: paths.runtime, nodeName: o.nodeName, podSubnet: o.podSubnet, bridge: o.bridge });
        writeJson(paths.runtimeInfo, runtime);
      });
      // A state dir that once ran on etcd keeps running on it.
      let etcdServers: string[] | undefined;
      if (o.etcd || readEtcdCluster(paths.etcd)) {
        if (!readEtcdCluster(paths.etcd) && hasLevelData(paths.apiserverData)) {
          streams.err(
            `note: ${paths.apiserverData} holds this cluster's objects on LevelDB; the new etcd member starts empty. ` +
              `To keep them: steer down; steer etcd start --state-dir ${paths.root}; steer storage migrate --state-dir ${paths.root} --to etcd; steer up --etcd\n`,
          );
        }
        etcdServers = await step('etcd member', async () => (await startEtcd({ dir: paths.etcd, members: 1, ports: [o.etcdPorts ?? { client: 2379, peer: 2380 }] })).endpoints);
      }
      await step('steer server (apiserver, scheduler, controllers, node agent)', async () => {
        try {
          fs.unlinkSync(paths.serverInfo);
        } catch {
          // not there
        }
        const [host, port] = splitHostPort(o.listen);
        const log = fs.openSync(paths.serverLog, 'a');
        const child = spawn(
          process.execPath,
          [
            ...(o.serverNodeFlags ?? serverNodeFlags),
            serverEntry(root),
            'server',
            '--state-dir', paths.root,
            '--listen', `${host}:${port}`,
            '--node-name', o.nodeName,
            '--agent-port', String(o.agentPort),
            '--scheduler-metrics-port', String(o.schedulerMetricsPort),
            '--controllers-metrics-port', String(o.controllersMetricsPort),
            ...(o.serviceCidr ? ['--service-cidr', o.serviceCidr] : []),
            ...(etcdServers ? ['--storage', 'etcd', '--etcd-servers', etcdServers.join(',')] : []),
            ...(o.clusterDns ? ['--cluster-dns', o.clusterDns] : []),
            ...(o.clusterDomain ? ['--cluster-domain', o.clusterDomain] : []),
          ],
          { detached: true, stdio: ['ignore', log, log], cwd: root, env: { ...serverEnv(), ...o.serverEnv } },
        );
        fs.closeSync(log);
        let exitedWith = '';
        child.on('exit', (code, signal) => {
          exitedWith = signal ? `killed by ${signal}` : `exit code ${code}`;
        });
        child.unref();
        fs.writeFileSync(paths.pidFile, `${child.pid}\n`);
        pid = child.pid;
        info = await waitFor('waiting for the components to start', o.timeoutMs, async () => readJson<ServerInfo>(paths.serverInfo), progress, () => {
          if (exitedWith || child.exitCode !== null || !runningServerPid(paths)) {
            const how = exitedWith || (child.exitCode !== null ? `exit code ${child.exitCode}` : `PID ${child.pid} no longer a steer server`);
            throw new FatalError(`steer server exited (${how}); the end of ${paths.serverLog}:\n${tail(paths.serverLog, 15)}`);
          }
        });
      });
    } else {
      streams.err(`steer server already running (PID ${pid})\n`);
    }
    if (!info) throw new Error(`steer server (PID ${pid}) runs but has not written ${paths.serverInfo}; see ${paths.serverLog}`);

    writeFileAtomic(paths.kubeconfig, adminKubeconfig(pki, info.apiserverUrl), 0o600);
    const userKubeconfig = path.join(os.homedir(), '.kube', 'config');
    if (o.writeUserKubeconfig && !fs.existsSync(userKubeconfig)) {
      writeFileAtomic(userKubeconfig, adminKubeconfig(pki, info.apiserverUrl), 0o600);
      streams.err(`wrote ${userKubeconfig}\n`);
    }
    const client = KubeClient.load({ kubeconfig: paths.kubeconfig });
    const serverInfo = info;
    try {
      await step(`node ${serverInfo.nodeName} Ready`, () =>
        waitFor(`waiting for node ${serverInfo.nodeName} to be Ready`, o.timeoutMs, async () => {
          const node = await client.get<Node>(Resources.nodes, undefined, serverInfo.nodeName);
          return isNodeReady(node) ? node : undefined;
        }, progress),
      );
      let podIPs: string[] = [];
      if (o.manifest !== false) {
        const manifest = o.manifest || path.join(root, 'manifests', 'nginx.yaml');
        await step(`apply ${path.relative(process.cwd(), manifest) || manifest}`, async () => {
          progress.done();
          const ok = await runApply(client, loadManifests([manifest], false), 'default', false, streams);
          if (!ok) throw new Error(`applying ${manifest} failed`);
        });
        const deployments = loadManifests([manifest], false).filter((m) => m.object.kind === 'Deployment');
        for (const m of deployments) {
          const name = String((m.object.metadata as { name: string }).name);
          const ns = String((m.object.metadata as { namespace?: string }).namespace || 'default');
          podIPs = await step(`deployment ${name} Running`, () =>
            waitFor(`waiting for deployment ${name} to be available`, o.timeoutMs, async () => {
              const d = await client.get<Deployment>(Resources.deployments, ns, name);
              const pods = await client.list<Pod>(Resources.pods, { namespace: ns, labelSelector: labelSelectorToString(d.spec?.selector) });
              const ready = pods.items.filter(
                (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && (p.status.conditions || []).some((c) => c.type === 'Ready' && c.status === 'True'),
              );
              return ready.length >= Math.max(1, d.spec?.replicas ?? 1) ? ready.map((p) => p.status?.podIP || '').filter(Boolean) : undefined;
            }, progress),
          );
        }
      }
      return { paths, info: serverInfo, kubeconfig: paths.kubeconfig, podIPs, steps };
    } finally {
      client.close();
    }
  } finally {
    progress.done();
  }
}

class FatalError extends Error {}

/** Whether a LevelDB data dir holds anything (a dir LevelDB made has a CURRENT file). */
function hasLevelData(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'CURRENT'));
}

export function splitHostPort(listen: string): [string, number] {
  const i = listen.lastIndexOf(':');
  if (i < 0) return ['127.0.0.1', Number(listen)];
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(listen.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --listen ${listen}`);
  return [host, port];
}

/**
 * Where the web console is and how to log in: a bearer token of the ServiceAccount steer server makes
 * for it (bound to cluster-admin), from the TokenRequest API as for the Kubernetes Dashboard; and the
 * CA the browser must trust for the apiserver's certificate.
 */
export function consoleLogin(apiserverUrl: string, pkiDir: string): string[] {
  const sa = CONSOLE_ADMIN;
  return [
    `web console: ${apiserverUrl}/ui/`,
    `  log in with a token of the ServiceAccount ${sa.namespace}/${sa.name} (cluster-admin):`,
    `    kubectl -n ${sa.namespace} create token ${sa.name} --duration=24h     (kubectl 1.24+; steer create token takes the same)`,
    `  (a ServiceAccount bound to another role, e.g. view, logs in with just its rights)`,
    ...(apiserverUrl.startsWith('https:') ? [`  the browser must trust the cluster CA ${path.join(pkiDir, 'ca.crt')} (or accept its warning)`] : []),
  ];
}

/** The closing message: how to use the cluster and reach nginx. */
export function upSummary(r: UpResult): string {
  const lines = [
    '',
    `steer is up: apiserver ${r.info.apiserverUrl}, node ${r.info.nodeName}; state in ${r.paths.root}, log ${r.paths.serverLog}`,
    '',
    `  export KUBECONFIG=${r.kubeconfig}`,
    '  steer get pods -o wide            # or kubectl, with the same KUBECONFIG',
  ];
  if (r.podIPs.length) {
    lines.push('', 'nginx answers on its pod IP:');
    for (const ip of r.podIPs) lines.push(`  curl http://${ip}/`);
  }
  lines.push('', ...consoleLogin(r.info.apiserverUrl, r.paths.pki));
  lines.push('', 'stop everything with `steer down` (`steer down --purge` also removes the data)');
  return lines.join('\n') + '\n';
}
