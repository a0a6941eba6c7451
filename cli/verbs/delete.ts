// `steer delete`: by file, by name or with --all / -l; kubectl's propagation policies and its wait for
// the objects to be gone.
import { ApiError, KubeClient, KubeList, KubeObject, isNotFound } from '../../lib/client/client';
import { ResourceType, resourcePath } from '../../lib/api/resources';
import { describeError } from '../errors';
import { Streams } from '../io';
import { kindQualifier } from '../printers';

export type Propagation = 'Background' | 'Foreground' | 'Orphan';

/** kubectl's --cascade values (1.20's true/false and the newer background|foreground|orphan). */
export function parseCascade(v: string | undefined): Propagation {
  switch ((v ?? 'background').toLowerCase()) {
    case 'true':
    case 'background':
      return 'Background';
    case 'false':
    case 'orphan':
      return 'Orphan';
    case 'foreground':
      return 'Foreground';
    default:
      throw new Error(`invalid cascade value (${v}). Must be "background", "foreground", or "orphan"`);
  }
}

export interface DeleteTarget {
  resource: ResourceType;
  namespace?: string;
  name: string;
}

export interface DeleteOptions {
  propagation: Propagation;
  wait: boolean;
  gracePeriodSeconds?: number;
  ignoreNotFound?: boolean;
  timeoutMs?: number;
}

/** Every object of a type matching a selector (for --all / -l). */
export async function listTargets(client: KubeClient, resource: ResourceType, namespace: string | undefined, labelSelector?: string): Promise<DeleteTarget[]> {
  const list = await client.list<KubeObject>(resource, { namespace: resource.namespaced ? namespace : undefined, labelSelector });
  return (list.items || []).map((it) => ({ resource, namespace: it.metadata?.namespace, name: it.metadata?.name || '' }));
}

async function waitGone(client: KubeClient, t: DeleteTarget, uid: string | undefined, deadline: number): Promise<void> {
  for (;;) {
    try {
      const obj = await client.get<KubeObject>(t.resource, t.namespace, t.name);
      if (uid && obj.metadata?.uid !== uid) return; // a new object of the same name: ours is gone
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for the condition on ${t.resource.resource}/${t.name}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Deletes the targets, printing `pod "x" deleted` each; false if any failed. */
export async function runDelete(client: KubeClient, targets: DeleteTarget[], o: DeleteOptions, streams: Streams): Promise<boolean> {
  let ok = true;
  const deleted: Array<{ t: DeleteTarget; uid?: string }> = [];
  for (const t of targets) {
    try {
      // The options go in the query, as client-node sends them: lib/client's DELETE body goes out
      // without Content-Length (Node sends none for DELETE), so the server never reads it.
      const res = await client.request<KubeObject>('DELETE', resourcePath(t.resource, { namespace: t.resource.namespaced ? t.namespace : undefined, name: t.name }), {
        query: { propagationPolicy: o.propagation, gracePeriodSeconds: o.gracePeriodSeconds },
      });
      const uid = res && res.kind !== 'Status' ? res.metadata?.uid : undefined;
      deleted.push({ t, uid });
      streams.out(`${kindQualifier(t.resource)} "${t.name}" deleted\n`);
    } catch (err) {
      if (o.ignoreNotFound && isNotFound(err)) continue;
      if (!(err instanceof ApiError)) throw err;
      streams.err(describeError(err) + '\n');
      ok = false;
    }
  }
  if (o.wait) {
    const deadline = Date.now() + (o.timeoutMs ?? 120_000);
    for (const { t, uid } of deleted) await waitGone(client, t, uid, deadline);
  }
  return ok;
}

export type { KubeList };
