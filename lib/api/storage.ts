// Storage names and small rules shared by the apiserver, the controllers, the scheduler and the node
// agent: the annotations and finalizers Kubernetes' volume machinery uses, the default-class test, and
// the PV ↔ PVC match predicates (access modes, size, class, selector, node affinity). Pure, no I/O.
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1';
import type { StorageClass } from 'kubernetes-types/storage/v1';
import { compileTerm, type NodeFacts, termMatches } from './node-affinity';
import { compareQuantities } from './quantity';
import { type LabelRequirement, matchesLabels, selectorFromLabelSelector } from './selectors';
import { newestDefault } from './default-class';

/** StorageObjectInUseProtection's finalizers. */
export const PvcProtectionFinalizer = 'kubernetes.io/pvc-protection';
export const PvProtectionFinalizer = 'kubernetes.io/pv-protection';
/** The default StorageClass marker (and its beta spelling, still honoured by Kubernetes). */
export const IsDefaultClassAnnotation = 'storageclass.kubernetes.io/is-default-class';
export const BetaIsDefaultClassAnnotation = 'storageclass.beta.kubernetes.io/is-default-class';
/** Set by the scheduler on a WaitForFirstConsumer claim: the node its first pod goes to. */
export const SelectedNodeAnnotation = 'volume.kubernetes.io/selected-node';
/** Set by the binder on a claim it hands to a dynamic provisioner (and the older beta key). */
export const StorageProvisionerAnnotation = 'volume.kubernetes.io/storage-provisioner';
export const BetaStorageProvisionerAnnotation = 'volume.beta.kubernetes.io/storage-provisioner';
/** Set on a PV by the provisioner that made it. */
export const ProvisionedByAnnotation = 'pv.kubernetes.io/provisioned-by';
/** The binder's bookkeeping annotations on claims and volumes. */
export const BindCompletedAnnotation = 'pv.kubernetes.io/bind-completed';
export const BoundByControllerAnnotation = 'pv.kubernetes.io/bound-by-controller';
/** steer's built-in dynamic provisioner, the default class's provisioner (k3s: rancher.io/local-path). */
export const LocalPathProvisioner = 'steer.io/local-path';
export const LocalPathClassName = 'local-path';
/** On a Node: the directory under which its agent keeps local-path volumes (one directory per PV name). */
export const LocalPathRootAnnotation = 'steer.io/local-path-root';

export function isDefaultClass(sc: StorageClass): boolean {
  const a = sc.metadata?.annotations ?? {};
  return a[IsDefaultClassAnnotation] === 'true' || a[BetaIsDefaultClassAnnotation] === 'true';
}

/** The default class when exactly one… or, as Kubernetes 1.26+, the newest of several defaults. */
export function defaultStorageClass(classes: StorageClass[]): StorageClass | undefined {
  return newestDefault(classes, isDefaultClass);
}

/** The class a claim asks for ('' = no class: only volumes without one). */
export function claimClass(pvc: PersistentVolumeClaim): string {
  return pvc.spec?.storageClassName ?? pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';
}

export function volumeClass(pv: PersistentVolume): string {
  return pv.spec?.storageClassName ?? pv.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';
}

/** The storage a claim requests ("0" when absent). */
export function requestedStorage(pvc: PersistentVolumeClaim): string {
  return String(pvc.spec?.resources?.requests?.storage ?? '0');
}

/** Every access mode the claim asks for is offered by the volume (Kubernetes' checkAccessModes). */
export function accessModesSatisfied(pvc: PersistentVolumeClaim, pv: PersistentVolume): boolean {
  const offered = new Set(pv.spec?.accessModes ?? []);
  return (pvc.spec?.accessModes ?? []).every((m) => offered.has(m));
}

export function capacityFits(pvc: PersistentVolumeClaim, pv: PersistentVolume): boolean {
  const cap = pv.spec?.capacity?.storage;
  if (cap === undefined) return false;
  try {
    return compareQuantities(String(cap), requestedStorage(pvc)) >= 0;
  } catch {
    return false;
  }
}

/** The volume's claimRef names this claim (by uid when the ref has one). */
export function claimRefMatches(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref) return false;
  if (ref.name !== pvc.metadata?.name || (ref.namespace ?? '') !== (pvc.metadata?.namespace ?? '')) return false;
  return !ref.uid || ref.uid === pvc.metadata?.uid;
}

