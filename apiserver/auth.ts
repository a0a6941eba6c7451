// Static bearer-token authentication (kube-apiserver's --token-auth-file): a CSV of
// token,user,uid[,"group1,group2"]. With a token file, every request but the health probes needs
// `Authorization: Bearer <token>` with a listed token, or gets 401.
import * as fs from 'node:fs';
import type { NextFunction, Request, Response } from 'express';
import { errors } from './errors';
import { sendError } from './handlers/request';

export interface TokenUser {
  name: string;
  uid: string;
  groups: string[];
}

export function loadTokenFile(path: string): Map<string, TokenUser> {
  const tokens = new Map<string, TokenUser>();
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

const UNAUTHENTICATED_PATHS = new Set(['/healthz', '/livez', '/readyz']);

export function tokenAuth(tokens: Map<string, TokenUser>) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (UNAUTHENTICATED_PATHS.has(req.path)) return next();
    const h = req.headers.authorization || '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    const user = m ? tokens.get(m[1]) : undefined;
    if (!user) return sendError(res, errors.unauthorized());
    res.locals.user = user;
    next();
  };
}
