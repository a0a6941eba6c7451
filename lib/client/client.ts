// KubeClient: the one REST + watch client every steer component uses to reach the apiserver.
// Configuration, credentials and TLS come from @kubernetes/client-node's KubeConfig (kubeconfig files,
// contexts, tokens, client certificates); requests go over keep-alive Node http(s) agents so that the
// hot paths (scheduler binds, status updates, informer watches) reuse connections. Objects are plain
// JSON as on the wire, typed with `kubernetes-types`.
// Several apiservers (an HA control plane): `server` may list several URLs ("https://a:6443,https://b:6443",
// or a kubeconfig cluster's steer.dev/servers extension, see kubeconfig.ts). Requests go to one until it
// cannot be reached, then move to the next: a request that never reached a server (connection refused,
// unreachable, connect timeout) is sent again to the next one whatever its method; one cut off after it
// was sent is sent again only when repeating it is harmless (GET, PUT — conditional on resourceVersion —
// and DELETE); watches end with the error and their informer resumes on the next server from its last
// resourceVersion.
// client-node is loaded only when a kubeconfig is read: its KubeConfig imports every generated API
// module (~55 MiB RSS), which a component talking to a known server URL (forServer) never needs.
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ObjectMeta as K8sObjectMeta, Status } from 'kubernetes-types/meta/v1';
import { ResourceType, resourcePath } from '../api/resources';
import type { InProcessApi, InProcessRequest } from '../api/in-process';
import { kubeconfigServers } from './kubeconfig';

// Every typed object from `kubernetes-types` (Pod, Lease, …) is a KubeObject.
export type ObjectMeta = K8sObjectMeta;
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface KubeList<T> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

export interface ListOptions {
  namespace?: string; // omitted for a namespaced resource: all namespaces
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchOptions extends ListOptions {
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export type PatchType = 'merge' | 'json' | 'strategic';
const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
};

/** An error answer from the apiserver, carrying its metav1.Status. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: Status,
  ) {
    super(status.message || `HTTP ${code}`);
    this.name = 'ApiError';
  }
  get reason(): string {
    return this.status.reason || '';
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.code === 404;
}
export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409;
}
export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists';
}
export function isGone(err: unknown): boolean {
  return err instanceof ApiError && err.code === 410;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  timeoutMs?: number;
}

/** A running watch; stop() ends it without calling onClose with an error. */
export interface WatchHandle {
  stop(): void;
}

export interface LoadOptions {
  kubeconfig?: string; // a file; default $KUBECONFIG or ~/.kube/config
  context?: string;
  server?: string; // overrides the cluster's server; several apiservers comma-separated
  namespace?: string;
}

/**
 * A server reached without client-node's KubeConfig: with a CA its certificate is verified, and a client
 * certificate or token proves who this client is; without a CA TLS is not verified, as with
 * insecure-skip-tls-verify. (readKubeconfigCredentials in kubeconfig.ts reads one from a kubeconfig.)
 */
export interface DirectServer {
  /** One apiserver URL, or several comma-separated. */
  server: string;
  /** More apiservers of the same cluster, tried in turn when the current one cannot be reached. */
  servers?: string[];
  token?: string;
  /** PEM: the CA that signed the server's certificate. */
  ca?: string;
  /** PEM: this client's certificate and key. */
  cert?: string;
  key?: string;
  /** The name to verify the server's certificate against when it differs from the URL's host. */
  tlsServerName?: string;
  /**
   * A Unix domain socket every request goes through instead of the URL's host and port, without TLS (the
   * apiserver's local socket for components in its own process; `server` then only names the Host, e.g.
   * http://localhost). The token proves who this client is.
   */
  socketPath?: string;
  /**
   * An apiserver in this very process: requests and watches are handed to it with no connection
   * (lib/api/in-process.ts). Given with `socketPath`, which streamed bodies (logs, exec) still use.
   */
  inProcess?: InProcessApi;
}

/** "https://a:6443, https://b:6443" → the URLs, in order, without duplicates. */
export function splitServers(...lists: Array<string | string[] | undefined>): string[] {
  const out: string[] = [];
  for (const l of lists) {
    for (const s of (Array.isArray(l) ? l : (l ?? '').split(',')).map((x) => x.trim()).filter(Boolean)) if (!out.includes(s)) out.push(s);
  }
  return out;
}

/** Errors of a request that never reached the server: safe to send again elsewhere, whatever the method. */
const UNSENT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNECTTIMEOUT']);
/** Methods whose repetition after an unknown outcome changes nothing (PUT carries its resourceVersion). */
const REPEATABLE = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
/** How long a connection to one of several apiservers may take before the next is tried. */
const CONNECT_TIMEOUT_MS = 3000;

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? '';
}

