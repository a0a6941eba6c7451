// The pod informer handlers of a controller that owns pods through expectations (Kubernetes' addPod,
// updatePod and deletePod in the ReplicaSet and Job controllers): a pod's appearance or going settles
// its owner's expectations and wakes the owner; an orphan wakes every owner whose selector matches it.
import type { Pod } from 'kubernetes-types/core/v1';
import type { Informer } from '../../lib/client/informer';
import { controllerRefOf } from './controller-ref';
import type { Expectations } from './expectations';

export interface OwnedPodHandlers {
  /** The key of the owner that controls the pod, if that owner is still cached. */
  ownerKey(p: Pod): string | undefined;
  /** The keys of the owners whose selector matches the pod (adoption candidates for an orphan). */
  matchingOwners(p: Pod): string[];
  enqueue(key: string): void;
  expectations: Expectations;
}

export function handleOwnedPods(pods: Informer<Pod>, h: OwnedPodHandlers): void {
  const gone = (p: Pod): void => {
    const key = h.ownerKey(p);
    if (!key) return;
    if (p.metadata?.uid) h.expectations.deletionObserved(key, p.metadata.uid);
    h.enqueue(key);
  };
  const wakeAdopters = (p: Pod): void => {
    if (!controllerRefOf(p)) for (const k of h.matchingOwners(p)) h.enqueue(k);
  };
  pods.onAdd((p) => {
    const key = h.ownerKey(p);
    if (!key) return wakeAdopters(p);
    h.expectations.creationObserved(key);
    h.enqueue(key);
  });
  pods.onUpdate((old, p) => {
    // A graceful deletion is as good as gone for counting purposes.
    if (p.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) return gone(p);
    const oldKey = h.ownerKey(old);
    const key = h.ownerKey(p);
    if (oldKey && oldKey !== key) h.enqueue(oldKey);
    if (key) h.enqueue(key);
    else wakeAdopters(p);
  });
  pods.onDelete(gone);
}