export function claimKey(pvc: PersistentVolumeClaim): string {
  return `${pvc.metadata?.namespace ?? ''}/${pvc.metadata?.name ?? ''}`;
}

interface PodVolumesShape {
  metadata?: { name?: string; uid?: string };
  spec?: { volumes?: Array<{ name: string; persistentVolumeClaim?: { claimName: string }; ephemeral?: unknown }> };
}

/**
 * The claim behind one of a pod's volumes: a persistentVolumeClaim's claimName, or for a generic
 * ephemeral volume the claim its controller makes, `<pod>-<volume>` (kube's ephemeral.VolumeClaimName);
 * undefined for other volumes.
 */
export function volumeClaimName(pod: PodVolumesShape, v: { name: string; persistentVolumeClaim?: { claimName: string }; ephemeral?: unknown }): string | undefined {
  if (v.persistentVolumeClaim?.claimName) return v.persistentVolumeClaim.claimName;
  return v.ephemeral ? `${pod.metadata?.name ?? ''}-${v.name}` : undefined;
}

/** The claim names of a pod's PVC volumes (ephemeral volumes' claims are `<pod>-<volume>`). */
export function podClaimNames(pod: PodVolumesShape): string[] {
  const out: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    const name = volumeClaimName(pod, v);
    if (name) out.push(name);
  }
  return out;
}

/**
 * kube's ephemeral.VolumeIsForPod: an ephemeral volume's claim may be used only when the pod controls it
 * (the ephemeral volume controller made it for this very pod), never a claim of the same name made by
 * someone else or for an earlier pod of the same name. Undefined when it may be used, else kube's message.
 */
export function ephemeralClaimNotForPod(pod: { metadata?: { namespace?: string; name?: string; uid?: string } }, pvc: PersistentVolumeClaim): string | undefined {
  const controller = pvc.metadata?.ownerReferences?.find((r) => r.controller);
  if (controller?.uid && controller.uid === pod.metadata?.uid) return undefined;
  return `PVC ${pvc.metadata?.namespace}/${pvc.metadata?.name} was not created for pod ${pod.metadata?.namespace}/${pod.metadata?.name} (pod is not owner)`;
}

/** The volume may be used on this node: its required node affinity (terms ORed) matches, or it has none. */
export function volumeNodeAffinityMatches(pv: PersistentVolume, node: NodeFacts): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return true;
  return terms.some((t) => termMatches(compileTerm(t), node));
}

export interface MatchOptions {
  /** Only volumes usable on this node (the scheduler's delayed binding). */
  node?: NodeFacts;
  /** Volumes taken meanwhile by other claims (the scheduler's assumed bindings). */
  taken?: Set<string>;
}

/**
 * The volume to bind a claim to (Kubernetes' FindMatchingVolume): one pre-bound to the claim if any,
 * else the smallest available volume of the claim's class that has its access modes, volume mode and
 * size, whose labels match the claim's selector.
 */
export function findMatchingVolume(pvc: PersistentVolumeClaim, volumes: PersistentVolume[], opts: MatchOptions = {}): PersistentVolume | undefined {
  const cls = claimClass(pvc);
  let selector: LabelRequirement[] | undefined;
  try {
    selector = pvc.spec?.selector ? selectorFromLabelSelector(pvc.spec.selector) : undefined;
  } catch {
    return undefined;
  }
  let best: PersistentVolume | undefined;
  for (const pv of volumes) {
    if (pv.metadata?.deletionTimestamp) continue;
    if (opts.taken?.has(pv.metadata?.name ?? '')) continue;
    if (opts.node && !volumeNodeAffinityMatches(pv, opts.node)) continue;
    const ref = pv.spec?.claimRef;
    const preBound = ref && claimRefMatches(pv, pvc);
    if (ref && !preBound) continue;
    if ((pv.spec?.volumeMode ?? 'Filesystem') !== (pvc.spec?.volumeMode ?? 'Filesystem')) continue;
    if (!accessModesSatisfied(pvc, pv) || !capacityFits(pvc, pv)) continue;
    if (preBound) return pv;
    if (pv.status?.phase && pv.status.phase !== 'Available' && pv.status.phase !== 'Pending') continue;
    if (volumeClass(pv) !== cls) continue;
    if (selector && !matchesLabels(selector, pv.metadata?.labels ?? {})) continue;
    if (!best || compareQuantities(String(pv.spec?.capacity?.storage), String(best.spec?.capacity?.storage)) < 0) best = pv;
  }
  return best;
}
