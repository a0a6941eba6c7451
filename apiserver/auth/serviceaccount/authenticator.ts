// The service-account token authenticator (kube's pkg/serviceaccount/jwt.go and claims.go): a bearer
// token whose issuer is one of ours must carry a valid signature of one of our keys, an audience the
// apiserver accepts, a time window that includes now, and name a service account (and pod, secret or
// node) that still exists with the uid in the token. Such a token runs as
// system:serviceaccount:NS:NAME in the groups system:serviceaccounts and system:serviceaccounts:NS,
// with the pod and node it is bound to in user.extra. A token of another issuer, or no JWT at all, is
// left to the other authenticators; one of ours that fails a check is refused (401).
import type { IncomingMessage } from 'node:http';
import { compactVerify } from 'jose';
import type { KObj } from '../../storage/types';
import { bearerToken } from '../token-file';
import { AuthenticationError, type Authenticator, type UserInfo } from '../types';
import type { VerificationKey } from './keys';
import { ExtraKeys, makeGroupNames, makeUsername, unverifiedPayload, type KubernetesClaim, type ObjectRef } from './tokens';

/** jwt.DefaultLeeway: clock skew allowed on exp/nbf/iat, and how long a deleted bound object still counts. */
export const LEEWAY_SECONDS = 60;

export type BoundKind = 'serviceaccounts' | 'pods' | 'secrets' | 'nodes';

/** Reads the objects a token is bound to (the apiserver's storage; namespace '' for nodes). */
export type BoundObjectGetter = (kind: BoundKind, namespace: string, name: string) => Promise<KObj | undefined> | KObj | undefined;

export interface ServiceAccountAuthenticatorOptions {
  /** Accepted issuers (--service-account-issuer, all of them). */
  issuers: string[];
  keys: VerificationKey[];
  /** The apiserver's audiences (--api-audiences); a token must name at least one. */
  audiences: string[];
  getter: BoundObjectGetter;
  /** Milliseconds since the epoch (tests). */
  now?: () => number;
}

interface Verified {
  claims: VerifiedClaims;
  /** The signature check is remembered until then (ms). */
  until: number;
}

interface VerifiedClaims {
  sub: string;
  aud: string[];
  exp: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  k8s: KubernetesClaim;
}

const CACHE_MS = 10_000;
const CACHE_MAX = 10_000;

function asRef(v: unknown): ObjectRef | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const r = v as Record<string, unknown>;
  return typeof r.name === 'string' ? { name: r.name, uid: typeof r.uid === 'string' ? r.uid : '' } : undefined;
}

