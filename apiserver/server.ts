// The API server: storage + registry behind an Express app speaking the Kubernetes REST API.
// startApiServer() is used by `steer apiserver`, `steer up` and the tests.
import type { ComponentTarget } from './registry/component-status';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { NextFunction, Request, Response } from 'express';
import { consoleHandler } from '../console';
import { AdmissionChain } from './auth/admission';
import { alwaysAllow } from './auth/authorizers';
import { AuditLogFile, type AuditSink } from './auth/audit/log';
import { auditMiddleware } from './auth/audit/middleware';
import { loadPolicyFile, type Policy } from './auth/audit/policy';
import { type Authorization, type AuthorizationMode, setupAuthorization } from './auth/authorization';
import { authenticationMiddleware, authorizationMiddleware, requestInfoMiddleware } from './auth/middleware';
import { alwaysAllowRules, type RuleResolver, unknownRules } from './auth/rule-resolver';
import { attachAuthorization } from './auth/server-authorization';
import { loadTokenFile, tokenFileAuthenticator } from './auth/token-file';
import { localSocketAuthenticator, type LocalSocketOptions } from './auth/local-socket';
import { setTokenAuthenticators } from './auth/token-review';
import { x509Authenticator } from './auth/x509';
import { kubeletClient, type KubeletClient, type KubeletClientOptions } from './kubelet-client';
import { MetricsApi } from './metrics-api';
import { hpaV1Conversion } from './handlers/hpa-v1';
import { cronJobV1beta1Conversion } from './handlers/cronjob-v1beta1';
import { eventV1Conversion } from './handlers/events-v1';
import { servedVersionsHandler } from './handlers/served-versions';
import type { WatchHooks } from './handlers/watch';
import { routeUpgrades, type UpgradeRouting } from './handlers/websocket';
import type { AdmissionPlugin, Authenticator, Authorizer } from './auth/types';
import { attachServiceAccountTokens, ServiceAccountTokens } from './auth/serviceaccount';
import { builtinAdmissionPlugins, type PodSecurityExemptions } from './admission';
import { WebhookConfigurations } from './admission/webhook';
import { AdmissionPolicies, kindOf } from './admission/policy';
import { certificateAdmissionPlugins } from './admission/certificates';
import { runtimeClassAdmission } from './admission/runtime-class';
import type { RuntimeClass } from 'kubernetes-types/node/v1';
import { Resources } from '../lib/api/resources';
import { defaultAdvertiseAddress, KubernetesServiceReconciler } from './registry/kubernetes-service';
import { loadEncryptionConfiguration } from './storage/encryption';
import { ApiStatusError, errors } from './errors';
import { installDiscovery } from './handlers/discovery';
import { CrdServing } from './crd/serving';
import { installOpenApi, type GeneratedOpenApi } from './openapi';
import { type AppMessageClasses, InProcessConnection, inProcessApi } from './in-process';
import type { InProcessApi } from '../lib/api/in-process';
import { sendError } from './handlers/request';
import type { RequestInfo } from './handlers/request-info';
import { resourceHandler } from './handlers/resources';
import { metricsResponse } from '../lib/component/metrics';
import { upgradeOf } from '../lib/component/upgrade';
import { inflightRequests, objectCountSources, recordEtcdRequest, registeredWatchers, requestDuration, requestTotal } from './metrics';
import { NamespaceCleaner } from './registry/namespaces';
import { EventExpiry } from './registry/event-ttl';
import { kindStrategies } from './kinds';
import { apiserverBuckets, bucketOf, keyOf } from './registry/keys';
import { Registry } from './registry/registry';
import { openStorage, StorageOptions, storageKind } from './storage/open';
import { installHealthChecks, withTimeout } from './health';

