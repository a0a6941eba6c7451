// `steer attach POD [-c CONTAINER] [-i] [-t]`: the running container's output (and stdin) through
// pods/attach, as kubectl attach. Ends when the container's streams end or on Ctrl-C.
import { Command } from 'commander';
import { Resources, resourcePath } from '../../lib/api/resources';
import { action } from '../errors';
import { processStreams } from '../io';
import { ClientFlags, namespaceOf, withClient, withClientOptions } from '../options';
import { exitCodeOf } from '../remote-command';
import { resolveLogsPod } from './logs';
import { checkRunning, runLocalSession, sessionContainer, sessionQuery } from './exec';

export function register(program: Command): void {
  withClientOptions(
    program
      .command('attach')
      .description('attach to a running container')
      .argument('<pod>', 'POD | TYPE/NAME (e.g. deploy/nginx: its first pod)')
      .option('-c, --container <name>', 'the container (default: the only or first one)')
      .option('-i, --stdin', 'pass stdin to the container')
      .option('-t, --tty', 'stdin is a TTY'),
  ).action(
    action(async (target: string, o: ClientFlags & { container?: string; stdin?: boolean; tty?: boolean }) => {
      await withClient(o, async (client) => {
        const namespace = namespaceOf(client, o);
        const pod = await resolveLogsPod(client, namespace, target, processStreams);
        checkRunning(pod, 'attach');
        const container = sessionContainer(pod, o.container, processStreams);
        const tty = !!o.tty && !!o.stdin && !!process.stdin.isTTY;
        const query = sessionQuery(container, !!o.stdin, tty);
        const path = resourcePath(Resources.pods, { namespace: pod.metadata?.namespace || namespace, name: pod.metadata?.name, subresource: 'attach' });
        const status = await runLocalSession(client, path, query, !!o.stdin, tty);
        if (exitCodeOf(status) === undefined && status) throw new Error(status.message || 'attach failed');
      });
    }),
  );
}
