// Host-side files of a pod: its directory (volumes, /etc/hosts), emptyDir/hostPath/configMap/secret
// volumes, and the clean-up after the pod is gone (pod dir, log dir, per-pod cgroup directories,
// which containerd never removes).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Pod, Volume } from 'kubernetes-types/core/v1';
import type { PodData } from './podspec';

export function podDir(stateDir: string, uid: string): string {
  return path.join(stateDir, 'pods', uid);
}

function writeKeys(dir: string, data: Record<string, string>, items: { key: string; path: string }[] | undefined, mode: number): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const entries = items && items.length ? items.map((i) => [i.path, data[i.key]] as const) : Object.entries(data);
  for (const [rel, value] of entries) {
    if (value === undefined) throw new Error(`key for ${rel} not found`);
    const file = path.join(dir, rel);
    if (!file.startsWith(dir + path.sep)) throw new Error(`invalid item path ${rel}`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, value, { mode });
  }
}

/** Creates or checks one volume's host directory; throws a message fit for a FailedMount event. */
export function prepareVolume(v: Volume, hostPath: string, data: PodData): void {
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
  } else if (v.configMap) {
    const d = data.configMaps[v.configMap.name || ''];
    if (!d) {
      if (v.configMap.optional) return writeKeys(hostPath, {}, undefined, 0o644);
      throw new Error(`configmap "${v.configMap.name}" not found`);
    }
    writeKeys(hostPath, d, v.configMap.items, v.configMap.defaultMode ?? 0o644);
  } else if (v.secret) {
    const d = data.secrets[v.secret.secretName || ''];
    if (!d) {
      if (v.secret.optional) return writeKeys(hostPath, {}, undefined, 0o644);
      throw new Error(`secret "${v.secret.secretName}" not found`);
    }
    writeKeys(hostPath, d, v.secret.items, v.secret.defaultMode ?? 0o644);
  }
}

/** kubelet-style /etc/hosts for the pod (the runtime would give every pod a copy of the host's). */
export function writeEtcHosts(file: string, pod: Pod, podIP: string): void {
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
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.join('\n') + '\n', { mode: 0o644 });
}

export function removeTree(p: string): void {
  try {
    fs.rmSync(p, { recursive: true, force: true });
  } catch {
    /* best effort */
  }
}
