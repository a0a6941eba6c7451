// NodeUnschedulable (filter): a cordoned node (spec.unschedulable) takes no new pods, unless the pod
// tolerates the node.kubernetes.io/unschedulable:NoSchedule taint (DaemonSet pods do).
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, Status } from '../framework/types';
import { unresolvable } from '../framework/types';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { tolerated } from '../../lib/api/tolerations';

export const ErrReasonUnschedulable = 'node(s) were unschedulable';
const unschedulableTaint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

export class NodeUnschedulable implements FilterPlugin, EnqueueExtensions {
  static readonly pluginName = 'NodeUnschedulable';
  readonly name = NodeUnschedulable.pluginName;

  filter(_state: unknown, pod: PodInfo, node: NodeInfo): Status | null {
    if (!node.node.spec?.unschedulable) return null;
    if (tolerated(pod.pod.spec?.tolerations, unschedulableTaint)) return null;
    return unresolvable(ErrReasonUnschedulable);
  }

  events(): ClusterEvent[] {
    return ['NodeAdd', 'NodeUpdate'];
  }
}
