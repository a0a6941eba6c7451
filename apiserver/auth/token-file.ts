// Static bearer-token authentication (kube-apiserver's --token-auth-file): a CSV of
// token,user,uid[,"group1,group2"]. A request with `Authorization: Bearer <token>` of a listed token
// runs as that user.
import * as fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Authenticator, UserInfo } from './types';

export function loadTokenFile(path: string): Map<string, UserInfo> {
  const tokens = new Map<string, UserInfo>();
  const lines = fs.readFileSync(path, 'utf8').split(/\r?\n/);
  lines.forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith('#')) return;
    const cols = t.match(/("[^"]*"|[^,]+)/g)?.map((c) => c.replace(/^"|"$/g, '').trim()) ?? [];
    if (cols.length < 3 || !cols[0]) throw new Error(`${path}:${i + 1}: expected token,user,uid[,groups]`);
    tokens.set(cols[0], { name: cols[1], uid: cols[2], groups: cols[3] ? cols[3].split(',').map((g) => g.trim()) : [] });
  });
  if (tokens.size === 0) throw new Error(`${path}: no tokens`);
  return tokens;
}

/** The bearer token of a request, if it sends one. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

/** Tokens from a token file; a token it does not list is left to the authenticators after it. */
export function tokenFileAuthenticator(tokens: Map<string, UserInfo>): Authenticator {
  return {
    authenticate(req) {
      const token = bearerToken(req);
      return token === undefined ? undefined : tokens.get(token);
    },
  };
}
