// Host-side files of a pod: its directory (volumes, /etc/hosts), emptyDir/hostPath/configMap/secret/
// downwardAPI/projected volumes, and the clean-up after the pod is gone (pod dir, log dir, per-pod cgroup directories,
// which containerd never removes).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pod, Volume } from 'kubernetes-types/core/v1';
import { claimVolumePath, emptyDirMemoryBytes, type PodData } from './podspec';
import { isMountPoint, mountTmpfs, unmountUnder } from './mounts';
import { writeAtomically } from './volumes/atomic-writer';
import { ephemeralClaimNotForPod, LocalPathProvisioner, ProvisionedByAnnotation, volumeClaimName } from '../lib/api/storage';
import { volumePayload, type ProjectionContext } from './volumes/projection';

export function podDir(stateDir: string, uid: string): string {
  return path.join(stateDir, 'pods', uid);
}

/**
 * Where a pod's secret, projected and downwardAPI volumes live: <stateDir>/memory/<uid>/volumes/…. The
 * kubelet backs these volume kinds with tmpfs (an emptyDir of medium Memory under each), so secrets and
 * service-account tokens never reach the disk; the agent mounts one tmpfs at <stateDir>/memory
 * (memoryRoot) instead of one per volume, which would cost a `mount` process per pod.
 */
export function podMemoryDir(stateDir: string, uid: string): string {
  return path.join(memoryRoot(stateDir), uid);
}

export function memoryRoot(stateDir: string): string {
  return path.join(stateDir, 'memory');
}

/** statfs(2)'s f_type of a tmpfs (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;

/**
 * Makes <stateDir>/memory and, with tmpfs, mounts a tmpfs on it unless it is one already (an agent
 * restarted while its pods run keeps the mount their containers bind-mount from). Returns whether the
 * directory is memory-backed; a failed mount (no CAP_SYS_ADMIN) leaves it a plain directory, logged.
 */
