// The DefaultStorageClass admission plugin (kube's plugin/pkg/admission/storage/storageclass/setdefault):
// a PersistentVolumeClaim created without a class — no spec.storageClassName and no beta
// `volume.beta.kubernetes.io/storage-class` annotation — gets the default StorageClass (the one annotated
// `storageclass.kubernetes.io/is-default-class: "true"`; of several, the newest, as Kubernetes 1.28+). An
// explicit `storageClassName: ""` means "no class" and is left alone; with no default class the claim stays
// classless (the binder's retroactive default may set it later). Only creates, never subresources.
import type { PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { Resources } from '../../lib/api/resources';
import { defaultStorageClass } from '../../lib/api/storage';
import type { AdmissionAttributes, AdmissionPlugin } from '../auth/types';

export const BetaStorageClassAnnotation = 'volume.beta.kubernetes.io/storage-class';

export interface DefaultStorageClassAdmissionOptions {
  listStorageClasses: () => Promise<StorageClass[]>;
}

/** kube's PersistentVolumeClaimHasClass: the claim states a class, even the empty one. */
export function claimHasClass(pvc: PersistentVolumeClaim): boolean {
  if (pvc.metadata?.annotations?.[BetaStorageClassAnnotation] !== undefined) return true;
  return pvc.spec?.storageClassName !== undefined && pvc.spec.storageClassName !== null;
}

export class DefaultStorageClassAdmission implements AdmissionPlugin {
  readonly name = 'DefaultStorageClass';
  constructor(private readonly o: DefaultStorageClassAdmissionOptions) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.rt !== Resources.persistentvolumeclaims || a.subresource !== '' || a.operation !== 'CREATE' || !a.object) return;
    const pvc = a.object as unknown as PersistentVolumeClaim;
    if (claimHasClass(pvc)) return;
    const def = defaultStorageClass(await this.o.listStorageClasses());
    if (!def?.metadata?.name) return;
    pvc.spec = { ...pvc.spec, storageClassName: def.metadata.name };
  }
}
