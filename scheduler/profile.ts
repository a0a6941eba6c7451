// The default profile: which plugins run at which extension point, in which order, with which score
// weights (kube-scheduler's defaults where it has the same plugin). Weights are configurable by name.
import type { KubeClient } from '../lib/client/client';
import type { Profile, WeightedScorePlugin } from './framework/framework';
import { NodeResourcesBalancedAllocation } from './plugins/balanced-allocation';
import { DefaultBinder } from './plugins/default-binder';
import { DefaultPreemption } from './plugins/default-preemption';
import { NodeAffinity } from './plugins/node-affinity';
import { NodeName } from './plugins/node-name';
import { NodePorts } from './plugins/node-ports';
import { NodeReady } from './plugins/node-ready';
import { NodeResourcesFit } from './plugins/node-resources-fit';
import { NodeUnschedulable } from './plugins/node-unschedulable';
import { OwnerSpread } from './plugins/owner-spread';
import { InterPodAffinity } from './plugins/inter-pod-affinity';
import { PodTopologySpread } from './plugins/pod-topology-spread';
import { PrioritySort } from './plugins/queue-sort';
import { TaintToleration } from './plugins/taint-toleration';
import { VolumeBinding } from './plugins/volume-binding';

export const DefaultSchedulerName = 'default-scheduler';

export type ScorePluginName =
  | typeof NodeResourcesFit.pluginName
  | typeof NodeResourcesBalancedAllocation.pluginName
  | typeof NodeAffinity.pluginName
  | typeof TaintToleration.pluginName
  | typeof OwnerSpread.pluginName
  | typeof InterPodAffinity.pluginName
  | typeof PodTopologySpread.pluginName;

export const DefaultScoreWeights: Record<ScorePluginName, number> = {
  NodeResourcesFit: 1,
  NodeResourcesBalancedAllocation: 1,
  NodeAffinity: 2,
  TaintToleration: 3,
  InterPodAffinity: 2,
  PodTopologySpread: 2,
  // PodTopologySpread's system default constraints spread a ReplicaSet's (or Service's) pods over
  // nodes and zones, as kube-scheduler's did after dropping SelectorSpread: OwnerSpread on top would
  // count the same pods twice, so it is off unless weighted explicitly.
  OwnerSpread: 0,
};

export function isScorePluginName(name: string): name is ScorePluginName {
  return Object.prototype.hasOwnProperty.call(DefaultScoreWeights, name);
}

export interface ProfileOptions {
  schedulerName?: string;
  scoreWeights?: Partial<Record<ScorePluginName, number>>;
}

export function defaultProfile(client: KubeClient, opts: ProfileOptions = {}): Profile {
  const weights = { ...DefaultScoreWeights, ...opts.scoreWeights };
  const affinity = new NodeAffinity();
  const taints = new TaintToleration();
  const fit = new NodeResourcesFit();
  const spread = new PodTopologySpread();
  const interPod = new InterPodAffinity();
  const volumes = new VolumeBinding(client);
  const score: WeightedScorePlugin[] = [
    { plugin: fit, weight: weights.NodeResourcesFit },
    { plugin: new NodeResourcesBalancedAllocation(), weight: weights.NodeResourcesBalancedAllocation },
    { plugin: affinity, weight: weights.NodeAffinity },
    { plugin: taints, weight: weights.TaintToleration },
    { plugin: new OwnerSpread(), weight: weights.OwnerSpread },
    { plugin: interPod, weight: weights.InterPodAffinity },
    { plugin: spread, weight: weights.PodTopologySpread },
  ];
  return {
    schedulerName: opts.schedulerName ?? DefaultSchedulerName,
    queueSort: new PrioritySort(),
    preFilter: [affinity, spread, interPod, volumes],
    // Cheapest and most selective first: a node is dropped at its first failing filter.
    filter: [new NodeUnschedulable(), new NodeReady(), new NodeName(), taints, affinity, new NodePorts(), fit, spread, interPod, volumes],
    preScore: [interPod, spread],
    score,
    reserve: [volumes],
    preBind: [volumes],
    bind: [new DefaultBinder(client)],
    postFilter: [new DefaultPreemption()],
  };
}
