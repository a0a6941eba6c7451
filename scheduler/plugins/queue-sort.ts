// PrioritySort (queue sort): higher spec.priority first, then the pod that has waited longest.
import type { QueuedPodInfo, QueueSortPlugin } from '../framework/types';

export class PrioritySort implements QueueSortPlugin {
  static readonly pluginName = 'PrioritySort';
  readonly name = PrioritySort.pluginName;

  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean {
    const pa = a.podInfo.priority;
    const pb = b.podInfo.priority;
    return pa > pb || (pa === pb && a.timestamp < b.timestamp);
  }
}
