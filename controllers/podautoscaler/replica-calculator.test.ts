import type { Pod } from 'kubernetes-types/core/v1';
import { type PodMetric, resourceReplicas } from './replica-calculator';

const now = Date.parse('2026-01-01T12:00:00Z');
const longAgo = '2026-01-01T11:00:00Z';

function pod(name: string, o: { phase?: string; ready?: boolean; started?: string; readySince?: string; request?: string; deleting?: boolean } = {}): Pod {
  return {
    metadata: { name, ...(o.deleting ? { deletionTimestamp: longAgo } : {}) },
    spec: { containers: [{ name: 'c', image: 'x', resources: o.request === '' ? {} : { requests: { cpu: o.request ?? '100m' } } }] },
    status: {
      phase: o.phase ?? 'Running',
      startTime: o.started ?? longAgo,
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: o.readySince ?? longAgo }],
    },
  };
}
const m = (milli: number): PodMetric => ({ milli, timestamp: now - 1000, windowMs: 15_000 });
const metrics = (e: Record<string, number>) => new Map(Object.entries(e).map(([k, v]) => [k, m(v)]));
const cpu50 = { utilization: 50 };

describe('resourceReplicas (kube replica_calculator)', () => {
  it.each([
    // [what, current, pods, metrics, want replicas, want utilization]
    ['scales up by the usage ratio', 2, ['a', 'b'], { a: 100, b: 100 }, 4, 100],
    ['scales down by the usage ratio', 4, ['a', 'b', 'c', 'd'], { a: 10, b: 10, c: 10, d: 10 }, 1, 10],
    ['keeps the count within the 10% tolerance', 3, ['a', 'b', 'c'], { a: 54, b: 54, c: 54 }, 3, 54],
    ['leaves the tolerance just outside it', 3, ['a', 'b', 'c'], { a: 56, b: 56, c: 56 }, 4, 56],
  ])('%s', (_what, current, names, usage, want, util) => {
    const r = resourceReplicas(current as number, (names as string[]).map((n) => pod(n)), metrics(usage as Record<string, number>), 'cpu', cpu50, now);
    expect(r).toEqual({ replicas: want, utilization: util, averageMilli: expect.any(Number) });
  });

  it('counts a pod without metrics at 0 on a scale-up and at its request on a scale-down', () => {
    const pods = ['a', 'b', 'c'].map((n) => pod(n));
    // a, b at 100% (ratio 2); c missing counts 0 → ratio (200)/300*100/50 = 1.33 → ceil(1.33*3) = 4.
    expect(resourceReplicas(3, pods, metrics({ a: 100, b: 100 }), 'cpu', cpu50, now)).toMatchObject({ replicas: 4 });
    // a, b at 10% (ratio 0.2); c missing counts 100% → (10+10+100)/300 = 40% → ratio 0.8 → ceil(2.4) = 3: no change (3).
    expect(resourceReplicas(3, pods, metrics({ a: 10, b: 10 }), 'cpu', cpu50, now)).toMatchObject({ replicas: 3 });
  });

  it('counts unready pods at 0 when scaling up, and ignores deleted or failed pods', () => {
    const pods = [pod('a'), pod('b', { ready: false, started: new Date(now - 60_000).toISOString(), readySince: new Date(now - 60_000).toISOString() }), pod('gone', { deleting: true }), pod('f', { phase: 'Failed' })];
    // a at 200% (ratio 4), b unready → 0: (200+0)/200 = 100% → ratio 2 → 4 replicas.
    expect(resourceReplicas(2, pods, metrics({ a: 200, b: 500, gone: 900, f: 900 }), 'cpu', cpu50, now)).toMatchObject({ replicas: 4, utilization: 200 });
  });

  it('uses an average value target and reports errors as kube words them', () => {
    expect(resourceReplicas(2, [pod('a'), pod('b')], metrics({ a: 300, b: 300 }), 'cpu', { averageMilli: 100 }, now)).toMatchObject({ replicas: 6, averageMilli: 300 });
    expect(resourceReplicas(1, [], metrics({}), 'cpu', cpu50, now)).toBe('no pods returned by selector while calculating replica count');
    expect(resourceReplicas(1, [pod('a')], metrics({}), 'cpu', cpu50, now)).toBe('did not receive metrics for targeted pods (pods might be unready)');
    expect(resourceReplicas(1, [pod('a', { request: '' })], metrics({ a: 5 }), 'cpu', cpu50, now)).toBe('missing request for cpu in container c of Pod a');
  });
});
