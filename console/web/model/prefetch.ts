// The first view's lists, asked for before the app's bundle has loaded. index.html runs boot.js (a few
// KiB) first: with a saved token it requests the lists of the view the URL names at once, while app.js
// (130 KiB) is still being fetched, parsed and run — on a loaded machine that is half a second or more
// the lists no longer wait for. The session's API client then takes each answer in place of its own
// request for the same list (once; every later request goes to the network).
import { Api, Fetch } from './api';
import { KindName, assumedServed, listPath } from './kinds';

/** Lists on the way, by URL, for the token they were asked with. */
export interface Prefetched {
  token: string;
  lists: Map<string, Promise<Response>>;
}

/** Where boot.js leaves them for app.js (both scripts of one page). */
const SLOT = '__steerConsolePrefetched';
type Slot = { [SLOT]?: Prefetched };

/** boot.js: requests the lists of `kinds` (those every Kubernetes API serves) with `token`. */
export function prefetchLists(token: string, kinds: readonly KindName[], fetchImpl?: Fetch): Prefetched {
  const api = new Api('', token || undefined, fetchImpl);
  const lists = new Map<string, Promise<Response>>();
  for (const kind of kinds) {
    if (!assumedServed(kind)) continue;
    const url = api.url(listPath(kind));
    const answer = api.fetch({ path: listPath(kind) });
    answer.catch(() => undefined); // a failure is the app's to see, when it takes the answer
    lists.set(url, answer);
  }
  const prefetched = { token, lists };
  (globalThis as Slot)[SLOT] = prefetched;
  return prefetched;
}

/**
 * app.js: a fetch that answers a GET of a prefetched URL with the prefetched answer (once), and
 * anything else from `fallback`. Lists asked for with another token are not used.
 */
export function prefetchingFetch(token: string, fallback: Fetch): Fetch {
  const slot = globalThis as Slot;
  const prefetched = slot[SLOT];
  delete slot[SLOT]; // one session takes them: a later login asks the network
  const lists = prefetched?.token === token ? prefetched.lists : new Map<string, Promise<Response>>();
  return (input, init) => {
    const answer = (init?.method ?? 'GET') === 'GET' ? lists.get(input) : undefined;
    if (!answer) return fallback(input, init);
    lists.delete(input);
    return answer;
  };
}
