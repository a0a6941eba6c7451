// Termination messages as the kubelet keeps them: each container start gets an empty host file, mounted
// at the container's terminationMessagePath (/dev/termination-log by default); once the container has
// exited its first 4096 bytes become status.state.terminated.message. With FallbackToLogsOnError, an
// empty file and a failed exit, the message is the end of its log instead (the last 80 lines, at most
// the last 2048 bytes). Each exited container is read once; the cache follows what is observed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { podContainer } from '../lib/api/pod';
import { podDir } from './host-files';
import { readLog } from './logs';
import type { ObservedContainer, ObservedPod } from './observed';

const MAX_MESSAGE_BYTES = 4096;
const FALLBACK_LINES = 80;
const FALLBACK_BYTES = 2048;

/** The host file behind one start of a container's terminationMessagePath. */
export function terminationMessageFile(stateDir: string, uid: string, name: string, attempt: number): string {
  return path.join(podDir(stateDir, uid), 'containers', name, `termination-${attempt}`);
}

/** An empty file any user in the container may write (0666, whatever the umask). */
export async function prepareTerminationMessageFile(file: string): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await fs.promises.writeFile(file, '');
  await fs.promises.chmod(file, 0o666);
}

/** The end of a log, as the kubelet's fallback takes it: the last lines, then at most the last bytes. */
export function logTail(text: string, lines = FALLBACK_LINES, bytes = FALLBACK_BYTES): string {
  const all = text.split('\n');
  const keep = all.slice(Math.max(0, all.length - 1 - lines)).join('\n');
  const buf = Buffer.from(keep, 'utf8');
  return buf.length <= bytes ? keep : buf.subarray(buf.length - bytes).toString('utf8');
}

async function readHead(file: string, max: number): Promise<string> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(file, 'r');
    const buf = Buffer.alloc(max);
    const { bytesRead } = await fh.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } catch {
    return '';
  } finally {
    await fh?.close();
  }
}

export class TerminationMessages {
  /** Per pod uid: the message read for each exited container id. */
  private readonly read = new Map<string, Map<string, string>>();

  constructor(private readonly stateDir: string) {}

  /** The observation with each exited container's termination message in `message` (when it left one). */
  async fill(pod: Pod, observed: ObservedPod): Promise<ObservedPod> {
    const exited = observed.containers.filter((c) => c.state === 'CONTAINER_EXITED');
    if (!exited.length) {
      this.read.delete(observed.uid);
      return observed;
    }
    const before = this.read.get(observed.uid);
    const now = new Map<string, string>();
    for (const c of exited) {
      const known = before?.get(c.id);
      now.set(c.id, known ?? (await this.message(pod, observed.uid, c)));
    }
    // Only the containers still observed are kept: a crash-looping pod's old instances go.
    this.read.set(observed.uid, now);
    return { ...observed, containers: observed.containers.map((c) => (now.get(c.id) ? { ...c, message: now.get(c.id)! } : c)) };
  }

  forget(uid: string): void {
    this.read.delete(uid);
  }

  private async message(pod: Pod, uid: string, c: ObservedContainer): Promise<string> {
    const spec = podContainer(pod, c.name);
    if (!spec?.terminationMessagePath) return '';
    const text = await readHead(terminationMessageFile(this.stateDir, uid, c.name, c.attempt), MAX_MESSAGE_BYTES);
    if (text || spec.terminationMessagePolicy !== 'FallbackToLogsOnError' || c.exitCode === 0 || !c.logPath) return text;
    try {
      return logTail(readLog(c.logPath, { tailLines: FALLBACK_LINES }).text);
    } catch {
      return '';
    }
  }
}
