// Host cgroup cleanup for pods. containerd never removes the per-pod parent directories it creates
// (one per hierarchy), so whoever removes a sandbox rmdirs them, as the kubelet's cgroup manager does.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CGROUP_FS = '/sys/fs/cgroup';

/**
 * rmdir the pod's parent cgroup dir (and any empty child left in it) in every cgroup v1 hierarchy, and
 * in the unified one. A dir that still holds processes stays (rmdir fails with EBUSY) and is reported.
 */
export function removePodCgroups(cgroupParent: string, cgroupFs = CGROUP_FS): string[] {
  const rel = path.posix.normalize('/' + cgroupParent);
  // never walk outside a per-pod dir: refuse the cgroup root and the hierarchy roots
  if (rel === '/' || rel.split('/').filter(Boolean).length < 2) throw new Error(`refusing to remove cgroup ${cgroupParent}`);
  const left: string[] = [];
  let hierarchies: string[];
  try {
    hierarchies = fs.readdirSync(cgroupFs);
  } catch {
    return left;
  }
  const rmTree = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // gone already
    }
    for (const e of entries) if (e.isDirectory()) rmTree(path.join(dir, e.name));
    try {
      fs.rmdirSync(dir); // cgroup dirs hold only virtual files: rmdir, never rm -r
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') left.push(dir);
    }
  };
  const seen = new Set<string>();
  // cgroup v2 (unified at the mount point itself): the pod dir sits directly under it
  if (fs.existsSync(path.join(cgroupFs, 'cgroup.controllers'))) rmTree(path.join(cgroupFs, rel));
  for (const h of hierarchies) {
    const base = path.join(cgroupFs, h);
    let real: string;
    try {
      real = fs.realpathSync(base); // cpu and cpuacct are symlinks to cpu,cpuacct
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    rmTree(path.join(real, rel));
  }
  return left;
}
