// Secure serving for steer's components (k8s.io/apiserver's delegated authentication and authorization,
// as the kubelet, kube-scheduler and kube-controller-manager use them): HTTPS with the component's serving
// certificate; the caller is authenticated by a client certificate of the cluster CA (CN → user, O →
// groups) or by a bearer token the apiserver vouches for (a TokenReview), and authorized by the
// apiserver (a SubjectAccessReview). Both answers are cached for a while, as Kubernetes does, so a
// Prometheus scrape every few seconds costs the apiserver one review per TTL. Without credentials a
// request is anonymous when allowed and refused with 401 otherwise; some paths (/healthz) answer anyone.
// The reviews go through any client with a `request` method (lib/client's KubeClient has one), so this
// file needs nothing of lib/client.
import { createHash } from 'node:crypto';
import type * as http from 'node:http';
import * as https from 'node:https';
import type { TLSSocket } from 'node:tls';

/** authentication/v1 UserInfo: who a request comes from. */
export interface ReviewUser {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** What SubjectAccessReview asks about: an API resource, or a non-resource path. */
export type ReviewAttributes =
  | { resourceAttributes: { namespace?: string; verb: string; group?: string; version?: string; resource: string; subresource?: string; name?: string } }
  | { nonResourceAttributes: { path: string; verb: string } };

/** Verifies a bearer token: the user, or undefined when the token is not valid. Throws when it cannot tell. */
export interface TokenAuthenticator {
  authenticate(token: string): Promise<ReviewUser | undefined>;
}

export interface AuthorizationDecision {
  allowed: boolean;
  reason?: string;
}

/** Decides whether a user may do what a request asks. Throws when it cannot tell. */
export interface DelegatedAuthorizer {
  authorize(user: ReviewUser, attrs: ReviewAttributes): Promise<AuthorizationDecision>;
}

/** The part of an API client the reviews need (KubeClient.request has this shape). */
export interface ReviewClient {
  request<T>(method: string, path: string, o?: { body?: unknown; timeoutMs?: number }): Promise<T>;
}

export const Anonymous = 'system:anonymous';
export const AllUnauthenticated = 'system:unauthenticated';
const AllAuthenticated = 'system:authenticated';

/** A small TTL cache with a size bound (oldest entries go first) and shared in-flight lookups. */
class ReviewCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  private readonly inflight = new Map<string, Promise<V>>();

  constructor(
    private readonly ttlFor: (v: V) => number,
    private readonly maxEntries = 4096,
  ) {}

  async get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && hit.expires > Date.now()) return hit.value;
    if (hit) this.entries.delete(key);
    let p = this.inflight.get(key);
    if (!p) {
      p = load().then(
        (value) => {
          this.inflight.delete(key);
          const ttl = this.ttlFor(value);
          if (ttl > 0) {
            if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
            this.entries.set(key, { value, expires: Date.now() + ttl });
          }
          return value;
        },
        (err: unknown) => {
          this.inflight.delete(key);
          throw err;
        },
      );
      this.inflight.set(key, p);
    }
    return p;
  }
}

export interface TokenReviewOptions {
  /** How long a token's answer is kept: authenticated (default 10 s, kube's delegating authenticator; the kubelet uses 2 min). */
  cacheTTLMs?: number;
  /** ... and not authenticated (default 10 s). */
  failureCacheTTLMs?: number;
  /** spec.audiences of the reviews. */
  audiences?: string[];
}

interface TokenReviewAnswer {
  status?: { authenticated?: boolean; user?: Partial<ReviewUser>; error?: string };
}

