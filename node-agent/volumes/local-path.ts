// The node side of the local-path provisioner (k3s's helper pods, in-process): this node's volumes live
// in one directory each, `<state-dir>/storage/<pv-name>`, made when a pod first mounts the volume and
// removed once its PersistentVolume object is gone (reclaim policy Delete: the provisioner deletes the
// object; Retain keeps object and data). Also: fsGroup ownership of a pod's writable volumes, as the
// kubelet applies it (group = fsGroup, setgid directories, group read/write; fsGroupChangePolicy).
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

/** kubelet's masks: group read/write on everything (read only: read), plus group execute on directories. */
const RW_MASK = 0o660;
const RO_MASK = 0o440;
const EXEC_MASK = 0o110;
const SETGID = 0o2000;

export type FsGroupChangePolicy = 'Always' | 'OnRootMismatch';

/**
 * kubelet's requiresPermissionChange, for `OnRootMismatch`: the walk is needed unless the volume's root
 * already has group fsGroup, at least the group (and owner) permissions the walk would add, and setgid.
 */
export function requiresOwnershipChange(dir: string, fsGroup: number, readOnly = false): boolean {
  const st = fs.statSync(dir);
  if (st.gid !== fsGroup || !st.isDirectory()) return true;
  const want = (readOnly ? RO_MASK : RW_MASK) | EXEC_MASK;
  return (st.mode & want) !== want || (st.mode & SETGID) === 0;
}

/**
 * The kubelet's SetVolumeOwnership: every file under dir gets group fsGroup (its owner kept) and group
 * read/write (read only: read), directories also execute and setgid so new files inherit the group. The
 * root is changed last, so an interrupted walk is redone under `OnRootMismatch`, which skips the walk
 * when the root already fits. Returns whether it walked.
 */
export function applyFsGroup(dir: string, fsGroup: number, o: { policy?: FsGroupChangePolicy; readOnly?: boolean } = {}): boolean {
  if (o.policy === 'OnRootMismatch' && !requiresOwnershipChange(dir, fsGroup, o.readOnly)) return false;
  const mask = o.readOnly ? RO_MASK : RW_MASK;
  const walk = (p: string): void => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    if (st.isDirectory()) for (const child of fs.readdirSync(p)) walk(path.join(p, child));
    fs.chownSync(p, st.uid, fsGroup);
    fs.chmodSync(p, (st.mode & 0o7777) | mask | (st.isDirectory() ? EXEC_MASK | SETGID : 0));
  };
  walk(dir);
  return true;
}
