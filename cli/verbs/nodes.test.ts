// drain's choice of pods to evict, skip or refuse.
import type { Pod } from 'kubernetes-types/core/v1';
import { drainPlan } from './nodes';

describe('drain', () => {
  const pod = (name: string, owner?: string, extra: Partial<Pod['spec']> = {}): Pod => ({
    metadata: { name, namespace: 'default', ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: owner, name: 'o', uid: 'u', controller: true }] : [] },
    spec: { containers: [], ...extra },
    status: { phase: 'Running' },
  });
  it('refuses DaemonSet and unmanaged pods unless told, evicts the rest', () => {
    const pods = [pod('rs', 'ReplicaSet'), pod('ds', 'DaemonSet'), pod('bare')];
    expect(drainPlan(pods, {}).errors.length).toBe(2);
    const plan = drainPlan(pods, { ignoreDaemonSets: true, force: true });
    expect(plan.evict.map((p) => p.metadata?.name)).toEqual(['rs', 'bare']);
    expect(plan.skipped.map((p) => p.metadata?.name)).toEqual(['ds']);
  });
});
