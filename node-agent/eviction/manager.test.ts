import type { Pod } from 'kubernetes-types/core/v1';
import { type Eviction, EvictionManager } from './manager';
import { type Observations, parseThresholds } from './thresholds';

const pod = (name: string): Pod => ({ metadata: { name, namespace: 'default', uid: name }, spec: { containers: [{ name: 'c', image: 'i' }] }, status: { phase: 'Running' } });

function manager(obs: () => Observations, reclaim?: () => Promise<void>) {
  const evicted: [string, Eviction][] = [];
  const m = new EvictionManager(
    { stateDir: '/nonexistent', hard: parseThresholds('nodefs.available<10%', true), pressureTransitionPeriodMs: 0, observe: obs },
    { activePods: () => [pod('a')], usage: async () => [], evict: (p, e) => evicted.push([p.metadata!.name!, e]), pressureChanged: () => undefined, reclaimDisk: reclaim, log: () => undefined },
  );
  return { m, evicted };
}

describe('EvictionManager', () => {
  it('frees unused images before evicting for disk, and evicts nobody when that was enough', async () => {
    let available = 5;
    const { m, evicted } = manager(
      () => ({ 'nodefs.available': { available, capacity: 100 } }),
      async () => {
        available = 30;
      },
    );
    expect(await m.synchronize(1000)).toBeUndefined();
    expect(evicted).toEqual([]);
    // The pressure was seen: the condition is raised for this pass.
    expect([...m.pressures(1000)]).toEqual(['DiskPressure']);
  });

  it('evicts when freeing was not enough, with a 1 s grace for a hard threshold', async () => {
    const Gi = 1024 ** 3;
    const { m, evicted } = manager(() => ({ 'nodefs.available': { available: 5 * Gi, capacity: 100 * Gi } }), async () => undefined);
    expect((await m.synchronize(1000))?.metadata?.name).toBe('a');
    expect(evicted[0][1]).toMatchObject({ reason: 'Evicted', gracePeriodSeconds: 1, message: 'The node was low on resource: ephemeral-storage. Threshold quantity: 10Gi, available: 5Gi. ' });
  });
});
