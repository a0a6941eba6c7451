// Table tests of the StatefulSet core: ordered creation, Parallel, reverse-order scale-down, claims per
// ordinal, partitioned rolling updates, status.
import type { StatefulSet } from 'kubernetes-types/apps/v1';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import { ControllerRevisionHashLabel } from '../shared/history';
import { completeRollingUpdate, planStatefulSet, predecessorsReady, Revision } from './sync';

const now = new Date('2024-01-01T00:01:00Z');
const tmplA = { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'db:1' }] } };
const tmplB = { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'db:2' }] } };
const revA: Revision = { name: 'web-a', template: tmplA };
const revB: Revision = { name: 'web-b', template: tmplB };

function set(o: { replicas: number; parallel?: boolean; partition?: number; claims?: boolean; onDelete?: boolean }): StatefulSet {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'set-uid', generation: 2 },
    spec: {
      replicas: o.replicas,
      serviceName: 'web',
      selector: { matchLabels: { app: 'db' } },
      podManagementPolicy: o.parallel ? 'Parallel' : 'OrderedReady',
      updateStrategy: o.onDelete ? { type: 'OnDelete' } : { type: 'RollingUpdate', rollingUpdate: { partition: o.partition ?? 0 } },
      template: tmplA,
      volumeClaimTemplates: o.claims ? [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] : undefined,
    },
  };
}

function pod(ord: number, o: { ready?: boolean; rev?: string; deleting?: boolean; phase?: string } = {}): Pod {
  const ready = o.ready ?? true;
  return {
    metadata: { name: `web-${ord}`, namespace: 'default', uid: `uid-${ord}`, labels: { app: 'db', [ControllerRevisionHashLabel]: o.rev ?? 'web-a' }, ...(o.deleting ? { deletionTimestamp: now.toISOString() } : {}) },
    spec: { containers: [] },
    status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
  };
}

const names = (ps: Pod[]) => ps.map((p) => p.metadata?.name);
const noClaims = new Map<string, PersistentVolumeClaim>();

