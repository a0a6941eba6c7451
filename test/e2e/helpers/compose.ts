// Driving the docker-compose cluster from a test: commands with the engine of deploy/dockerd.sh in the
// environment, docker-compose for one project, and a per-step timer whose table is printed at the end.
import * as path from 'node:path';
import { mustRun as mustRunCommand, repo, run as runCommand } from './commands';
import type { Run, RunOptions } from './commands';

export { repo, StepTimer } from './commands';
export type { Run } from './commands';

export const DOCKER_HOST = `unix://${process.env.STEER_DOCKER_RUN || '/run/steer-docker'}/docker.sock`;

/** A command in the repository with the engine of deploy/dockerd.sh in its environment; never rejects. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<Run> {
  return runCommand(cmd, args, { ...opts, env: { DOCKER_HOST, ...opts.env } });
}

/** Like run, but a non-zero exit throws with the command's output. */
export function mustRun(cmd: string, args: string[], opts: RunOptions = {}): Promise<Run> {
  return mustRunCommand(cmd, args, { ...opts, env: { DOCKER_HOST, ...opts.env } });
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
