import type { Pod } from 'kubernetes-types/core/v1';
import { crossed, evictionMessage, isCriticalPod, parseThresholds, type PodCandidate, rankForEviction, ThresholdState } from './thresholds';

const Mi = 1024 * 1024;

describe('eviction thresholds', () => {
  it("parses the kubelet's flags: quantities, percentages, soft ones with their grace periods", () => {
    expect(parseThresholds('memory.available<100Mi,nodefs.available<10%', true)).toEqual([
      { signal: 'memory.available', hard: true, quantity: 100 * Mi },
      { signal: 'nodefs.available', hard: true, percentage: 0.1 },
    ]);
    expect(parseThresholds('memory.available<1Gi', false, 'memory.available=1m30s')).toEqual([{ signal: 'memory.available', hard: false, quantity: 1024 * Mi, gracePeriodMs: 90_000 }]);
    expect(parseThresholds('', true)).toEqual([]);
  });

  it('refuses what the kubelet refuses, saying why', () => {
    expect(() => parseThresholds('memory.free<1Gi', true)).toThrow('unknown eviction signal "memory.free" (known: memory.available, nodefs.available, nodefs.inodesFree, pid.available)');
    expect(() => parseThresholds('memory.available>1Gi', true)).toThrow('invalid eviction threshold "memory.available>1Gi": want signal<quantity or signal<N%');
    expect(() => parseThresholds('nodefs.available<120%', true)).toThrow('a percentage between 0 and 100');
    expect(() => parseThresholds('memory.available<lots', true)).toThrow('"lots" is not a quantity');
    expect(() => parseThresholds('memory.available<1Gi', false)).toThrow('soft eviction threshold for memory.available needs a grace period');
  });

  it('a threshold is crossed when less than it is available (a percentage of the capacity)', () => {
    const t = parseThresholds('memory.available<100Mi,nodefs.available<10%', true);
    expect(crossed(t, { 'memory.available': { available: 99 * Mi, capacity: 1024 * Mi }, 'nodefs.available': { available: 10, capacity: 100 } }).map((x) => x.signal)).toEqual(['memory.available']);
    expect(crossed(t, { 'nodefs.available': { available: 9, capacity: 100 } }).map((x) => x.signal)).toEqual(['nodefs.available']);
  });

  it('soft thresholds act after their grace period; conditions stay for the transition period', () => {
    const soft = parseThresholds('memory.available<500Mi', false, 'memory.available=30s');
    const state = new ThresholdState(60_000);
    const low = { 'memory.available': { available: 400 * Mi, capacity: 1024 * Mi } };
    const fine = { 'memory.available': { available: 800 * Mi, capacity: 1024 * Mi } };
    expect(state.observe(soft, low, 0)).toEqual([]);
    expect([...state.pressures(0)]).toEqual(['MemoryPressure']);
    expect(state.observe(soft, low, 29_000)).toEqual([]);
    expect(state.observe(soft, low, 30_000)).toHaveLength(1);
    // Recovered: nothing met, but the condition holds for 60 s after the last crossing.
    expect(state.observe(soft, fine, 40_000)).toEqual([]);
    expect([...state.pressures(40_000)]).toEqual(['MemoryPressure']);
    expect([...state.pressures(90_001)]).toEqual([]);
    // Crossed again: the grace period starts over.
    expect(state.observe(soft, low, 100_000)).toEqual([]);
  });
});

function candidate(name: string, o: { priority?: number; request?: string; limit?: string; used?: number; start?: string; critical?: boolean } = {}): PodCandidate {
  const resources = o.request || o.limit ? { requests: o.request ? { memory: o.request } : undefined, limits: o.limit ? { memory: o.limit, cpu: '1' } : undefined } : undefined;
  const pod: Pod = {
    metadata: { name, namespace: 'default', ...(o.critical ? { annotations: { 'kubernetes.io/config.mirror': 'x' } } : {}) },
    spec: { priority: o.priority, containers: [{ name: 'app', image: 'i', resources }] },
    status: { startTime: o.start ?? '2026-12-01T00:00:00Z' },
  };
  return { pod, memoryByContainer: o.used === undefined ? new Map() : new Map([['app', o.used]]) };
}

describe('eviction ranking', () => {
  it('memory: usage above requests first, then lower priority, then the larger excess; critical pods never', () => {
    const pods = [
      candidate('within-request', { request: '200Mi', used: 100 * Mi }),
      candidate('small-excess', { request: '100Mi', used: 150 * Mi, priority: 0 }),
      candidate('big-excess', { used: 300 * Mi, priority: 0 }),
      candidate('important-excess', { used: 900 * Mi, priority: 1000 }),
      candidate('mirror', { used: 2000 * Mi, critical: true }),
      candidate('system', { used: 2000 * Mi, priority: 2_000_000_000 }),
    ];
    expect(rankForEviction('memory.available', pods).map((c) => c.pod.metadata?.name)).toEqual(['big-excess', 'small-excess', 'important-excess', 'within-request']);
    expect(isCriticalPod(pods[5].pod)).toBe(true);
  });

  it('disk and PIDs: lower priority, then lower QoS, then the newest', () => {
    const pods = [
      candidate('guaranteed-old', { request: '100Mi', limit: '100Mi', start: '2026-12-01T00:00:00Z' }),
      candidate('besteffort-old', { start: '2026-12-01T00:00:00Z' }),
      candidate('besteffort-new', { start: '2026-12-02T00:00:00Z' }),
      candidate('low-priority', { request: '100Mi', limit: '100Mi', priority: -10 }),
    ];
    expect(rankForEviction('nodefs.available', pods).map((c) => c.pod.metadata?.name)).toEqual(['low-priority', 'besteffort-new', 'besteffort-old', 'guaranteed-old']);
  });

  it("writes kube's message", () => {
    const [t] = parseThresholds('memory.available<100Mi', true);
    expect(evictionMessage(t, { available: 50 * Mi, capacity: 1024 * Mi }, candidate('p', { used: 210 * Mi }))).toBe(
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 50Mi. Container app was using 210Mi, request is 0, has larger consumption of memory. ',
    );
    const [d] = parseThresholds('nodefs.inodesFree<5%', true);
    expect(evictionMessage(d, { available: 40, capacity: 1000 }, candidate('p'))).toBe('The node was low on resource: inodes. Threshold quantity: 50, available: 40. ');
  });
});
