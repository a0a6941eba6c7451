// Host cgroup cleanup for pods. containerd never removes the per-pod parent directories it creates
// (one per hierarchy), so whoever removes a sandbox rmdirs them, as the kubelet's cgroup manager does.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CGROUP_FS = '/sys/fs/cgroup';

/**
 * rmdir the pod's parent cgroup dir (and any empty child left in it) in every cgroup v1 hierarchy, and
 * in the unified one. A dir that still holds processes stays (rmdir fails with EBUSY) and is reported.
 */
export async function removePodCgroups(cgroupParent: string, cgroupFs = CGROUP_FS): Promise<string[]> {
  const rel = path.posix.normalize('/' + cgroupParent);
  // never walk outside a per-pod dir: refuse the cgroup root and the hierarchy roots
  if (rel === '/' || rel.split('/').filter(Boolean).length < 2) throw new Error(`refusing to remove cgroup ${cgroupParent}`);
  const left: string[] = [];
  let hierarchies: string[];
  try {
    hierarchies = await fs.promises.readdir(cgroupFs);
  } catch {
    return left;
  }
  const rmTree = async (dir: string): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(dir, { withFileTypes: true });
    } catch {
      return; // gone already
    }
    for (const e of entries) if (e.isDirectory()) await rmTree(path.join(dir, e.name));
    try {
      await fs.promises.rmdir(dir); // cgroup dirs hold only virtual files: rmdir, never rm -r
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') left.push(dir);
    }
  };
  // Asynchronous: a node agent shares its event loop with the apiserver in `steer server`, and a pod's
  // dirs in a dozen hierarchies cost ~3 ms of blocking per pod torn down.
  const seen = new Set<string>();
  const trees: Promise<void>[] = [];
  // cgroup v2 (unified at the mount point itself): the pod dir sits directly under it
  if (await exists(path.join(cgroupFs, 'cgroup.controllers'))) trees.push(rmTree(path.join(cgroupFs, rel)));
  for (const h of hierarchies) {
    let real: string;
    try {
      real = await fs.promises.realpath(path.join(cgroupFs, h)); // cpu and cpuacct are symlinks to cpu,cpuacct
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    trees.push(rmTree(path.join(real, rel)));
  }
  await Promise.all(trees);
  return left;
}

function exists(p: string): Promise<boolean> {
  return fs.promises.access(p).then(
    () => true,
    () => false,
  );
}
