// The kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go): a volume of files that are replaced all
// at once, so a reader never sees half of an update (a token next to an old CA, or a half-written token).
// Layout of the target directory:
//   ..2026_01_02_15_04_05.123456789/   this version's files, written in full first
//   ..data -> ..2026_01_02_15_04_05.123456789   swapped by renaming a new symlink over it (atomic)
//   token -> ..data/token              one symlink per top-level name the user sees
// A write that changes nothing leaves the directory alone; names no longer in the payload go away, and so
// do older versions' directories.
// Every file-system call goes through libuv's thread pool: on `steer server` the event loop is the
// apiserver's too, and a 3 → 30 wave's 27 new volumes (a dozen journalled metadata writes each, 0.3–5 ms
// apiece beside containerd's own) held it ~27 % of the wave's first 600 ms.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';

export interface FileProjection {
  data: string | Buffer;
  /** Permission bits (default 0644). */
  mode?: number;
  /** Owner uid and gid (kubelet: the pod's common runAsUser, its fsGroup). */
  uid?: number;
  gid?: number;
}

export type Payload = Record<string, FileProjection>;

export const DATA_DIR = '..data';
const DATA_TMP = '..data_tmp';

/** A relative path that stays inside the volume: no '..' elements, not absolute, no leading '..'. */
export function validatePath(p: string): void {
  if (!p) throw new Error('invalid path: must not be empty');
  if (path.isAbsolute(p)) throw new Error(`invalid path: must be relative path: ${p}`);
  if (p.split('/').includes('..')) throw new Error(`invalid path: must not contain '..': ${p}`);
  if (p.startsWith('..')) throw new Error(`invalid path: must not start with '..': ${p}`);
  if (p.length > 4096) throw new Error(`invalid path: must be less than or equal to 4096 characters`);
}

/** kube's time.Now().UTC().Format("..2006_01_02_15_04_05.") plus a random suffix. */
function versionDirName(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const ts = `${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}`;
  return `..${ts}.${randomBytes(5).toString('hex')}`;
}

async function readLinkOrUndefined(p: string): Promise<string | undefined> {
  try {
    return await fs.readlink(p);
  } catch {
    return undefined;
  }
}

async function sameContent(dir: string, payload: Payload): Promise<boolean> {
  for (const [rel, f] of Object.entries(payload)) {
    const file = path.join(dir, rel);
    let st: Stats;
    try {
      st = await fs.stat(file);
    } catch {
      return false;
    }
    if ((st.mode & 0o7777) !== (f.mode ?? 0o644)) return false;
    if (f.uid !== undefined && st.uid !== f.uid) return false;
    if (f.gid !== undefined && st.gid !== f.gid) return false;
    if (!(await fs.readFile(file)).equals(Buffer.isBuffer(f.data) ? f.data : Buffer.from(f.data))) return false;
  }
  // Files of the old version that the new payload drops are a change too.
  const count = async (d: string): Promise<number> => {
    let n = 0;
    for (const e of await fs.readdir(d, { withFileTypes: true })) n += e.isDirectory() ? await count(path.join(d, e.name)) : 1;
    return n;
  };
  return (await count(dir)) === Object.keys(payload).length;
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

/** The write in progress: writes run one at a time (see writeAtomically). */
let writing: Promise<unknown> = Promise.resolve();

/**
 * Writes the payload into targetDir atomically; resolves true when something changed. The files are owned
 * by their uid/gid when given (the kubelet runs as root; elsewhere ownership changes are skipped). Writes
 * run one at a time, after those already queued, as the synchronous ones did: a wave of new pods' volumes
 * written all at once crowded the disk's journal and the thread pool while containerd created their
 * sandboxes (which then took 10–45 % longer in one run).
 */
export function writeAtomically(targetDir: string, payload: Payload): Promise<boolean> {
  const done = writing.then(() => writeNow(targetDir, payload));
  writing = done.catch(() => undefined); // a failed write does not stop the next
  return done;
}

async function writeNow(targetDir: string, payload: Payload): Promise<boolean> {
  for (const p of Object.keys(payload)) validatePath(p);
  await fs.mkdir(targetDir, { recursive: true, mode: 0o755 });
  // What the directory holds already: a new volume (most writes, one per pod start) has nothing, and
  // then needs none of the look-ups, removals and clean-up below (`node dist/bench/volume-write.js`).
  const existing = new Set(await fs.readdir(targetDir));
  const oldVersion = existing.has(DATA_DIR) ? await readLinkOrUndefined(path.join(targetDir, DATA_DIR)) : undefined;
  const oldVersionDir = oldVersion ? path.join(targetDir, oldVersion) : undefined;
  if (oldVersionDir && (await exists(oldVersionDir)) && (await sameContent(oldVersionDir, payload))) return false;

  // 1. The new version, complete, in its own directory.
  const version = versionDirName();
  const versionDir = path.join(targetDir, version);
  await fs.mkdir(versionDir, { mode: 0o755 });
  await fs.chmod(versionDir, 0o755);
  const root = process.getuid?.() === 0;
  await Promise.all(
    Object.entries(payload).map(async ([rel, f]) => {
      const file = path.join(versionDir, rel);
      if (rel.includes('/')) await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
      await fs.writeFile(file, f.data, { mode: f.mode ?? 0o644 });
      await fs.chmod(file, f.mode ?? 0o644); // whatever the umask
      if (root && (f.uid !== undefined || f.gid !== undefined)) await fs.chown(file, f.uid ?? -1, f.gid ?? -1);
    }),
  );
  // 2. The user-visible names point through ..data, so they follow the swap.
  const topLevel = new Set(Object.keys(payload).map((p) => p.split('/')[0]));
  await Promise.all(
    [...topLevel].map(async (name) => {
      const link = path.join(targetDir, name);
      const want = path.join(DATA_DIR, name);
      if (existing.has(name)) {
        if ((await readLinkOrUndefined(link)) === want) return;
        await fs.rm(link, { recursive: true, force: true });
      }
      await fs.symlink(want, link);
    }),
  );
  // 3. The swap: a new symlink renamed over ..data.
  const tmp = path.join(targetDir, DATA_TMP);
  if (existing.has(DATA_TMP)) await fs.rm(tmp, { force: true });
  await fs.symlink(version, tmp);
  await fs.rename(tmp, path.join(targetDir, DATA_DIR));
  if (!existing.size) return true; // nothing older to remove
  // 4. Names the payload no longer has, and the previous version.
  for (const entry of await fs.readdir(targetDir)) {
    if (entry.startsWith('..') || topLevel.has(entry)) continue;
    const target = await readLinkOrUndefined(path.join(targetDir, entry));
    if (target !== undefined && target.startsWith(`${DATA_DIR}/`)) await fs.rm(path.join(targetDir, entry), { force: true });
  }
  // Older versions go; the one just replaced stays until the next write, so a reader that resolved ..data
  // an instant before the swap still finds its files (the kubelet removes it at once and risks ENOENT).
  for (const entry of await fs.readdir(targetDir)) {
    if (!entry.startsWith('..') || entry === DATA_DIR || entry === version || entry === oldVersion) continue;
    if (/^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\./.test(entry)) await fs.rm(path.join(targetDir, entry), { recursive: true, force: true });
  }
  return true;
}
