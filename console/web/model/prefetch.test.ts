// boot.js asks for the first view's lists before app.js has loaded; the session takes each answer once,
// for the same token, in place of its own request (model/prefetch.ts).
import type { Fetch } from './api';
import { prefetchLists, prefetchingFetch } from './prefetch';

/** A fetch that records what it was asked and answers each URL with its own body. */
function recordingFetch(): { fetch: Fetch; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    fetch: (input, init) => {
      asked.push(`${init?.method ?? 'GET'} ${input} ${(init?.headers as Record<string, string> | undefined)?.Authorization ?? ''}`);
      return Promise.resolve(new Response(JSON.stringify({ url: input })));
    },
  };
}

describe('lists prefetched by boot.js', () => {
  test('the first view’s lists are asked for with the token, and each answer is taken once', async () => {
    const boot = recordingFetch();
    prefetchLists('t0k', ['nodes', 'pods', 'statefulsets'], boot.fetch);
    // StatefulSets wait for discovery (not every API serves them).
    expect(boot.asked).toEqual(['GET /api/v1/nodes Bearer t0k', 'GET /api/v1/pods Bearer t0k']);

    const app = recordingFetch();
    const f = prefetchingFetch('t0k', app.fetch);
    expect(await (await f('/api/v1/pods', { method: 'GET' })).json()).toEqual({ url: '/api/v1/pods' });
    expect(app.asked).toEqual([]);
    // Taken once: the next list of pods (a relist after a 410) goes to the network.
    await f('/api/v1/pods', { method: 'GET' });
    // Only GETs of the same URL: a write, or another query, is the app's own request.
    await f('/api/v1/nodes', { method: 'POST' });
    await f('/api/v1/nodes?watch=1');
    expect(app.asked).toEqual(['GET /api/v1/pods ', 'POST /api/v1/nodes ', 'GET /api/v1/nodes?watch=1 ']);
    await f('/api/v1/nodes');
    expect(app.asked).toHaveLength(3);
  });

  test('a session with another token (a new login) and a second session ask the network', async () => {
    prefetchLists('old', ['pods'], recordingFetch().fetch);
    const other = recordingFetch();
    await prefetchingFetch('new', other.fetch)('/api/v1/pods');
    expect(other.asked).toEqual(['GET /api/v1/pods ']);

    prefetchLists('same', ['pods'], recordingFetch().fetch);
    prefetchingFetch('same', recordingFetch().fetch);
    const second = recordingFetch();
    await prefetchingFetch('same', second.fetch)('/api/v1/pods');
    expect(second.asked).toEqual(['GET /api/v1/pods ']);
  });
});
