import { componentRegistry } from '../component/metrics';
import { runWorkers } from './controller';
import { WorkQueue } from './workqueue';

describe('runWorkers', () => {
  it('retries failures with back-off, honours requeueAfter, never runs one key twice at once', async () => {
    const q = new WorkQueue('ctl-test', { baseDelayMs: 1, maxDelayMs: 5 });
    const calls: string[] = [];
    let failuresLeft = 2;
    let requeued = false;
    const running = new Set<string>();
    let overlap = false;
    q.add('flaky');
    q.add('timed');
    q.add('busy');
    q.add('busy'); // deduped while waiting
    const done = runWorkers(
      q,
      3,
      async (key) => {
        if (running.has(key)) overlap = true;
        running.add(key);
        calls.push(key);
        await new Promise((r) => setTimeout(r, 2));
        running.delete(key);
        if (key === 'flaky' && failuresLeft-- > 0) throw new Error('boom');
        if (key === 'timed' && !requeued) {
          requeued = true;
          return { requeueAfterMs: 5 };
        }
        if (key === 'busy') q.add('busy2');
      },
      { onError: () => undefined },
    );
    await new Promise((r) => setTimeout(r, 100));
    q.shutDown();
    await done;
    expect(overlap).toBe(false);
    expect(calls.filter((c) => c === 'flaky')).toHaveLength(3);
    expect(calls.filter((c) => c === 'timed')).toHaveLength(2);
    expect(calls.filter((c) => c === 'busy')).toHaveLength(1);
    expect(calls).toContain('busy2');
    expect(q.numRequeues('flaky')).toBe(0); // forgotten after success
    const text = await componentRegistry('controllers').metrics();
    expect(text).toMatch(/controller_runtime_reconcile_errors_total\{controller="ctl-test"\} 2/);
    expect(text).toMatch(/controller_runtime_reconcile_total\{controller="ctl-test",result="requeue_after"\} 1/);
  });
});