export interface ApiServerOptions extends StorageOptions {
  host?: string;
  /** The built-in kinds' OpenAPI documents; default: those the build generated (dist/), if any. */
  generatedOpenApi?: GeneratedOpenApi;
  port?: number;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /**
   * Client certificates signed by this CA bundle authenticate (CN → user, O → groups; kube-apiserver's
   * --client-ca-file). Needs TLS.
   */
  clientCAFile?: string;
  tokenFile?: string;
  /** More authenticators (client certificates, service-account tokens, ...), tried after the token file. */
  authenticators?: Authenticator[];
  /**
   * Requests without a credential run as system:anonymous. Default: true when no token file and no
   * authenticators are given (an API open to all, as before authentication existed), else false.
   */
  anonymousAuth?: boolean;
  /** How the apiserver reaches node agents (pods/log): plain HTTP unless set. */
  kubeletClient?: KubeletClientOptions;
  /** Decides every request; default: allow everything. Exclusive with authorizationMode. */
  authorizer?: Authorizer;
  /**
   * kube-apiserver's --authorization-mode: ['Node', 'RBAC'] decides every request by system:masters →
   * Node → RBAC, serves the default roles (created and reconciled at start), checks RBAC writes for
   * escalation and runs NodeRestriction; ['AlwaysAllow'] allows everything. Default: unset (as
   * `authorizer`).
   */
  authorizationMode?: AuthorizationMode[];
  /** Audit (--audit-policy-file, --audit-log-*); off without a policy. */
  audit?: AuditOptions;
  /** Admission plugins every write goes through, in order. */
  admission?: AdmissionPlugin[];
  serviceClusterIPRange?: string;
  /** kube-system/kube-dns' ClusterIP, created at start (default: the 10th address of the range; false: none). */
  clusterDNSIP?: string | false;
  nodePortRange?: string;
  /** Largest accepted request body (default 3 MiB); larger → 413. */
  maxBodyBytes?: number;
  /** Events are deleted this long after their last write (kube-apiserver's --event-ttl; default 1 h; 0 = never). */
  eventTTLSeconds?: number;
  /** Log each request to stderr. */
  verbose?: boolean;
  /** How often watches that allow bookmarks get one (default 10 s). */
  watchBookmarkIntervalMs?: number;
  /** Serve the web console at /ui/ (its files only: the browser calls the API with the user's token). */
  console?: boolean;
  /** --metric-resolution: how often the metrics API scrapes the node agents while its requests come (ms, default 15 s; 0: only by hand). */
  metricResolutionMs?: number;
  /** --service-account-signing-key-file: signs service-account tokens (default: a key generated in memory). */
  serviceAccountSigningKeyFile?: string;
  /** --service-account-key-file (repeatable): more public keys that verify service-account tokens. */
  serviceAccountKeyFiles?: string[];
  /** --service-account-issuer: the first issues, all are accepted (default https://kubernetes.default.svc.cluster.local). */
  serviceAccountIssuer?: string | string[];
  /** --api-audiences: audiences the API accepts in service-account tokens (default: the issuer). */
  apiAudiences?: string[];
  /** --service-account-max-token-expiration in seconds (default: none). */
  serviceAccountMaxTokenExpiration?: number;
  /** --service-account-extend-token-expiration: kubelet pod tokens last a year, with warnafter (default true). */
  serviceAccountExtendTokenExpiration?: boolean;
  /**
   * Built-in admission plugins by name, as --enable-admission-plugins (builtinAdmissionPluginNames in
   * admission/index.ts: ServiceAccount, LimitRanger, …, PodSecurity, MutatingAdmissionWebhook,
   * ValidatingAdmissionPolicy, ValidatingAdmissionWebhook, ResourceQuota). Default none here (the CLI and
   * `steer up` enable them all); they run around `admission`, the mutating ones first, in kube's order.
   */
  enableAdmissionPlugins?: string[];
  /** What ComponentStatus probes (default: the scheduler and controller manager on kube's legacy loopback ports). */
  componentStatusTargets?: ComponentTarget[];
  /** PodSecurity's exemptions (kube's PodSecurityConfiguration; default none). */
  podSecurityExemptions?: PodSecurityExemptions;
  /**
   * --advertise-address: the address pods reach the apiserver at, written into the default/kubernetes
   * Endpoints (default: the listen host when specific, else the host's first non-loopback IPv4).
   */
  advertiseAddress?: string;
  /**
   * Further addresses served on the same port as `host` (e.g. the advertise address, when `host` is
   * loopback: pods reach the apiserver there through the `kubernetes` Service, clients on the machine
   * keep using loopback).
   */
  additionalListenHosts?: string[];
  /**
   * Also serve the API without TLS on a Unix domain socket (mode 0600) whose own bearer tokens name the
   * in-process components (auth/local-socket.ts): `steer server`'s components connect there.
   */
  localSocket?: LocalSocketOptions;
  /** Keep the default/kubernetes Service and Endpoints (default true). */
  kubernetesService?: boolean;
  /**
   * The endpoint reconciler's timing: this apiserver's kube-system Lease is renewed, and the Endpoints
   * rewritten from the live Leases, every intervalMs (default 10 s); a Lease not renewed for ttlSeconds
   * (default 15 s) drops its apiserver out.
   */
  endpointReconciler?: { intervalMs?: number; ttlSeconds?: number };
  /** --encryption-provider-config: an apiserver.config.k8s.io/v1 EncryptionConfiguration (LevelDB or etcd storage). */
  encryptionProviderConfig?: string;
}