function numeric(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The claims of a verified payload, or an error when they are not shaped as ours. */
function readClaims(payload: Record<string, unknown>): VerifiedClaims {
  const k = payload['kubernetes.io'];
  if (!k || typeof k !== 'object') throw new AuthenticationError('service account token claims could not be validated: missing kubernetes.io claim');
  const kc = k as Record<string, unknown>;
  const sa = asRef(kc.serviceaccount);
  if (typeof kc.namespace !== 'string' || !kc.namespace || !sa) throw new AuthenticationError('service account token claims could not be validated: missing namespace or service account');
  const aud = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud.filter((a): a is string => typeof a === 'string') : [];
  const exp = numeric(payload.exp);
  if (exp === undefined) throw new AuthenticationError('service account token claims could not be validated: missing exp');
  return {
    sub: typeof payload.sub === 'string' ? payload.sub : '',
    aud,
    exp,
    nbf: numeric(payload.nbf),
    iat: numeric(payload.iat),
    jti: typeof payload.jti === 'string' ? payload.jti : undefined,
    k8s: { namespace: kc.namespace, serviceaccount: sa, pod: asRef(kc.pod), secret: asRef(kc.secret), node: asRef(kc.node), warnafter: numeric(kc.warnafter) },
  };
}

function isDeletedBefore(obj: KObj, beforeMs: number): boolean {
  const ts = obj.metadata.deletionTimestamp;
  return typeof ts === 'string' && Date.parse(ts) < beforeMs;
}

export class ServiceAccountTokenAuthenticator implements Authenticator {
  private readonly cache = new Map<string, Verified>();
  private readonly issuers: Set<string>;
  private readonly now: () => number;

  constructor(private readonly o: ServiceAccountAuthenticatorOptions) {
    this.issuers = new Set(o.issuers);
    this.now = o.now ?? Date.now;
  }

  authenticate(req: IncomingMessage): Promise<UserInfo | undefined> | undefined {
    const token = bearerToken(req);
    return token === undefined ? undefined : this.authenticateToken(token);
  }

  /** The user of a token; undefined when it is not one of ours; throws AuthenticationError when it is but is not valid. */
  async authenticateToken(token: string): Promise<UserInfo | undefined> {
    const now = this.now();
    let verified = this.cache.get(token);
    if (!verified || verified.until <= now) {
      const payload = unverifiedPayload(token);
      if (!payload || typeof payload.iss !== 'string' || !this.issuers.has(payload.iss)) return undefined;
      const claims = readClaims(await this.verifySignature(token));
      verified = { claims, until: Math.min(now + CACHE_MS, claims.exp * 1000) };
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(token, verified);
    }
    return this.validate(verified.claims, now);
  }

  private async verifySignature(token: string): Promise<Record<string, unknown>> {
    let kid: string | undefined;
    try {
      const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as { kid?: unknown };
      kid = typeof header.kid === 'string' ? header.kid : undefined;
    } catch {
      throw new AuthenticationError('malformed service account token');
    }
    // The key the token names first, then every other (kube tries them all).
    const keys = [...this.o.keys].sort((a, b) => Number(b.kid === kid) - Number(a.kid === kid));
    for (const k of keys) {
      try {
        const { payload } = await compactVerify(token, k.key, { algorithms: [k.alg] });
        return JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
      } catch {
        // not this key
      }
    }
    throw new AuthenticationError('invalid signature on service account token');
  }

  private async validate(c: VerifiedClaims, nowMs: number): Promise<UserInfo> {
    const auds = c.aud.filter((a) => this.o.audiences.includes(a));
    if (auds.length === 0) throw new AuthenticationError(`token audiences ${JSON.stringify(c.aud)} is invalid for the target audiences ${JSON.stringify(this.o.audiences)}`);
    const now = nowMs / 1000;
    if (now > c.exp + LEEWAY_SECONDS) throw new AuthenticationError('service account token has expired');
    if (c.nbf !== undefined && now < c.nbf - LEEWAY_SECONDS) throw new AuthenticationError('service account token is not valid yet');
    if (c.iat !== undefined && now < c.iat - LEEWAY_SECONDS) throw new AuthenticationError('service account token is issued in the future');
    const { namespace, serviceaccount: saRef, pod: podRef, secret: secRef, node: nodeRef } = c.k8s;
    // Objects deleted more than the leeway ago no longer back a token.
    const invalidIfDeletedBefore = nowMs - LEEWAY_SECONDS * 1000;
    const sa = await this.o.getter('serviceaccounts', namespace, saRef.name);
    if (!sa) throw new AuthenticationError(`serviceaccounts "${saRef.name}" not found`);
    if (sa.metadata.uid !== saRef.uid) throw new AuthenticationError(`service account UID (${String(sa.metadata.uid)}) does not match claim (${saRef.uid})`);
    if (isDeletedBefore(sa, invalidIfDeletedBefore)) throw new AuthenticationError(`service account ${namespace}/${saRef.name} has been deleted`);
    if (secRef) {
      const secret = await this.o.getter('secrets', namespace, secRef.name);
      if (!secret) throw new AuthenticationError('service account token has been invalidated');
      if (secret.metadata.uid !== secRef.uid) throw new AuthenticationError(`secret UID (${String(secret.metadata.uid)}) does not match service account secret ref claim (${secRef.uid})`);
      if (isDeletedBefore(secret, invalidIfDeletedBefore)) throw new AuthenticationError('service account token has been invalidated');
    }
    const extra: Record<string, string[]> = {};
    if (podRef) {
      const pod = await this.o.getter('pods', namespace, podRef.name);
      if (!pod) throw new AuthenticationError('service account token has been invalidated');
      if (pod.metadata.uid !== podRef.uid) throw new AuthenticationError(`pod UID (${String(pod.metadata.uid)}) does not match service account pod ref claim (${podRef.uid})`);
      if (isDeletedBefore(pod, invalidIfDeletedBefore)) throw new AuthenticationError('service account token has been invalidated');
      extra[ExtraKeys.podName] = [podRef.name];
      extra[ExtraKeys.podUID] = [podRef.uid];
    }
    if (nodeRef) {
      if (!podRef) {
        // A token bound to a node itself: the node must still be there.
        const node = await this.o.getter('nodes', '', nodeRef.name);
        if (!node) throw new AuthenticationError('service account token has been invalidated');
        if (node.metadata.uid !== nodeRef.uid) throw new AuthenticationError(`node UID (${String(node.metadata.uid)}) does not match service account node ref claim (${nodeRef.uid})`);
        if (isDeletedBefore(node, invalidIfDeletedBefore)) throw new AuthenticationError('service account token has been invalidated');
      }
      extra[ExtraKeys.nodeName] = [nodeRef.name];
      if (nodeRef.uid) extra[ExtraKeys.nodeUID] = [nodeRef.uid];
    }
    if (c.jti) extra[ExtraKeys.credentialID] = [`JTI=${c.jti}`];
    return {
      name: makeUsername(namespace, saRef.name),
      uid: saRef.uid,
      groups: makeGroupNames(namespace),
      ...(Object.keys(extra).length ? { extra } : {}),
    };
  }
}
