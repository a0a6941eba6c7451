// Service-account JWTs as kube-apiserver writes them (pkg/serviceaccount/claims.go, jwt.go): the
// public claims (iss, sub system:serviceaccount:NS:NAME, aud, exp, iat, nbf, jti) and the private
// "kubernetes.io" claim naming the namespace, the service account and the object the token is bound
// to (a pod — with its node —, a secret or a node), plus warnafter for the kubelet's extended
// tokens. Signed as a compact JWS with the apiserver's key (header alg + kid), through `jose`.
import { randomUUID } from 'node:crypto';
import { CompactSign } from 'jose';
import type { SigningKey } from './keys';

/** The kubelet's default projected token lifetime: the apiserver extends such tokens and warns after it. */
export const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 60 * 60 + 7;
/** How long an extended token really lasts (one year). */
export const EXPIRATION_EXTENSION_SECONDS = 24 * 365 * 60 * 60;
/** TokenRequest's bounds (pkg/apis/authentication/validation). */
export const MIN_TOKEN_SECONDS = 10 * 60;
export const MAX_TOKEN_SECONDS = 2 ** 32;
export const DEFAULT_TOKEN_SECONDS = 60 * 60;

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface ObjectRef {
  name: string;
  uid: string;
}

export interface KubernetesClaim {
  namespace: string;
  serviceaccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
  /** NumericDate after which a still-valid extended token is reported as stale. */
  warnafter?: number;
}

export interface TokenClaims {
  aud: string[];
  exp: number;
  iat: number;
  iss: string;
  jti: string;
  'kubernetes.io': KubernetesClaim;
  nbf: number;
  sub: string;
}

export const ServiceAccountUsernamePrefix = 'system:serviceaccount:';
export const AllServiceAccountsGroup = 'system:serviceaccounts';

export function makeUsername(namespace: string, name: string): string {
  return `${ServiceAccountUsernamePrefix}${namespace}:${name}`;
}

export function makeGroupNames(namespace: string): string[] {
  return [AllServiceAccountsGroup, `${AllServiceAccountsGroup}:${namespace}`];
}

/** The user.Info extra keys of a service-account user (k8s.io/apiserver/pkg/authentication/serviceaccount). */
export const ExtraKeys = {
  podName: 'authentication.kubernetes.io/pod-name',
  podUID: 'authentication.kubernetes.io/pod-uid',
  nodeName: 'authentication.kubernetes.io/node-name',
  nodeUID: 'authentication.kubernetes.io/node-uid',
  credentialID: 'authentication.kubernetes.io/credential-id',
} as const;

export interface ClaimsInput {
  issuer: string;
  namespace: string;
  serviceAccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
  audiences: string[];
  expirationSeconds: number;
  /** Seconds after which the token counts as stale though still valid (0: not an extended token). */
  warnAfterSeconds?: number;
  /** Milliseconds since the epoch (tests pass a fixed clock). */
  now?: number;
}

export function buildClaims(i: ClaimsInput): TokenClaims {
  const now = Math.floor((i.now ?? Date.now()) / 1000);
  if (i.secret && (i.pod || i.node)) throw new Error('internal error, token can only be bound to one object type');
  const k8s: KubernetesClaim = { namespace: i.namespace, serviceaccount: { name: i.serviceAccount.name, uid: i.serviceAccount.uid } };
  if (i.pod) {
    k8s.pod = { ...i.pod };
    if (i.node) k8s.node = { ...i.node };
  } else if (i.secret) k8s.secret = { ...i.secret };
  else if (i.node) k8s.node = { ...i.node };
  if (i.warnAfterSeconds) k8s.warnafter = now + i.warnAfterSeconds;
  return {
    aud: [...i.audiences],
    exp: now + i.expirationSeconds,
    iat: now,
    iss: i.issuer,
    jti: randomUUID(),
    'kubernetes.io': k8s,
    nbf: now,
    sub: makeUsername(i.namespace, i.serviceAccount.name),
  };
}

/** Signs claims into a compact JWS with the key's algorithm and key ID. */
export async function signToken(key: SigningKey, claims: TokenClaims): Promise<string> {
  const payload = new TextEncoder().encode(JSON.stringify(claims));
  return new CompactSign(payload).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.key);
}

/** The payload of a JWT without checking its signature (to route it by issuer); undefined when it is none. */
export function unverifiedPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const p = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown;
    return p && typeof p === 'object' && !Array.isArray(p) ? (p as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
