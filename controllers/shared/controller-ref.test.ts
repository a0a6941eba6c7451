import type { Pod } from 'kubernetes-types/core/v1';
import type { OwnerReference } from 'kubernetes-types/meta/v1';
import { ApiError } from '../../lib/client/client';
import { selectorFromLabelSelector } from '../../lib/api/selectors';
import { deployment, replicaSet } from '../../test/fixtures/deployments';
import { adoptPatch, applyClaim, claimObjects, newControllerRef, OwnerReferencesPatch, releasePatch } from './controller-ref';

describe('claimObjects', () => {
  const d = deployment();
  const sel = selectorFromLabelSelector(d.spec!.selector);
  const mine = replicaSet(d, { image: 'a', replicas: 1 });
  const orphan = { ...replicaSet(d, { image: 'b', replicas: 1 }), metadata: { ...replicaSet(d, { image: 'b', replicas: 1 }).metadata, ownerReferences: [] } };
  const foreign = replicaSet(deployment({ name: 'other' }), { image: 'c', replicas: 1 });
  foreign.metadata!.labels = { app: 'web' };
  const strayed = replicaSet(d, { image: 'd', replicas: 1 });
  strayed.metadata!.labels = { app: 'elsewhere' };
  const deletingOrphan = structuredClone(orphan);
  deletingOrphan.metadata!.name = 'dying';
  deletingOrphan.metadata!.deletionTimestamp = '2026-01-01T00:00:00Z';

  test('keeps own, adopts matching orphans, releases non-matching own, ignores foreign', () => {
    const r = claimObjects(d, sel, [mine, orphan, foreign, strayed, deletingOrphan]);
    expect(r.owned.map((o) => o.metadata?.name)).toEqual([mine.metadata?.name, orphan.metadata?.name]);
    expect(r.adopt.map((o) => o.metadata?.name)).toEqual([orphan.metadata?.name]);
    expect(r.release.map((o) => o.metadata?.name)).toEqual([strayed.metadata?.name]);
  });
  test('an owner being deleted adopts nothing and releases nothing', () => {
    const dying = { ...d, metadata: { ...d.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    const r = claimObjects(dying, sel, [mine, orphan, strayed]);
    expect(r.adopt).toEqual([]);
    expect(r.release).toEqual([]);
    expect(r.owned.length).toBe(2);
  });
});

describe('claimObjects over pods', () => {
  const owner = { metadata: { name: 'web', namespace: 'default', uid: 'rs-uid' } };
  const sel = selectorFromLabelSelector({ matchLabels: { app: 'web' } });
  const pod = (name: string, o: { ns?: string; owner?: string; phase?: string } = {}): Pod => ({
    metadata: {
      name,
      namespace: o.ns ?? 'default',
      uid: `uid-${name}`,
      labels: { app: 'web' },
      ownerReferences: o.owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: o.owner, controller: true }] : undefined,
    },
    status: { phase: o.phase ?? 'Running' },
  });

  test('objects of another namespace are never claimed', () => {
    const r = claimObjects(owner, sel, [pod('a', { ns: 'other' }), pod('b', { ns: 'other', owner: 'rs-uid' })]);
    expect(r).toEqual({ owned: [], adopt: [], release: [] });
  });

  test('an adoptable filter leaves some orphans alone, but not what is already owned', () => {
    const finished = (p: Pod) => p.status?.phase === 'Succeeded';
    const r = claimObjects(owner, sel, [pod('done', { phase: 'Succeeded' }), pod('run'), pod('mine-done', { owner: 'rs-uid', phase: 'Succeeded' })], { adoptable: (p) => !finished(p) });
    expect(r.adopt.map((p) => p.metadata?.name)).toEqual(['run']);
    expect(r.owned.map((p) => p.metadata?.name)).toEqual(['run', 'mine-done']);
  });
});

describe('adopt and release patches', () => {
  const ref = newControllerRef({ metadata: { name: 'web', uid: 'rs-uid' } }, 'apps/v1', 'ReplicaSet');
  const other: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', uid: 'cm-uid' };
  const pod: Pod = { metadata: { name: 'p', uid: 'p-uid', resourceVersion: '7', ownerReferences: [other] } };

  test('adopting keeps the other references and is conditional on uid and resourceVersion', () => {
    expect(adoptPatch(pod, ref)).toEqual({ metadata: { uid: 'p-uid', resourceVersion: '7', ownerReferences: [other, ref] } });
  });

  test('releasing drops only our reference, and the field with the last one', () => {
    const both: Pod = { metadata: { ...pod.metadata, ownerReferences: [other, ref] } };
    expect(releasePatch(both, 'rs-uid')).toEqual({ metadata: { uid: 'p-uid', resourceVersion: '7', ownerReferences: [other] } });
    const ours: Pod = { metadata: { ...pod.metadata, ownerReferences: [ref] } };
    expect(releasePatch(ours, 'rs-uid').metadata.ownerReferences).toBeNull();
  });
});

describe('applyClaim', () => {
  const ref = newControllerRef({ metadata: { name: 'web', uid: 'rs-uid' } }, 'apps/v1', 'ReplicaSet');
  const pod = (name: string): Pod => ({ metadata: { name, uid: `uid-${name}`, resourceVersion: '1' } });
  const notFound = new ApiError(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound' });

  function recorder(fail: Record<string, Error> = {}) {
    const calls: Array<[string, OwnerReferencesPatch]> = [];
    const patch = async (p: Pod, body: OwnerReferencesPatch): Promise<Pod> => {
      calls.push([p.metadata!.name!, body]);
      const err = fail[p.metadata!.name!];
      if (err) throw err;
      return { metadata: { ...p.metadata, resourceVersion: '2', ownerReferences: body.metadata.ownerReferences ?? undefined } };
    };
    return { calls, patch };
  }

  test('adopts and releases; the adopted come back as stored, a vanished orphan is dropped', async () => {
    const [kept, orphan, gone, strayed] = [pod('kept'), pod('orphan'), pod('gone'), pod('strayed')];
    const r = recorder({ gone: notFound });
    const owned = await applyClaim({ owned: [kept, orphan, gone], adopt: [orphan, gone], release: [strayed] }, ref, r.patch);
    expect(owned.map((p) => [p.metadata?.name, p.metadata?.resourceVersion])).toEqual([
      ['kept', '1'],
      ['orphan', '2'],
    ]);
    expect(r.calls.map(([name, body]) => [name, body.metadata.ownerReferences])).toEqual([
      ['orphan', [ref]],
      ['gone', [ref]],
      ['strayed', null],
    ]);
  });

  test('an owner that is no longer there adopts nothing (asked once), but still releases', async () => {
    const r = recorder();
    let asked = 0;
    const canAdopt = async () => {
      asked++;
      return false;
    };
    const [a, b] = [pod('a'), pod('b')];
    const owned = await applyClaim({ owned: [a, b], adopt: [a, b], release: [pod('c')] }, ref, r.patch, { canAdopt });
    expect(asked).toBe(1);
    expect(owned).toEqual([]);
    expect(r.calls.map(([name]) => name)).toEqual(['c']);
  });

  test('other failures (a conflict from a stale cache) are thrown, so the sync is retried', async () => {
    const conflict = new ApiError(409, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 409, reason: 'Conflict' });
    const r = recorder({ a: conflict });
    const a = pod('a');
    await expect(applyClaim({ owned: [a], adopt: [a], release: [] }, ref, r.patch)).rejects.toBe(conflict);
  });
});
