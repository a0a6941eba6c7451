// Controller references, after Kubernetes' pkg/controller/controller_ref_manager.go: who controls an
// object, which owners may adopt an orphan, and the one claim every owner makes over the objects its
// selector matches (ReplicaSets and Jobs over pods, Deployments over ReplicaSets, DaemonSets over pods).
// The claim decision (adopt / release / keep) is pure; applyClaim carries it out through a patch
// function the caller supplies (a PodControl for pods, the API client for other kinds), always as a
// merge patch of ownerReferences carrying the object's uid and resourceVersion, so a patch computed
// from a stale cache fails with a conflict instead of overwriting someone else's references.
import type { LabelSelector, OwnerReference } from 'kubernetes-types/meta/v1';
import { isNotFound, KubeClient, KubeObject } from '../../lib/client/client';
import type { ResourceType } from '../../lib/api/resources';
import { LabelRequirement, matchesLabels, selectorFromLabelSelector } from '../../lib/api/selectors';

export function controllerRefOf(o: { metadata?: { ownerReferences?: OwnerReference[] } }): OwnerReference | undefined {
  return o.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** What the owner lookups below need of an informer. */
export interface OwnerLister<T extends KubeObject> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string): T[];
}

/**
 * The owner of `kind` that controls `o` through its controller reference, if the lister still holds that
 * very object: same name and uid (a re-created owner of the same name does not own the old one's objects).
 */
export function controllingOwner<T extends KubeObject>(o: KubeObject, kind: string, owners: OwnerLister<T>): T | undefined {
  const ref = controllerRefOf(o);
  if (!ref || ref.kind !== kind) return undefined;
  const owner = owners.get(o.metadata?.namespace, ref.name);
  return owner && owner.metadata?.uid === ref.uid ? owner : undefined;
}

/** The owners in `o`'s namespace whose spec.selector matches its labels: who may adopt it as an orphan. */
export function ownersSelecting<T extends KubeObject & { spec?: { selector?: LabelSelector } }>(o: KubeObject, owners: OwnerLister<T>): T[] {
  const labels = o.metadata?.labels ?? {};
  return owners.list(o.metadata?.namespace).filter((owner) => {
    try {
      return matchesLabels(selectorFromLabelSelector(owner.spec?.selector), labels);
    } catch {
      return false; // an invalid selector adopts nothing
    }
  });
}

/** The controller reference an owner puts on what it creates or adopts (blocking its foreground deletion). */
export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface ClaimResult<T> {
  /** Controlled by the owner and still matching (including those to adopt). */
  owned: T[];
  /** Orphans that match: take them (add our controller reference). */
  adopt: T[];
  /** Controlled by the owner but no longer matching: let them go. */
  release: T[];
}

export interface ClaimOptions<T> {
  /** Orphans that fail this are left alone even when they match (ReplicaSets and Jobs never adopt finished pods). */
  adoptable?: (o: T) => boolean;
}

/**
 * Kubernetes' ControllerRefManager.Claim as a pure function: objects in other namespaces or controlled by
 * someone else are ignored; ours that stop matching are released (unless the owner is being deleted, when
 * it keeps them all); matching orphans are adopted (unless the owner or the orphan is being deleted).
 */
export function claimObjects<T extends KubeObject>(owner: KubeObject, selector: LabelRequirement[], objects: T[], opts: ClaimOptions<T> = {}): ClaimResult<T> {
  const ownerUid = owner.metadata?.uid;
  const ownerNamespace = owner.metadata?.namespace;
  const ownerDeleting = !!owner.metadata?.deletionTimestamp;
  const res: ClaimResult<T> = { owned: [], adopt: [], release: [] };
  for (const o of objects) {
    if (ownerNamespace && o.metadata?.namespace !== ownerNamespace) continue;
    const ref = controllerRefOf(o);
    const matches = matchesLabels(selector, o.metadata?.labels ?? {});
    if (ref) {
      if (ref.uid !== ownerUid) continue;
      if (matches || ownerDeleting) res.owned.push(o);
      else res.release.push(o);
      continue;
    }
    if (!matches || ownerDeleting || o.metadata?.deletionTimestamp) continue;
    if (opts.adoptable && !opts.adoptable(o)) continue;
    res.adopt.push(o);
    res.owned.push(o);
  }
  return res;
}

