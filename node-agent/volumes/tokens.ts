// The kubelet's service-account token manager (pkg/kubelet/token/token_manager.go): projected
// serviceAccountToken sources get their tokens from the TokenRequest API, bound to the pod, and cached
// per service account, pod, audience and lifetime. A cached token is renewed once 80% of its lifetime
// (or 24 hours) has passed, with up to 10 s of jitter; when renewal fails, a token that has not expired
// yet is still used. A pod's tokens are dropped when the pod is forgotten. Callers asking for the same
// token while its request is under way share that request (the agent asks for a new pod's tokens while
// it reads the pod's ConfigMaps, and its volume setup asks again).
import type { KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';

export interface TokenRequestSpec {
  audiences: string[];
  expirationSeconds: number;
  boundObjectRef: { kind: 'Pod'; apiVersion: 'v1'; name: string; uid: string };
}

export interface TokenRequestStatus {
  token: string;
  expirationTimestamp: string;
}

interface Cached {
  spec: TokenRequestSpec;
  status: TokenRequestStatus;
  podUID: string;
}

const MAX_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_JITTER_MS = 10_000;

/** Where tokens come from (the API; tests pass fakes). */
export type TokenRequester = (namespace: string, serviceAccount: string, spec: TokenRequestSpec) => Promise<TokenRequestStatus>;

export function apiTokenRequester(client: KubeClient): TokenRequester {
  return async (namespace, serviceAccount, spec) => {
    const tr = await client.create<{ apiVersion: string; kind: string; spec: TokenRequestSpec; status?: TokenRequestStatus }>(
      Resources.serviceaccounts,
      namespace,
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec },
      { name: serviceAccount, subresource: 'token' },
    );
    if (!tr.status?.token || !tr.status.expirationTimestamp) throw new Error(`the TokenRequest for ${namespace}/${serviceAccount} came back without a token`);
    return tr.status;
  };
}

/** kubelet's requiresRefresh: past 80% of the lifetime (minus jitter), or older than 24 h. */
export function requiresRefresh(spec: TokenRequestSpec, status: TokenRequestStatus, now: number, jitterMs = Math.random() * MAX_JITTER_MS): boolean {
  const exp = Date.parse(status.expirationTimestamp);
  const lifetimeMs = spec.expirationSeconds * 1000;
  const iat = exp - lifetimeMs;
  if (now > iat + MAX_TTL_MS - jitterMs) return true;
  return now > exp - lifetimeMs * 0.2 - jitterMs;
}

export class ServiceAccountTokenManager {
  private readonly cache = new Map<string, Cached>();
  /** Requests under way by cache key, with the pod they are bound to. */
  private readonly inFlight = new Map<string, { podUID: string; status: Promise<TokenRequestStatus> }>();
  private readonly now: () => number;

  constructor(
    private readonly request: TokenRequester,
    opts: { now?: () => number } = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** A valid token for the pod's service account: from the cache, or a new one. */
  async getServiceAccountToken(namespace: string, serviceAccount: string, spec: TokenRequestSpec): Promise<TokenRequestStatus> {
    const key = JSON.stringify([serviceAccount, namespace, spec.audiences, spec.expirationSeconds, spec.boundObjectRef]);
    const cached = this.cache.get(key);
    const now = this.now();
    if (cached && !requiresRefresh(cached.spec, cached.status, now)) return cached.status;
    let flight = this.inFlight.get(key);
    if (!flight) {
      const mine = { podUID: spec.boundObjectRef.uid, status: this.request(namespace, serviceAccount, spec) };
      flight = mine;
      this.inFlight.set(key, mine);
      mine.status.then(
        (status) => {
          // Not cached when the pod was forgotten meanwhile.
          if (this.inFlight.get(key) === mine) this.cache.set(key, { spec, status, podUID: mine.podUID });
        },
        () => undefined,
      ).finally(() => {
        if (this.inFlight.get(key) === mine) this.inFlight.delete(key);
      });
    }
    try {
      return await flight.status;
    } catch (err) {
      if (!cached) throw new Error(`failed to fetch token: ${(err as Error).message}`);
      if (Date.parse(cached.status.expirationTimestamp) <= now) throw new Error(`token ${key} expired and refresh failed: ${(err as Error).message}`);
      return cached.status; // still valid: retried on the next volume refresh
    }
  }

  /** Forgets the tokens of a pod that is gone (and any request for one under way). */
  deleteServiceAccountTokens(podUID: string): void {
    for (const [k, v] of this.cache) if (v.podUID === podUID) this.cache.delete(k);
    for (const [k, v] of this.inFlight) if (v.podUID === podUID) this.inFlight.delete(k);
  }

  get size(): number {
    return this.cache.size;
  }
}
