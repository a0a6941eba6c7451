// The browser's API client: every request goes from the browser straight to the apiserver (same
// origin) with the user's bearer token in the Authorization header, so authentication, RBAC and
// admission apply to the console exactly as to kubectl. Failures carry the apiserver's metav1.Status
// (code, reason, message), which the console shows as it is.
//
// Requests go with credentials: 'omit'. Not against cross-site requests (the token is a header the page
// adds, which another site cannot), but so that the token is the only identity a request carries: the
// Fetch standard's credentials are cookies, HTTP authentication and TLS client certificates, and
// steer's apiserver, as kube-apiserver, tries a client certificate before a bearer token. A browser
// holding a certificate the cluster's CA signed (an admin's, imported to reach the API) would otherwise
// send it, and every request would act as the certificate's user whatever token was typed — a
// view-only login with an admin's rights. The cost is that these requests get connections of their
// own (Chromium keeps credential-less connections apart): over HTTP/1.1 the first view's three lists,
// asked for while the page is parsed, need three connections either way (the page's one open
// connection is wanted by app.css and app.js at that moment), so 'same-origin' would save at most one
// of three handshakes made in parallel. (A WebSocket cannot omit credentials: a browser that does
// present a certificate to the server watches as its user; README.)

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface KubeList<T = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items: T[];
}

export interface Status {
  kind?: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: unknown;
}

/** An error answer of the API, with its Status as sent. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly status?: Status,
  ) {
    super(message);
  }
}

/** The fetch the client uses (window.fetch in the browser; tests may pass their own). */
export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** What the reflector uses of a WebSocket: the browser's, or the `ws` package's in tests. */
export interface WebSocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = (url: string, protocols: string[]) => WebSocketLike;

/**
 * How a bearer token rides on a WebSocket, which cannot carry an Authorization header: as the
 * subprotocol kube-apiserver reads it from (the token in unpadded base64url).
 */
export const BEARER_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';
/** The protocol offered next to the token's, which the server answers with (browsers need one answered). */
export const WATCH_PROTOCOL = 'watch.steer.io';

export function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export interface ApiRequest {
  method?: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Default application/json; patches name their type. */
  contentType?: string;
  signal?: AbortSignal;
}

/** How often a read that got no answer is sent again, and the first pause (doubled each time). */
export const NETWORK_RETRIES = 3;
const NETWORK_RETRY_DELAY_MS = 100;

export class Api {
  constructor(
    /** '' for the page's own origin; tests use http://127.0.0.1:PORT. */
    readonly base: string,
    private readonly token: string | undefined,
    private readonly fetchImpl: Fetch = (input, init) => fetch(input, init),
    /** Watches go over WebSockets when given (the browser's), else they are streamed responses. */
    private readonly webSocketImpl?: WebSocketFactory,
  ) {}

  /**
   * Set once the server refused WebSocket watches it then served as streamed responses, three times in
   * a row (a proxy without upgrades, a server without WebSocket watches): watches stay streamed from
   * then on. Not at the first refusal: Chromium fails connections being opened when the host's network
   * changes (ERR_NETWORK_CHANGED: an interface added, as a container runtime does), which says nothing
   * of the server.
   */
  webSocketsRefused = false;

  /** Whether requests carry a token (an empty one means anonymous requests). */
  get hasToken(): boolean {
    return !!this.token;
  }
  private refusals = 0;

  /** A WebSocket watch opened (true), or was refused and then served streamed (false). */
  noteWebSocket(opened: boolean): void {
    this.refusals = opened ? 0 : this.refusals + 1;
    if (this.refusals >= 3) this.webSocketsRefused = true;
  }

  /** Whether watches go over WebSockets (which do not count against the browser's 6 connections). */
  get watchesOverWebSocket(): boolean {
    return !!this.webSocketImpl && !this.webSocketsRefused;
  }

