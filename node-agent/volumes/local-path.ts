// The node side of the local-path provisioner (k3s's helper pods, in-process): this node's volumes live
// in one directory each, `<state-dir>/storage/<pv-name>`, made when a pod first mounts the volume and
// removed once its PersistentVolume object is gone (reclaim policy Delete: the provisioner deletes the
// object; Retain keeps object and data). Also: fsGroup ownership of a pod's writable volumes, as the
// kubelet applies it (group = fsGroup, setgid directories, group read/write).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PersistentVolume } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { isNotFound, KubeClient } from '../../lib/client/client';

export function localPathRoot(stateDir: string): string {
  return path.join(stateDir, 'storage');
}

/** Removes the directories of volumes whose PersistentVolume no longer exists; returns the names removed. */
export async function sweepLocalPathVolumes(root: string, client: KubeClient): Promise<string[]> {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    try {
      // A node may read PersistentVolumes by name (never list them): one GET per directory.
      await client.get<PersistentVolume>(Resources.persistentvolumes, undefined, name);
    } catch (err) {
      if (!isNotFound(err)) continue;
      fs.rmSync(path.join(root, name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}

/**
 * The kubelet's SetVolumeOwnership: every file under dir gets group fsGroup; directories get setgid
 * and group rwx, files group rw, so the pod's processes (in that supplemental group) can write.
 */
export function applyFsGroup(dir: string, fsGroup: number): void {
  const walk = (p: string): void => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    fs.chownSync(p, st.uid, fsGroup);
    if (st.isDirectory()) {
      fs.chmodSync(p, (st.mode & 0o7777) | 0o2070);
      for (const child of fs.readdirSync(p)) walk(path.join(p, child));
    } else {
      fs.chmodSync(p, (st.mode & 0o7777) | 0o060);
    }
  };
  walk(dir);
}
