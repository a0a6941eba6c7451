// `steer logs`: a pod's (or a workload's first pod's) container log through pods/log, as kubectl asks
// for it: container, tailLines, previous, timestamps, follow.
import { Command } from 'commander';
import type { Pod } from 'kubernetes-types/core/v1';
import { KubeClient, KubeObject } from '../../lib/client/client';
import { Resources, resourcePath } from '../../lib/api/resources';
import { labelSelectorToString } from '../../lib/api/selectors';
import { action } from '../errors';
import { parseDuration } from '../flag-values';
import { Streams, processStreams } from '../io';
import { ClientFlags, namespaceOf, withClient, withClientOptions } from '../options';
import { resolveResource } from '../resource-args';
import { streamGet } from '../stream';

export interface LogsOptions {
  container?: string;
  follow?: boolean;
  tail?: number;
  previous?: boolean;
  timestamps?: boolean;
  sinceSeconds?: number;
  signal?: AbortSignal;
}

/** The pod a logs target names: `pod`, `pod/name`, or `deploy/name` (its first pod, as kubectl). */
export async function resolveLogsPod(client: KubeClient, namespace: string, target: string, streams: Streams): Promise<Pod> {
  const slash = target.indexOf('/');
  if (slash < 0) return client.get<Pod>(Resources.pods, namespace, target);
  const r = resolveResource(target.slice(0, slash));
  const name = target.slice(slash + 1);
  if (r === Resources.pods) return client.get<Pod>(r, namespace, name);
  const owner = await client.get<KubeObject & { spec?: { selector?: { matchLabels?: Record<string, string> } } }>(r, namespace, name);
  const selector = labelSelectorToString(owner.spec?.selector);
  const pods = await client.list<Pod>(Resources.pods, { namespace, labelSelector: selector });
  const items = (pods.items || []).sort((a, b) => String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp)));
  if (items.length === 0) throw new Error(`timed out waiting for the condition (no pods for ${target})`);
  if (items.length > 1) streams.err(`Found ${items.length} pods, using pod/${items[0].metadata?.name}\n`);
  return items[0];
}

export async function runLogs(client: KubeClient, namespace: string, target: string, o: LogsOptions, streams: Streams): Promise<void> {
  const pod = await resolveLogsPod(client, namespace, target, streams);
  const containers = (pod.spec?.containers || []).map((c) => c.name);
  let container = o.container;
  if (container && !containers.includes(container) && !(pod.spec?.initContainers || []).some((c) => c.name === container)) {
    throw new Error(`container ${container} is not valid for pod ${pod.metadata?.name}`);
  }
  if (!container) {
    if (containers.length > 1) {
      throw new Error(`a container name must be specified for pod ${pod.metadata?.name}, choose one of: [${containers.join(' ')}]`);
    }
    container = containers[0];
  }
  const path = resourcePath(Resources.pods, { namespace: pod.metadata?.namespace || namespace, name: pod.metadata?.name, subresource: 'log' });
  await streamGet(
    client,
    path,
    { container, follow: o.follow, tailLines: o.tail !== undefined && o.tail >= 0 ? o.tail : undefined, previous: o.previous, timestamps: o.timestamps, sinceSeconds: o.sinceSeconds },
    (chunk) => streams.out(chunk.toString('utf8')),
    o.signal,
  );
}

export function register(program: Command): void {
  withClientOptions(
    program
      .command('logs')
      .description("print a container's log")
      .argument('<pod>', 'POD | TYPE/NAME (e.g. deploy/nginx: its first pod)')
      .option('-c, --container <name>', 'the container (default: the only one)')
      .option('-f, --follow', 'stream the log as it grows')
      .option('--tail <n>', 'lines from the end to show (-1: all)', '-1')
      .option('-p, --previous', "the previous (exited) instance's log")
      .option('--timestamps', 'prefix each line with its time')
      .option('--since <duration>', 'only lines newer than this, e.g. 5m'),
  ).action(
    action(async (pod: string, o: ClientFlags & { container?: string; follow?: boolean; tail: string; previous?: boolean; timestamps?: boolean; since?: string }) => {
      await withClient(o, async (client) => {
        const ac = new AbortController();
        process.once('SIGINT', () => ac.abort());
        const since = parseDuration(o.since);
        await runLogs(
          client,
          namespaceOf(client, o),
          pod,
          { container: o.container, follow: o.follow, tail: Number(o.tail), previous: o.previous, timestamps: o.timestamps, sinceSeconds: since ? Math.ceil(since / 1000) : undefined, signal: ac.signal },
          processStreams,
        );
      });
    }),
  );
}
