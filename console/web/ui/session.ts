// Logging in: the token lives in sessionStorage (this tab only, gone when it closes; never in a URL or
// a cookie). Connecting checks it against the API (discovery), so a wrong token fails at once with the
// API's 401, and learns which kinds the server serves.
import { Api, ApiError, type WebSocketLike } from '../model/api';
import { KindName, servedKinds } from '../model/kinds';

const TOKEN_KEY = 'steer.console.token';

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

export interface Connection {
  api: Api;
  served: Set<KindName>;
  metrics: boolean;
}

interface ResourceList {
  groupVersion?: string;
  resources?: Array<{ name: string }>;
}

/** Checks the token and reads discovery; throws the API's error (401 for a refused token). */
export async function connect(token: string): Promise<Connection> {
  // Watches over WebSockets: they do not hold one of the 6 HTTP/1.1 connections the browser opens to
  // the origin (model/reflector.ts). The DOM's WebSocket has what WebSocketLike names, with DOM event types.
  const api = new Api('', token || undefined, undefined, (url, protocols) => new WebSocket(url, protocols) as unknown as WebSocketLike);
  // One round trip: the core group, the groups list and the two groups' resources at once.
  const optional = (path: string) => api.request<ResourceList>({ path }).catch(() => ({}) as ResourceList);
  const [core, groups, apps, batch] = await Promise.all([
    api.request<ResourceList>({ path: '/api/v1' }).catch((err: unknown) => {
      if (err instanceof ApiError && err.code === 401) {
        throw new Error(token ? 'The API refused this token (401 Unauthorized).' : 'The API needs a token (401 Unauthorized).');
      }
      throw err;
    }),
    api.request<{ groups?: Array<{ name: string }> }>({ path: '/apis' }).catch(() => ({ groups: [] })),
    optional('/apis/apps/v1'),
    optional('/apis/batch/v1'),
  ]);
  const docs: ResourceList[] = [core, apps, batch];
  const metrics = (groups.groups ?? []).some((g) => g.name === 'metrics.k8s.io');
  performance.mark('steer-console-connected'); // for bench/console.ts's breakdown of the first paint
  return { api, served: servedKinds(docs), metrics };
}
