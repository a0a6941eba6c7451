// Container logs as kubelet serves them, from CRI log files. Each file line is
// "<RFC3339Nano time> <stdout|stderr> <P|F> <content>"; P marks a partial line continued on the next.
// Output is the content alone, or "<time> <content>" with timestamps; tailLines, sinceTime and
// limitBytes apply as in `kubectl logs`. Follow mode polls the file and ends when the container has
// stopped and everything is sent, or when the client goes away.
import * as fs from 'node:fs';

export interface CriLogLine {
  time: string;
  timeMs: number;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  content: string;
}

export function parseCriLine(line: string): CriLogLine | undefined {
  const a = line.indexOf(' ');
  const b = a < 0 ? -1 : line.indexOf(' ', a + 1);
  if (a < 0 || b < 0) return undefined;
  const c = line.indexOf(' ', b + 1);
  const stream = line.slice(a + 1, b);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  const time = line.slice(0, a);
  const timeMs = Date.parse(time);
  if (Number.isNaN(timeMs)) return undefined;
  return { time, timeMs, stream, partial: tag.split(':')[0] === 'P', content: c < 0 ? '' : line.slice(c + 1) };
}

export interface LogOptions {
  timestamps?: boolean;
  tailLines?: number;
  sinceMs?: number; // only lines at or after this time
  limitBytes?: number;
}

/** Turns CRI log text into what `kubectl logs` prints; partial lines are joined. Incremental for follow. */
export class CriLogFormatter {
  private pendingText = ''; // an incomplete file line (no newline yet)
  private partial?: { time: string; content: string; timeMs: number };

  constructor(private readonly o: LogOptions) {}

  /** Feeds file text; returns complete output lines (each ending in "\n"). */
  push(text: string): string[] {
    const data = this.pendingText + text;
    const lines = data.split('\n');
    this.pendingText = lines.pop() ?? '';
    const out: string[] = [];
    for (const raw of lines) {
      const l = parseCriLine(raw);
      if (!l) continue;
      if (l.partial) {
        if (this.partial) this.partial.content += l.content;
        else this.partial = { time: l.time, timeMs: l.timeMs, content: l.content };
        continue;
      }
      const first = this.partial;
      this.partial = undefined;
      const time = first ? first.time : l.time;
      const timeMs = first ? first.timeMs : l.timeMs;
      const content = (first ? first.content : '') + l.content;
      if (this.o.sinceMs !== undefined && timeMs < this.o.sinceMs) continue;
      out.push(this.o.timestamps ? `${time} ${content}\n` : `${content}\n`);
    }
    return out;
  }
}

/** The whole formatted log of a file now, after tailLines and limitBytes. */
export function readLog(file: string, o: LogOptions): { text: string; size: number } {
  const buf = fs.readFileSync(file);
  const lines = new CriLogFormatter(o).push(buf.toString('utf8'));
  const tail = o.tailLines !== undefined && o.tailLines >= 0 ? lines.slice(Math.max(0, lines.length - o.tailLines)) : lines;
  let text = tail.join('');
  if (o.limitBytes !== undefined && o.limitBytes >= 0) text = Buffer.from(text).subarray(0, o.limitBytes).toString('utf8');
  // Only complete lines were consumed: follow continues after the last newline.
  const lastNl = buf.lastIndexOf(0x0a);
  return { text, size: lastNl + 1 };
}

export interface FollowOptions extends LogOptions {
  pollMs?: number;
  isRunning: () => boolean;
  write: (s: string) => boolean | void;
  closed: () => boolean;
}

/** Streams the file from byte offset `from` until the container stops (and all is sent) or the client leaves. */
export async function followLog(file: string, from: number, o: FollowOptions): Promise<void> {
  const fmt = new CriLogFormatter({ timestamps: o.timestamps, sinceMs: o.sinceMs });
  let offset = from;
  let sent = 0;
  const pollMs = o.pollMs ?? 100;
  for (;;) {
    if (o.closed()) return;
    const running = o.isRunning();
    let size = 0;
    try {
      size = fs.statSync(file).size;
    } catch {
      return;
    }
    if (size < offset) offset = 0; // truncated or rotated
    if (size > offset) {
      const fd = fs.openSync(file, 'r');
      try {
        const buf = Buffer.alloc(size - offset);
        fs.readSync(fd, buf, 0, buf.length, offset);
        offset = size;
        for (const line of fmt.push(buf.toString('utf8'))) {
          let s = line;
          if (o.limitBytes !== undefined) {
            if (sent >= o.limitBytes) return;
            s = Buffer.from(s).subarray(0, o.limitBytes - sent).toString('utf8');
          }
          sent += Buffer.byteLength(s);
          o.write(s);
        }
      } finally {
        fs.closeSync(fd);
      }
      continue;
    }
    if (!running) return;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
