// The token authenticators of one apiserver, for the TokenReview API (authentication.k8s.io/v1): a
// delegating component (node agent, scheduler, controller manager) sends a bearer token it was shown,
// and the apiserver runs its own chain on it — the static token file, service-account JWTs — exactly as
// it would for a request carrying that token. Client certificates are not tokens and are not tried.
import type { IncomingMessage } from 'node:http';
import type { Registry } from '../registry/registry';
import { AllAuthenticated, AuthenticationError, type Authenticator, type UserInfo } from './types';

const chains = new WeakMap<Registry, Authenticator[]>();

/** Registers the server's token authenticators (startApiServer does, right after making the registry). */
export function setTokenAuthenticators(registry: Registry, authenticators: Authenticator[]): void {
  chains.set(registry, authenticators);
}

/**
 * A request as a token authenticator sees it for a TokenReview: the token as a bearer header, no TLS
 * peer, and the audiences the reviewer asked for (an audience-aware authenticator — service-account
 * JWTs — checks the token against them instead of the apiserver's own, and reports those it matched).
 */
export interface TokenReviewRequest {
  headers: { authorization: string };
  socket: Record<string, never>;
  /** spec.audiences of the review; absent: the apiserver's own audiences. */
  reviewAudiences?: string[];
  /** Set by an audience-aware authenticator: the requested audiences the token is valid for. */
  matchedAudiences?: string[];
}

/** The audiences a TokenReview asks about, when `req` is a TokenReview's request; else undefined. */
export function reviewAudiences(req: IncomingMessage): string[] | undefined {
  return (req as unknown as Partial<TokenReviewRequest>).reviewAudiences;
}

/** For audience-aware authenticators: records which of the review's audiences the token is valid for. */
export function matchAudiences(req: IncomingMessage, audiences: string[]): void {
  (req as unknown as Partial<TokenReviewRequest>).matchedAudiences = audiences;
}

export interface TokenReviewResult {
  authenticated: boolean;
  user?: UserInfo;
  audiences?: string[];
  error?: string;
}

/** Runs the registry's token authenticators on one token. */
export async function reviewToken(registry: Registry, token: string, audiences?: string[]): Promise<TokenReviewResult> {
  const req: TokenReviewRequest = { headers: { authorization: `Bearer ${token}` }, socket: {}, ...(audiences?.length ? { reviewAudiences: audiences } : {}) };
  const asMessage = req as unknown as IncomingMessage;
  try {
    for (const a of chains.get(registry) ?? []) {
      const user = await a.authenticate(asMessage);
      if (!user) continue;
      const groups = user.groups.includes(AllAuthenticated) ? user.groups : [...user.groups, AllAuthenticated];
      return { authenticated: true, user: { ...user, groups }, audiences: req.matchedAudiences };
    }
    return { authenticated: false };
  } catch (err) {
    if (err instanceof AuthenticationError) return { authenticated: false, error: err.message };
    throw err;
  }
}
