import type { Pod } from 'kubernetes-types/core/v1';
import { DeadlineExceeded, endedByAgent, msUntilActiveDeadline } from './pod-termination';

const start = '2026-12-05T10:00:00Z';
const t0 = Date.parse(start);
const pod = (spec: Partial<NonNullable<Pod['spec']>>, status: Pod['status'] = { phase: 'Running', startTime: start }, deleting = false): Pod => ({
  metadata: { name: 'p', namespace: 'default', ...(deleting ? { deletionTimestamp: start } : {}) },
  spec: { containers: [{ name: 'c', image: 'i' }], ...spec },
  status,
});

describe('activeDeadlineSeconds', () => {
  it('counts from status.startTime', () => {
    expect(msUntilActiveDeadline(pod({ activeDeadlineSeconds: 30 }), t0 + 10_000)).toBe(20_000);
    expect(msUntilActiveDeadline(pod({ activeDeadlineSeconds: 30 }), t0 + 31_000)).toBe(-1_000);
  });

  it('has nothing to say without a deadline, before the start, or once the pod is over or being deleted', () => {
    expect(msUntilActiveDeadline(pod({}), t0)).toBeUndefined();
    expect(msUntilActiveDeadline(pod({ activeDeadlineSeconds: 5 }, { phase: 'Pending' }), t0)).toBeUndefined();
    expect(msUntilActiveDeadline(pod({ activeDeadlineSeconds: 5 }, { phase: 'Succeeded', startTime: start }), t0 + 60_000)).toBeUndefined();
    expect(msUntilActiveDeadline(pod({ activeDeadlineSeconds: 5 }, undefined, true), t0 + 60_000)).toBeUndefined();
  });

  it('a pod ended by the agent is Failed with the reason, the rest of its status kept', () => {
    const ended = endedByAgent(pod({ activeDeadlineSeconds: 5 }), DeadlineExceeded);
    expect(ended.status).toEqual({ phase: 'Failed', startTime: start, reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' });
  });
});
