// The health endpoints' answers as kube's healthz package writes them, and the check timeout.
import { healthReport, withTimeout } from './health';

test.each([
  ['all pass, plain', [{ name: 'ping' }, { name: 'etcd' }], false, [], 200, 'ok'],
  ['all pass, verbose', [{ name: 'ping' }, { name: 'etcd' }], true, [], 200, '[+]ping ok\n[+]etcd ok\nreadyz check passed\n'],
  ['one excluded, one unknown exclude', [{ name: 'ping' }, { name: 'etcd', excluded: true as const }], true, ['nope', 'x'], 200, '[+]ping ok\n[+]etcd excluded: ok\nwarn: some health checks cannot be excluded: no matches for "nope", "x"\nreadyz check passed\n'],
  ['a failure: always the list, the reason withheld', [{ name: 'ping' }, { name: 'etcd', error: 'timed out' }], false, [], 500, '[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed\n'],
])('%s', (_, outcomes, verbose, unmatched, status, body) => {
  expect(healthReport('readyz', outcomes, verbose, unmatched)).toEqual({ status, body });
});

test('withTimeout: a check that takes too long fails; one that answers in time passes or fails as it does', async () => {
  await expect(withTimeout('slow', 20, () => new Promise(() => undefined)).check()).rejects.toThrow('timed out after 20 ms');
  await expect(withTimeout('fast', 1000, async () => undefined).check()).resolves.toBeUndefined();
  await expect(withTimeout('bad', 1000, async () => Promise.reject(new Error('closed'))).check()).rejects.toThrow('closed');
});
