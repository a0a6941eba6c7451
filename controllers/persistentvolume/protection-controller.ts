// The pvc-protection and pv-protection controllers in one loop: removes the protection finalizer of a
// claim once no pod uses it, and of a volume once it is not bound (protection.ts decides). The finalizer
// goes with a JSON patch that tests the list first, so a stale cache cannot drop someone else's.
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import { podClaimNames, PvcProtectionFinalizer, PvProtectionFinalizer } from '../../lib/api/storage';
import { isNotFound } from '../../lib/client/client';
import { Controller, ControllerContext, runWorkers } from '../../lib/client/controller';
import type { Informer } from '../../lib/client/informer';
import { WorkQueue } from '../../lib/client/workqueue';
import { claimReleasable, volumeReleasable } from './protection';

export class VolumeProtectionController implements Controller {
  readonly name = 'persistentvolume-protection';
  private readonly queue = new WorkQueue<string>('persistentvolume-protection', { maxDelayMs: 30_000 });
  private readonly claims: Informer<PersistentVolumeClaim>;
  private readonly volumes: Informer<PersistentVolume>;
  private readonly pods: Informer<Pod>;
  private running?: Promise<void>;

  constructor(private readonly ctx: ControllerContext) {
    this.claims = ctx.informers.informerFor<PersistentVolumeClaim>(Resources.persistentvolumeclaims);
    this.volumes = ctx.informers.informerFor<PersistentVolume>(Resources.persistentvolumes);
    this.pods = ctx.informers.informerFor<Pod>(Resources.pods);
  }

  async start(): Promise<void> {
    const claim = (c: PersistentVolumeClaim) => c.metadata?.deletionTimestamp && this.queue.add(`claim:${c.metadata.namespace}/${c.metadata.name}`);
    const volume = (v: PersistentVolume) => v.metadata?.deletionTimestamp && this.queue.add(`volume:${v.metadata.name}`);
    const pod = (p: Pod) => {
      for (const name of podClaimNames(p)) this.queue.add(`claim:${p.metadata?.namespace}/${name}`);
    };
    this.claims.onAdd(claim);
    this.claims.onUpdate((_o, c) => claim(c));
    this.volumes.onAdd(volume);
    this.volumes.onUpdate((_o, v) => volume(v));
    this.pods.onUpdate((_o, p) => pod(p));
    this.pods.onDelete(pod);
    this.ctx.informers.start();
    await Promise.all([this.claims.start(), this.volumes.start(), this.pods.start()]);
    this.running = runWorkers(this.queue, 1, (key) => this.sync(key), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  async stopped(): Promise<void> {
    await this.running;
  }

  async sync(key: string): Promise<void> {
    if (key.startsWith('volume:')) {
      const pv = this.volumes.get(undefined, key.slice('volume:'.length));
      if (pv && volumeReleasable(pv)) await this.dropFinalizer(Resources.persistentvolumes, undefined, pv.metadata?.name ?? '', pv.metadata?.finalizers ?? [], PvProtectionFinalizer);
      return;
    }
    const [namespace, name] = key.slice('claim:'.length).split('/');
    const pvc = this.claims.get(namespace, name);
    if (!pvc || !claimReleasable(pvc, this.pods.list(namespace))) return;
    // Kubernetes re-checks with a live list before letting go: the cache may not have seen a new pod yet.
    const live = await this.ctx.client.list<Pod>(Resources.pods, { namespace });
    if (!claimReleasable(pvc, live.items)) return;
    await this.dropFinalizer(Resources.persistentvolumeclaims, namespace, name, pvc.metadata?.finalizers ?? [], PvcProtectionFinalizer);
  }

  private async dropFinalizer(resource: typeof Resources.persistentvolumes, namespace: string | undefined, name: string, finalizers: string[], finalizer: string): Promise<void> {
    const i = finalizers.indexOf(finalizer);
    if (i < 0) return;
    const patch = [
      { op: 'test', path: `/metadata/finalizers/${i}`, value: finalizer },
      { op: 'remove', path: `/metadata/finalizers/${i}` },
    ];
    await this.ctx.client.patch(resource, namespace, name, patch, 'json').catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
}
