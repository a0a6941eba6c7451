// The pod's writes to the API (kubelet's status manager): the status fields the agent owns, sent as a
// merge patch of only the fields that differ from what the API has (a full status PUT on a server
// without merge patch), and, once everything of a deleted pod is gone from the node, the final DELETE
// with grace 0 and a uid precondition, so that a new pod of the same name is never the one deleted.
import type { Pod, PodStatus } from 'kubernetes-types/core/v1';
import { ApiError, isNotFound, KubeClient } from '../lib/client/client';
import { Resources } from '../lib/api/resources';
import { deepEqual } from '../lib/api/json';

/** The final delete of a pod object (unit tests of the pod actions record it instead). */
export interface PodDeleter {
  deletePod(pod: Pod): Promise<void>;
}

/**
 * A status value with its null members dropped: the API writes an unset time Go holds by value as null
 * (a condition's lastProbeTime, a container's startedAt) where the agent leaves it out, and the two are
 * the same status (Go's semantic equality sees a zero time either way); without this every sync wrote.
 */
function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = withoutNulls(x);
  return out;
}

export class StatusWriter implements PodDeleter {
  constructor(private readonly client: KubeClient) {}

  /** Writes the status fields that changed; returns the pod as stored when it wrote, else undefined. */
  async writeStatus(pod: Pod, status: PodStatus): Promise<Pod | undefined> {
    const old = (pod.status || {}) as Record<string, unknown>;
    const next = status as Record<string, unknown>;
    const patch: Record<string, unknown> = {};
    for (const k of Object.keys(next)) {
      // Structural: the API answers in kube's field order, which need not be the order built here.
      if (!deepEqual(withoutNulls(old[k]), withoutNulls(next[k]))) patch[k] = next[k];
    }
    if (!Object.keys(patch).length) return undefined;
    const md = pod.metadata!;
    try {
      const updated = await this.client.patch<Pod>(Resources.pods, md.namespace, md.name!, { metadata: { uid: md.uid }, status: patch }, 'merge', 'status');
      return updated?.metadata?.uid === md.uid ? updated : undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      if (err instanceof ApiError && (err.code === 415 || err.code === 405)) {
        // A server without merge patch on status: a full PUT of the status.
        const cur = await this.client.get<Pod>(Resources.pods, md.namespace, md.name!);
        if (cur.metadata?.uid !== md.uid) return undefined;
        return this.client.update<Pod>(Resources.pods, { ...cur, status: { ...cur.status, ...status } }, 'status');
      }
      throw err;
    }
  }

  /** Deletes the pod object now; already gone, or replaced by a new pod of that name, is fine. */
  async deletePod(pod: Pod): Promise<void> {
    const md = pod.metadata!;
    try {
      await this.client.delete(Resources.pods, md.namespace, md.name!, { gracePeriodSeconds: 0, preconditions: { uid: md.uid } });
    } catch (err) {
      // 409: the uid precondition failed, the object is a new pod with the same name. Ours is gone either way.
      if (!isNotFound(err) && !(err instanceof ApiError && err.code === 409)) throw err;
    }
  }
}