/** The body of an adopt or release: a JSON merge patch of ownerReferences, conditional on the object's resourceVersion. */
export interface OwnerReferencesPatch {
  metadata: { uid?: string; resourceVersion?: string; ownerReferences: OwnerReference[] | null };
}

/** Adds (or replaces) the owner's controller reference, keeping the object's other references. */
export function adoptPatch(o: KubeObject, ref: OwnerReference): OwnerReferencesPatch {
  const others = (o.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ref.uid);
  return { metadata: { uid: o.metadata?.uid, resourceVersion: o.metadata?.resourceVersion, ownerReferences: [...others, ref] } };
}

/** Drops the owner's reference; the field goes away with the last reference. */
export function releasePatch(o: KubeObject, ownerUid: string | undefined): OwnerReferencesPatch {
  const rest = (o.metadata?.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
  return { metadata: { uid: o.metadata?.uid, resourceVersion: o.metadata?.resourceVersion, ownerReferences: rest.length ? rest : null } };
}

/** Writes an ownerReferences patch to one object; resolves with the object as stored. */
export type PatchOwnerReferences<T> = (o: T, patch: OwnerReferencesPatch) => Promise<T>;

/** The API write behind adopt and release for objects of one resource. */
export function ownerReferencesPatcher<T extends KubeObject>(client: KubeClient, resource: ResourceType): PatchOwnerReferences<T> {
  return (o, patch) => client.patch<T>(resource, o.metadata?.namespace, o.metadata?.name ?? '', patch, 'merge');
}

/**
 * Kubernetes' RecheckDeletionTimestamp: before adopting, read the owner afresh from the API, so that an
 * owner deleted (or being deleted) since the cache saw it adopts nothing.
 */
export function ownerStillActive(client: KubeClient, resource: ResourceType, owner: KubeObject): () => Promise<boolean> {
  return async () => {
    let fresh: KubeObject;
    try {
      fresh = await client.get<KubeObject>(resource, owner.metadata?.namespace, owner.metadata?.name ?? '');
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    return fresh.metadata?.uid === owner.metadata?.uid && !fresh.metadata?.deletionTimestamp;
  };
}

export interface ApplyClaimOptions {
  /** Asked once, before the first adoption; false: adopt nothing this time (see ownerStillActive). */
  canAdopt?: () => Promise<boolean>;
}

/**
 * Carries out a claim: patches the controller reference onto each orphan to adopt and off each object to
 * release. Returns the owned objects, adopted ones as the API stored them; an object that vanished
 * meanwhile is dropped. Any other failure (a conflict from a stale cache included) is thrown, so the
 * sync is retried with a fresh cache.
 */
export async function applyClaim<T extends KubeObject>(
  claim: ClaimResult<T>,
  ref: OwnerReference,
  patch: PatchOwnerReferences<T>,
  opts: ApplyClaimOptions = {},
): Promise<T[]> {
  const owned = new Map(claim.owned.map((o) => [o, o]));
  if (claim.adopt.length > 0) {
    const canAdopt = opts.canAdopt ? await opts.canAdopt() : true;
    for (const o of claim.adopt) {
      if (!canAdopt) {
        owned.delete(o);
        continue;
      }
      try {
        owned.set(o, await patch(o, adoptPatch(o, ref)));
      } catch (err) {
        if (!isNotFound(err)) throw err;
        owned.delete(o);
      }
    }
  }
  for (const o of claim.release) {
    try {
      await patch(o, releasePatch(o, ref.uid));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return [...owned.values()];
}