  /** A WebSocket to a watch, the token offered as kube-apiserver's bearer subprotocol. */
  webSocket(r: ApiRequest): WebSocketLike {
    if (!this.webSocketImpl) throw new Error('no WebSocket implementation');
    const http = new URL(this.url(r.path, r.query), (globalThis as { location?: { href: string } }).location?.href);
    http.protocol = http.protocol === 'https:' ? 'wss:' : 'ws:';
    const protocols = [WATCH_PROTOCOL];
    if (this.token) protocols.unshift(BEARER_PROTOCOL_PREFIX + base64url(this.token));
    return this.webSocketImpl(http.toString(), protocols);
  }

  url(path: string, query?: ApiRequest['query']): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) q.set(k, String(v));
    const qs = q.toString();
    return `${this.base}${path}${qs ? `?${qs}` : ''}`;
  }

  headers(accept = 'application/json', contentType?: string): Record<string, string> {
    const h: Record<string, string> = { Accept: accept };
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    if (contentType) h['Content-Type'] = contentType;
    return h;
  }

  /**
   * The raw response of a request (watch and log streams read its body as it comes). A request that
   * fails before any answer (fetch's TypeError: Chromium fails the requests in flight when the host's
   * network changes, ERR_NETWORK_CHANGED, as when a container's interface is added) is sent again, up
   * to NETWORK_RETRIES times, a little later each time, when sending it twice does what sending it once
   * does: a read, or a merge or strategic merge patch (scale, restart, apply). A create, an update, a
   * delete or a JSON patch is not: it may have reached the server.
   */
  async fetch(r: ApiRequest, accept = 'application/json'): Promise<Response> {
    const hasBody = r.body !== undefined;
    const method = r.method ?? 'GET';
    const send = () =>
      this.fetchImpl(this.url(r.path, r.query), {
        method,
        headers: this.headers(accept, hasBody ? (r.contentType ?? 'application/json') : undefined),
        body: hasBody ? (typeof r.body === 'string' ? r.body : JSON.stringify(r.body)) : undefined,
        credentials: 'omit',
        signal: r.signal,
      });
    const idempotent = method === 'GET' || method === 'HEAD' || (method === 'PATCH' && /merge-patch\+json$/.test(r.contentType ?? ''));
    if (!idempotent) return send();
    for (let attempt = 0; ; attempt++) {
      try {
        return await send();
      } catch (err) {
        if (!(err instanceof TypeError) || r.signal?.aborted || attempt >= NETWORK_RETRIES) throw err;
        await new Promise((resolve) => setTimeout(resolve, NETWORK_RETRY_DELAY_MS * 2 ** attempt));
      }
    }
  }

  /** A JSON request; non-2xx answers throw ApiError with the apiserver's Status. */
  async request<T = KubeObject>(r: ApiRequest): Promise<T> {
    const res = await this.fetch(r);
    const text = await res.text();
    if (!res.ok) throw errorFrom(res.status, text);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** A plain-text answer (pods/log). */
  async text(r: ApiRequest): Promise<string> {
    const res = await this.fetch(r, 'text/plain, */*');
    const text = await res.text();
    if (!res.ok) throw errorFrom(res.status, text);
    return text;
  }
}

/** The ApiError for a failed answer: its Status when the body is one, else the HTTP status. */
export function errorFrom(code: number, body: string): ApiError {
  try {
    const st = JSON.parse(body) as Status;
    if (st && st.kind === 'Status') return new ApiError(st.code ?? code, st.reason ?? '', st.message ?? `HTTP ${code}`, st);
  } catch {
    // not JSON
  }
  return new ApiError(code, '', body.trim() || `HTTP ${code}`);
}

/** "namespace/name" (or "name" for cluster-scoped objects): the key of an object in the console's caches. */
export function keyOf(o: { metadata?: { name?: string; namespace?: string } }): string {
  const md = o.metadata ?? {};
  return md.namespace ? `${md.namespace}/${md.name}` : String(md.name);
}
