// `steer autoscale TYPE/NAME --max=N [--min=N] [--cpu-percent=N] [--name=NAME]`: the
// HorizontalPodAutoscaler kubectl's autoscale builds (autoscaling/v2, scaleTargetRef from the target it
// first reads, a cpu Utilization metric when --cpu-percent is given), POSTed with fieldManager
// kubectl-autoscale; kubectl's checks and messages.
import { Command } from 'commander';
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2';
import type { KubeClient } from '../../lib/client/client';
import { groupVersion, Resources, resourcePath } from '../../lib/api/resources';
import { action } from '../errors';
import { Streams, processStreams } from '../io';
import { ClientFlags, namespaceOf, withClient, withClientOptions } from '../options';
import { qualifiedName } from '../printers';
import { oneObject, resolveResource } from '../resource-args';

/** The kinds kubectl autoscale accepts. */
const scalableKinds = ['Deployment', 'ReplicaSet', 'StatefulSet', 'ReplicationController'];

export interface AutoscaleOptions {
  namespace: string;
  /** Unset flags are kubectl's -1. */
  min?: number;
  max?: number;
  cpuPercent?: number;
  name?: string;
}

export function hpaFor(name: string, target: { apiVersion: string; kind: string; name: string }, o: AutoscaleOptions): HorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name },
    spec: {
      scaleTargetRef: target,
      ...(o.min !== undefined && o.min > 0 ? { minReplicas: o.min } : {}),
      maxReplicas: o.max!,
      ...(o.cpuPercent !== undefined && o.cpuPercent >= 0 ? { metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: o.cpuPercent } } }] } : {}),
    },
  };
}

export async function runAutoscale(client: KubeClient, args: string[], o: AutoscaleOptions, streams: Streams): Promise<void> {
  const max = o.max ?? -1;
  const min = o.min ?? -1;
  if (max < 1) throw new Error(`--max=MAXPODS is required and must be at least 1, max: ${max}`);
  if (max < min) throw new Error(`--max=MAXPODS must be larger or equal to --min=MINPODS, max: ${max}, min: ${min}`);
  const ref = oneObject(args);
  const rt = resolveResource(ref.kind);
  // kubectl reads the target first: a missing one is the server's NotFound.
  await client.request('GET', resourcePath(rt, { namespace: rt.namespaced ? o.namespace : undefined, name: ref.name }));
  if (!scalableKinds.includes(rt.kind)) throw new Error(`cannot autoscale a ${rt.kind}`);
  const name = o.name || ref.name;
  const hpa = hpaFor(name, { apiVersion: groupVersion(rt), kind: rt.kind, name: ref.name }, o);
  await client.request('POST', resourcePath(Resources.horizontalpodautoscalers, { namespace: o.namespace }), { body: hpa, query: { fieldManager: 'kubectl-autoscale' } });
  streams.out(`${qualifiedName(Resources.horizontalpodautoscalers, name)} autoscaled\n`);
}

function intFlag(flag: string): (v: string) => number {
  return (v: string) => {
    if (!/^-?\d+$/.test(v)) throw new Error(`invalid argument "${v}" for "${flag}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
    return Number(v);
  };
}

export function register(program: Command): void {
  withClientOptions(
    program
      .command('autoscale')
      .argument('[target...]', 'TYPE NAME or TYPE/NAME (deployment, replicaset, statefulset)')
      .description('create a HorizontalPodAutoscaler for a deployment, replica set or stateful set')
      .option('--min <n>', 'lower limit of pods (default: the server\'s, 1)', intFlag('--min'))
      .option('--max <n>', 'upper limit of pods (required)', intFlag('--max'))
      .option('--cpu-percent <n>', 'target average CPU utilization over all pods, in percent of their request', intFlag('--cpu-percent'))
      .option('--name <name>', 'name of the autoscaler (default: the target\'s name)'),
  ).action(
    action(async (args: string[], f: ClientFlags & { min?: number; max?: number; cpuPercent?: number; name?: string }) => {
      await withClient(f, (client) => runAutoscale(client, args, { namespace: namespaceOf(client, f), min: f.min, max: f.max, cpuPercent: f.cpuPercent, name: f.name }, processStreams));
    }),
  );
}
