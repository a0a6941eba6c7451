import { BoundedRunner } from './bounded-runner';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until check() holds (a loaded machine delays timers; nothing here depends on their timing). */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('BoundedRunner', () => {
  it('ignores requests before runNow, merges requests made during a run into one more run, never runs two at once', async () => {
    let runs = 0;
    let running = 0;
    let most = 0;
    let release: () => void = () => undefined;
    const runner = new BoundedRunner(
      async () => {
        runs++;
        running++;
        most = Math.max(most, running);
        await new Promise<void>((r) => (release = r));
        running--;
      },
      { minIntervalMs: 1, onError: () => undefined },
    );
    runner.request();
    await sleep(20);
    expect(runs).toBe(0);
    const first = runner.runNow();
    release();
    await first;
    expect(runs).toBe(1);
    for (let i = 0; i < 5; i++) runner.request();
    await until(() => runs === 2, 'the second run');
    // Asked again while the second run is under way: exactly one more after it.
    for (let i = 0; i < 5; i++) runner.request();
    expect(runner.busy).toBe(true);
    release();
    await until(() => runs === 3, 'the third run');
    release();
    await until(() => !runner.busy, 'the third run to end');
    await sleep(50);
    expect(runs).toBe(3);
    expect(most).toBe(1);
    await runner.stop();
    runner.request();
    await sleep(20);
    expect(runs).toBe(3);
  });

  it('keeps minIntervalMs between the starts of runs', async () => {
    const starts: number[] = [];
    const runner = new BoundedRunner(async () => void starts.push(Date.now()), { minIntervalMs: 80, onError: () => undefined });
    await runner.runNow();
    runner.request();
    await until(() => starts.length === 2, 'the second run');
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(75);
    await runner.stop();
  });

  it("throws runNow's failure; reports a requested run's failure and runs again", async () => {
    let fail = 2;
    let runs = 0;
    const errors: string[] = [];
    const runner = new BoundedRunner(
      async () => {
        runs++;
        if (fail-- > 0) throw new Error(`failure ${runs}`);
      },
      { minIntervalMs: 5, onError: (err) => errors.push(err.message) },
    );
    await expect(runner.runNow()).rejects.toThrow('failure 1');
    runner.request();
    await until(() => runs === 3, 'the run after the failed one');
    expect(errors).toEqual(['failure 2']);
    await runner.stop();
  });
});