/**
 * Whether a failed write may have been carried out all the same: its answer was lost after it was sent
 * (the connection broke, as when the apiserver dies mid-request, or it timed out), or the server said it
 * timed out (kube's IsTimeout). Refused connections, answers (4xx/5xx) and errors before sending are not.
 */
export function writeMayHaveLanded(err: unknown): boolean {
  if (err instanceof ApiError) return err.code === 504 || err.reason === 'Timeout' || err.reason === 'ServerTimeout';
  const code = errorCode(err);
  return code !== '' && !UNSENT_CODES.has(code);
}

export class KubeClient {
  /** Every apiserver this client may use, in order of preference. */
  readonly servers: URL[];
  private currentServer = 0;
  readonly defaultNamespace: string;
  private readonly agents = new Map<string, http.Agent>();
  private readonly baseOptions: https.RequestOptions & { secureContext?: tls.SecureContext } = {};
  private readonly ready: Promise<void>;
  private readonly inProcess?: InProcessApi;

  /** From a loaded kubeconfig, or from just a server URL and bearer token (TLS not verified). */
  constructor(config: KubeConfig | DirectServer, opts: { namespace?: string } = {}) {
    if ('getCurrentCluster' in config) {
      const cluster = config.getCurrentCluster();
      if (!cluster) throw new Error('kubeconfig has no current cluster');
      this.servers = splitServers(cluster.server, (config as KubeConfig & { steerServers?: string[] }).steerServers).map((u) => new URL(u));
      const ctx = config.getContextObject(config.getCurrentContext());
      this.defaultNamespace = opts.namespace || ctx?.namespace || 'default';
      // Credentials and TLS settings are resolved once by client-node; connections are kept alive.
      this.ready = config.applyToHTTPSOptions(this.baseOptions).then(() => undefined);
      // A client that fails before its first request must not crash the process with an unhandled
      // rejection: the error surfaces on the first request that awaits it.
      this.ready.catch(() => undefined);
    } else {
      this.servers = splitServers(config.server, config.servers).map((u) => new URL(u));
      this.defaultNamespace = opts.namespace || 'default';
      if (config.socketPath) {
        // Node's agents and requests honour socketPath in place of host and port (keep-alive pools too).
        this.baseOptions.socketPath = config.socketPath;
      } else if (config.ca || config.cert) {
        // One TLS context for every connection of this client (the pool's and each watch's own).
        this.baseOptions.secureContext = tls.createSecureContext({ ca: config.ca, cert: config.cert, key: config.key });
        this.baseOptions.rejectUnauthorized = !!config.ca;
        if (config.tlsServerName) this.baseOptions.servername = config.tlsServerName;
      } else {
        // What client-node derives from insecure-skip-tls-verify.
        this.baseOptions.rejectUnauthorized = false;
      }
      if (config.token) this.baseOptions.headers = { Authorization: `Bearer ${config.token}` };
      this.inProcess = config.inProcess;
      this.ready = Promise.resolve();
    }
    if (!this.servers.length) throw new Error('no apiserver URL');
    if (this.baseOptions.socketPath && this.servers.some((u) => u.protocol !== 'http:')) throw new Error('a client on a Unix socket names its server with an http:// URL (no TLS on the socket)');
  }

  /** The apiserver requests go to now. */
  get server(): URL {
    return this.servers[this.currentServer];
  }

  /** Moves to the next apiserver, unless another request already moved away from `from`. */
  private failOver(from: number): void {
    if (this.servers.length > 1 && this.currentServer === from) this.currentServer = (from + 1) % this.servers.length;
  }

