// The PersistentVolume binder (kube-controller-manager's persistent-volume-binder): informers on claims,
// volumes and classes feed one work queue of `claim:<ns>/<name>` and `volume:<name>` keys; each sync
// asks the pure core (binder.ts) and performs its writes in Kubernetes' order — the volume's claimRef,
// the volume's phase, the claim's volumeName, the claim's status — so a crash in between is finished by
// the next sync. Events say why a claim stays Pending (once per reason).
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { Resources } from '../../lib/api/resources';
import { BetaStorageProvisionerAnnotation, BindCompletedAnnotation, BoundByControllerAnnotation, claimKey, StorageProvisionerAnnotation } from '../../lib/api/storage';
import { isNotFound } from '../../lib/client/client';
import { Controller, ControllerContext, runWorkers } from '../../lib/client/controller';
import type { Informer } from '../../lib/client/informer';
import { WorkQueue } from '../../lib/client/workqueue';
import { planClaim, planVolume } from './binder';

export class PersistentVolumeBinderController implements Controller {
  readonly name = 'persistentvolume-binder';
  private readonly queue = new WorkQueue<string>('persistentvolume-binder', { maxDelayMs: 30_000 });
  private readonly claims: Informer<PersistentVolumeClaim>;
  private readonly volumes: Informer<PersistentVolume>;
  private readonly classes: Informer<StorageClass>;
  /** The last Pending reason reported per claim, so a waiting claim is not reported again on every sync. */
  private readonly reported = new Map<string, string>();
  private running?: Promise<void>;

  constructor(private readonly ctx: ControllerContext) {
    this.claims = ctx.informers.informerFor<PersistentVolumeClaim>(Resources.persistentvolumeclaims);
    this.volumes = ctx.informers.informerFor<PersistentVolume>(Resources.persistentvolumes);
    this.classes = ctx.informers.informerFor<StorageClass>(Resources.storageclasses);
  }

