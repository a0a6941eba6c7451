// `steer exec [-i] [-t] POD [-c CONTAINER] -- COMMAND [ARG...]`: a command in a running container through
// pods/exec (WebSocket channels, cli/remote-command.ts), as kubectl exec: the pod may be TYPE/NAME (its
// first pod), the container defaults to the pod's default-container annotation or its first one, and the
// command's exit code becomes steer's (`command terminated with exit code N`).
import { Command } from 'commander';
import type { Pod } from 'kubernetes-types/core/v1';
import type { Status } from 'kubernetes-types/meta/v1';
import { KubeClient } from '../../lib/client/client';
import { Resources, resourcePath } from '../../lib/api/resources';
import { action } from '../errors';
import { Streams, processStreams } from '../io';
import { ClientFlags, namespaceOf, withClient, withClientOptions } from '../options';
import { exitCodeOf, runRemoteCommand } from '../remote-command';
import { resolveLogsPod } from './logs';

/** The container a session goes to: the one named, else the pod's default (kubectl's message when there are several). */
export function sessionContainer(pod: Pod, requested: string | undefined, streams: Streams): string {
  const containers = (pod.spec?.containers || []).map((c) => c.name);
  if (requested) return requested;
  const annotated = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  const chosen = annotated && containers.includes(annotated) ? annotated : containers[0];
  if (containers.length > 1 && !annotated) streams.err(`Defaulted container "${chosen}" out of: ${containers.join(', ')}\n`);
  return chosen;
}

export function checkRunning(pod: Pod, verb: string): void {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') throw new Error(`cannot ${verb} into a container in a completed pod; current phase is ${phase}`);
}

export interface ExecOptions {
  container?: string;
  stdin?: boolean;
  tty?: boolean;
}

/** Runs the session; answers the exit code for the process (kubectl's). */
export async function runExec(client: KubeClient, namespace: string, target: string, command: string[], o: ExecOptions, streams: Streams): Promise<number> {
  if (command.length === 0) throw new Error('you must specify at least one command for the container');
  const pod = await resolveLogsPod(client, namespace, target, streams);
  checkRunning(pod, 'exec');
  const container = sessionContainer(pod, o.container, streams);
  const tty = !!o.tty && !!o.stdin && !!process.stdin.isTTY;
  if (o.tty && !tty) streams.err('Unable to use a TTY - input is not a terminal or the right kind of file\n');
  const query = sessionQuery(container, !!o.stdin, tty);
  for (const c of command) query.append('command', c);
  const path = resourcePath(Resources.pods, { namespace: pod.metadata?.namespace || namespace, name: pod.metadata?.name, subresource: 'exec' });
  const status = await runLocalSession(client, path, query, !!o.stdin, tty);
  const code = exitCodeOf(status);
  if (code === undefined) throw new Error(status?.message || 'the session ended without a status');
  if (code !== 0) streams.err(`command terminated with exit code ${code}\n`);
  return code;
}

/** The query of an exec or attach session: stdout always, stderr only without a tty (a tty merges them). */
export function sessionQuery(container: string, stdin: boolean, tty: boolean): URLSearchParams {
  const query = new URLSearchParams({ container });
  if (stdin) query.set('stdin', 'true');
  query.set('stdout', 'true');
  if (tty) query.set('tty', 'true');
  else query.set('stderr', 'true');
  return query;
}

/**
 * Runs an exec or attach session on this process's stdio: the local terminal in raw mode and its size
 * (and resizes) sent when it is a tty session; stdin released afterwards.
 */
export async function runLocalSession(client: KubeClient, path: string, query: URLSearchParams, stdin: boolean, tty: boolean): Promise<Status | undefined> {
  if (tty) process.stdin.setRawMode(true);
  try {
    return await runRemoteCommand(client, path, query, {
      stdin: stdin ? process.stdin : undefined,
      stdout: process.stdout,
      stderr: process.stderr,
      terminalSize: tty ? () => ({ width: process.stdout.columns, height: process.stdout.rows }) : undefined,
      onResize: tty
        ? (listener) => {
            process.stdout.on('resize', listener);
            return () => process.stdout.off('resize', listener);
          }
        : undefined,
    });
  } finally {
    if (tty) process.stdin.setRawMode(false);
    if (stdin) process.stdin.pause();
  }
}

export function register(program: Command): void {
  withClientOptions(
    program
      .command('exec')
      .description('run a command in a container')
      .argument('<pod>', 'POD | TYPE/NAME (e.g. deploy/nginx: its first pod)')
      .argument('[command...]', 'the command and its arguments, after --')
      .option('-c, --container <name>', 'the container (default: the only or first one)')
      .option('-i, --stdin', "pass stdin to the container")
      .option('-t, --tty', 'stdin is a TTY'),
  ).action(
    action(async (pod: string, command: string[], o: ClientFlags & ExecOptions) => {
      await withClient(o, async (client) => {
        process.exitCode = await runExec(client, namespaceOf(client, o), pod, command, o, processStreams);
      });
    }),
  );
}