  /** The keep-alive pool of one apiserver. */
  private agentFor(url: URL): http.Agent {
    let agent = this.agents.get(url.origin);
    if (!agent) {
      agent = url.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 64 }) : new http.Agent({ keepAlive: true, maxSockets: 64 });
      this.agents.set(url.origin, agent);
    }
    return agent;
  }

  /** With several apiservers, a connection that does not come up soon is given up (then the next is tried). */
  private limitConnect(req: http.ClientRequest): void {
    if (this.servers.length < 2) return;
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => req.destroy(Object.assign(new Error(`connect to ${this.server.host} timed out`), { code: 'ECONNECTTIMEOUT' })), CONNECT_TIMEOUT_MS);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('secureConnect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
  }

  /** Loads a kubeconfig the way kubectl does ($KUBECONFIG, ~/.kube/config), or just a server URL. */
  static load(opts: LoadOptions = {}): KubeClient {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see the top
    const { KubeConfig } = require('@kubernetes/client-node/dist/config.js') as typeof import('@kubernetes/client-node/dist/config.js');
    const kc = new KubeConfig();
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else if (opts.server && !process.env.KUBECONFIG) kc.loadFromClusterAndUser(
      { name: 'steer', server: splitServers(opts.server)[0], skipTLSVerify: true },
      { name: 'steer' },
    );
    else kc.loadFromDefault();
    if (opts.context) kc.setCurrentContext(opts.context);
    // The first server is client-node's; all of them (the flag's, or the kubeconfig cluster's
    // steer.dev/servers extension, which client-node does not keep) are the client's.
    let servers = splitServers(opts.server);
    const cur = kc.getCurrentCluster();
    if (!servers.length && cur) servers = splitServers(cur.server, kubeconfigServers(opts.kubeconfig, cur.name));
    if (cur && servers.length && cur.server !== servers[0]) {
      kc.clusters = kc.clusters.map((c) => (c.name === cur.name ? { ...c, server: servers[0] } : c));
    }
    return new KubeClient(Object.assign(kc, { steerServers: servers }), { namespace: opts.namespace });
  }

  static forServer(server: string, token?: string): KubeClient {
    return new KubeClient({ server, token });
  }

  /** A client for a kubeconfig's current context, read without client-node (see readKubeconfigCredentials). */
  static fromCredentials(c: DirectServer & { namespace?: string }): KubeClient {
    return new KubeClient(c, { namespace: c.namespace });
  }

  /**
   * A view of this client (same servers, connections and credentials) whose writes — every method but
   * GET and HEAD — are refused with refusal() while allowed() is false: a leader-elected component's work
   * fenced by its Lease (lib/client/leader-election.ts).
   */
  withWriteFence(allowed: () => boolean, refusal: () => Error): KubeClient {
    const base = this;
    const fenced = Object.create(base) as KubeClient;
    fenced.request = function <T>(method: string, path: string, o?: RequestOptions): Promise<T> {
      if (method !== 'GET' && method !== 'HEAD' && !allowed()) return Promise.reject(refusal());
      return base.request<T>(method, path, o);
    };
    fenced.watchPath = base.watchPath.bind(base);
    return fenced;
  }

  /** Credentials and TLS settings for a request made outside this client (streamed bodies). */
  async connectionOptions(): Promise<https.RequestOptions> {
    await this.ready;
    return { ...this.baseOptions, headers: { ...(this.baseOptions.headers as Record<string, string> | undefined) } };
  }

  /** Closes idle keep-alive connections (watches are ended by their handles). */
  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
  }

  /** The URL of a request to `server`: its path, with the query's defined values. */
  private requestUrl(path: string, query: RequestOptions['query'], server: URL): URL {
    const url = new URL(server.toString().replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(query || {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  private async requestOptions(method: string, path: string, o: RequestOptions, server = this.server): Promise<https.RequestOptions> {
    await this.ready;
    const url = this.requestUrl(path, o.query, server);
    const headers: Record<string, string> = {
      ...(this.baseOptions.headers as Record<string, string> | undefined),
      Accept: o.accept || 'application/json',
    };
    if (o.body !== undefined) headers['Content-Type'] = o.contentType || 'application/json';
    return {
      ...this.baseOptions,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port,
      path: url.pathname + url.search,
      method,
      headers,
      agent: this.agentFor(server),
    };
  }

  /**
   * One request; resolves with the parsed JSON body (or text), rejects with ApiError on 4xx/5xx. With
   * several apiservers, one that cannot be reached is left for the next (see the top of this file).
   */
  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const from = this.currentServer;
      try {
        return await this.requestOnce<T>(method, path, o, this.servers[from]);
      } catch (err) {
        if (err instanceof ApiError || this.servers.length < 2) throw err;
        this.failOver(from);
        const again = UNSENT_CODES.has(errorCode(err)) || REPEATABLE.has(method);
        if (!again || attempt >= 2 * this.servers.length) throw err;
        // Every server failed once: give a restarting one a moment before the second round.
        if (attempt >= this.servers.length) await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  private async requestOnce<T>(method: string, path: string, o: RequestOptions, server: URL): Promise<T> {
    if (this.inProcess) return this.dispatchOnce<T>(this.inProcess, method, path, o, server);
    const options = await this.requestOptions(method, path, o, server);
    const payload = bodyText(o);
    // Node frames bodies of DELETE (and GET) requests neither chunked nor with a length by default: say
    // the length, or the server never sees the body and reads it as the next request on the connection.
    if (payload !== undefined) (options.headers as Record<string, string | number>)['Content-Length'] = Buffer.byteLength(payload);
    const mod = options.protocol === 'https:' ? https : http;
    return new Promise<T>((resolve, reject) => {
      const req = mod.request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          try {
            resolve(answerOf<T>(res.statusCode || 0, res.headers['content-type'] || '', Buffer.concat(chunks).toString('utf8')));
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on('error', reject);
      this.limitConnect(req);
      if (o.timeoutMs) req.setTimeout(o.timeoutMs, () => req.destroy(Object.assign(new Error(`${method} ${path}: timed out`), { code: 'ETIMEDOUT' })));
      if (payload !== undefined) req.end(payload);
      else req.end();
    });
  }

  /** A request for the apiserver of this process (DirectServer.inProcess). */
  private inProcessRequest(method: string, path: string, o: RequestOptions, server: URL): InProcessRequest {
    const url = this.requestUrl(path, o.query, server);
    const headers: Record<string, string> = { accept: o.accept || 'application/json' };
    const auth = (this.baseOptions.headers as Record<string, string> | undefined)?.Authorization;
    if (auth) headers.authorization = auth;
    const body = bodyText(o);
    if (body !== undefined) headers['content-type'] = o.contentType || 'application/json';
    return { method, path: url.pathname + url.search, headers, body };
  }

  /** One request handed to the apiserver of this process. */
  private async dispatchOnce<T>(api: InProcessApi, method: string, path: string, o: RequestOptions, server: URL): Promise<T> {
    const answered = api.request(this.inProcessRequest(method, path, o, server));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = o.timeoutMs
      ? new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error(`${method} ${path}: timed out`), { code: 'ETIMEDOUT' })), o.timeoutMs);
        })
      : undefined;
    try {
      const res = await (timedOut ? Promise.race([answered, timedOut]) : answered);
      return answerOf<T>(res.statusCode, res.contentType, res.body);
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  get<T>(r: ResourceType, namespace: string | undefined, name: string, subresource?: string): Promise<T> {
    return this.request<T>('GET', resourcePath(r, { namespace, name, subresource }));
  }

  list<T>(r: ResourceType, o: ListOptions = {}): Promise<KubeList<T>> {
    const { namespace, ...query } = o;
    return this.request<KubeList<T>>('GET', resourcePath(r, { namespace }), { query: { ...query } });
  }

  create<T>(r: ResourceType, namespace: string | undefined, obj: T, subresourceOf?: { name: string; subresource: string }): Promise<T> {
    const path = subresourceOf
      ? resourcePath(r, { namespace, name: subresourceOf.name, subresource: subresourceOf.subresource })
      : resourcePath(r, { namespace });
    return this.request<T>('POST', path, { body: obj });
  }

  /** PUT of a whole object (or its status/scale); its metadata.resourceVersion makes it conditional. */
  update<T extends KubeObject>(r: ResourceType, obj: T, subresource?: string): Promise<T> {
    const md = obj.metadata || {};
    if (!md.name) throw new Error('update: metadata.name is required');
    return this.request<T>('PUT', resourcePath(r, { namespace: md.namespace, name: md.name, subresource }), { body: obj });
  }

  patch<T>(r: ResourceType, namespace: string | undefined, name: string, patch: unknown, type: PatchType = 'merge', subresource?: string): Promise<T> {
    return this.request<T>('PATCH', resourcePath(r, { namespace, name, subresource }), {
      body: patch,
      contentType: patchContentTypes[type],
    });
  }

  delete<T = Status>(r: ResourceType, namespace: string | undefined, name: string, o: DeleteOptions = {}): Promise<T> {
    const body = Object.keys(o).length ? { kind: 'DeleteOptions', apiVersion: 'v1', ...o } : undefined;
    return this.request<T>('DELETE', resourcePath(r, { namespace, name }), { body });
  }

  /**
   * Streams watch events. onEvent gets each event in order; onClose is called once when the stream
   * ends: with no error when the server closed it (resume from the last resourceVersion seen), with
   * an ApiError for an error answer (410 Gone: re-list), or another error for a broken connection.
   */
  async watch<T>(
    r: ResourceType,
    o: WatchOptions,
    onEvent: (e: WatchEvent<T>) => void,
    onClose: (err?: Error) => void,
  ): Promise<WatchHandle> {
    const { namespace, ...query } = o;
    return this.watchPath<T>(resourcePath(r, { namespace }), { ...query }, onEvent, onClose);
  }

  async watchPath<T>(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (e: WatchEvent<T>) => void,
    onClose: (err?: Error) => void,
  ): Promise<WatchHandle> {
    const from = this.currentServer;
    let stopped = false;
    let closed = false;
    const finish = (err?: Error) => {
      if (closed) return;
      closed = true;
      if (!stopped) onClose(err);
    };
    let stopStream = () => undefined as void;
    const lines = watchLineReader<T>(
      (ev) => !stopped && onEvent(ev),
      () => {
        finish(new Error(`watch ${path}: malformed event line`));
        stopStream();
      },
    );
    if (this.inProcess) {
      const stream = this.inProcess.stream(this.inProcessRequest('GET', path, { query: { ...query, watch: 'true' } }, this.servers[from]), {
        data: lines,
        end: (answer) => {
          if (answer instanceof Error) return finish(answer);
          if (answer.statusCode >= 400) {
            try {
              answerOf(answer.statusCode, answer.contentType, answer.body);
            } catch (err) {
              return finish(err as Error);
            }
          }
          finish();
        },
      });
      stopStream = () => stream.stop();
      return {
        stop: () => {
          stopped = true;
          stream.stop();
        },
      };
    }
    const options = await this.requestOptions('GET', path, { query: { ...query, watch: 'true' } }, this.servers[from]);
    // A watch holds its connection for as long as it lasts: give it its own socket, not the pool's.
    options.agent = false;
    const mod = options.protocol === 'https:' ? https : http;
    const req = mod.request(options, (res) => {
      const code = res.statusCode || 0;
      if (code >= 400) {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let parsed: unknown = Buffer.concat(chunks).toString('utf8');
          try {
            parsed = JSON.parse(parsed as string);
          } catch {
            /* keep text */
          }
          finish(new ApiError(code, toStatus(code, parsed)));
        });
        return;
      }
      res.setEncoding('utf8');
      res.on('data', lines);
      res.on('end', () => finish());
      res.on('error', (e) => {
        if (!stopped) this.failOver(from);
        finish(e);
      });
      res.on('close', () => finish());
    });
    stopStream = () => void req.destroy();
    req.on('error', (e) => {
      // The next watch (the informer resumes from its last resourceVersion) goes to the next apiserver.
      if (!stopped) this.failOver(from);
      finish(e);
    });
    this.limitConnect(req);
    req.end();
    return {
      stop: () => {
        stopped = true;
        req.destroy();
      },
    };
  }
}

