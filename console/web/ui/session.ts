// Logging in and the session it opens. The token lives in sessionStorage (this tab only, gone when it
// closes; never in a URL or a cookie). A session is the API client with that token, the cache of the
// cluster, the watch hub and the workloads' timelines; it lives as long as the login.
//
// A page opened with a saved token (a reload, a returning tab) does not wait for a round trip before
// asking for data: main.tsx boots the session at script start and the lists of the view the URL names
// are requested at once; discovery (which kinds the server serves, whether it serves metrics) follows
// them. A refused token shows as the API's 401 on any of them and ends the session. The login
// form checks the token against discovery first, so a wrong one fails at once with the API's 401.
import { Api, ApiError, type WebSocketLike } from '../model/api';
import { WatchHub } from '../model/hub';
import { KindName, servedKinds } from '../model/kinds';
import { prefetchingFetch } from '../model/prefetch';
import { Store } from '../model/store';
import { Timelines } from '../model/timeline';
import { TOKEN_KEY } from '../model/token';

/** Newest events the page keeps (the Events view shows the newest 300). */
const EVENTS_KEPT = 3000;

export function savedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export interface Session {
  api: Api;
  store: Store;
  hub: WatchHub;
  timelines: Timelines;
  closed: boolean;
}

/** What discovery says: the kinds the server serves, and whether it serves metrics.k8s.io. */
export interface Discovery {
  served: Set<KindName>;
  metrics: boolean;
}

/** Store notifications once per frame (or within 50 ms when the tab is hidden and frames stop). */
function frameScheduler(fn: () => void): void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    fn();
  };
  requestAnimationFrame(once);
  setTimeout(once, 50);
}

/** A session for `token`: nothing is requested until a view (or boot) asks for kinds. */
export function openSession(token: string): Session {
  // Watches over WebSockets: they do not hold one of the 6 HTTP/1.1 connections the browser opens to
  // the origin (model/reflector.ts). The DOM's WebSocket has what WebSocketLike names, with DOM event types.
  // The first view's lists boot.js already asked for (model/prefetch.ts) are taken from there.
  const fetchImpl = prefetchingFetch(token, (input, init) => fetch(input, init));
  const api = new Api('', token || undefined, fetchImpl, (url, protocols) => new WebSocket(url, protocols) as unknown as WebSocketLike);
  const store = new Store(frameScheduler, Date.now, { events: EVENTS_KEPT });
  const timelines = new Timelines().attach(store);
  // Over HTTP/2 (or 3) watches share one connection: no budget needed.
  const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
  const multiplexed = !!nav && /^h[23]/.test(nav.nextHopProtocol);
  const hub = new WatchHub(api, store, { budget: multiplexed ? 32 : 5, pinned: ['pods', 'deployments', 'events'] });
  return { api, store, hub, timelines, closed: false };
}

export function closeSession(s: Session): void {
  s.closed = true;
  s.hub.stop();
  s.timelines.detach();
}

interface ResourceList {
  groupVersion?: string;
  resources?: Array<{ name: string }>;
}

/** The API refused the token (401), in words. */
export class TokenRefused extends Error {}

/**
 * Reads discovery with the session's token and tells the hub which kinds are served; throws the API's
 * error (TokenRefused for a 401).
 */
export async function discover(s: Session): Promise<Discovery> {
  const { api } = s;
  // One round trip: the core group, the groups list and the two groups' resources at once.
  const optional = (path: string) => api.request<ResourceList>({ path }).catch(() => ({}) as ResourceList);
  const [core, groups, apps, batch] = await Promise.all([
    api.request<ResourceList>({ path: '/api/v1' }).catch((err: unknown) => {
      if (err instanceof ApiError && err.code === 401) {
        throw new TokenRefused(api.hasToken ? 'The API refused this token (401 Unauthorized).' : 'The API needs a token (401 Unauthorized).');
      }
      throw err;
    }),
    api.request<{ groups?: Array<{ name: string }> }>({ path: '/apis' }).catch(() => ({ groups: [] })),
    optional('/apis/apps/v1'),
    optional('/apis/batch/v1'),
  ]);
  const served = servedKinds([core, apps, batch]);
  const metrics = (groups.groups ?? []).some((g) => g.name === 'metrics.k8s.io');
  s.hub.setServed(served);
  performance.mark('steer-console-connected'); // for bench/console.ts's breakdown of the first paint
  return { served, metrics };
}

/** What main.tsx starts before the first render when the tab has a saved token. */
export interface Boot {
  session: Session;
  discovery: Promise<Discovery>;
  /** Drops boot's hold on the first view's kinds (once that view holds them itself). */
  release(): void;
}

/**
 * Discovery for a session already showing data: asked again (0.25 s, doubling to 5 s) while the
 * network or the server fails (an apiserver restarting, Chromium's ERR_NETWORK_CHANGED) — only an
 * answer of the API (401, 403) ends the session.
 */
async function discoverUntilAnswered(s: Session): Promise<Discovery> {
  for (let wait = 250; ; wait = Math.min(5000, wait * 2)) {
    try {
      return await discover(s);
    } catch (err) {
      const answered = err instanceof TokenRefused || (err instanceof ApiError && err.code < 500);
      if (answered || s.closed) throw err;
    }
    await new Promise((r) => setTimeout(r, wait));
  }
}

/**
 * Resolves once `kinds` are listed or failed (or after `capMs`): discovery's four requests wait for the
 * first view's lists instead of sharing the server with them.
 */
function listedOrFailed(store: Store, kinds: readonly KindName[], capMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => kinds.every((k) => store.isSynced(k) || store.kindStatus(k).state === 'retrying');
    if (done()) return resolve();
    const finish = () => {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(finish, capMs);
    const unsubscribe = store.subscribe(() => done() && finish());
  });
}

/**
 * Opens the session and asks for `kinds` (the first view's) at once; discovery (needed only for
 * StatefulSets and node usage) follows their lists.
 */
export function boot(token: string, kinds: readonly KindName[]): Boot {
  const session = openSession(token);
  const release = session.hub.acquire(kinds);
  const discovery = listedOrFailed(session.store, kinds.filter((k) => session.hub.serves(k)), 2000).then(() => discoverUntilAnswered(session));
  discovery.catch(() => undefined); // the app reads the failure; no unhandled rejection before it does
  return { session, discovery, release };
}