export interface AuditOptions {
  /** An audit.k8s.io/v1 Policy file (YAML or JSON). */
  policyFile?: string;
  /** Or the policy itself. */
  policy?: Policy;
  /** Where events go: a file, or '-' for stdout (--audit-log-path). */
  logPath?: string;
  /** --audit-log-maxsize, megabytes before rotation (default 100). */
  logMaxSizeMB?: number;
  /** --audit-log-maxbackup, rotated files kept (default all). */
  logMaxBackups?: number;
  /** --audit-log-maxage, days rotated files are kept (default no limit). */
  logMaxAgeDays?: number;
  /** Another destination (tests); overrides logPath. */
  sink?: AuditSink;
}

export interface RunningApiServer {
  url: string;
  port: number;
  /** The service-account token keys, issuers and audiences of this server. */
  serviceAccountTokens: ServiceAccountTokens;
  /** The resource metrics API (metrics.k8s.io): its store and an on-demand scrape. */
  metricsApi: MetricsApi;
  /**
   * With a local socket: requests and watches from components in this process, served without a
   * connection (apiserver/in-process.ts), the local socket's tokens valid on them as on the socket.
   */
  inProcess?: InProcessApi;
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * Request and response classes whose instances already have the app's prototypes (which become
 * these classes' prototypes). Express otherwise calls Object.setPrototypeOf on every request and
 * response, after which V8 keeps each request's objects alive through young-generation GCs
 * (--trace-gc-nvp at 500 req/s: ~2.3 MB survived and promoted per scavenge); with the prototype
 * already right that call returns at once.
 */
function appMessageClasses(app: express.Express): AppMessageClasses {
  class AppRequest extends http.IncomingMessage {}
  Object.setPrototypeOf(AppRequest.prototype, Object.getPrototypeOf(app.request) as object);
  Object.defineProperties(AppRequest.prototype, Object.getOwnPropertyDescriptors(app.request));
  app.request = AppRequest.prototype as unknown as Request;
  class AppResponse extends http.ServerResponse {}
  Object.setPrototypeOf(AppResponse.prototype, Object.getPrototypeOf(app.response) as object);
  Object.defineProperties(AppResponse.prototype, Object.getOwnPropertyDescriptors(app.response));
  app.response = AppResponse.prototype as unknown as Response;
  return { IncomingMessage: AppRequest, ServerResponse: AppResponse as typeof http.ServerResponse };
}

export async function startApiServer(opts: ApiServerOptions = {}): Promise<RunningApiServer> {
  const host = opts.host ?? '127.0.0.1';
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (opts.authorizationMode && opts.authorizer) throw new Error('apiserver: give authorizer or authorizationMode, not both');
  const auditPolicy = opts.audit?.policy ?? (opts.audit?.policyFile ? loadPolicyFile(opts.audit.policyFile) : undefined);
  if (opts.audit && (opts.audit.logPath || opts.audit.sink) && !auditPolicy) throw new Error('apiserver: an audit log needs an audit policy (--audit-policy-file)');
  const serviceCIDR = opts.serviceClusterIPRange ?? '10.96.0.0/12';
  const encryption = opts.encryptionProviderConfig ? loadEncryptionConfiguration(opts.encryptionProviderConfig) : undefined;
  if (encryption && storageKind(opts) === 'memory') throw new Error('--encryption-provider-config needs --storage leveldb with --data-dir, or --storage etcd (in-memory storage keeps nothing at rest)');
  // Before storage opens, so a bad key file fails the start without leaving LevelDB locked.
  const serviceAccountTokens = new ServiceAccountTokens({
    signingKeyFile: opts.serviceAccountSigningKeyFile,
    keyFiles: opts.serviceAccountKeyFiles,
    issuers: opts.serviceAccountIssuer === undefined ? undefined : ([] as string[]).concat(opts.serviceAccountIssuer),
    audiences: opts.apiAudiences,
    maxTokenExpirationSeconds: opts.serviceAccountMaxTokenExpiration,
    extendTokenExpiration: opts.serviceAccountExtendTokenExpiration,
  });
  const uncachedBuckets = kindStrategies.filter((k) => k.cacheObjects === false).map((k) => bucketOf(k.resource));
  const storage = await openStorage(opts, apiserverBuckets(), { transformer: encryption, uncachedBuckets, recordEtcdRequest });
  const webhookConfigurations = new WebhookConfigurations(storage);
  const admissionPolicies = new AdmissionPolicies(storage);
  // A paramKind may name a CRD's kind: looked up among the kinds the registry serves once it runs.
  const findKind = (apiVersion: string, kind: string) => kindOf(startedRegistry?.kinds.all() ?? [], apiVersion, kind);
  const builtin = builtinAdmissionPlugins(opts.enableAdmissionPlugins ?? [], storage, { podSecurityExemptions: opts.podSecurityExemptions, webhookConfigurations, admissionPolicies: { policies: admissionPolicies, findKind } });
  // Always on, as in kube-apiserver: they ask the authorizer, known once authorization is set up below.
  let serverAuthorizer: Authorizer = alwaysAllow;
  const certificates = certificateAdmissionPlugins(() => serverAuthorizer);
  const runtimeClasses = runtimeClassAdmission(async (name) => (await storage.get(bucketOf(Resources.runtimeclasses), keyOf(Resources.runtimeclasses, undefined, name)))?.obj as RuntimeClass | undefined);
  let authz: Authorization | undefined;
  let startedRegistry: Registry | undefined;
  let crds: CrdServing | undefined;
  let auditSink: AuditSink | undefined;
  try {
    authz = opts.authorizationMode ? await setupAuthorization(opts.authorizationMode, storage) : undefined;
    const registry = (startedRegistry = new Registry(storage, {
      serviceClusterIPRange: serviceCIDR,
      nodePortRange: opts.nodePortRange ?? '30000-32767',
      clusterDNSIP: opts.clusterDNSIP,
      componentTargets: opts.componentStatusTargets,
      admission: new AdmissionChain([...(authz?.admissionFirst ?? []), ...builtin.first, ...(opts.admission ?? []), runtimeClasses, ...builtin.last, ...certificates, ...(authz?.admissionLast ?? [])]),
    }));
    attachServiceAccountTokens(registry, serviceAccountTokens);
    await registry.init();
    await webhookConfigurations.start();
    await admissionPolicies.start();
    crds = new CrdServing(registry);
    await crds.start();
    await authz?.bootstrap(registry);
    if (auditPolicy && (opts.audit?.sink || opts.audit?.logPath)) {
      auditSink = opts.audit.sink ?? new AuditLogFile({ path: opts.audit.logPath!, maxSizeMB: opts.audit.logMaxSizeMB, maxBackups: opts.audit.logMaxBackups, maxAgeDays: opts.audit.logMaxAgeDays });
    }
  } catch (err) {
    startedRegistry?.close();
    webhookConfigurations.stop();
    admissionPolicies.stop();
    authz?.stop();
    crds?.stop();
    await storage.close();
    throw err;
  }
  const registry = startedRegistry;
  const authorizer = authz?.authorizer ?? opts.authorizer ?? alwaysAllow;
  serverAuthorizer = authorizer;
  const ruleResolver: RuleResolver = authz?.ruleResolver ?? (authorizer === alwaysAllow ? alwaysAllowRules : ((authorizer as Partial<RuleResolver>).rulesFor ? (authorizer as unknown as RuleResolver) : unknownRules));
  attachAuthorization(registry, { authorizer, ruleResolver });
  // One entry per bucket: the served versions of a CRD share theirs.
  const countObjects = (): Array<[string, number]> => [...new Map(registry.kinds.all().map((rt) => [bucketOf(rt), rt] as const)).values()].map((rt) => [rt.group ? `${rt.resource}.${rt.group}` : rt.resource, storage.count(bucketOf(rt))]);
  objectCountSources.add(countObjects);
  const cleaner = new NamespaceCleaner(registry);
  cleaner.start();
  const eventExpiry = new EventExpiry(storage, (opts.eventTTLSeconds ?? 3600) * 1000);
  eventExpiry.start();

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (opts.clientCAFile && !(opts.tlsCertFile && opts.tlsKeyFile)) throw new Error('client certificate authentication (clientCAFile) needs TLS (tlsCertFile and tlsKeyFile)');
  // kube-apiserver's order: client certificates, then bearer tokens (token file, service-account JWTs, ...).
  // Connections accepted by the local socket's listener (its tokens are valid on these only).
  const localConnections = new WeakSet<object>();
  // The one connection in-process requests claim (in-process.ts): local, like the socket's.
  const inProcessConnection = new InProcessConnection();
  if (opts.localSocket) localConnections.add(inProcessConnection);
  const authenticators = [
    ...(opts.localSocket ? [localSocketAuthenticator(opts.localSocket.tokens, (sock) => !!sock && localConnections.has(sock))] : []),
    ...(opts.clientCAFile ? [x509Authenticator()] : []),
    ...(opts.tokenFile ? [tokenFileAuthenticator(loadTokenFile(opts.tokenFile))] : []),
    ...(opts.authenticators ?? []),
  ];
  const anonymous = opts.anonymousAuth ?? authenticators.length === 0;
  // TokenReview runs this same chain (the array itself: authenticators added below count too); the
  // client-certificate authenticator finds no TLS peer on a review and passes.
  authenticators.push(serviceAccountTokens.authenticator(storage));
  setTokenAuthenticators(registry, authenticators);
  app.locals.kubeletClient = kubeletClient(opts.kubeletClient);

  // Metrics and inflight accounting for every request (watches are counted when they end).
  app.use((req: Request, res: Response, next: NextFunction) => {
    const start = process.hrtime.bigint();
    const kind = req.method === 'GET' || req.method === 'HEAD' ? 'readOnly' : 'mutating';
    inflightRequests.inc({ request_kind: kind });
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      inflightRequests.dec({ request_kind: kind });
      const info = res.locals.requestInfo as RequestInfo | undefined;
      const labels = {
        verb: info?.verb ?? req.method,
        group: info?.group ?? '',
        version: info?.version ?? '',
        resource: info?.resource ?? '',
        subresource: info?.subresource ?? '',
      };
      requestTotal.inc({ ...labels, code: String(res.statusCode) });
      if (labels.verb !== 'WATCH') requestDuration.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
      if (opts.verbose) process.stderr.write(`${req.method} ${req.originalUrl} ${res.statusCode}\n`);
    };
    res.on('finish', end);
    res.on('close', end);
    next();
  });

