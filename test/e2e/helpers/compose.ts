// Driving the docker-compose cluster from a test: commands with the engine of deploy/dockerd.sh in the
// environment, docker-compose for one project, and a per-step timer whose table is printed at the end.
import { execFile } from 'node:child_process';
import * as path from 'node:path';

export const repo = path.join(__dirname, '..', '..', '..');
export const DOCKER_HOST = `unix://${process.env.STEER_DOCKER_RUN || '/run/steer-docker'}/docker.sock`;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in the repository with DOCKER_HOST set; never rejects (the exit code says). */
export function run(cmd: string, args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: repo, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20, env: { ...process.env, DOCKER_HOST, ...opts.env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Like run, but a non-zero exit throws with the command's output (the last lines). */
export async function mustRun(cmd: string, args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<Run> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const tail = (s: string) => s.trim().split('\n').slice(-40).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}\n--- stdout ---\n${tail(r.stdout)}\n--- stderr ---\n${tail(r.stderr)}`);
  }
  return r;
}

/** docker-compose for one project of the repository's docker-compose.yml. */
export class Compose {
  constructor(readonly project: string, readonly file = path.join(repo, 'docker-compose.yml')) {}

  private args(rest: string[]): string[] {
    return ['-p', this.project, '-f', this.file, ...rest];
  }

  run(args: string[], timeoutMs = 300_000): Promise<Run> {
    return run('docker-compose', this.args(args), { timeoutMs });
  }

  mustRun(args: string[], timeoutMs = 300_000): Promise<Run> {
    return mustRun('docker-compose', this.args(args), { timeoutMs });
  }

  private readonly ids = new Map<string, string>();

  /**
   * Runs a command inside a service's container (no TTY), through `docker exec`: docker-compose exec
   * starts a Python interpreter each time, about a second per call.
   */
  async exec(service: string, cmd: string[], timeoutMs = 60_000): Promise<Run> {
    let id = this.ids.get(service);
    if (!id) {
      id = await this.containerId(service);
      if (!id) return { code: 1, stdout: '', stderr: `no container for service ${service}` };
      this.ids.set(service, id);
    }
    return run('docker', ['exec', id, ...cmd], { timeoutMs });
  }

  /** The ID of a service's container ('' when there is none). */
  async containerId(service: string): Promise<string> {
    return (await this.run(['ps', '-q', service])).stdout.trim();
  }
}

/** Step timings, printed as a table (as test/e2e/scenario.test.ts prints its own). */
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
