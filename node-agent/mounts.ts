// Mounts the node agent makes under its state dir (the tmpfs for memory-backed volumes, one tmpfs per
// emptyDir of medium Memory) and their removal: when a pod's directories go, and at `steer down`.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The mount points strictly under root in /proc/self/mounts' text, deepest first (the order to unmount
 * them in). The kernel writes a space, tab, newline or backslash in a path as an octal escape (\040 …).
 */
export function mountPointsUnder(mountsText: string, root: string): string[] {
  const prefix = path.resolve(root) + path.sep;
  const points = mountsText
    .split('\n')
    .map((line) => line.split(' ')[1])
    .filter((field): field is string => !!field)
    .map((field) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))))
    .filter((p) => p.startsWith(prefix));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Unmounts everything mounted under root (lazily when it is busy); returns what stays mounted. */
export async function unmountUnder(root: string): Promise<string[]> {
  const mounted = async () => mountPointsUnder(await fs.promises.readFile('/proc/self/mounts', 'utf8'), root);
  for (const point of await mounted()) {
    await run('umount', [point]).catch(() => run('umount', ['-l', point]).catch(() => undefined));
  }
  return mounted();
}

/** Whether dir is the root of a file system mounted on its parent's (another device than the parent's). */
export function isMountPoint(dir: string): boolean {
  try {
    return fs.statSync(dir).dev !== fs.statSync(path.dirname(dir)).dev;
  } catch {
    return false;
  }
}

/** Mounts a tmpfs on dir (which must exist); size in bytes, none: the kernel's default (half the RAM). */
export async function mountTmpfs(dir: string, source: string, options: string[]): Promise<void> {
  const args = ['-t', 'tmpfs'];
  if (options.length) args.push('-o', options.join(','));
  await run('mount', [...args, source, dir]);
}
