// The browser's API client: every request goes from the browser straight to the apiserver (same
// origin) with the user's bearer token in the Authorization header, so authentication, RBAC and
// admission apply to the console exactly as to kubectl. No cookies are sent (credentials: 'omit'):
// another site cannot make a request with the user's rights. Failures carry the apiserver's
// metav1.Status (code, reason, message), which the console shows as it is.

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

export interface ApiRequest {
  method?: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Default application/json; patches name their type. */
  contentType?: string;
  signal?: AbortSignal;
}

export class Api {
  constructor(
    /** '' for the page's own origin; tests use http://127.0.0.1:PORT. */
    readonly base: string,
    private readonly token: string | undefined,
    private readonly fetchImpl: Fetch = (input, init) => fetch(input, init),
  ) {}

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

  /** The raw response of a request (watch and log streams read its body as it comes). */
  async fetch(r: ApiRequest, accept = 'application/json'): Promise<Response> {
    const hasBody = r.body !== undefined;
    return this.fetchImpl(this.url(r.path, r.query), {
      method: r.method ?? 'GET',
      headers: this.headers(accept, hasBody ? (r.contentType ?? 'application/json') : undefined),
      body: hasBody ? (typeof r.body === 'string' ? r.body : JSON.stringify(r.body)) : undefined,
      credentials: 'omit',
      signal: r.signal,
    });
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
