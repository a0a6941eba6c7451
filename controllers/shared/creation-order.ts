// Ordering owned objects by age (Kubernetes' ReplicaSetsByCreationTimestamp and friends), shared by the
// Deployment (ReplicaSets) and DaemonSet (pods) controllers. Pure.
import type { KubeObject } from '../../lib/client/client';

function creationMillis(o: KubeObject): number {
  const t = o.metadata?.creationTimestamp;
  return t ? Date.parse(t) : 0;
}

/** Oldest first; ties by name (Kubernetes' ReplicaSetsByCreationTimestamp). */
export function byCreationTimestamp(a: KubeObject, b: KubeObject): number {
  const d = creationMillis(a) - creationMillis(b);
  if (d !== 0) return d;
  const an = a.metadata?.name ?? '';
  const bn = b.metadata?.name ?? '';
  return an < bn ? -1 : an > bn ? 1 : 0;
}
