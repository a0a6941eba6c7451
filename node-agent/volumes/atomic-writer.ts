// The kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go): a volume of files that are replaced all
// at once, so a reader never sees half of an update (a token next to an old CA, or a half-written token).
// Layout of the target directory:
//   ..2026_01_02_15_04_05.123456789/   this version's files, written in full first
//   ..data -> ..2026_01_02_15_04_05.123456789   swapped by renaming a new symlink over it (atomic)
//   token -> ..data/token              one symlink per top-level name the user sees
// A write that changes nothing leaves the directory alone; names no longer in the payload go away, and so
// do older versions' directories.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

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

function readLinkOrUndefined(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined;
  }
}

function sameContent(dir: string, payload: Payload): boolean {
  for (const [rel, f] of Object.entries(payload)) {
    const file = path.join(dir, rel);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      return false;
    }
    if ((st.mode & 0o7777) !== (f.mode ?? 0o644)) return false;
    if (f.uid !== undefined && st.uid !== f.uid) return false;
    if (f.gid !== undefined && st.gid !== f.gid) return false;
    if (!fs.readFileSync(file).equals(Buffer.isBuffer(f.data) ? f.data : Buffer.from(f.data))) return false;
  }
  // Files of the old version that the new payload drops are a change too.
  const count = (d: string): number => fs.readdirSync(d, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? count(path.join(d, e.name)) : 1), 0);
  return count(dir) === Object.keys(payload).length;
}

/**
 * Writes the payload into targetDir atomically. Returns true when something changed. The files are owned
 * by their uid/gid when given (the kubelet runs as root; elsewhere ownership changes are skipped).
 */
export function writeAtomically(targetDir: string, payload: Payload): boolean {
  for (const p of Object.keys(payload)) validatePath(p);
  fs.mkdirSync(targetDir, { recursive: true, mode: 0o755 });
  // What the directory holds already: a new volume (most writes, one per pod start) has nothing, and
  // then needs none of the look-ups, removals and clean-up below (each a syscall on the event loop the
  // whole server shares, a missing name a thrown ENOENT; `node dist/bench/volume-write.js`).
  const existing = new Set(fs.readdirSync(targetDir));
  const oldVersion = existing.has(DATA_DIR) ? readLinkOrUndefined(path.join(targetDir, DATA_DIR)) : undefined;
  const oldVersionDir = oldVersion ? path.join(targetDir, oldVersion) : undefined;
  if (oldVersionDir && fs.existsSync(oldVersionDir) && sameContent(oldVersionDir, payload)) return false;

  // 1. The new version, complete, in its own directory.
  const version = versionDirName();
  const versionDir = path.join(targetDir, version);
  fs.mkdirSync(versionDir, { mode: 0o755 });
  fs.chmodSync(versionDir, 0o755);
  const root = process.getuid?.() === 0;
  for (const [rel, f] of Object.entries(payload)) {
    const file = path.join(versionDir, rel);
    if (rel.includes('/')) fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    fs.writeFileSync(file, f.data, { mode: f.mode ?? 0o644 });
    fs.chmodSync(file, f.mode ?? 0o644); // whatever the umask
    if (root && (f.uid !== undefined || f.gid !== undefined)) fs.chownSync(file, f.uid ?? -1, f.gid ?? -1);
  }
  // 2. The user-visible names point through ..data, so they follow the swap.
  const topLevel = new Set(Object.keys(payload).map((p) => p.split('/')[0]));
  for (const name of topLevel) {
    const link = path.join(targetDir, name);
    const want = path.join(DATA_DIR, name);
    if (existing.has(name)) {
      if (readLinkOrUndefined(link) === want) continue;
      fs.rmSync(link, { recursive: true, force: true });
    }
    fs.symlinkSync(want, link);
  }
  // 3. The swap: a new symlink renamed over ..data.
  const tmp = path.join(targetDir, DATA_TMP);
  if (existing.has(DATA_TMP)) fs.rmSync(tmp, { force: true });
  fs.symlinkSync(version, tmp);
  fs.renameSync(tmp, path.join(targetDir, DATA_DIR));
  if (!existing.size) return true; // nothing older to remove
  // 4. Names the payload no longer has, and the previous version.
  for (const entry of fs.readdirSync(targetDir)) {
    if (entry.startsWith('..') || topLevel.has(entry)) continue;
    const target = readLinkOrUndefined(path.join(targetDir, entry));
    if (target !== undefined && target.startsWith(`${DATA_DIR}/`)) fs.rmSync(path.join(targetDir, entry), { force: true });
  }
  // Older versions go; the one just replaced stays until the next write, so a reader that resolved ..data
  // an instant before the swap still finds its files (the kubelet removes it at once and risks ENOENT).
  for (const entry of fs.readdirSync(targetDir)) {
    if (!entry.startsWith('..') || entry === DATA_DIR || entry === version || entry === oldVersion) continue;
    if (/^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\./.test(entry)) fs.rmSync(path.join(targetDir, entry), { recursive: true, force: true });
  }
  return true;
}
