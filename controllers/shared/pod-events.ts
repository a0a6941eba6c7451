// The pod informer handlers of a controller that owns pods through expectations (Kubernetes' addPod,
// updatePod and deletePod in the ReplicaSet and Job controllers): a pod's appearance or going settles
// its owner's expectations and wakes the owner; an orphan wakes every owner whose selector matches it.
import type { Pod } from 'kubernetes-types/core/v1';
import type { LabelSelector } from 'kubernetes-types/meta/v1';
import type { KubeObject } from '../../lib/client/client';
import { Informer, objectKey } from '../../lib/client/informer';
import { controllerRefOf, controllingOwner, type OwnerLister, ownersSelecting } from './controller-ref';
import type { Expectations } from './expectations';

export interface OwnedPods<T extends KubeObject & { spec?: { selector?: LabelSelector } }> {
  /** The owners (an informer, or a view of one) and their kind (as in a controller reference). */
  owners: OwnerLister<T>;
  kind: string;
  /** Wakes an owner by its key. */
  enqueue(key: string): void;
  expectations: Expectations;
}

export function handleOwnedPods<T extends KubeObject & { spec?: { selector?: LabelSelector } }>(pods: Informer<Pod>, h: OwnedPods<T>): void {
  const ownerKey = (p: Pod): string | undefined => {
    const owner = controllingOwner(p, h.kind, h.owners);
    return owner && objectKey(owner);
  };
  const gone = (p: Pod): void => {
    const key = ownerKey(p);
    if (!key) return;
    if (p.metadata?.uid) h.expectations.deletionObserved(key, p.metadata.uid);
    h.enqueue(key);
  };
  const wakeAdopters = (p: Pod): void => {
    if (!controllerRefOf(p)) for (const owner of ownersSelecting(p, h.owners)) h.enqueue(objectKey(owner));
  };
  pods.onAdd((p) => {
    const key = ownerKey(p);
    if (!key) return wakeAdopters(p);
    h.expectations.creationObserved(key);
    h.enqueue(key);
  });
  pods.onUpdate((old, p) => {
    // A graceful deletion is as good as gone for counting purposes.
    if (p.metadata?.deletionTimestamp && !old.metadata?.deletionTimestamp) return gone(p);
    const oldKey = ownerKey(old);
    const key = ownerKey(p);
    if (oldKey && oldKey !== key) h.enqueue(oldKey);
    if (key) h.enqueue(key);
    else wakeAdopters(p);
  });
  pods.onDelete(gone);
}
