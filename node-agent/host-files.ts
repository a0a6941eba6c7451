// Host-side files of a pod: its directory (volumes, /etc/hosts), emptyDir/hostPath/configMap/secret/
// downwardAPI/projected volumes, and the clean-up after the pod is gone (pod dir, log dir, per-pod cgroup directories,
// which containerd never removes).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Pod, Volume } from 'kubernetes-types/core/v1';
import { claimVolumePath, type PodData } from './podspec';
import { writeAtomically } from './volumes/atomic-writer';
import { LocalPathProvisioner, ProvisionedByAnnotation } from '../lib/api/storage';
import { volumePayload, type ProjectionContext } from './volumes/projection';

export function podDir(stateDir: string, uid: string): string {
  return path.join(stateDir, 'pods', uid);
}

/**
 * Creates or checks one volume's host directory; throws a message fit for a FailedMount event. configMap,
 * secret, downwardAPI and projected volumes are (re)written atomically (volumes/atomic-writer.ts), so
 * calling this again on a running pod updates their files in place, as the kubelet's remounts do.
 */
export async function prepareVolume(v: Volume, hostPath: string, ctx: ProjectionContext): Promise<void> {
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
      await prepareVolume({ name: v.name, hostPath: pv.spec.hostPath }, hostPath, ctx);
    } else if (!fs.existsSync(hostPath) || !fs.statSync(hostPath).isDirectory()) {
      throw new Error(`path "${hostPath}" does not exist`);
    }
    return;
  }
  if (v.emptyDir) {
    fs.mkdirSync(hostPath, { recursive: true, mode: 0o777 });
    fs.chmodSync(hostPath, 0o777);
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

/** kubelet-style /etc/hosts for the pod (the runtime would give every pod a copy of the host's). */
export async function writeEtcHosts(file: string, pod: Pod, podIP: string): Promise<void> {
  const hostname = pod.spec?.hostname || pod.metadata?.name || '';
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  if (podIP) lines.push(`${podIP}\t${hostname}`);
  for (const h of pod.spec?.hostAliases || []) lines.push(`${h.ip}\t${(h.hostnames || []).join('\t')}`);
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await fs.promises.writeFile(file, lines.join('\n') + '\n', { mode: 0o644 });
}

/** Best effort; asynchronous, as a pod's volume and log files can take the shared event loop ~10 ms. */
export async function removeTree(p: string): Promise<void> {
  await fs.promises.rm(p, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * Why a pod's claims cannot be mounted yet (kubelet: "Unable to attach or mount volumes"), or undefined
 * when every claim is bound to a volume this node can mount.
 */
export function unmountableClaims(pod: Pod, data: PodData): string | undefined {
  for (const v of pod.spec?.volumes || []) {
    const name = v.persistentVolumeClaim?.claimName;
    if (!name) continue;
    const c = data.claims?.[name];
    if (!c) return `persistentvolumeclaim "${name}" not found`;
    if (c.claim.status?.phase !== 'Bound' || !c.volume) return `persistentvolumeclaim "${name}" is not bound`;
    if (!claimVolumePath(data, name)) return `volume "${c.volume.metadata?.name}" of claim "${name}" is neither a hostPath nor a local volume`;
  }
  return undefined;
}
