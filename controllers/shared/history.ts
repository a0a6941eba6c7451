// ControllerRevisions: the template history of DaemonSets and StatefulSets (Kubernetes'
// pkg/controller/history and the daemon/statefulset controllers' snapshot code). Each distinct pod
// template an owner has run is one ControllerRevision named `<owner>-<hash>`, labelled with the owner's
// template labels (so kubectl finds it through the owner's selector), controlled by the owner, and
// numbered: the current template has the highest revision. Rolling back to an old template (`kubectl
// rollout undo`) re-numbers its revision instead of creating a new one. The plan is pure
// (planHistory); RevisionWriter carries it out through the API.
import type { ControllerRevision } from 'kubernetes-types/apps/v1';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1';
import { deepEqual, sortKeysDeep } from '../../lib/api/json';
import { Resources } from '../../lib/api/resources';
import { isAlreadyExists, isNotFound, KubeClient, KubeObject } from '../../lib/client/client';
import { controllerRefOf, newControllerRef } from './controller-ref';
import { computeTemplateHash } from './template-hash';

/** The label pods and revisions carry: the hash of the template they were made from. */
export const ControllerRevisionHashLabel = 'controller-revision-hash';

/**
 * What a revision stores: a strategic merge patch that puts the template back (kubectl sends it on undo).
 * It is written in the form kubectl computes from the owner (a Go round trip of the typed template, so
 * `metadata.creationTimestamp: null`, then keys sorted as Go marshals maps): kubectl's undo compares the
 * bytes to decide "skipped rollback (current template already matches revision N)".
 */
export function revisionData(template: PodTemplateSpec | undefined): { spec: { template: Record<string, unknown> } } {
  const t = template ?? {};
  const metadata = { creationTimestamp: null, ...(t.metadata ?? {}) };
  return sortKeysDeep({ spec: { template: { ...t, metadata, $patch: 'replace' } } });
}

/** Kubernetes' ControllerRevisionName: the prefix is cut so the name stays a valid 253-character name. */
export function revisionName(ownerName: string, hash: string): string {
  const prefix = ownerName.length > 223 ? ownerName.slice(0, 223) : ownerName;
  return `${prefix}-${hash}`;
}

export interface HistoryOwner extends KubeObject {
  spec?: { template?: PodTemplateSpec; revisionHistoryLimit?: number };
  status?: { collisionCount?: number };
}

export interface HistoryInput {
  owner: HistoryOwner;
  apiVersion: string;
  kind: string;
  /** The revisions the owner controls. */
  revisions: ControllerRevision[];
  /** Revision names that must be kept whatever the limit (those live pods were made from, a StatefulSet's current revision). */
  inUse: Set<string>;
}

export interface HistoryPlan {
  /** The revision of the owner's template as it is now (after the plan's writes). */
  update: ControllerRevision;
  /** Its hash: the controller-revision-hash of pods made from it. */
  hash: string;
  /** A revision to create (the template is new)… */
  create?: ControllerRevision;
  /** …or an existing one to give the next number (a rollback to it). */
  renumber?: ControllerRevision;
  /** Old revisions beyond revisionHistoryLimit, oldest first, none in use. */
  delete: ControllerRevision[];
}

export function sortByRevision(revisions: ControllerRevision[]): ControllerRevision[] {
  return [...revisions].sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0) || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}

/** The owner's revisions: the current template's (existing or to be made) and the ones to drop. */
export function planHistory(input: HistoryInput): HistoryPlan {
  const { owner } = input;
  const template = owner.spec?.template;
  const hash = computeTemplateHash(template, owner.status?.collisionCount);
  const name = revisionName(owner.metadata?.name ?? '', hash);
  const data = revisionData(template);
  const sorted = sortByRevision(input.revisions);
  const maxRevision = sorted.length ? (sorted[sorted.length - 1].revision ?? 0) : 0;
  const equal = sorted.filter((r) => r.metadata?.name === name || deepEqual(r.data, data));
  const plan: HistoryPlan = { hash, delete: [], update: undefined as unknown as ControllerRevision };
  const latestEqual = equal[equal.length - 1];
  if (latestEqual) {
    const isLatest = latestEqual === sorted[sorted.length - 1];
    plan.update = isLatest ? latestEqual : { ...latestEqual, revision: maxRevision + 1 };
    if (!isLatest) plan.renumber = plan.update;
  } else {
    plan.create = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name,
        namespace: owner.metadata?.namespace,
        labels: { ...(template?.metadata?.labels ?? {}), [ControllerRevisionHashLabel]: hash },
        ...(owner.metadata?.annotations ? { annotations: { ...owner.metadata.annotations } } : {}),
        ownerReferences: [newControllerRef(owner, input.apiVersion, input.kind)],
      },
      data,
      revision: maxRevision + 1,
    };
    plan.update = plan.create;
  }
  const limit = owner.spec?.revisionHistoryLimit ?? 10;
  const updateName = plan.update.metadata?.name;
  const removable = sorted.filter((r) => r.metadata?.name !== updateName && !input.inUse.has(r.metadata?.name ?? ''));
  const excess = removable.length - limit;
  if (excess > 0) plan.delete = removable.slice(0, excess);
  return plan;
}

/** The revisions among `all` the owner controls (same uid). */
export function ownedRevisions(owner: KubeObject, all: ControllerRevision[]): ControllerRevision[] {
  return all.filter((r) => controllerRefOf(r)?.uid === owner.metadata?.uid);
}

/** A name taken by a revision of other data: the owner must bump status.collisionCount and try again. */
export class RevisionCollisionError extends Error {}

/** Carries a history plan out; returns the current revision as stored. */
export class RevisionWriter {
  constructor(private readonly client: KubeClient) {}

  async apply(plan: HistoryPlan): Promise<ControllerRevision> {
    let current = plan.update;
    if (plan.create) {
      try {
        current = await this.client.create<ControllerRevision>(Resources.controllerrevisions, plan.create.metadata?.namespace, plan.create);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        const existing = await this.client.get<ControllerRevision>(Resources.controllerrevisions, plan.create.metadata?.namespace, plan.create.metadata?.name ?? '');
        // Our own earlier create that the cache has not shown yet: fine. Anything else is a hash collision.
        if (!deepEqual(existing.data, plan.create.data) || controllerRefOf(existing)?.uid !== controllerRefOf(plan.create)?.uid) throw new RevisionCollisionError(`controllerrevision ${plan.create.metadata?.name} exists with other data`);
        current = existing;
      }
    } else if (plan.renumber) {
      current = await this.client.patch<ControllerRevision>(Resources.controllerrevisions, plan.renumber.metadata?.namespace, plan.renumber.metadata?.name ?? '', { revision: plan.renumber.revision }, 'merge');
    }
    await Promise.all(
      plan.delete.map((r) =>
        this.client.delete(Resources.controllerrevisions, r.metadata?.namespace, r.metadata?.name ?? '', { preconditions: { uid: r.metadata?.uid } }).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        }),
      ),
    );
    return current;
  }
}
