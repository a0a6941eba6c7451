// An apiserver with authorization on, and one client per identity: a static token file
// (kube-apiserver's --token-auth-file) names the users, and each client sends its user's bearer token.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ApiServerOptions } from '../../apiserver';
import { ApiError, KubeClient } from '../../lib/client/client';
import { startTestApiServer, type TestApiServer } from './apiserver';

export interface Identity {
  user: string;
  groups?: string[];
}

export interface SecuredApiServer extends TestApiServer {
  /** A client that authenticates as the identity's token (its key in `identities`). */
  as(token: string): KubeClient;
  /** The token file's path. */
  tokenFile: string;
}

/** Starts an apiserver with a token per identity (token = the key) and the given authorization. */
export async function startSecuredApiServer(identities: Record<string, Identity>, opts: Partial<ApiServerOptions> = {}): Promise<SecuredApiServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-tokens-'));
  const tokenFile = path.join(dir, 'tokens.csv');
  const lines = Object.entries(identities).map(([token, id], i) => `${token},${id.user},uid-${i}${id.groups?.length ? `,"${id.groups.join(',')}"` : ''}`);
  fs.writeFileSync(tokenFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  const admin = Object.entries(identities).find(([, id]) => id.groups?.includes('system:masters'))?.[0];
  const srv = await startTestApiServer({ authorizationMode: ['Node', 'RBAC'], tokenFile, token: admin, ...opts });
  const clients: KubeClient[] = [];
  return {
    ...srv,
    tokenFile,
    as(token: string) {
      const c = KubeClient.forServer(srv.url, token);
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.close();
      await srv.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The status code a call fails with (0: it succeeded), and its message. */
export async function outcome(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
    return { code: 0, message: '' };
  } catch (err) {
    if (err instanceof ApiError) return { code: err.code, message: err.status.message ?? '' };
    throw err;
  }
}
