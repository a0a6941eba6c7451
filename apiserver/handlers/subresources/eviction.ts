// pods/eviction: POST an Eviction (policy/v1 or v1beta1) to delete a pod with the grace period and
// preconditions of its deleteOptions, unless a PodDisruptionBudget forbids it: then 429 TooManyRequests
// with kube's DisruptionBudget cause. An allowed eviction first takes one disruption from the budget's
// status (disruptionsAllowed - 1, the pod in disruptedPods) so that concurrent evictions cannot
// overdraw it; the disruption controller recomputes the status afterwards (lib/api/disruption.ts).
import type { Pod } from 'kubernetes-types/core/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { budgetsCovering, decideEviction, DisruptionBudgetCause } from '../../../lib/api/disruption';
import { Resources } from '../../../lib/api/resources';
import { disruptionTarget, podConditionUpdate } from '../../../lib/api/pod';
import { rfc3339 } from '../../../lib/api/time';
import { ApiStatusError, errors } from '../../errors';
import { isPlainObject } from '../../registry/objects';
import type { DeleteOptions, Registry, WriteContext } from '../../registry/registry';
import type { KObj } from '../../storage/types';
import { parseBody, sendCreatedStatus, writeContext } from '../request';
import type { ObjectRequest } from '.';

const MAX_ATTEMPTS = 5;

/** Applies the eviction decision; a budget written concurrently is read again and decided anew. */
async function checkBudgets(registry: Registry, namespace: string, name: string, ctx: WriteContext): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const pod = (await registry.get(Resources.pods, namespace, name)).obj as Pod;
    const pdbs = (await registry.list(Resources.poddisruptionbudgets, namespace, {})).items.map((s) => s.obj as PodDisruptionBudget);
    const decision = decideEviction(pod, budgetsCovering(pod, pdbs), new Date());
    if (decision.kind === 'delete') return;
    if (decision.kind === 'refuse') {
      if (decision.code === 429) {
        throw new ApiStatusError(429, 'TooManyRequests', decision.message, { causes: decision.cause ? [{ reason: DisruptionBudgetCause, message: decision.cause }] : [] });
      }
      if (decision.code === 403) throw errors.forbidden(Resources.poddisruptionbudgets, decision.budget ?? '', decision.message);
      throw errors.internal(decision.message);
    }
    if (ctx.dryRun) return;
    const pdbName = decision.pdb.metadata?.name ?? '';
    const rv = Number(decision.pdb.metadata?.resourceVersion);
    try {
      await registry.guaranteedUpdate(
        Resources.poddisruptionbudgets,
        namespace,
        pdbName,
        (copy) => ({ ...copy, status: decision.status as KObj['status'] }),
        {},
        'status',
        () => rv,
      );
      return;
    } catch (err) {
      if (err instanceof ApiStatusError && err.code === 409) continue;
      throw err;
    }
  }
  throw new ApiStatusError(429, 'TooManyRequests', 'Cannot evict pod as it would violate the pod\'s disruption budget.', { causes: [{ reason: DisruptionBudgetCause, message: 'the disruption budget changed too often while the eviction was decided; try again' }] });
}

/**
 * kube's eviction REST: the pod gets DisruptionTarget (EvictionByEvictionAPI) before it is deleted, so a
 * Job's podFailurePolicy can tell a drain from the pod's own failure. A pod whose uid the eviction's
 * preconditions do not name is left to the delete's own 409.
 */
async function markEvicted(registry: Registry, namespace: string, name: string, uid: string | undefined): Promise<void> {
  await registry.guaranteedUpdate(
    Resources.pods,
    namespace,
    name,
    (copy) => {
      const pod = copy as unknown as Pod;
      if (uid && pod.metadata?.uid !== uid) return copy;
      const condition = podConditionUpdate(pod, disruptionTarget('EvictionByEvictionAPI', 'Eviction API: evicting', rfc3339()));
      if (!condition) return copy;
      const conditions = [...(pod.status?.conditions ?? []).filter((c) => c.type !== condition.type), condition];
      return { ...copy, status: { ...(copy.status as object), conditions } } as KObj;
    },
    // The apiserver's own write, as kube's eviction updates the store directly.
    {},
    'status',
  );
}

export async function serveEviction({ req, res, registry, namespace, name }: ObjectRequest): Promise<void> {
  if (req.method !== 'POST') throw errors.methodNotAllowed(req.method, 'pods/eviction');
  const ctx = writeContext(req, res);
  const body = parseBody(req);
  const evictionName = isPlainObject(body) && isPlainObject(body.metadata) ? body.metadata.name : undefined;
  if (typeof evictionName === 'string' && evictionName !== '' && evictionName !== name) throw errors.badRequest('name in URL does not match name in Eviction object');
  const delOpts = isPlainObject(body) && isPlainObject(body.deleteOptions) ? (body.deleteOptions as DeleteOptions) : {};
  await checkBudgets(registry, namespace!, name, ctx);
  if (!ctx.dryRun) await markEvicted(registry, namespace!, name, delOpts.preconditions?.uid);
  await registry.delete(Resources.pods, namespace, name, { gracePeriodSeconds: delOpts.gracePeriodSeconds, preconditions: delOpts.preconditions }, ctx);
  return sendCreatedStatus(res);
}
