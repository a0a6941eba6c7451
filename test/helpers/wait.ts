// Polling helpers shared by the integration and e2e tests.

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export type Check<T> = () => Promise<T | undefined | false> | T | undefined | false;

/**
 * Polls `check` until it returns a truthy value and resolves with it. A check that throws counts as
 * "not yet"; the last error is named in the timeout message, so a failing test says what it waited for.
 */
export async function waitFor<T>(what: string, check: Check<T>, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(intervalMs);
  }
}

/** A waitFor whose default timeout suits a slower suite. */
export function waitForWithin(defaultTimeoutMs: number): <T>(what: string, check: Check<T>, timeoutMs?: number) => Promise<T> {
  return (what, check, timeoutMs = defaultTimeoutMs) => waitFor(what, check, timeoutMs);
}
