// Where an agent learns about the pods bound to its node: one lib Informer, either watching only this
// node's pods (fieldSelector spec.nodeName=<node>) or, for hollow nodes, all pods once for every
// node in the process, handed to each node through the informer's nodeName index.
import type { Pod } from 'kubernetes-types/core/v1';
import type { KubeClient } from '../lib/client/client';
import { Informer } from '../lib/client/informer';
import { Resources } from '../lib/api/resources';

export type PodHandler = (pod: Pod, deleted: boolean) => void;

export interface PodSource {
  /** Pods currently bound to the node. */
  list(nodeName: string): Pod[];
  /** Calls handler for every add/update/delete of a pod bound to the node; returns an unsubscribe. */
  subscribe(nodeName: string, handler: PodHandler): () => void;
  hasSynced(): boolean;
}

export class InformerPodSource implements PodSource {
  readonly informer: Informer<Pod>;
  private readonly handlers = new Map<string, Set<PodHandler>>();

  /** nodeName given: watch only that node's pods; omitted: all pods (shared by many nodes). */
  constructor(client: KubeClient, nodeName?: string) {
    this.informer = new Informer<Pod>(client, Resources.pods, nodeName ? { fieldSelector: `spec.nodeName=${nodeName}` } : {});
    const emit = (pod: Pod, deleted: boolean) => {
      const node = pod.spec?.nodeName;
      if (!node) return;
      for (const h of this.handlers.get(node) || []) h(pod, deleted);
    };
    this.informer.onAdd((p) => emit(p, false));
    this.informer.onUpdate((old, p) => {
      // Re-bound elsewhere (not possible in Kubernetes, but be safe): the old node sees a delete.
      if (old.spec?.nodeName && old.spec.nodeName !== p.spec?.nodeName) emit(old, true);
      emit(p, false);
    });
    this.informer.onDelete((p) => emit(p, true));
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): void {
    this.informer.stop();
  }

  list(nodeName: string): Pod[] {
    return this.informer.byIndex('nodeName', nodeName);
  }

  subscribe(nodeName: string, handler: PodHandler): () => void {
    let set = this.handlers.get(nodeName);
    if (!set) this.handlers.set(nodeName, (set = new Set()));
    set.add(handler);
    return () => set!.delete(handler);
  }

  hasSynced(): boolean {
    return this.informer.hasSynced();
  }
}
