import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1';
import { planEphemeralClaims } from './claims';

const spec = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } };

function pod(o: { deleting?: boolean } = {}): Pod {
  return {
    metadata: { name: 'web', namespace: 'apps', uid: 'pod-uid', ...(o.deleting ? { deletionTimestamp: '2026-12-05T12:00:00Z' } : {}) },
    spec: {
      containers: [{ name: 'c', image: 'nginx' }],
      volumes: [
        { name: 'scratch', ephemeral: { volumeClaimTemplate: { metadata: { labels: { tier: 'cache' }, annotations: { note: 'x' } }, spec } } },
        { name: 'plain', emptyDir: {} },
        { name: 'shared', persistentVolumeClaim: { claimName: 'shared' } },
        { name: 'logs', ephemeral: { volumeClaimTemplate: { spec: { ...spec, storageClassName: 'fast' } } } },
      ],
    },
  };
}

function claim(name: string, owner?: { uid: string; controller?: boolean }): PersistentVolumeClaim {
  return { metadata: { name, namespace: 'apps', ownerReferences: owner ? [{ apiVersion: 'v1', kind: 'Pod', name: 'web', uid: owner.uid, controller: owner.controller ?? true }] : undefined }, spec };
}

describe('planEphemeralClaims', () => {
  test('one claim per ephemeral volume, named <pod>-<volume>, controlled by the pod, with the template’s labels, annotations and spec', () => {
    const plan = planEphemeralClaims(pod(), () => undefined);
    expect(plan.conflicts).toEqual([]);
    expect(plan.create).toEqual([
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: {
          name: 'web-scratch',
          namespace: 'apps',
          ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'pod-uid', controller: true, blockOwnerDeletion: true }],
          labels: { tier: 'cache' },
          annotations: { note: 'x' },
        },
        spec,
      },
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'web-logs', namespace: 'apps', ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'pod-uid', controller: true, blockOwnerDeletion: true }] },
        spec: { ...spec, storageClassName: 'fast' },
      },
    ]);
  });

  test.each<[string, Record<string, PersistentVolumeClaim>, string[], string[]]>([
    ['claims the pod controls are left alone', { 'web-scratch': claim('web-scratch', { uid: 'pod-uid' }), 'web-logs': claim('web-logs', { uid: 'pod-uid' }) }, [], []],
    ['only the missing one is made', { 'web-scratch': claim('web-scratch', { uid: 'pod-uid' }) }, ['web-logs'], []],
    ['a claim of that name made by a user is not taken over', { 'web-scratch': claim('web-scratch') }, ['web-logs'], ['ephemeral volume scratch: PVC apps/web-scratch was not created for pod apps/web (pod is not owner)']],
    ['nor one made for an earlier pod of the same name', { 'web-logs': claim('web-logs', { uid: 'old-pod-uid' }) }, ['web-scratch'], ['ephemeral volume logs: PVC apps/web-logs was not created for pod apps/web (pod is not owner)']],
    ['nor one the pod owns without controlling it', { 'web-logs': claim('web-logs', { uid: 'pod-uid', controller: false }) }, ['web-scratch'], ['ephemeral volume logs: PVC apps/web-logs was not created for pod apps/web (pod is not owner)']],
  ])('%s', (_what, existing, created, conflicts) => {
    const plan = planEphemeralClaims(pod(), (name) => existing[name]);
    expect(plan.create.map((c) => c.metadata?.name)).toEqual(created);
    expect(plan.conflicts.map((c) => c.message)).toEqual(conflicts);
  });

  test('a pod being deleted gets no claims', () => {
    expect(planEphemeralClaims(pod({ deleting: true }), () => undefined)).toEqual({ create: [], conflicts: [] });
  });
});
