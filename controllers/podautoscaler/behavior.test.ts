import { emptyHistory, normalizeReplicas, recordScale } from './behavior';

const t0 = 1_000_000;
const behavior = {
  scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] },
  scaleDown: { stabilizationWindowSeconds: 30, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
};

describe('normalizeReplicas (behavior, stabilization, rate limits)', () => {
  it('limits a scale-up to the Pods policy, counting earlier scale-ups in its period', () => {
    const h = emptyHistory();
    expect(normalizeReplicas(behavior, h, 2, 10, 1, 20, t0)).toMatchObject({ replicas: 4, limited: { status: 'True', reason: 'ScaleUpLimit' } });
    recordScale(h, behavior, 2, 4, t0);
    // 20 s later the period (60 s) still holds the +2: the limit stays 2 + 2 = 4.
    expect(normalizeReplicas(behavior, h, 4, 10, 1, 20, t0 + 20_000).replicas).toBe(4);
    // After the period, 4 + 2.
    expect(normalizeReplicas(behavior, h, 4, 10, 1, 20, t0 + 61_000).replicas).toBe(6);
  });

  it('holds a scale-down for the stabilization window (highest recent recommendation)', () => {
    const h = emptyHistory();
    expect(normalizeReplicas(behavior, h, 8, 8, 1, 20, t0).replicas).toBe(8);
    expect(normalizeReplicas(behavior, h, 8, 2, 1, 20, t0 + 10_000)).toMatchObject({ replicas: 8, ableToScale: { reason: 'ScaleDownStabilized' } });
    // Past the 30 s window: down, but at most 50% per 60 s.
    expect(normalizeReplicas(behavior, h, 8, 2, 1, 20, t0 + 45_000)).toMatchObject({ replicas: 4, limited: { reason: 'ScaleDownLimit' } });
  });

  it('applies min, max and Disabled', () => {
    expect(normalizeReplicas(behavior, emptyHistory(), 2, 30, 1, 3, t0)).toMatchObject({ replicas: 3, limited: { reason: 'TooManyReplicas' } });
    const disabled = { ...behavior, scaleDown: { selectPolicy: 'Disabled', policies: [] } };
    expect(normalizeReplicas(disabled, emptyHistory(), 5, 1, 1, 10, t0).replicas).toBe(5);
  });

  it('without a behavior: 5 minutes of scale-down stabilization and at most double (or 4) up', () => {
    const h = emptyHistory();
    expect(normalizeReplicas(undefined, h, 1, 100, 1, 100, t0)).toMatchObject({ replicas: 4, limited: { reason: 'ScaleUpLimit' } });
    // The 100 of a minute ago still stands (then at most double).
    expect(normalizeReplicas(undefined, h, 4, 1, 1, 100, t0 + 60_000).replicas).toBe(8);
    expect(normalizeReplicas(undefined, h, 4, 1, 1, 100, t0 + 6 * 60_000 + 1).replicas).toBe(1);
  });

  it('takes the controller-wide downscale stabilization (--horizontal-pod-autoscaler-downscale-stabilization) when the HPA sets none', () => {
    const h = emptyHistory();
    normalizeReplicas(undefined, h, 8, 8, 1, 20, t0, 30_000);
    expect(normalizeReplicas(undefined, h, 8, 2, 1, 20, t0 + 20_000, 30_000).replicas).toBe(8);
    expect(normalizeReplicas(undefined, h, 8, 2, 1, 20, t0 + 31_000, 30_000).replicas).toBe(2);
    // A behavior without a scale-down window uses it too (kube fills the window from the flag).
    const noWindow = { scaleDown: { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } };
    const h2 = emptyHistory();
    normalizeReplicas(noWindow, h2, 8, 8, 1, 20, t0, 30_000);
    expect(normalizeReplicas(noWindow, h2, 8, 2, 1, 20, t0 + 20_000, 30_000).replicas).toBe(8);
    expect(normalizeReplicas(noWindow, h2, 8, 2, 1, 20, t0 + 31_000, 30_000).replicas).toBe(2);
  });
});
