// The local-path provisioner loop: makes sure the default `local-path` StorageClass exists, creates a
// PersistentVolume for each claim the binder hands to it (on the node the scheduler chose), deletes its
// released volumes under reclaim policy Delete, and grows bound claims whose request went up. The pure
// decisions are in provision.ts.
import type { Node, PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { Resources } from '../../lib/api/resources';
import { claimKey, LocalPathProvisioner } from '../../lib/api/storage';
import { isAlreadyExists, isNotFound } from '../../lib/client/client';
import { Controller, ControllerContext, runWorkers } from '../../lib/client/controller';
import type { Informer } from '../../lib/client/informer';
import { WorkQueue } from '../../lib/client/workqueue';
import { defaultLocalPathClass, plannedExpansion, planProvision, shouldDelete } from './provision';

export class LocalPathProvisionerController implements Controller {
  readonly name = 'local-path-provisioner';
  private readonly queue = new WorkQueue<string>('local-path-provisioner', { maxDelayMs: 30_000 });
  private readonly claims: Informer<PersistentVolumeClaim>;
  private readonly volumes: Informer<PersistentVolume>;
  private readonly classes: Informer<StorageClass>;
  private readonly nodes: Informer<Node>;
  private readonly reported = new Map<string, string>();
  private running?: Promise<void>;

  constructor(private readonly ctx: ControllerContext) {
    this.claims = ctx.informers.informerFor<PersistentVolumeClaim>(Resources.persistentvolumeclaims);
    this.volumes = ctx.informers.informerFor<PersistentVolume>(Resources.persistentvolumes);
    this.classes = ctx.informers.informerFor<StorageClass>(Resources.storageclasses);
    this.nodes = ctx.informers.informerFor<Node>(Resources.nodes);
  }

  async start(): Promise<void> {
    const claim = (c: PersistentVolumeClaim) => this.queue.add(`claim:${claimKey(c)}`);
    const volume = (v: PersistentVolume) => this.queue.add(`volume:${v.metadata?.name}`);
    this.claims.onAdd(claim);
    this.claims.onUpdate((_o, c) => claim(c));
    this.claims.onDelete((c) => this.reported.delete(claimKey(c)));
    this.volumes.onAdd(volume);
    this.volumes.onUpdate((_o, v) => volume(v));
    this.ctx.informers.start();
    await Promise.all([this.claims.start(), this.volumes.start(), this.classes.start(), this.nodes.start()]);
    try {
      await this.ctx.client.create(Resources.storageclasses, undefined, defaultLocalPathClass());
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    this.running = runWorkers(this.queue, 8, (key) => this.sync(key), { controller: this.name });
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
      if (pv && shouldDelete(pv)) {
        await this.ctx.client.delete(Resources.persistentvolumes, undefined, pv.metadata?.name ?? '', { preconditions: { uid: pv.metadata?.uid } }).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
      }
      return;
    }
    const [namespace, name] = key.slice('claim:'.length).split('/');
    const pvc = this.claims.get(namespace, name);
    if (!pvc) return;
    const cls = this.classes.get(undefined, pvc.spec?.storageClassName ?? '');
    const volume = pvc.spec?.volumeName ? this.volumes.get(undefined, pvc.spec.volumeName) : undefined;
    const grow = plannedExpansion(pvc, volume, cls);
    if (grow && volume) return this.expand(pvc, volume, grow);
    const existing = new Set(this.volumes.list().map((v) => v.metadata?.name ?? ''));
    const nodes = new Map(this.nodes.list().map((n) => [n.metadata?.name ?? '', n]));
    const decision = planProvision(pvc, cls, nodes, existing);
    if (!decision) return;
    const ref = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: pvc.metadata };
    if ('error' in decision) {
      if (this.reported.get(claimKey(pvc)) !== decision.error) {
        this.reported.set(claimKey(pvc), decision.error);
        this.ctx.recorder.event(ref, 'Warning', 'ProvisioningFailed', `failed to provision volume with StorageClass "${pvc.spec?.storageClassName ?? ''}": ${decision.error}`);
      }
      return;
    }
    this.ctx.recorder.event(ref, 'Normal', 'Provisioning', `External provisioner is provisioning volume for claim "${claimKey(pvc)}"`);
    try {
      await this.ctx.client.create(Resources.persistentvolumes, undefined, decision.volume);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    this.ctx.recorder.event(ref, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${decision.volume.metadata?.name}`);
  }

  private async expand(pvc: PersistentVolumeClaim, pv: PersistentVolume, size: string): Promise<void> {
    await this.ctx.client.patch(Resources.persistentvolumes, undefined, pv.metadata?.name ?? '', { spec: { capacity: { storage: size } } }, 'merge');
    await this.ctx.client.patch(Resources.persistentvolumeclaims, pvc.metadata?.namespace, pvc.metadata?.name ?? '', { status: { capacity: { storage: size } } }, 'merge', 'status');
    this.ctx.recorder.event({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: pvc.metadata }, 'Normal', 'VolumeResizeSuccessful', `resize volume "${pv.metadata?.name}" by ${LocalPathProvisioner} succeeded`);
  }
}