/** Bearer tokens checked by the apiserver (POST authentication.k8s.io/v1 tokenreviews), cached. */
export function tokenReviewAuthenticator(client: ReviewClient, o: TokenReviewOptions = {}): TokenAuthenticator {
  const cache = new ReviewCache<ReviewUser | null>((v) => (v ? (o.cacheTTLMs ?? 10_000) : (o.failureCacheTTLMs ?? 10_000)));
  return {
    async authenticate(token: string) {
      // The cache is keyed by a hash: tokens are not kept in memory longer than the request.
      const key = createHash('sha256').update(token).digest('base64');
      const found = await cache.get(key, async () => {
        const answer = await client.request<TokenReviewAnswer>('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(o.audiences?.length ? { audiences: o.audiences } : {}) } },
          timeoutMs: 10_000,
        });
        const s = answer.status ?? {};
        if (!s.authenticated || !s.user?.username) return null;
        return { username: s.user.username, uid: s.user.uid, groups: s.user.groups ?? [], extra: s.user.extra };
      });
      return found ?? undefined;
    },
  };
}

export interface SubjectAccessReviewOptions {
  /** How long an allow is kept (default 10 s; the kubelet uses 5 min). */
  allowTTLMs?: number;
  /** ... and a denial (default 10 s; the kubelet uses 30 s). */
  denyTTLMs?: number;
}

interface SubjectAccessReviewAnswer {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

/** Decisions made by the apiserver (POST authorization.k8s.io/v1 subjectaccessreviews), cached. */
export function subjectAccessReviewAuthorizer(client: ReviewClient, o: SubjectAccessReviewOptions = {}): DelegatedAuthorizer {
  const cache = new ReviewCache<AuthorizationDecision>((d) => (d.allowed ? (o.allowTTLMs ?? 10_000) : (o.denyTTLMs ?? 10_000)));
  return {
    authorize(user, attrs) {
      const spec = { ...attrs, user: user.username, groups: user.groups, ...(user.uid ? { uid: user.uid } : {}), ...(user.extra ? { extra: user.extra } : {}) };
      return cache.get(JSON.stringify(spec), async () => {
        const answer = await client.request<SubjectAccessReviewAnswer>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
          body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec },
          timeoutMs: 10_000,
        });
        const s = answer.status ?? {};
        return { allowed: s.allowed === true && s.denied !== true, reason: s.reason || s.evaluationError || undefined };
      });
    },
  };
}

export interface SecureServingOptions {
  /** The component's serving certificate and key (PEM). */
  cert: string | Buffer;
  key: string | Buffer;
  /** Client certificates signed by this CA bundle authenticate; without it none are asked for. */
  clientCA?: string | Buffer;
  /** Bearer tokens; without it a request with a token is refused. */
  tokens?: TokenAuthenticator;
  /** Decides authenticated (and anonymous) requests; without it all are allowed (AlwaysAllow). */
  authorizer?: DelegatedAuthorizer;
  /** Requests without credentials run as system:anonymous (default false: 401). */
  anonymous?: boolean;
  /** Paths answered without authentication or authorization (kube's --authorization-always-allow-paths). */
  alwaysAllowPaths?: string[];
  /** What a request asks for (default: a non-resource request on its path, verb = lower-case method). */
  attributes?: (req: http.IncomingMessage, path: string) => ReviewAttributes;
  /** The message of a 403 (default: kube-apiserver's `forbidden: User "u" cannot get path "/metrics"`). */
  forbiddenMessage?: (user: ReviewUser, attrs: ReviewAttributes, reason?: string) => string;
  /** Where failures to reach the apiserver are reported (default: stderr). */
  log?: (msg: string) => void;
}

function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(code === 403 ? { details: {} } : {}), code });
}

