// Node runtime setup from TypeScript: runs setup.sh / teardown.sh (beside this file in the source tree)
// and parses what they report. The scripts hold the machine-wide lock, so these functions are safe to
// call concurrently from several processes; a runtime that already runs for the same state dir (with
// the same settings) is reused.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { CriRuntime } from '../runtime/cri/cri-runtime';

const execFileAsync = promisify(execFile);

export interface RuntimeOptions {
  stateDir: string;
  podSubnet?: string; // default 10.88.0.0/16
  bridge?: string; // default steer0; at most 15 characters
  nodeName?: string;
  /** The shared registry's state dir (built images are cached there); default /var/lib/steer-registry. */
  registryDir?: string;
}

export interface RuntimeInfo {
  criSocket: string;
  stateDir: string;
  registry: string; // '127.0.0.1:5000'
  /**
   * registry: the shared registry's PID, whichever setup started it (0 if it serves but was not started
   * by a steer setup). It is not this runtime's own: teardownRuntime({ stopRegistry: true }) stops it
   * only when no other steer runtime on the machine is alive.
   */
  pids: { containerd: number; registry: number };
  bridge: string;
  podSubnet: string;
  networkName: string; // the CNI network's name
  /** Parent of the per-pod cgroups: pods use `${cgroupRoot}/pod<uid>` (see podCgroupParent). */
  cgroupRoot: string;
  /** Where per-pod log directories belong. */
  podLogDir: string;
}

/**
 * The shared registry's state dir (data, built images, PID, log) unless STEER_REGISTRY_DIR says
 * otherwise. Outside /var/lib/steer on purpose: removing a cluster's state must not remove images
 * other runtimes on the machine pull.
 */
export const DEFAULT_REGISTRY_DIR = '/var/lib/steer-registry';
export const DEFAULT_POD_SUBNET = '10.88.0.0/16';
export const DEFAULT_BRIDGE = 'steer0';
export const REGISTRY = '127.0.0.1:5000';
/** The images setup.sh builds and pushes. */
export const IMAGES = {
  pause: `${REGISTRY}/pause:3.9`,
  nginx: `${REGISTRY}/nginx:1.22`,
  busybox: `${REGISTRY}/busybox:1.35`,
  redis: `${REGISTRY}/redis:7.0`,
} as const;

/** The scripts live in the source tree; compiled code runs from dist/, so look in both places. */
export function scriptsDir(): string {
  const candidates = [__dirname, path.resolve(__dirname, '../../../node-agent/runtime-setup')];
  for (const dir of candidates) if (fs.existsSync(path.join(dir, 'setup.sh'))) return dir;
  throw new Error(`runtime setup scripts not found (looked in ${candidates.join(', ')})`);
}

function scriptEnv(stateDir: string, registryDir?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, RT: path.resolve(stateDir) };
  if (registryDir) env.STEER_REGISTRY_DIR = path.resolve(registryDir);
  return env;
}

async function runScript(script: string, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileAsync('bash', [path.join(scriptsDir(), script)], {
      env,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 10 * 60 * 1000,
    });
    return stdout;
  } catch (err) {
    const e = err as Error & { stderr?: string; code?: number | string };
    throw new Error(`${script} failed (exit ${e.code}): ${(e.stderr ?? e.message).trim().split('\n').slice(-6).join('\n')}`);
  }
}

/** Sets up (or reuses) the runtime for opts.stateDir and the shared registry with its images. */
export async function ensureRuntime(opts: RuntimeOptions): Promise<RuntimeInfo> {
  const env = scriptEnv(opts.stateDir, opts.registryDir);
  env.POD_SUBNET = opts.podSubnet ?? DEFAULT_POD_SUBNET;
  env.BRIDGE = opts.bridge ?? DEFAULT_BRIDGE;
  if (opts.nodeName) env.NODE_NAME = opts.nodeName;
  const stdout = await runScript('setup.sh', env);
  const last = stdout.trim().split('\n').pop() ?? '';
  const info = JSON.parse(last) as RuntimeInfo;
  await waitForCriInitialized(info.criSocket);
  return info;
}

/**
 * setup.sh returns once containerd's socket exists, but a containerd restarted over running pods first
 * recovers their sandboxes and containers, and until then its CRI plugin answers every call with "server
 * is not initialized yet": callers of ensureRuntime get a runtime that answers.
 */
async function waitForCriInitialized(socket: string, timeoutMs = 30_000): Promise<void> {
  const cri = new CriRuntime(socket, { timeoutMs: 5000 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await cri.listPodSandboxes();
        return;
      } catch (err) {
        if (!/not initialized/.test((err as Error).message) || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } finally {
    cri.close();
  }
}

/** The cgroup_parent for a pod's sandbox and containers (cgroupfs driver). */
export function podCgroupParent(cgroupRoot: string, podUid: string): string {
  return `${cgroupRoot}/pod${podUid}`;
}

function readPid(file: string): number {
  try {
    return Number(fs.readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}

function processAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops and removes every pod of the runtime through CRI (which releases IPs and CNI rules properly),
 * then runs teardown.sh: stops that state dir's containerd (by saved PID) and anything left of its pods,
 * and removes its bridge, netns, iptables rules, cgroup dirs and mounts. The shared registry keeps
 * running unless stopRegistry is set and no other steer runtime on the machine is alive.
 */
export async function teardownRuntime(
  stateDir: string,
  opts: { stopRegistry?: boolean; registryDir?: string } = {},
): Promise<void> {
  const rt = path.resolve(stateDir);
  const socket = path.join(rt, 'containerd', 'containerd.sock');
  if (fs.existsSync(socket) && processAlive(readPid(path.join(rt, 'containerd', 'pid')))) {
    const cri = new CriRuntime(socket, { timeoutMs: 30000 });
    try {
      for (const sandbox of await cri.listPodSandboxes()) {
        await cri.stopPodSandbox(sandbox.id);
        await cri.removePodSandbox(sandbox.id);
      }
    } catch {
      // containerd unreachable or a pod stuck: teardown.sh kills what is left
    } finally {
      cri.close();
    }
  }
  const env = scriptEnv(rt, opts.registryDir);
  if (opts.stopRegistry) env.STOP_REGISTRY = '1';
  await runScript('teardown.sh', env);
}
