import { PrioritySort } from './queue-sort';
import { podInfo } from '../../test/fixtures/scheduler';
import type { QueuedPodInfo } from '../framework/types';

function queued(name: string, priority: number, timestamp: number): QueuedPodInfo {
  return { podInfo: podInfo(name, { priority }), timestamp, initialAttemptTimestamp: timestamp, attempts: 0, unschedulablePlugins: new Set() };
}

describe('PrioritySort', () => {
  const sort = new PrioritySort();
  test('higher priority first', () => {
    expect(sort.less(queued('a', 10, 2), queued('b', 0, 1))).toBe(true);
    expect(sort.less(queued('b', 0, 1), queued('a', 10, 2))).toBe(false);
  });
  test('same priority: older first', () => {
    expect(sort.less(queued('a', 0, 1), queued('b', 0, 2))).toBe(true);
    expect(sort.less(queued('b', 0, 2), queued('a', 0, 1))).toBe(false);
  });
});
