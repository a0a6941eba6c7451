// A periodic memory line in the server log, on only when $STEER_MEMORY_LOG_SECONDS is set (bench/soak.ts
// sets it): RSS alone cannot tell a JS leak from V8 keeping freed pages or from malloc fragmentation, so
// each line splits it into what Node reports (heap, external, ArrayBuffers), V8's spaces, and the
// kernel's anonymous vs file-backed pages (/proc/self/smaps_rollup). Reading smaps_rollup walks the page
// tables, a few ms for this process; at the default 30 s that is noise.
import * as fs from 'node:fs';
import * as v8 from 'node:v8';

/** One sample, all in MiB. */
export interface MemorySample {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** smaps_rollup: anonymous pages (heap, malloc arenas, stacks) and the file-backed rest of RSS (code, mapped files). */
  anon: number;
  file: number;
  /** V8 spaces' committed size, by space name without the `_space` suffix (old, code, large_object, new, …). */
  spaces: Record<string, number>;
  /** CPU seconds (user + system) this process has used so far: what a memory setting costs in CPU. */
  cpuSeconds: number;
}

const MiB = 2 ** 20;
const round = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;

function smapsRollup(): { anon: number; file: number } {
  try {
    const text = fs.readFileSync('/proc/self/smaps_rollup', 'utf8');
    const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
    const rss = kB('Rss');
    const anon = kB('Anonymous');
    return { anon: round(anon), file: round(rss - anon) };
  } catch {
    return { anon: NaN, file: NaN }; // not Linux, or /proc not mounted
  }
}

export function memorySample(): MemorySample {
  const m = process.memoryUsage();
  const spaces: Record<string, number> = {};
  for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name.replace(/_space$/, '')] = round(s.space_size);
  const cpu = process.cpuUsage();
  return {
    rss: round(m.rss),
    heapTotal: round(m.heapTotal),
    heapUsed: round(m.heapUsed),
    external: round(m.external),
    arrayBuffers: round(m.arrayBuffers),
    ...smapsRollup(),
    spaces,
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100,
  };
}

/** The prefix of the log line; bench/soak.ts finds the last one in the server log. */
export const MEMORY_LINE_PREFIX = 'memory ';

/** Starts the periodic line when $STEER_MEMORY_LOG_SECONDS is a positive number; returns its stop. */
export function startMemoryLog(write: (line: string) => void, env: NodeJS.ProcessEnv = process.env): () => void {
  const seconds = Number(env.STEER_MEMORY_LOG_SECONDS);
  if (!(seconds > 0)) return () => undefined;
  const timer = setInterval(() => write(`${MEMORY_LINE_PREFIX}${JSON.stringify(memorySample())}`), seconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
