// NodeReady (filter): a node whose Ready condition is not True takes no new pods, unless the pod
// tolerates the node.kubernetes.io/not-ready taint (as DaemonSet pods do). Kubernetes reaches the same
// end through the node lifecycle controller's not-ready taint; checking the condition directly also
// covers clusters where no controller taints nodes.
import type { ClusterEvent, EnqueueExtensions, FilterPlugin, Status } from '../framework/types';
import { unschedulable } from '../framework/types';
import type { NodeInfo } from '../framework/node-info';
import type { PodInfo } from '../framework/pod-info';
import { tolerated } from '../../lib/api/tolerations';

export const ErrReasonNotReady = 'node(s) were not ready';
const notReadyTaints = [
  { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
];

export class NodeReady implements FilterPlugin, EnqueueExtensions {
  static readonly pluginName = 'NodeReady';
  readonly name = NodeReady.pluginName;

  filter(_state: unknown, pod: PodInfo, node: NodeInfo): Status | null {
    if (node.ready) return null;
    const tolerations = pod.pod.spec?.tolerations;
    if (notReadyTaints.some((t) => tolerated(tolerations, t))) return null;
    return unschedulable(ErrReasonNotReady);
  }

  events(): ClusterEvent[] {
    return ['NodeAdd', 'NodeUpdate'];
  }
}
