// Logging in: the token lives in sessionStorage (this tab only, gone when it closes; never in a URL or
// a cookie). Connecting checks it against the API (discovery), so a wrong token fails at once with the
// API's 401, and learns which kinds the server serves.
import { Api, ApiError } from '../model/api';
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
  const api = new Api('', token || undefined);
  let core: ResourceList;
  try {
    core = await api.request<ResourceList>({ path: '/api/v1' });
  } catch (err) {
    if (err instanceof ApiError && err.code === 401) {
      throw new Error(token ? 'The API refused this token (401 Unauthorized).' : 'The API needs a token (401 Unauthorized).');
    }
    throw err;
  }
  const groups = await api.request<{ groups?: Array<{ name: string; preferredVersion?: { groupVersion: string } }> }>({ path: '/apis' });
  const docs: ResourceList[] = [core];
  for (const gv of ['apps/v1', 'batch/v1']) {
    if (!(groups.groups ?? []).some((g) => g.preferredVersion?.groupVersion === gv || g.name === gv.split('/')[0])) continue;
    docs.push(await api.request<ResourceList>({ path: `/apis/${gv}` }).catch(() => ({})));
  }
  const metrics = (groups.groups ?? []).some((g) => g.name === 'metrics.k8s.io');
  return { api, served: servedKinds(docs), metrics };
}
