// The scheduler's informer event handlers (kube-scheduler's eventhandlers.go): Node and bound-Pod
// events keep the cache current and move waiting pods that the change may help back to the active
// queue; our own unbound pods enter, change in or leave the scheduling queue.
import type { Node, Pod } from 'kubernetes-types/core/v1';
import { isPodTerminal } from '../lib/api/pod';
import type { Informer } from '../lib/client/informer';
import type { SchedulerCache } from './cache';
import { isBeingDeleted, newPodInfo } from './framework/pod-info';
import type { ClusterEvent } from './framework/types';
import { DefaultSchedulerName } from './profile';
import type { SchedulingQueue } from './queue/scheduling-queue';

/** What the handlers update: the scheduler's cache and queue, for the pods of one scheduler name. */
export interface EventHandlerTargets {
  readonly schedulerName: string;
  readonly cache: SchedulerCache;
  readonly queue: SchedulingQueue;
}

/** The parts of a Node that scheduling looks at; a change elsewhere (heartbeats) moves no pods. */
function nodeSchedulingSignature(n: Node): string {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return JSON.stringify([n.status?.allocatable, n.metadata?.labels, n.spec?.taints, n.spec?.unschedulable, ready]);
}

/** Wires the node and pod informers to the cache and the queue. */
export function addAllEventHandlers(s: EventHandlerTargets, nodeInformer: Informer<Node>, podInformer: Informer<Pod>): void {
  const { cache, queue } = s;
  const isOurs = (p: Pod) => (p.spec?.schedulerName || DefaultSchedulerName) === s.schedulerName;
  const moveAll = (event: ClusterEvent) => queue.moveAllToActiveOrBackoff(event);

  nodeInformer.onAdd((n) => {
    cache.addNode(n);
    moveAll('NodeAdd');
  });
  nodeInformer.onUpdate((oldNode, n) => {
    cache.updateNode(n);
    if (nodeSchedulingSignature(oldNode) !== nodeSchedulingSignature(n)) moveAll('NodeUpdate');
  });
  nodeInformer.onDelete((n) => cache.removeNode(n.metadata?.name ?? ''));

  podInformer.onAdd((p) => {
    if (p.spec?.nodeName) {
      cache.addOrUpdatePod(p);
      if (!isPodTerminal(p)) moveAll('PodAdd');
    } else if (isOurs(p) && !isBeingDeleted(p) && cache.nodeOf(p.metadata?.uid ?? '') === undefined) {
      queue.add(newPodInfo(p));
    }
  });
  podInformer.onUpdate((oldPod, p) => {
    const uid = p.metadata?.uid ?? '';
    if (p.spec?.nodeName) {
      const newlyBound = !oldPod.spec?.nodeName;
      if (newlyBound) queue.delete(uid); // bound (by us, or anyone)
      const freed = !isPodTerminal(oldPod) && isPodTerminal(p);
      cache.addOrUpdatePod(p);
      if (freed) moveAll('PodDelete');
      // A pod that just landed can satisfy a waiting pod's affinity (or change a spread's skew).
      else if (newlyBound && !isPodTerminal(p)) moveAll('PodAdd');
      return;
    }
    if (!isOurs(p)) return;
    if (isBeingDeleted(p)) {
      queue.delete(uid);
      return;
    }
    // Our own assumption, binding under way: the update (e.g. a status patch) changes nothing.
    if (cache.isAssumed(uid)) return;
    queue.update(newPodInfo(p));
  });
  podInformer.onDelete((p) => {
    const uid = p.metadata?.uid ?? '';
    queue.delete(uid);
    if (cache.nodeOf(uid) !== undefined) {
      cache.removePod(uid);
      moveAll('PodDelete');
    }
  });
}
