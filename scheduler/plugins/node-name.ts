// NodeName (filter): a pod that names a node (spec.nodeName) fits only that node.
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, Status } from '../framework/types';
import { unresolvable } from '../framework/types';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';

export const ErrReasonNodeName = "node(s) didn't match the requested node name";

export class NodeName implements FilterPlugin, EnqueueExtensions {
  static readonly pluginName = 'NodeName';
  readonly name = NodeName.pluginName;

  filter(_state: unknown, pod: PodInfo, node: NodeInfo): Status | null {
    const wanted = pod.pod.spec?.nodeName;
    if (!wanted || wanted === node.name) return null;
    return unresolvable(ErrReasonNodeName);
  }

  events(): ClusterEvent[] {
    return ['NodeAdd'];
  }
}