export async function ensureMemoryRoot(stateDir: string, tmpfs: boolean, log: (m: string) => void): Promise<boolean> {
  const dir = memoryRoot(stateDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const onTmpfs = () => fs.statfsSync(dir).type === TMPFS_MAGIC;
  if (onTmpfs()) return true;
  if (!tmpfs) return false;
  try {
    // nosuid, nodev as the kubelet's; no size: pages are used only as files are written, and what a
    // pod can put here is bounded by its Secrets' and ConfigMaps' sizes.
    await mountTmpfs(dir, 'steer-memory-volumes', ['mode=0755', 'nosuid', 'nodev']);
  } catch (err) {
    log(`node agent: could not mount a tmpfs on ${dir} (${(err as Error).message.trim()}); secret, projected and downwardAPI volumes stay on disk`);
    return false;
  }
  return onTmpfs();
}

export interface VolumeHostOptions {
  /**
   * The memory dir is a tmpfs (ensureMemoryRoot said so): an emptyDir of medium Memory gets a tmpfs of
   * its own, sized as the kubelet sizes it; otherwise it is a plain directory there.
   */
  memoryBacked?: boolean;
}

/**
 * Creates or checks one volume's host directory; throws a message fit for a FailedMount event. configMap,
 * secret, downwardAPI and projected volumes are (re)written atomically (volumes/atomic-writer.ts), so
 * calling this again on a running pod updates their files in place, as the kubelet's remounts do.
 */
export async function prepareVolume(v: Volume, hostPath: string, ctx: ProjectionContext, o: VolumeHostOptions = {}): Promise<void> {
  if (v.persistentVolumeClaim) {
    const pv = ctx.data.claims?.[v.persistentVolumeClaim.claimName]?.volume;
    if (pv?.metadata?.annotations?.[ProvisionedByAnnotation] === LocalPathProvisioner) {
      // The provisioner only chose the path: the directory is made here, on the node, on first use,
      // world-writable as k3s's local-path helper makes it (`mkdir -m 0777`), whatever the umask; a
      // mode changed later is kept.
      if (!fs.existsSync(hostPath)) {
        fs.mkdirSync(hostPath, { recursive: true });
        fs.chmodSync(hostPath, 0o777);
      }
    } else if (pv?.spec?.hostPath) {
      await prepareVolume({ name: v.name, hostPath: pv.spec.hostPath }, hostPath, ctx, o);
    } else if (!fs.existsSync(hostPath) || !fs.statSync(hostPath).isDirectory()) {
      throw new Error(`path "${hostPath}" does not exist`);
    }
    return;
  }
  if (v.emptyDir) {
    const medium = v.emptyDir.medium || '';
    // The kubelet's own messages for the media it does not set up.
    if (medium.startsWith('HugePages')) throw new Error(`emptyDir medium "${medium}" is not supported on this node: it has no huge pages for pods`);
    if (medium !== '' && medium !== 'Memory') throw new Error(`unknown storage medium "${medium}"`);
    fs.mkdirSync(hostPath, { recursive: true, mode: 0o777 });
    if (medium === 'Memory' && o.memoryBacked) {
      // Set up once: a pod's later syncs find it mounted (the kubelet does not resize it either). A
      // directory already holding files (made when no tmpfs could be had) keeps them: a tmpfs over it
      // would hide them from the pod's next containers.
      if (!isMountPoint(hostPath) && !fs.readdirSync(hostPath).length) {
        const size = emptyDirMemoryBytes(ctx.pod, v.emptyDir.sizeLimit, os.totalmem());
        // Source "tmpfs" and no mode (its root is 1777): as a kubelet's pod sees it in /proc/mounts.
        await mountTmpfs(hostPath, 'tmpfs', [`size=${size}`, 'nosuid', 'nodev']).catch((err: Error) => {
          throw new Error(`could not mount a tmpfs for emptyDir "${v.name}": ${err.message.trim()}`);
        });
      }
    } else {
      fs.chmodSync(hostPath, 0o777);
    }
  } else if (v.hostPath) {
    const type = v.hostPath.type || '';
    const exists = fs.existsSync(hostPath);
    switch (type) {
      case 'DirectoryOrCreate':
        if (!exists) fs.mkdirSync(hostPath, { recursive: true, mode: 0o755 });
        break;
      case 'FileOrCreate':
        if (!exists) {
          fs.mkdirSync(path.dirname(hostPath), { recursive: true });
          fs.writeFileSync(hostPath, '', { mode: 0o644 });
        }
        break;
      case 'Directory':
        if (!exists || !fs.statSync(hostPath).isDirectory()) throw new Error(`hostPath type check failed: ${hostPath} is not a directory`);
        break;
      case 'File':
        if (!exists || !fs.statSync(hostPath).isFile()) throw new Error(`hostPath type check failed: ${hostPath} is not a file`);
        break;
      case 'Socket':
      case 'CharDevice':
      case 'BlockDevice':
        if (!exists) throw new Error(`hostPath type check failed: ${hostPath} does not exist`);
        break;
      default:
        break; // '': no check, the runtime creates a missing directory
    }
  } else {
    const payload = await volumePayload(v, ctx);
    if (payload) await writeAtomically(hostPath, payload);
  }
}

/**
 * The pod's /etc/hosts as the kubelet writes it: its own (localhost, the pod's IP and hostname), or on
 * the host network the node's hosts file under a header; then the pod's hostAliases.
 */
export function etcHostsContent(pod: Pod, podIP: string, nodeHosts: string): string {
  const lines: string[] = [];
  if (pod.spec?.hostNetwork) {
    lines.push('# Kubernetes-managed hosts file (host network).', ...nodeHosts.replace(/\n$/, '').split('\n'));
  } else {
    const hostname = pod.spec?.hostname || pod.metadata?.name || '';
    lines.push(
      '# Kubernetes-managed hosts file.',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      'fe00::0\tip6-localnet',
      'fe00::0\tip6-mcastprefix',
      'fe00::1\tip6-allnodes',
      'fe00::2\tip6-allrouters',
    );
    if (podIP) lines.push(`${podIP}\t${hostname}`);
  }
  const aliases = pod.spec?.hostAliases || [];
  if (aliases.length) lines.push('', '# Entries added by HostAliases.', ...aliases.map((h) => `${h.ip}\t${(h.hostnames || []).join('\t')}`));
  return lines.join('\n') + '\n';
}

/** Writes the pod's /etc/hosts (etcHostsContent), reading the node's from nodeHostsFile for a host-network pod. */
export async function writeEtcHosts(file: string, pod: Pod, podIP: string, nodeHostsFile = '/etc/hosts'): Promise<void> {
  const nodeHosts = pod.spec?.hostNetwork ? await fs.promises.readFile(nodeHostsFile, 'utf8').catch(() => '') : '';
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await fs.promises.writeFile(file, etcHostsContent(pod, podIP, nodeHosts), { mode: 0o644 });
}

/** Best effort; asynchronous, as a pod's volume and log files can take the shared event loop ~10 ms. */
export async function removeTree(p: string): Promise<void> {
  await fs.promises.rm(p, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * A pod's directories: on disk (podDir) and memory-backed (podMemoryDir). The tmpfs of an emptyDir of
 * medium Memory is a mount point there: rm empties it and fails on it; then it is unmounted and the
 * removal done again (so a pod without one pays no look at the mount table).
 */
export async function removePodDirs(stateDir: string, uid: string): Promise<void> {
  const memory = podMemoryDir(stateDir, uid);
  const removeMemory = async () => {
    const rm = () => fs.promises.rm(memory, { recursive: true, force: true });
    await rm().catch(async () => {
      await unmountUnder(memory);
      await rm().catch(() => undefined);
    });
  };
  await Promise.all([removeTree(podDir(stateDir, uid)), removeMemory()]);
}

/**
 * Why a pod's claims cannot be mounted yet (kubelet: "Unable to attach or mount volumes"), or undefined
 * when every claim is bound to a volume this node can mount.
 */
export function unmountableClaims(pod: Pod, data: PodData): string | undefined {
  for (const v of pod.spec?.volumes || []) {
    const name = volumeClaimName(pod, v);
    if (!name) continue;
    const c = data.claims?.[name];
    if (!c) return `persistentvolumeclaim "${name}" not found`;
    const foreign = v.ephemeral ? ephemeralClaimNotForPod(pod, c.claim) : undefined;
    if (foreign) return foreign;
    if (c.claim.status?.phase !== 'Bound' || !c.volume) return `persistentvolumeclaim "${name}" is not bound`;
    if (!claimVolumePath(data, name)) return `volume "${c.volume.metadata?.name}" of claim "${name}" is neither a hostPath nor a local volume`;
  }
  return undefined;
}