describe('planStatefulSet', () => {
  it.each([
    ['OrderedReady creates only the lowest missing ordinal', set({ replicas: 3 }), [], ['web-0'], []],
    ['OrderedReady waits while web-0 is not Ready', set({ replicas: 3 }), [pod(0, { ready: false })], [], []],
    ['OrderedReady creates web-1 once web-0 is Ready', set({ replicas: 3 }), [pod(0)], ['web-1'], []],
    ['Parallel creates every missing ordinal at once', set({ replicas: 3, parallel: true }), [], ['web-0', 'web-1', 'web-2'], []],
    ['OrderedReady scales down from the highest ordinal, one at a time', set({ replicas: 1 }), [pod(0), pod(1), pod(2)], [], ['web-2']],
    ['OrderedReady waits for a terminating pod before the next', set({ replicas: 1 }), [pod(0), pod(1), pod(2, { deleting: true })], [], []],
    ['Parallel removes every condemned pod at once', set({ replicas: 1, parallel: true }), [pod(0), pod(1), pod(2)], [], ['web-2', 'web-1']],
    ['OrderedReady does not scale down while another pod is unhealthy', set({ replicas: 1 }), [pod(0, { ready: false }), pod(1)], [], []],
    ['a failed pod is deleted to be made again', set({ replicas: 1 }), [pod(0, { phase: 'Failed', ready: false })], [], ['web-0']],
  ])('%s', (_name, s, pods, create, del) => {
    const plan = planStatefulSet({ set: s, pods, claims: noClaims, current: revA, update: revA, now });
    expect(names(plan.createPods)).toEqual(create);
    expect(names(plan.deletePods)).toEqual(del);
  });

  it('gives each pod its identity and a claim per template, kept by name across pods', () => {
    const plan = planStatefulSet({ set: set({ replicas: 2, claims: true }), pods: [pod(0)], claims: noClaims, current: revA, update: revA, now });
    const p = plan.createPods[0];
    expect(p.metadata?.name).toBe('web-1');
    expect(p.spec?.hostname).toBe('web-1');
    expect(p.spec?.subdomain).toBe('web');
    expect(p.metadata?.labels).toMatchObject({ 'statefulset.kubernetes.io/pod-name': 'web-1', 'apps.kubernetes.io/pod-index': '1', [ControllerRevisionHashLabel]: 'web-a' });
    expect(p.spec?.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } }]);
    // web-0's claim is missing too (deleted by hand): made again; web-1's before its pod.
    expect(plan.createClaims.map((c) => c.metadata?.name)).toEqual(['data-web-0', 'data-web-1']);
    const existing = new Map([['data-web-0', plan.createClaims[0]], ['data-web-1', plan.createClaims[1]]]);
    const again = planStatefulSet({ set: set({ replicas: 2, claims: true }), pods: [pod(0)], claims: existing, current: revA, update: revA, now });
    expect(again.createClaims).toEqual([]);
  });

  it('waits for a claim still being deleted before making its pod again', () => {
    const claims = new Map<string, PersistentVolumeClaim>([['data-web-0', { metadata: { name: 'data-web-0', deletionTimestamp: now.toISOString() } }]]);
    const plan = planStatefulSet({ set: set({ replicas: 1, claims: true }), pods: [], claims, current: revA, update: revA, now });
    expect(plan.createPods).toEqual([]);
    expect(plan.waitingFor).toMatch(/being deleted/);
  });

  it.each([
    ['updates the highest ordinal first', 0, [pod(0), pod(1), pod(2)], ['web-2']],
    ['then the next, once the updated pod is Ready', 0, [pod(0), pod(1), pod(2, { rev: 'web-b' })], ['web-1']],
    ['waits while an updated pod is not Ready', 0, [pod(0), pod(1), pod(2, { rev: 'web-b', ready: false })], []],
    ['stops at the partition', 2, [pod(0), pod(1), pod(2, { rev: 'web-b' })], []],
  ])('rolling update %s', (_name, partition, pods, del) => {
    const plan = planStatefulSet({ set: set({ replicas: 3, partition }), pods, claims: noClaims, current: revA, update: revB, now });
    expect(names(plan.deletePods)).toEqual(del);
  });

  it('makes pods below the partition from the current revision and above it from the update revision', () => {
    const plan = planStatefulSet({ set: set({ replicas: 3, partition: 2, parallel: true }), pods: [], claims: noClaims, current: revA, update: revB, now });
    expect(plan.createPods.map((p) => p.metadata?.labels?.[ControllerRevisionHashLabel])).toEqual(['web-a', 'web-a', 'web-b']);
    expect(plan.createPods[2].spec?.containers[0].image).toBe('db:2');
  });

  it('OnDelete replaces nothing by itself', () => {
    const plan = planStatefulSet({ set: set({ replicas: 2, onDelete: true }), pods: [pod(0), pod(1)], claims: noClaims, current: revA, update: revB, now });
    expect(plan.deletePods).toEqual([]);
  });

  it('counts status and completes the rollout once every pod is updated and ready', () => {
    const s = set({ replicas: 2 });
    const plan = planStatefulSet({ set: s, pods: [pod(0, { rev: 'web-b' }), pod(1, { rev: 'web-b' })], claims: noClaims, current: revA, update: revB, now });
    // Exactly kube's fields: collisionCount always, no conditions (the StatefulSet controller sets none).
    expect(plan.status).toEqual({ replicas: 2, readyReplicas: 2, availableReplicas: 2, currentReplicas: 0, updatedReplicas: 2, currentRevision: 'web-a', updateRevision: 'web-b', observedGeneration: 2, collisionCount: 0 });
    expect(completeRollingUpdate(s, plan.status)).toMatchObject({ currentRevision: 'web-b', currentReplicas: 2 });
  });

  it('with whenScaled: Delete, a condemned pod becomes the owner of its claim', () => {
    const s = set({ replicas: 1, claims: true });
    s.spec!.persistentVolumeClaimRetentionPolicy = { whenScaled: 'Delete', whenDeleted: 'Retain' };
    const claims = new Map<string, PersistentVolumeClaim>([
      ['data-web-0', { metadata: { name: 'data-web-0' } }],
      ['data-web-1', { metadata: { name: 'data-web-1' } }],
    ]);
    const plan = planStatefulSet({ set: s, pods: [pod(0), pod(1)], claims, current: revA, update: revA, now });
    expect(plan.claimOwners.map((u) => [u.claim.metadata?.name, u.ownerReferences.map((r) => `${r.kind}/${r.name}`)])).toEqual([['data-web-1', ['Pod/web-1']]]);
    expect(names(plan.deletePods)).toEqual(['web-1']);
  });

  it('with whenScaled and whenDeleted both Delete, a condemned pod replaces the set as its claim\'s owner', () => {
    const s = set({ replicas: 1, claims: true });
    s.spec!.persistentVolumeClaimRetentionPolicy = { whenScaled: 'Delete', whenDeleted: 'Delete' };
    const setRef = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: s.metadata!.name!, uid: s.metadata!.uid!, controller: false, blockOwnerDeletion: true };
    const claims = new Map<string, PersistentVolumeClaim>([
      ['data-web-0', { metadata: { name: 'data-web-0', ownerReferences: [setRef] } }],
      ['data-web-1', { metadata: { name: 'data-web-1', ownerReferences: [setRef] } }],
    ]);
    const plan = planStatefulSet({ set: s, pods: [pod(0), pod(1)], claims, current: revA, update: revA, now });
    expect(plan.claimOwners.map((u) => [u.claim.metadata?.name, u.ownerReferences.map((r) => `${r.kind}/${r.name}`)])).toEqual([['data-web-1', ['Pod/web-1']]]);
  });
});

// Found by the chaos harness: the plan, made from a cache that still showed web-0 Ready a moment after
// web-0 was deleted, created web-1 with no ordinal 0. The loop confirms an ordered create on the pods
// read from the API with predecessorsReady.
describe('predecessorsReady (OrderedReady creates, checked on live pods)', () => {
  test.each([
    ['ordinal 0 needs nothing', [], 0, true],
    ['0 and 1 Running and Ready: 2 may start', [pod(0), pod(1)], 2, true],
    ['0 gone (deleted a moment ago): 1 may not start', [], 1, false],
    ['0 being deleted: 1 may not start', [pod(0, { deleting: true })], 1, false],
    ['0 not Ready: 1 may not start', [pod(0, { ready: false })], 1, false],
    ['0 Ready but Pending: 1 may not start', [pod(0, { phase: 'Pending' })], 1, false],
    ['1 missing: 2 may not start', [pod(0), pod(2)], 2, false],
  ] as const)('%s', (_name, pods, ordinal, expected) => {
    expect(predecessorsReady(set({ replicas: 3 }), [...pods], ordinal)).toBe(expected);
  });
});
