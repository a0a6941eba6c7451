import type { Pod } from 'kubernetes-types/core/v1';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1';
import { decideEviction } from '../../lib/api/disruption';
import { planPdbStatus } from './sync';

const now = new Date('2026-01-01T00:00:00Z');
const pod = (name: string, ready = true, owner = 'rs'): Pod => ({
  metadata: { name, namespace: 'default', labels: { app: 'web' }, ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: owner, controller: true }] : [] },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const pdb = (spec: PodDisruptionBudget['spec'], status?: PodDisruptionBudget['status']): PodDisruptionBudget => ({ metadata: { name: 'web', namespace: 'default', generation: 1 }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec }, status });
const scale5 = () => ({ uid: 'rs', replicas: 5 });

describe('planPdbStatus (allowed disruptions)', () => {
  it.each([
    ['minAvailable 2 of 3 ready', { minAvailable: 2 }, 3, 0, { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 }],
    ['minAvailable 3 with one unready', { minAvailable: 3 }, 2, 1, { expectedPods: 3, desiredHealthy: 3, currentHealthy: 2, disruptionsAllowed: 0 }],
    ['maxUnavailable 1 against the scale (5)', { maxUnavailable: 1 }, 5, 0, { expectedPods: 5, desiredHealthy: 4, currentHealthy: 5, disruptionsAllowed: 1 }],
    ['minAvailable 50% of 5 rounds up to 3', { minAvailable: '50%' }, 4, 1, { expectedPods: 5, desiredHealthy: 3, currentHealthy: 4, disruptionsAllowed: 1 }],
    ['maxUnavailable 20% of 5', { maxUnavailable: '20%' }, 5, 0, { expectedPods: 5, desiredHealthy: 4, disruptionsAllowed: 1 }],
  ])('%s', (_what, spec, ready, unready, want) => {
    const pods = [...Array(ready)].map((_, i) => pod(`r${i}`)).concat([...Array(unready)].map((_, i) => pod(`u${i}`, false)));
    const p = planPdbStatus(pdb(spec as PodDisruptionBudget['spec']), pods, scale5, now);
    expect(p.status).toMatchObject({ ...want, observedGeneration: 1 });
    expect(p.status.conditions?.[0]).toMatchObject({ type: 'DisruptionAllowed', status: want.disruptionsAllowed > 0 ? 'True' : 'False' });
  });

  it('fails safe when a pod has no controller and the budget needs its scale', () => {
    const p = planPdbStatus(pdb({ maxUnavailable: 1 }), [pod('a', true, '')], () => ({ error: 'found no controllers for pod "a"' }), now);
    expect(p.status.disruptionsAllowed).toBe(0);
    expect(p.warning?.reason).toBe('CalculateExpectedPodCountFailed');
  });

  it('does not count a pod an eviction took until the deletion shows or 2 minutes pass', () => {
    const status = { currentHealthy: 3, desiredHealthy: 2, disruptionsAllowed: 0, expectedPods: 3, disruptedPods: { r0: '2026-01-01T00:00:00Z' } };
    const pods = [pod('r0'), pod('r1'), pod('r2')];
    const p = planPdbStatus(pdb({ minAvailable: 2 }, status), pods, scale5, new Date(now.getTime() + 10_000));
    expect(p.status).toMatchObject({ currentHealthy: 2, disruptionsAllowed: 0, disruptedPods: { r0: '2026-01-01T00:00:00Z' } });
    expect(p.requeueAfterMs).toBe(110_000);
    expect(planPdbStatus(pdb({ minAvailable: 2 }, status), pods, scale5, new Date(now.getTime() + 121_000)).status).toMatchObject({ currentHealthy: 3, disruptionsAllowed: 1 });
  });
});

describe('decideEviction', () => {
  const budget = (allowed: number, extra: Partial<NonNullable<PodDisruptionBudget['status']>> = {}) => pdb({ minAvailable: 2 }, { currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: allowed, expectedPods: 3, observedGeneration: 1, ...extra });
  it('refuses with 429 and kube\'s cause when no disruption is allowed', () => {
    expect(decideEviction(pod('a'), [budget(0)], now)).toEqual({
      kind: 'refuse',
      code: 429,
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      cause: 'The disruption budget web needs 2 healthy pods and has 2 currently',
    });
  });
  it('takes one disruption and records the pod', () => {
    const d = decideEviction(pod('a'), [budget(1)], now);
    expect(d).toMatchObject({ kind: 'decrement', status: { disruptionsAllowed: 0, disruptedPods: { a: '2026-01-01T00:00:00Z' } } });
  });
  it('lets unready pods go when the budget is healthy or AlwaysAllow, and pending pods always', () => {
    expect(decideEviction(pod('u', false), [budget(0)], now).kind).toBe('delete');
    expect(decideEviction(pod('u', false), [pdb({ minAvailable: 2, unhealthyPodEvictionPolicy: 'AlwaysAllow' }, { currentHealthy: 1, desiredHealthy: 2, disruptionsAllowed: 0, expectedPods: 3, observedGeneration: 1 })], now).kind).toBe('delete');
    expect(decideEviction({ ...pod('p'), status: { phase: 'Pending' } }, [budget(0)], now).kind).toBe('delete');
  });
  it('refuses while the controller has not observed the budget, and with two budgets', () => {
    expect(decideEviction(pod('a'), [budget(1, { observedGeneration: 0 })], now)).toMatchObject({ code: 429, cause: 'The disruption budget web is still being processed by the server.' });
    expect(decideEviction(pod('a'), [budget(1), budget(1)], now)).toMatchObject({ code: 500 });
  });
});
