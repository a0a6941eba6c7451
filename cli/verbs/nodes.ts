// `steer cordon|uncordon|drain NODE`: kubectl's strategic merge patches on spec.unschedulable, and a
// drain that evicts (or, without the eviction subresource, deletes) the node's pods.
import { Command } from 'commander';
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { ApiError, KubeClient, isNotFound } from '../../lib/client/client';
import { Resources, resourcePath } from '../../lib/api/resources';
import { action } from '../errors';
import { parseDuration } from '../flag-values';
import { Streams, processStreams } from '../io';
import { ClientFlags, withClient, withClientOptions } from '../options';

export async function runCordon(client: KubeClient, nodeName: string, unschedulable: boolean, streams: Streams): Promise<void> {
  const node = await client.get<Node>(Resources.nodes, undefined, nodeName);
  const verb = unschedulable ? 'cordoned' : 'uncordoned';
  if (!!node.spec?.unschedulable === unschedulable) {
    streams.out(`node/${nodeName} already ${verb}\n`);
    return;
  }
  await client.patch(Resources.nodes, undefined, nodeName, { spec: { unschedulable: unschedulable ? true : null } }, 'strategic');
  streams.out(`node/${nodeName} ${verb}\n`);
}

export interface DrainOptions {
  ignoreDaemonSets?: boolean;
  force?: boolean;
  deleteEmptyDirData?: boolean;
  gracePeriodSeconds?: number;
  timeoutMs?: number;
  /** Wait between evictions a PodDisruptionBudget refuses (429); kubectl waits 5 s. */
  evictionRetryMs?: number;
}

/** Which of a node's pods a drain removes, and why it would refuse (kubectl's pod filters). */
export function drainPlan(pods: Pod[], o: DrainOptions): { evict: Pod[]; skipped: Pod[]; errors: string[] } {
  const evict: Pod[] = [];
  const skipped: Pod[] = [];
  const errors: string[] = [];
  for (const p of pods) {
    const name = `${p.metadata?.namespace}/${p.metadata?.name}`;
    if (['Succeeded', 'Failed'].includes(p.status?.phase || '')) {
      evict.push(p);
      continue;
    }
    const controller = p.metadata?.ownerReferences?.find((r) => r.controller);
    if (controller?.kind === 'DaemonSet') {
      if (o.ignoreDaemonSets) skipped.push(p);
      else errors.push(`cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${name}`);
      continue;
    }
    if (!controller && !o.force) {
      errors.push(`cannot delete Pods not managed by ReplicationController, ReplicaSet, Job, DaemonSet or StatefulSet (use --force to override): ${name}`);
      continue;
    }
    if ((p.spec?.volumes || []).some((v) => v.emptyDir) && !o.deleteEmptyDirData) {
      errors.push(`cannot delete Pods with local storage (use --delete-emptydir-data to override): ${name}`);
      continue;
    }
    evict.push(p);
  }
  return { evict, skipped, errors };
}

export async function runDrain(client: KubeClient, nodeName: string, o: DrainOptions, streams: Streams): Promise<void> {
  await runCordon(client, nodeName, true, streams);
  const list = await client.list<Pod>(Resources.pods, { fieldSelector: `spec.nodeName=${nodeName}` });
  const onNode = (list.items || []).filter((p) => p.spec?.nodeName === nodeName);
  const plan = drainPlan(onNode, o);
  if (plan.errors.length) {
    throw new Error(`unable to drain node "${nodeName}" due to error: ${plan.errors.join(', ')}, continuing command...\nThere are pending nodes to be drained:\n ${nodeName}`);
  }
  if (plan.skipped.length) {
    streams.err(`WARNING: ignoring DaemonSet-managed Pods: ${plan.skipped.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).join(', ')}\n`);
  }
  for (const p of plan.evict) {
    const ns = p.metadata?.namespace || 'default';
    const name = p.metadata?.name || '';
    streams.out(`evicting pod ${ns}/${name}\n`);
    const evictDeadline = Date.now() + (o.timeoutMs ?? 120_000);
    try {
      for (;;) {
        try {
          await client.request('POST', resourcePath(Resources.pods, { namespace: ns, name, subresource: 'eviction' }), {
            body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns }, deleteOptions: { gracePeriodSeconds: o.gracePeriodSeconds } },
          });
          break;
        } catch (err) {
          // A PodDisruptionBudget forbids it for now: retry every 5 s, as kubectl drain does.
          if (!(err instanceof ApiError && err.code === 429) || Date.now() > evictDeadline) throw err;
          streams.err(`error when evicting pods/"${name}" -n "${ns}" (will retry after 5s): ${err.message}\n`);
          await new Promise((r) => setTimeout(r, o.evictionRetryMs ?? 5000));
        }
      }
    } catch (err) {
      if (isNotFound(err) || (err instanceof ApiError && (err.code === 405 || err.code === 404))) {
        // No eviction subresource: delete the pod instead, as `drain --disable-eviction` does.
        await client.delete(Resources.pods, ns, name, { gracePeriodSeconds: o.gracePeriodSeconds }).catch((e) => {
          if (!isNotFound(e)) throw e;
        });
      } else {
        throw err;
      }
    }
  }
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  for (const p of plan.evict) {
    for (;;) {
      try {
        const cur = await client.get<Pod>(Resources.pods, p.metadata?.namespace, p.metadata?.name || '');
        if (cur.metadata?.uid !== p.metadata?.uid) break;
      } catch (err) {
        if (isNotFound(err)) break;
        throw err;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for pod ${p.metadata?.name} to be deleted`);
      await new Promise((r) => setTimeout(r, 250));
    }
    streams.out(`pod/${p.metadata?.name} evicted\n`);
  }
  streams.out(`node/${nodeName} drained\n`);
}

/** `steer cordon`, `steer uncordon` and `steer drain`. */
export function register(program: Command): void {
  for (const [verb, unschedulable] of [['cordon', true], ['uncordon', false]] as const) {
    withClientOptions(program.command(verb).argument('<node>').description(unschedulable ? 'mark a node unschedulable' : 'mark a node schedulable')).action(
      action(async (node: string, o: ClientFlags) => {
        await withClient(o, (client) => runCordon(client, node, unschedulable, processStreams));
      }),
    );
  }
  withClientOptions(
    program
      .command('drain')
      .argument('<node>')
      .description('cordon a node and evict its pods')
      .option('--ignore-daemonsets', 'leave DaemonSet-managed pods in place')
      .option('--force', 'also delete pods no controller manages')
      .option('--delete-emptydir-data', 'also delete pods using emptyDir volumes')
      .option('--grace-period <seconds>', 'seconds given to each pod to terminate')
      .option('--timeout <duration>', 'how long to wait, e.g. 2m'),
  ).action(
    action(async (node: string, o: ClientFlags & { ignoreDaemonsets?: boolean; force?: boolean; deleteEmptydirData?: boolean; gracePeriod?: string; timeout?: string }) => {
      await withClient(o, (client) =>
        runDrain(
          client,
          node,
          { ignoreDaemonSets: o.ignoreDaemonsets, force: o.force, deleteEmptyDirData: o.deleteEmptydirData, gracePeriodSeconds: o.gracePeriod ? Number(o.gracePeriod) : undefined, timeoutMs: parseDuration(o.timeout) },
          processStreams,
        ),
      );
    }),
  );
}