  async start(): Promise<void> {
    const claimChanged = (c: PersistentVolumeClaim) => {
      this.queue.add(`claim:${claimKey(c)}`);
      for (const v of this.volumes.list()) if (v.spec?.claimRef?.name === c.metadata?.name && v.spec?.claimRef?.namespace === c.metadata?.namespace) this.queue.add(`volume:${v.metadata?.name}`);
    };
    const volumeChanged = (v: PersistentVolume) => {
      this.queue.add(`volume:${v.metadata?.name}`);
      // A volume made for (or pre-bound to) one claim concerns that claim only; a free volume may suit
      // any claim still waiting. (Waking every unbound claim on every volume event made 30 provisioned
      // claims cost 30² syncs.)
      const ref = v.spec?.claimRef;
      if (ref?.name) this.queue.add(`claim:${ref.namespace}/${ref.name}`);
      else this.enqueueUnboundClaims();
    };
    this.claims.onAdd(claimChanged);
    this.claims.onUpdate((_o, c) => claimChanged(c));
    this.claims.onDelete((c) => {
      this.reported.delete(claimKey(c));
      claimChanged(c);
    });
    this.volumes.onAdd(volumeChanged);
    this.volumes.onUpdate((_o, v) => volumeChanged(v));
    this.volumes.onDelete((v) => {
      const ref = v.spec?.claimRef;
      if (ref) this.queue.add(`claim:${ref.namespace}/${ref.name}`);
    });
    this.classes.onAdd(() => this.enqueueUnboundClaims());
    this.classes.onUpdate(() => this.enqueueUnboundClaims());
    this.ctx.informers.start();
    await Promise.all([this.claims.start(), this.volumes.start(), this.classes.start()]);
    this.running = runWorkers(this.queue, 8, (key) => this.sync(key), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  async stopped(): Promise<void> {
    await this.running;
  }

  private enqueueUnboundClaims(): void {
    for (const c of this.claims.list()) if (!c.spec?.volumeName) this.queue.add(`claim:${claimKey(c)}`);
  }

  async sync(key: string): Promise<void> {
    const sep = key.indexOf(':');
    const kind = key.slice(0, sep);
    const rest = key.slice(sep + 1);
    if (kind === 'volume') return this.syncVolume(rest);
    const [namespace, name] = rest.split('/');
    const pvc = this.claims.get(namespace, name);
    if (!pvc) return;
    await this.syncClaim(pvc);
  }

  private async syncClaim(pvc: PersistentVolumeClaim): Promise<void> {
    const action = planClaim(pvc, this.volumes.list(), this.classes.list());
    if (!action) return;
    const ns = pvc.metadata?.namespace;
    const name = pvc.metadata?.name ?? '';
    const client = this.ctx.client;
    switch (action.type) {
      case 'SetDefaultClass':
        await client.patch(Resources.persistentvolumeclaims, ns, name, { metadata: { resourceVersion: pvc.metadata?.resourceVersion }, spec: { storageClassName: action.className } }, 'merge');
        return;
      case 'Provision':
        await client.patch(Resources.persistentvolumeclaims, ns, name, { metadata: { annotations: { [StorageProvisionerAnnotation]: action.provisioner, [BetaStorageProvisionerAnnotation]: action.provisioner } } }, 'merge');
        this.report(pvc, 'Normal', 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${action.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
        return;
      case 'Wait':
        this.report(pvc, action.eventType, action.reason, action.message);
        return;
      case 'MarkLost':
        await client.patch(Resources.persistentvolumeclaims, ns, name, { status: { phase: 'Lost' } }, 'merge', 'status');
        this.ctx.recorder.event(pvc, 'Warning', 'ClaimLost', action.message);
        return;
      case 'Bind':
      case 'MarkBound':
        await this.bind(pvc, action.volume, action.type === 'Bind');
        return;
    }
  }

  /** Kubernetes' bind(): volume → claim, each step skipped when already done. */
  private async bind(pvc: PersistentVolumeClaim, pv: PersistentVolume, setClaimRef: boolean): Promise<void> {
    const client = this.ctx.client;
    const pvName = pv.metadata?.name ?? '';
    let volume = pv;
    // As Kubernetes' bindVolumeToClaim: the volume is written only when its claimRef does not already name
    // this claim by uid (a provisioned volume comes with it: no write, no conflict with its provisioner).
    const ref = pv.spec?.claimRef;
    const refComplete = !!ref?.uid && ref.uid === pvc.metadata?.uid && ref.name === pvc.metadata?.name && (ref.namespace ?? '') === (pvc.metadata?.namespace ?? '');
    if ((setClaimRef || !ref?.uid) && !refComplete) {
      const preBound = !!pv.spec?.claimRef;
      volume = await client.update<PersistentVolume>(Resources.persistentvolumes, {
        ...pv,
        metadata: { ...pv.metadata, annotations: { ...(pv.metadata?.annotations ?? {}), ...(preBound ? {} : { [BoundByControllerAnnotation]: 'yes' }) } },
        spec: {
          ...pv.spec,
          claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: pvc.metadata?.namespace, name: pvc.metadata?.name, uid: pvc.metadata?.uid, resourceVersion: pvc.metadata?.resourceVersion },
        },
      });
    }
    if (volume.status?.phase !== 'Bound') volume = await client.update<PersistentVolume>(Resources.persistentvolumes, { ...volume, status: { ...volume.status, phase: 'Bound' } }, 'status');
    let claim = pvc;
    if (pvc.spec?.volumeName !== pvName || pvc.metadata?.annotations?.[BindCompletedAnnotation] !== 'yes') {
      claim = await client.update<PersistentVolumeClaim>(Resources.persistentvolumeclaims, {
        ...pvc,
        metadata: {
          ...pvc.metadata,
          annotations: { ...(pvc.metadata?.annotations ?? {}), [BindCompletedAnnotation]: 'yes', ...(pvc.spec?.volumeName ? {} : { [BoundByControllerAnnotation]: 'yes' }) },
        },
        spec: { ...pvc.spec, volumeName: pvName },
      });
    }
    const capacity = volume.spec?.capacity ?? {};
    if (claim.status?.phase !== 'Bound' || String(claim.status.capacity?.storage ?? '') !== String(capacity.storage ?? '')) {
      await client.update<PersistentVolumeClaim>(Resources.persistentvolumeclaims, { ...claim, status: { ...claim.status, phase: 'Bound', accessModes: volume.spec?.accessModes, capacity } }, 'status');
    }
    this.reported.delete(claimKey(pvc));
  }

  private report(pvc: PersistentVolumeClaim, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const key = claimKey(pvc);
    if (this.reported.get(key) === `${reason}|${message}`) return;
    this.reported.set(key, `${reason}|${message}`);
    this.ctx.recorder.event({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: pvc.metadata }, type, reason, message);
  }

  private async syncVolume(name: string): Promise<void> {
    const pv = this.volumes.get(undefined, name);
    if (!pv) return;
    const claims = new Map(this.claims.list().map((c) => [claimKey(c), c]));
    const action = planVolume(pv, claims);
    if (!action) return;
    if (action.type === 'Delete') {
      await this.ctx.client.delete(Resources.persistentvolumes, undefined, name, { preconditions: { uid: pv.metadata?.uid } }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
      return;
    }
    await this.ctx.client.update<PersistentVolume>(Resources.persistentvolumes, { ...pv, status: { ...pv.status, phase: action.phase, ...(action.message ? { message: action.message } : {}) } }, 'status');
  }
}