  if (opts.console) app.use('/ui', consoleHandler()); // static files, before authentication: they hold no data
  app.use(requestInfoMiddleware(registry.kinds));
  if (auditPolicy && auditSink) app.use(auditMiddleware(auditPolicy, auditSink));
  app.use(authenticationMiddleware({ authenticators, anonymous }));
  app.use(authorizationMiddleware(authorizer));
  const readBody = express.raw({ type: () => true, limit: maxBody });
  // An upgrade's socket belongs to the exec/attach/port-forward proxy: there is no body to read; a proxy
  // subresource streams the body on to its target.
  const streamsBody = (req: Request, res: Response) => !!upgradeOf(req) || (res.locals.requestInfo as RequestInfo | undefined)?.subresource === 'proxy';
  app.use((req: Request, res: Response, next: NextFunction) => (streamsBody(req, res) ? next() : readBody(req, res, next)));
  let address = `${host}:6443`;
  installDiscovery(app, registry.kinds, () => address);
  let closed = false;
  // kube's names: the store's check is `etcd` on etcd; on LevelDB or in memory it is `storage`.
  const storeCheck = withTimeout(storageKind(opts) === 'etcd' ? 'etcd' : 'storage', 2000, () => storage.healthCheck());
  const ping = { name: 'ping', check: async () => undefined };
  const shutdown = { name: 'shutdown', check: async () => (closed ? Promise.reject(new Error('the apiserver is shutting down')) : undefined) };
  installHealthChecks(app, { healthz: [ping, storeCheck], livez: [ping, storeCheck], readyz: [ping, storeCheck, shutdown] }, (line) => process.stderr.write(`apiserver: ${line}\n`));
  app.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metricsResponse('apiserver');
    res.writeHead(200, { 'Content-Type': contentType });
    res.end(body);
  });
  installOpenApi(app, registry.kinds, opts.generatedOpenApi);
  const metricsApi = new MetricsApi(registry, opts.metricResolutionMs ?? 15_000);
  metricsApi.start(() => app.locals.kubeletClient as KubeletClient);
  app.use(metricsApi.handler());
  const watchHooks: WatchHooks = {
    onStart: (rt) => registeredWatchers.inc({ group: rt.group, version: rt.version, kind: rt.kind }),
    onEnd: (rt) => registeredWatchers.dec({ group: rt.group, version: rt.version, kind: rt.kind }),
    bookmarkIntervalMs: opts.watchBookmarkIntervalMs,
  };
  app.use(servedVersionsHandler(registry, watchHooks, [hpaV1Conversion, cronJobV1beta1Conversion, eventV1Conversion]));
  app.use(resourceHandler(registry, watchHooks));
  app.use((_req: Request, res: Response) => sendError(res, errors.pathNotFound()));
  // Error handler: every failure becomes a metav1.Status.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ApiStatusError) return sendError(res, err);
    const e = err as { type?: string; status?: number; message?: string };
    if (e && e.type === 'entity.too.large') return sendError(res, errors.tooLarge(maxBody));
    if (e && (e.type === 'request.aborted' || e.type === 'request.size.invalid')) return sendError(res, errors.badRequest(e.message || 'bad request'));
    if (e && e.type === 'encoding.unsupported') return sendError(res, errors.unsupportedMediaType(String(req.headers['content-encoding'])));
    if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) return sendError(res, errors.badRequest(e.message || 'bad request'));
    // Only pathological input (objects nested tens of thousands deep) exhausts the stack.
    if (err instanceof RangeError && /call stack/.test(err.message)) return sendError(res, errors.badRequest('the object is nested too deeply'));
    process.stderr.write(`apiserver: ${req.method} ${req.originalUrl}: ${(err as Error)?.stack || String(err)}\n`);
    sendError(res, errors.internal((err as Error)?.message || String(err)));
  });

  const tls = opts.tlsCertFile && opts.tlsKeyFile;
  const messageClasses = appMessageClasses(app);
  const tlsOptions = tls
    ? {
        cert: fs.readFileSync(opts.tlsCertFile!),
        key: fs.readFileSync(opts.tlsKeyFile!),
        // Ask for a client certificate but let requests without one through to the token authenticators
        // (x509.ts refuses a certificate that does not verify).
        ...(opts.clientCAFile ? { ca: fs.readFileSync(opts.clientCAFile), requestCert: true, rejectUnauthorized: false } : {}),
      }
    : undefined;
  const upgradeRoutings = new Map<http.Server, UpgradeRouting>();
  const listenOn = async (listenHost: string, listenPort: number, local?: string): Promise<http.Server> => {
    const server = tlsOptions && !local ? https.createServer({ ...messageClasses, ...tlsOptions }, app) : http.createServer(messageClasses, app);
    if (local) server.on('connection', (sock) => localConnections.add(sock));
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 0; // watches and log follows are long-lived
    // The one upgrade listener: watches over WebSocket (handlers/websocket.ts), pods/exec, attach and
    // portforward (handlers/subresources/connect.ts), all through the app.
    upgradeRoutings.set(server, routeUpgrades(server, app, messageClasses.ServerResponse));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const listening = () => {
        server.off('error', reject);
        resolve();
      };
      if (local) server.listen(local, listening);
      else server.listen(listenPort, listenHost, listening);
    });
    return server;
  };
  // The socket file is made private before anyone can connect: created under a umask of 077 (the
  // process's umask is restored at once, listen() binds synchronously), then chmod'ed to be sure.
  const listenLocal = async (socketPath: string): Promise<http.Server> => {
    fs.rmSync(socketPath, { force: true });
    const umask = process.umask(0o077);
    const listening = listenOn('', 0, socketPath);
    process.umask(umask);
    const server = await listening;
    fs.chmodSync(socketPath, 0o600);
    return server;
  };
  const closeServer = (server: http.Server) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
      upgradeRoutings.get(server)?.closeAll();
    });
  const server = await listenOn(host, opts.port ?? 6443);
  const port = (server.address() as AddressInfo).port;
  const servers = [server];
  try {
    for (const extra of opts.additionalListenHosts ?? []) if (extra !== host) servers.push(await listenOn(extra, port));
    if (opts.localSocket) servers.push(await listenLocal(opts.localSocket.path));
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    throw err;
  }
  address = `${host}:${port}`;
  let kubernetesService: KubernetesServiceReconciler | undefined;
  if (opts.kubernetesService ?? true) {
    kubernetesService = new KubernetesServiceReconciler(registry, { serviceCIDR, advertiseAddress: opts.advertiseAddress ?? defaultAdvertiseAddress(host), port, ...opts.endpointReconciler });
    await kubernetesService.start();
  }
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const inProcess = opts.localSocket ? inProcessApi(app, messageClasses, inProcessConnection) : undefined;
  // A closed server refuses as its closed socket would: the request was never sent.
  const refused = () => Object.assign(new Error('apiserver closed'), { code: 'ECONNREFUSED' });
  return {
    url: `${tls ? 'https' : 'http'}://${urlHost}:${port}`,
    port,
    serviceAccountTokens,
    metricsApi,
    inProcess: inProcess && {
      request: (r) => (closed ? Promise.reject(refused()) : inProcess.request(r)),
      stream: (r, sink) => {
        if (!closed) return inProcess.stream(r, sink);
        process.nextTick(() => sink.end(refused()));
        return { stop: () => undefined };
      },
    },
    async close() {
      if (closed) return;
      closed = true;
      metricsApi.stop();
      cleaner.stop();
      eventExpiry.stop();
      registry.close();
      webhookConfigurations.stop();
      admissionPolicies.stop();
      crds?.stop();
      authz?.stop();
      await kubernetesService?.stop();
      objectCountSources.delete(countObjects);
      inProcess?.closeStreams();
      await Promise.all(servers.map(closeServer));
      await storage.close();
      auditSink?.close();
    },
  };
}
