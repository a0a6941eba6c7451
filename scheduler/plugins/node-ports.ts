// NodePorts (filter): a pod's hostPorts must be free on the node (same protocol and port on the same
// address, or on the wildcard 0.0.0.0, conflict).
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, Status } from '../framework/types';
import { unschedulable } from '../framework/types';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';

export const ErrReasonPorts = "node(s) didn't have free ports for the requested pod ports";

export class NodePorts implements FilterPlugin, EnqueueExtensions {
  static readonly pluginName = 'NodePorts';
  readonly name = NodePorts.pluginName;

  filter(_state: unknown, pod: PodInfo, node: NodeInfo): Status | null {
    for (const hp of pod.hostPorts) {
      if (node.portInUse(hp)) return unschedulable(ErrReasonPorts);
    }
    return null;
  }

  events(): ClusterEvent[] {
    return ['NodeAdd', 'PodDelete'];
  }
}
