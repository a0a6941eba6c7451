// A request that got no answer (the browser's TypeError: Chromium's ERR_NETWORK_CHANGED when the host's
// interfaces change) is sent again a few times when that is safe — a read, a merge patch; a create, an
// update, a delete, a JSON patch, an aborted read and an answered error are not.
import { Api, ApiError, Fetch, NETWORK_RETRIES } from './api';

/** A fetch that fails the first `failures` calls with `error`, then answers 200, and counts its calls. */
function flakyFetch(failures: number, error: unknown = new TypeError('Failed to fetch')): { fetch: Fetch; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    fetch: () => {
      calls++;
      return calls <= failures ? Promise.reject(error) : Promise.resolve(new Response('{"kind":"PodList","items":[]}'));
    },
  };
}

describe('the console API client over a network that drops requests', () => {
  test.each([
    ['GET', 1],
    ['GET', NETWORK_RETRIES],
    ['HEAD', 2],
  ])('a %s that failed %i time(s) without an answer is sent again and answered', async (method, failures) => {
    const f = flakyFetch(failures);
    const res = await new Api('http://x', 't', f.fetch).fetch({ method, path: '/api/v1/pods' });
    expect(res.status).toBe(200);
    expect(f.calls()).toBe(failures + 1);
  });

  test('request() (discovery at login, lists) gets the answer after a dropped attempt', async () => {
    const f = flakyFetch(1);
    expect(await new Api('http://x', 't', f.fetch).request({ path: '/api/v1/pods' })).toEqual({ kind: 'PodList', items: [] });
  });

  test('a read that never gets an answer fails after the retries', async () => {
    const f = flakyFetch(Infinity);
    await expect(new Api('http://x', 't', f.fetch).fetch({ path: '/api/v1/pods' })).rejects.toThrow(TypeError);
    expect(f.calls()).toBe(NETWORK_RETRIES + 1);
  });

  test.each([
    ['POST', undefined],
    ['PUT', undefined],
    ['DELETE', undefined],
    ['PATCH', 'application/json-patch+json'],
  ])('a %s (%s) is not sent again: it may have reached the server', async (method, contentType) => {
    const f = flakyFetch(1);
    await expect(new Api('http://x', 't', f.fetch).fetch({ method, path: '/api/v1/namespaces/default/pods', body: {}, contentType })).rejects.toThrow(TypeError);
    expect(f.calls()).toBe(1);
  });

  test.each(['application/merge-patch+json', 'application/strategic-merge-patch+json'])('a PATCH as %s is sent again: twice does what once does', async (contentType) => {
    const f = flakyFetch(1);
    const res = await new Api('http://x', 't', f.fetch).fetch({ method: 'PATCH', path: '/apis/apps/v1/namespaces/default/deployments/web/scale', body: { spec: { replicas: 3 } }, contentType });
    expect(res.status).toBe(200);
    expect(f.calls()).toBe(2);
  });

  test('an aborted read is not sent again', async () => {
    const abort = new AbortController();
    abort.abort();
    const f = flakyFetch(1);
    await expect(new Api('http://x', 't', f.fetch).fetch({ path: '/api/v1/pods', signal: abort.signal })).rejects.toThrow(TypeError);
    expect(f.calls()).toBe(1);
  });

  test('an error that is not a dropped request is not retried', async () => {
    const f = flakyFetch(1, new ApiError(500, 'InternalError', 'boom'));
    await expect(new Api('http://x', 't', f.fetch).fetch({ path: '/api/v1/pods' })).rejects.toThrow('boom');
    expect(f.calls()).toBe(1);
  });

  test('an answered error (a 503) is the answer, not retried here', async () => {
    let calls = 0;
    const fetch: Fetch = () => {
      calls++;
      return Promise.resolve(new Response('{"kind":"Status","code":503,"reason":"ServiceUnavailable","message":"later"}', { status: 503 }));
    };
    await expect(new Api('http://x', 't', fetch).request({ path: '/api/v1/pods' })).rejects.toThrow('later');
    expect(calls).toBe(1);
  });
});
