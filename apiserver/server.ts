// The API server: storage + registry behind an Express app speaking the Kubernetes REST API.
// startApiServer() is used by `steer apiserver`, `steer up` and the tests.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import express, { NextFunction, Request, Response } from 'express';
import { allResources } from '../lib/api/resources';
import { AdmissionChain } from './auth/admission';
import { alwaysAllow } from './auth/authorizers';
import { authenticationMiddleware, authorizationMiddleware, requestInfoMiddleware } from './auth/middleware';
import { loadTokenFile, tokenFileAuthenticator } from './auth/token-file';
import type { AdmissionPlugin, Authenticator, Authorizer } from './auth/types';
import { ApiStatusError, errors } from './errors';
import { installDiscovery } from './handlers/discovery';
import { sendError } from './handlers/request';
import type { RequestInfo } from './handlers/request-info';
import { resourceHandler } from './handlers/resources';
import { metricsResponse } from '../lib/component/metrics';
import { inflightRequests, objectCountSources, registeredWatchers, requestDuration, requestTotal } from './metrics';
import { NamespaceCleaner } from './registry/namespaces';
import { apiserverBuckets, bucketOf } from './registry/keys';
import { Registry } from './registry/registry';
import { openStorage, StorageOptions } from './storage/open';

export interface ApiServerOptions extends StorageOptions {
  host?: string;
  port?: number;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tokenFile?: string;
  /** More authenticators (client certificates, service-account tokens, ...), tried after the token file. */
  authenticators?: Authenticator[];
  /**
   * Requests without a credential run as system:anonymous. Default: true when no token file and no
   * authenticators are given (an API open to all, as before authentication existed), else false.
   */
  anonymousAuth?: boolean;
  /** Decides every request (kube-apiserver's --authorization-mode chain); default: allow everything. */
  authorizer?: Authorizer;
  /** Admission plugins every write goes through, in order. */
  admission?: AdmissionPlugin[];
  serviceClusterIPRange?: string;
  nodePortRange?: string;
  /** Largest accepted request body (default 3 MiB); larger → 413. */
  maxBodyBytes?: number;
  /** Log each request to stderr. */
  verbose?: boolean;
  /** How often watches that allow bookmarks get one (default 10 s). */
  watchBookmarkIntervalMs?: number;
}

export interface RunningApiServer {
  url: string;
  port: number;
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
function appMessageClasses(app: express.Express): Pick<http.ServerOptions, 'IncomingMessage' | 'ServerResponse'> {
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
  const storage = await openStorage(opts, apiserverBuckets());
  const registry = new Registry(storage, {
    serviceClusterIPRange: opts.serviceClusterIPRange ?? '10.96.0.0/12',
    nodePortRange: opts.nodePortRange ?? '30000-32767',
    admission: new AdmissionChain(opts.admission ?? []),
  });
  try {
    await registry.init();
  } catch (err) {
    registry.close();
    await storage.close();
    throw err;
  }
  const countObjects = (): Array<[string, number]> => allResources.map((rt) => [rt.group ? `${rt.resource}.${rt.group}` : rt.resource, storage.count(bucketOf(rt))]);
  objectCountSources.add(countObjects);
  const cleaner = new NamespaceCleaner(registry);
  cleaner.start();

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const authenticators = [...(opts.tokenFile ? [tokenFileAuthenticator(loadTokenFile(opts.tokenFile))] : []), ...(opts.authenticators ?? [])];
  const anonymous = opts.anonymousAuth ?? authenticators.length === 0;

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

  app.use(requestInfoMiddleware());
  app.use(authenticationMiddleware({ authenticators, anonymous }));
  app.use(authorizationMiddleware(opts.authorizer ?? alwaysAllow));
  app.use(express.raw({ type: () => true, limit: maxBody }));
  let address = `${host}:6443`;
  installDiscovery(app, () => address);
  app.get('/metrics', async (_req, res) => {
    const { contentType, body } = await metricsResponse('apiserver');
    res.writeHead(200, { 'Content-Type': contentType });
    res.end(body);
  });
  app.get('/openapi/v3', (_req, res) => sendError(res, errors.pathNotFound()));
  app.use(
    resourceHandler(registry, {
      onStart: (rt) => registeredWatchers.inc({ group: rt.group, version: rt.version, kind: rt.kind }),
      onEnd: (rt) => registeredWatchers.dec({ group: rt.group, version: rt.version, kind: rt.kind }),
      bookmarkIntervalMs: opts.watchBookmarkIntervalMs,
    }),
  );
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
  const server = tls
    ? https.createServer({ ...messageClasses, cert: fs.readFileSync(opts.tlsCertFile!), key: fs.readFileSync(opts.tlsKeyFile!) }, app)
    : http.createServer(messageClasses, app);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0; // watches and log follows are long-lived
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 6443, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  address = `${host}:${port}`;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closed = false;
  return {
    url: `${tls ? 'https' : 'http'}://${urlHost}:${port}`,
    port,
    async close() {
      if (closed) return;
      closed = true;
      cleaner.stop();
      registry.close();
      objectCountSources.delete(countObjects);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await storage.close();
    },
  };
}
