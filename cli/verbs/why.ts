// `steer why pending POD` (alias `steer explain-pending POD`): one screen on why a pod is not running.
// This file fetches the pod, its events and its node; the diagnosis itself is pure and shared with the
// web console (lib/api/why-pending.ts), so it is table-tested without a server.
import { Command } from 'commander';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { action } from '../errors';
import { Streams, processStreams } from '../io';
import { ClientFlags, namespaceOf, withClient, withClientOptions } from '../options';
import { explainPod, renderExplanation } from '../../lib/api/why-pending';
import { resolveResource } from '../resource-args';
import { eventsFor } from './describe';

export async function runWhy(client: KubeClient, namespace: string, name: string, streams: Streams): Promise<void> {
  const pod = await client.get<Pod>(Resources.pods, namespace, name);
  const events = await eventsFor(client, pod as unknown as Parameters<typeof eventsFor>[1], 'Pod');
  let node: Node | null | undefined;
  if (pod.spec?.nodeName) {
    node = await client.get<Node>(Resources.nodes, undefined, pod.spec.nodeName).catch(() => null);
  }
  streams.out(renderExplanation(pod, explainPod(pod, events, node)));
}

/** `steer why pending POD` and its alias `steer explain-pending POD`. */
export function register(program: Command): void {
  const why = program.command('why').description('explain why something is not as expected');
  const explainPending = action(async (pod: string, o: ClientFlags) => {
    await withClient(o, async (client) => {
      const [kind, name] = pod.includes('/') ? [pod.slice(0, pod.indexOf('/')), pod.slice(pod.indexOf('/') + 1)] : ['pod', pod];
      if (resolveResource(kind) !== Resources.pods) throw new Error('why pending explains pods: steer why pending POD');
      await runWhy(client, namespaceOf(client, o), name, processStreams);
    });
  });
  withClientOptions(why.command('pending').argument('<pod>').description("explain in one screen why a pod isn't running: scheduling, image pulls, back-off, probes")).action(explainPending);
  withClientOptions(program.command('explain-pending').argument('<pod>').description('same as `steer why pending POD`')).action(explainPending);
}