/**
 * A watch stream's reader: its text as it comes, in pieces, to one event per line. Lines are cut from
 * the text by offset and only an unfinished tail is kept: appending each piece to the buffer and
 * re-slicing it per line copied every event's text once more (the server writes whole lines, so the tail
 * is nearly always empty). After a line that is not JSON it reads nothing more.
 */
function watchLineReader<T>(onEvent: (e: WatchEvent<T>) => void, onMalformed: () => void): (chunk: string) => void {
  let buffered = '';
  let broken = false;
  return (chunk) => {
    if (broken) return;
    const text = buffered ? buffered + chunk : chunk;
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) >= 0) {
      const line = text.slice(start, nl).trim();
      start = nl + 1;
      if (!line) continue;
      let ev: WatchEvent<T>;
      try {
        ev = JSON.parse(line) as WatchEvent<T>;
      } catch {
        broken = true;
        onMalformed();
        return;
      }
      onEvent(ev);
    }
    buffered = start < text.length ? text.slice(start) : '';
  };
}


/** A request's body as sent: text as it is, anything else as JSON. */
function bodyText(o: RequestOptions): string | undefined {
  return o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
}

/** An answer's body, parsed when it is JSON; an ApiError for 4xx/5xx. */
function answerOf<T>(code: number, contentType: string, text: string): T {
  let parsed: unknown = text;
  if (text && contentType.includes('json')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (code >= 400) throw new ApiError(code, toStatus(code, parsed));
  return parsed as T;
}

function toStatus(code: number, body: unknown): Status {
  if (body && typeof body === 'object' && (body as Status).kind === 'Status') return body as Status;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code,
    message: typeof body === 'string' && body ? body.slice(0, 500) : `HTTP ${code}`,
  };
}