function sendStatus(res: http.ServerResponse, code: number, reason: string, message: string): void {
  const body = statusBody(code, reason, message);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function values(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** The client-certificate identity of a connection: a user, null for none, 'invalid' for one that does not verify. */
const peers = new WeakMap<object, ReviewUser | null | 'invalid'>();

function certificateUser(sock: TLSSocket): ReviewUser | null | 'invalid' {
  let found = peers.get(sock);
  if (found !== undefined) return found;
  const cert = typeof sock.getPeerCertificate === 'function' ? sock.getPeerCertificate() : undefined;
  if (!cert || !cert.raw) found = null;
  else if (!sock.authorized) found = 'invalid';
  else {
    const name = values(cert.subject?.CN)[0];
    found = name ? { username: name, groups: values(cert.subject?.O) } : null;
  }
  peers.set(sock, found);
  return found;
}

function bearer(req: http.IncomingMessage): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
}

function withAuthenticated(u: ReviewUser): ReviewUser {
  return u.groups.includes(AllAuthenticated) ? u : { ...u, groups: [...u.groups, AllAuthenticated] };
}

export function describeAttributes(a: ReviewAttributes): string {
  if ('nonResourceAttributes' in a) return `path "${a.nonResourceAttributes.path}"`;
  const r = a.resourceAttributes;
  return `resource "${r.subresource ? `${r.resource}/${r.subresource}` : r.resource}" in API group "${r.group ?? ''}"`;
}

const defaultForbidden = (user: ReviewUser, a: ReviewAttributes, reason?: string): string => {
  const verb = 'nonResourceAttributes' in a ? a.nonResourceAttributes.verb : a.resourceAttributes.verb;
  return `forbidden: User "${user.username}" cannot ${verb} ${describeAttributes(a)}${reason ? `: ${reason}` : ''}`;
};

/**
 * Wraps a request handler with delegated authentication and authorization: the handler runs only for
 * callers who are allowed; the others get 401 or 403 with a metav1.Status.
 */
export function secureHandler(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void, o: Omit<SecureServingOptions, 'cert' | 'key'>): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const always = new Set(o.alwaysAllowPaths ?? []);
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const attributesOf =
    o.attributes ?? ((req: http.IncomingMessage, path: string): ReviewAttributes => ({ nonResourceAttributes: { path, verb: (req.method ?? 'GET').toLowerCase() } }));
  const forbidden = o.forbiddenMessage ?? defaultForbidden;
  const check = async (req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<boolean> => {
    let user: ReviewUser | undefined;
    const sock = req.socket as TLSSocket;
    if (o.clientCA && sock.encrypted) {
      const c = certificateUser(sock);
      if (c === 'invalid') {
        sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
        return false;
      }
      if (c) user = { ...c, groups: [...c.groups] };
    }
    const token = user ? undefined : bearer(req);
    if (token !== undefined) {
      try {
        user = o.tokens ? await o.tokens.authenticate(token) : undefined;
      } catch (err) {
        log(`secure serving: token review failed: ${(err as Error).message}`);
        user = undefined;
      }
      if (!user) {
        sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
        return false;
      }
    } else if (!user && req.headers.authorization) {
      sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
      return false;
    }
    if (!user) {
      if (!o.anonymous) {
        sendStatus(res, 401, 'Unauthorized', 'Unauthorized');
        return false;
      }
      user = { username: Anonymous, groups: [AllUnauthenticated] };
    } else {
      user = withAuthenticated(user);
    }
    if (!o.authorizer) return true;
    const attrs = attributesOf(req, path);
    let decision: AuthorizationDecision;
    try {
      decision = await o.authorizer.authorize(user, attrs);
    } catch (err) {
      log(`secure serving: subject access review failed: ${(err as Error).message}`);
      sendStatus(res, 500, 'InternalError', `Internal error occurred: authorization of user "${user.username}" failed: ${(err as Error).message}`);
      return false;
    }
    if (!decision.allowed) {
      sendStatus(res, 403, 'Forbidden', forbidden(user, attrs, decision.reason));
      return false;
    }
    return true;
  };
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (always.has(path)) return handler(req, res);
    check(req, res, path).then(
      (ok) => {
        if (ok) handler(req, res);
      },
      (err: unknown) => {
        if (!res.headersSent) sendStatus(res, 500, 'InternalError', `Internal error occurred: ${(err as Error)?.message ?? String(err)}`);
      },
    );
  };
}

/** An HTTPS server whose handler runs behind secureHandler. */
export function createSecureServer(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void, o: SecureServingOptions): https.Server {
  const server = https.createServer(
    {
      cert: o.cert,
      key: o.key,
      // Ask for a client certificate; a caller without one goes on to tokens or anonymous.
      ...(o.clientCA ? { ca: o.clientCA, requestCert: true, rejectUnauthorized: false } : {}),
    },
    secureHandler(handler, o),
  );
  return server;
}
