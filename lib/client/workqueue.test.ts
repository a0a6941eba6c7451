import { componentRegistry } from '../component/metrics';
import { WorkQueue } from './workqueue';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

describe('WorkQueue', () => {
  it('dedupes keys that are waiting', async () => {
    const q = new WorkQueue('wq-dedupe');
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.len()).toBe(0);
    q.shutDown();
  });

  it('never hands out a key being processed; a re-add is queued after done()', async () => {
    const q = new WorkQueue('wq-processing');
    q.add('a');
    const k = await q.get();
    expect(k).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0); // held back while processing
    let second: string | undefined;
    void q.get().then((v) => (second = v));
    await tick();
    expect(second).toBeUndefined();
    q.done('a');
    await tick();
    expect(second).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
    q.shutDown();
  });

  it('wakes a waiting worker on add and returns undefined after shutDown', async () => {
    const q = new WorkQueue<number>('wq-wait');
    const p = q.get();
    q.add(7);
    expect(await p).toBe(7);
    const p2 = q.get();
    q.shutDown();
    expect(await p2).toBeUndefined();
    q.add(8); // ignored after shutdown
    expect(q.len()).toBe(0);
  });

  it('addAfter delays and keeps the earliest due time', async () => {
    const q = new WorkQueue('wq-after');
    q.addAfter('a', 60_000);
    q.addAfter('a', 20);
    q.addAfter('a', 60_000);
    expect(q.len()).toBe(0);
    await tick(60);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
    q.shutDown();
  });

  it('addRateLimited backs off exponentially per item; forget resets', async () => {
    const q = new WorkQueue('wq-rate', { baseDelayMs: 10, maxDelayMs: 40 });
    expect([0, 1, 2, 3, 4].map((n) => q.backoffFor(n))).toEqual([10, 20, 40, 40, 40]);
    q.addRateLimited('a');
    q.addRateLimited('a');
    expect(q.numRequeues('a')).toBe(2);
    q.forget('a');
    expect(q.numRequeues('a')).toBe(0);
    await tick(30);
    expect(await q.get()).toBe('a');
    q.shutDown();
  });

  it('exports workqueue metrics labelled by name', async () => {
    const q = new WorkQueue('wq-metrics');
    q.add('x');
    q.add('y');
    const k = await q.get();
    q.done(k!);
    q.addRateLimited('z');
    const text = await componentRegistry('controllers').metrics();
    expect(text).toMatch(/workqueue_adds_total\{name="wq-metrics"\} 2/);
    expect(text).toMatch(/workqueue_depth\{name="wq-metrics"\} 1/);
    expect(text).toMatch(/workqueue_retries_total\{name="wq-metrics"\} 1/);
    expect(text).toMatch(/workqueue_queue_duration_seconds_count\{name="wq-metrics"\} 1/);
    expect(text).toMatch(/workqueue_work_duration_seconds_count\{name="wq-metrics"\} 1/);
    q.shutDown();
  });
});
