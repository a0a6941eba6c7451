// The ServiceAccount admission plugin (kube's plugin/pkg/admission/serviceaccount): a new pod without
// spec.serviceAccountName runs as `default`; the service account it names must exist (else 403, as
// Kubernetes says it); unless the pod or its service account sets automountServiceAccountToken: false,
// the pod gets the projected volume kube-api-access-<5 random chars> (a 3607 s service-account token,
// the kube-root-ca.crt ConfigMap's ca.crt and the namespace from the downward API) mounted read-only at
// /var/run/secrets/kubernetes.io/serviceaccount in every container and init container that has nothing
// mounted there; and the service account's imagePullSecrets when the pod names none. Mirror pods are
// not changed.
import type { Container, Pod, ServiceAccount, Volume } from 'kubernetes-types/core/v1';
import { Resources } from '../../lib/api/resources';
import type { AdmissionAttributes, AdmissionPlugin } from '../auth/types';
import { errors } from '../errors';
import { randomSuffix } from '../registry/objects';
import type { KObj } from '../storage/types';

export const DefaultServiceAccountName = 'default';
export const ServiceAccountVolumeNamePrefix = 'kube-api-access-';
export const DefaultAPITokenMountPath = '/var/run/secrets/kubernetes.io/serviceaccount';
export const RootCAConfigMapName = 'kube-root-ca.crt';
export const MirrorPodAnnotation = 'kubernetes.io/config.mirror';
/** corev1.ProjectedVolumeSourceDefaultMode (0644). */
export const ProjectedVolumeDefaultMode = 0o644;
/** The kubelet's extended-token lifetime: the apiserver extends such tokens (see auth/serviceaccount). */
export const ServiceAccountTokenExpirationSeconds = 3607;

/** Reads a service account (the apiserver's storage). */
export type ServiceAccountGetter = (namespace: string, name: string) => Promise<KObj | undefined> | KObj | undefined;

export interface ServiceAccountAdmissionOptions {
  getServiceAccount: ServiceAccountGetter;
  /** kube's MountServiceAccountToken (default true); false only fills in the service account. */
  mountServiceAccountToken?: boolean;
  /** How long to wait between lookups of a missing `default` service account (default 100–200 ms). */
  retryIntervalMs?: number;
}

/** The projected volume source kube's TokenVolumeSource() builds. */
export function tokenVolumeSource(): NonNullable<Volume['projected']> {
  return {
    defaultMode: ProjectedVolumeDefaultMode,
    sources: [
      { serviceAccountToken: { path: 'token', expirationSeconds: ServiceAccountTokenExpirationSeconds } },
      { configMap: { name: RootCAConfigMapName, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  };
}

function shouldAutomount(sa: ServiceAccount, pod: Pod): boolean {
  if (pod.spec?.automountServiceAccountToken !== undefined && pod.spec.automountServiceAccountToken !== null) return pod.spec.automountServiceAccountToken;
  if (sa.automountServiceAccountToken !== undefined && sa.automountServiceAccountToken !== null) return sa.automountServiceAccountToken;
  return true;
}

/** Adds the token volume and its mount, as kube's mountServiceAccountToken does. */
export function mountServiceAccountToken(pod: Pod): void {
  const spec = pod.spec!;
  const volumes = spec.volumes ?? [];
  const existing = volumes.find((v) => v.name.startsWith(ServiceAccountVolumeNamePrefix));
  const volumeName = existing?.name ?? `${ServiceAccountVolumeNamePrefix}${randomSuffix()}`;
  let needsVolume = false;
  const mountIn = (containers: Container[] | undefined) => {
    for (const c of containers ?? []) {
      // A mount at the default path already (the user's own token) wins.
      if ((c.volumeMounts ?? []).some((m) => m.mountPath === DefaultAPITokenMountPath)) continue;
      c.volumeMounts = [...(c.volumeMounts ?? []), { name: volumeName, readOnly: true, mountPath: DefaultAPITokenMountPath }];
      needsVolume = true;
    }
  };
  mountIn(spec.initContainers);
  mountIn(spec.containers);
  if (!existing && needsVolume) spec.volumes = [...volumes, { name: volumeName, projected: tokenVolumeSource() }];
}

export class ServiceAccountAdmission implements AdmissionPlugin {
  readonly name = 'ServiceAccount';

  constructor(private readonly o: ServiceAccountAdmissionOptions) {}

  async admit(a: AdmissionAttributes): Promise<void> {
    if (a.rt !== Resources.pods || a.subresource !== '' || a.operation !== 'CREATE' || !a.object) return;
    const pod = a.object as unknown as Pod;
    if (!pod.spec) return; // validation refuses it
    if (pod.metadata?.annotations?.[MirrorPodAnnotation] !== undefined) return;
    if (!pod.spec.serviceAccountName) pod.spec.serviceAccountName = DefaultServiceAccountName;
    const name = pod.spec.serviceAccountName;
    const sa = await this.getServiceAccount(a.namespace, name);
    if (!sa) {
      throw errors.forbidden(Resources.pods, a.name, `error looking up service account ${a.namespace}/${name}: serviceaccount "${name}" not found`);
    }
    if ((this.o.mountServiceAccountToken ?? true) && shouldAutomount(sa, pod)) mountServiceAccountToken(pod);
    if (!pod.spec.imagePullSecrets?.length && sa.imagePullSecrets?.length) {
      pod.spec.imagePullSecrets = sa.imagePullSecrets.map((s) => ({ name: s.name }));
    }
  }

  /**
   * The service account, looked up again a few times when it is `default` (kube: the service-account
   * controller may be about to create it; in steer the apiserver creates it with the namespace and
   * re-creates it when deleted, so the retries only cover that moment).
   */
  private async getServiceAccount(namespace: string, name: string): Promise<ServiceAccount | undefined> {
    const attempts = name === DefaultServiceAccountName ? 10 : 1;
    const interval = this.o.retryIntervalMs ?? 100 + Math.floor(Math.random() * 100);
    for (let i = 0; i < attempts; i++) {
      if (i) await new Promise((r) => setTimeout(r, interval));
      const sa = await this.o.getServiceAccount(namespace, name);
      if (sa) return sa as unknown as ServiceAccount;
    }
    return undefined;
  }
}
