// Rollback. `kubectl rollout undo` on apps/v1 works client-side: kubectl copies an older ReplicaSet's
// template (and annotations) back into the Deployment. The controller then finds that ReplicaSet as the
// one matching the template (findNewReplicaSet), re-uses it and raises its revision above all others
// (getAllReplicaSetsAndSyncRevision), recording the old number in revision-history.
// Kubernetes also still honours the `deprecated.deployment.rollback.to` annotation (the old
// spec.rollbackTo); that server-side path lives here.
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1';
import type { SyncState } from './state';
import { annotationsToSkip, equalIgnoreHash, lastRevision, revisionOf, RollbackToAnnotation, templateWithoutHash } from './util';

/** The revision asked for by the rollback annotation; undefined when there is none. */
export function rollbackTo(d: Deployment): number | undefined {
  const v = d.metadata?.annotations?.[RollbackToAnnotation];
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

/** The ReplicaSet holding a revision; revision 0 means the one before the current. */
export function findRevision(rss: ReplicaSet[], revision: number): ReplicaSet | undefined {
  const want = revision === 0 ? lastRevision(rss) : revision;
  if (want === 0) return undefined;
  return rss.find((rs) => revisionOf(rs) === want);
}

/**
 * The Deployment rolled back to a ReplicaSet: its template without the hash label, and the ReplicaSet's
 * annotations (those the Deployment machinery owns excepted), as kubectl's rollback writes them.
 */
export function deploymentRolledBackTo(d: Deployment, rs: ReplicaSet): Deployment {
  const next = structuredClone(d);
  next.spec!.template = templateWithoutHash(rs.spec?.template);
  const ann = { ...(next.metadata?.annotations ?? {}) };
  for (const [k, v] of Object.entries(rs.metadata?.annotations ?? {})) {
    if (!annotationsToSkip.has(k)) ann[k] = v;
  }
  (next.metadata ??= {}).annotations = ann;
  return next;
}

/** Performs a rollback requested through the annotation; always clears the annotation. */
export function rollback(s: SyncState): void {
  const d = s.d;
  const revision = rollbackTo(d) ?? 0;
  const target = findRevision(s.replicaSets(), revision);
  let next = structuredClone(d);
  if (!target) {
    s.event('Warning', 'RollbackRevisionNotFound', revision === 0 ? 'Unable to find last revision.' : `Unable to find the revision to rollback to.`);
  } else if (equalIgnoreHash(d.spec?.template, target.spec?.template)) {
    s.event('Warning', 'RollbackTemplateUnchanged', `The rollback revision contains the same template as current deployment "${d.metadata?.name}"`);
  } else {
    next = deploymentRolledBackTo(d, target);
    s.event('Normal', 'DeploymentRollback', `Rolled back deployment "${d.metadata?.name}" to revision ${revisionOf(target)}`);
  }
  delete next.metadata?.annotations?.[RollbackToAnnotation];
  delete next.status;
  s.updateDeployment(next);
}
