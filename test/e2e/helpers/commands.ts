// Running commands from the end-to-end tests: a command in the repository that never rejects (its exit
// code and output say what happened), one that throws on failure, and a per-step timer whose table the
// tests print at the end.
import { execFile } from 'node:child_process';
import * as path from 'node:path';

export const repo = path.join(__dirname, '..', '..', '..');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Added to (and overriding) the test process' environment. */
  env?: Record<string, string>;
}

/** Runs a command in the repository; never rejects (the exit code says). */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: repo, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20, env: { ...process.env, ...opts.env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Like run, but a non-zero exit throws with the command's output (the last lines). */
export async function mustRun(cmd: string, args: string[], opts: RunOptions = {}): Promise<Run> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const tail = (s: string) => s.trim().split('\n').slice(-40).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n--- stdout ---\n${tail(r.stdout)}\n--- stderr ---\n${tail(r.stderr)}`);
  }
  return r;
}

/** Step timings, printed as a table at the end of a test file. */
export class StepTimer {
  readonly steps: Array<[string, number]> = [];

  async time<T>(step: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      this.steps.push([step, Date.now() - t0]);
    }
  }

  table(title: string): string {
    const width = Math.max(0, ...this.steps.map(([s]) => s.length));
    const total = this.steps.reduce((sum, [, ms]) => sum + ms, 0);
    return [title, ...this.steps.map(([s, ms]) => `  ${s.padEnd(width)}  ${(ms / 1000).toFixed(1)} s`), `  ${'total'.padEnd(width)}  ${(total / 1000).toFixed(1)} s`].join('\n');
  }
}
