// Audit (k8s.io/apiserver/pkg/endpoints/filters/audit.go): every request the policy selects becomes
// audit.k8s.io/v1 Events — RequestReceived, ResponseStarted (long-running requests: watches, followed
// logs) and ResponseComplete, less the stages the policy omits — with who (user, source IPs, user
// agent), what (verb, requestURI, objectRef), the outcome (responseStatus), the request and response
// bodies at the Request and RequestResponse levels, and annotations: authorization.k8s.io/decision and
// reason from the authorizer, and those admission plugins add. A request that fails authentication is
// one ResponseStarted event without a user, as kube's failed-authentication audit writes it.
// The middleware runs before authentication and decides once the user is known; the server installs
// it only when a policy is given, so a server without one pays nothing.
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { RequestInfo } from '../../handlers/request-info';
import { requestAttributes } from '../request-attributes';
import type { AuthorizationResult, UserInfo } from '../types';
import type { AuditSink } from './log';
import { type AuditConfig, evaluatePolicy, type Level, type Policy, type Stage } from './policy';

const levelRank: Record<Level, number> = { None: 0, Metadata: 1, Request: 2, RequestResponse: 3 };

/** metav1.MicroTime: RFC 3339 with six fractional digits. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** utilnet.SourceIPs: X-Forwarded-For, X-Real-Ip, then the peer, without repeats. */
function sourceIPs(req: Request): string[] {
  const out: string[] = [];
  const add = (ip: string | undefined) => {
    const v = ip?.trim().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
    if (v && !out.includes(v)) out.push(v);
  };
  const xff = req.headers['x-forwarded-for'];
  for (const ip of (Array.isArray(xff) ? xff.join(',') : (xff ?? '')).split(',')) add(ip);
  const real = req.headers['x-real-ip'];
  add(Array.isArray(real) ? real[0] : real);
  add(req.socket.remoteAddress);
  return out;
}

/** getAuthMethods of kube's failed-authentication audit. */
function authMethods(req: Request): string {
  const methods: string[] = [];
  const auth = (req.headers.authorization ?? '').trim().split(' ');
  if (auth[0]?.toLowerCase() === 'basic') methods.push('basic');
  if (auth.length > 1 && auth[0].toLowerCase() === 'bearer') methods.push('bearer');
  const peer = (req.socket as { getPeerCertificate?: () => { raw?: Buffer } }).getPeerCertificate?.();
  if (peer?.raw) methods.push('x509');
  return methods.length ? `Authentication failed, attempted: ${methods.join(', ')}` : 'Authentication failed, no credentials provided';
}

function parseJSON(b: unknown): unknown {
  try {
    if (Buffer.isBuffer(b) && b.length) return JSON.parse(b.toString('utf8'));
    if (typeof b === 'string' && b) return JSON.parse(b);
  } catch {
    /* not JSON: not logged */
  }
  return undefined;
}

function withoutManagedFields(o: unknown): unknown {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return o;
  const obj = o as Record<string, unknown>;
  const md = obj.metadata as Record<string, unknown> | undefined;
  if (md && 'managedFields' in md) {
    const { managedFields: _m, ...rest } = md;
    return { ...obj, metadata: rest };
  }
  return o;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Largest response body kept for responseObject (a bigger one is left out). */
const MAX_CAPTURE = 8 * 1024 * 1024;

export function auditMiddleware(policy: Policy, sink: AuditSink) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const received = new Date();
    const headerID = req.headers['audit-id'];
    const auditID = (Array.isArray(headerID) ? headerID[0] : headerID) || randomUUID();
    res.setHeader('Audit-Id', auditID);
    const info = res.locals.requestInfo as RequestInfo | undefined;
    const longRunning = !!info && (info.watch || (info.subresource === 'log' && (req.query.follow === 'true' || req.query.follow === '1')));

    let config: AuditConfig | undefined;
    let event: Record<string, unknown> | undefined;
    let captured: Buffer[] | undefined;
    let capturedBytes = 0;
    let emittedReceived = false;
    let finished = false;

    const user = (): UserInfo | undefined => res.locals.user as UserInfo | undefined;

    /** The event of this request, once its user is known (undefined: not audited). */
    const prepare = (): Record<string, unknown> | undefined => {
      if (config) return event;
      const u = user();
      const attrs = requestAttributes(u ?? { name: '', groups: [] }, req.method, req.path, info);
      config = evaluatePolicy(policy, { ...attrs, user: u });
      if (config.level === 'None') return undefined;
      const objectRef: Record<string, unknown> | undefined = attrs.resourceRequest
        ? {
            resource: attrs.resource,
            ...(attrs.namespace ? { namespace: attrs.namespace } : {}),
            ...(attrs.name ? { name: attrs.name } : {}),
            ...(attrs.apiGroup ? { apiGroup: attrs.apiGroup } : {}),
            apiVersion: attrs.apiVersion,
            ...(attrs.subresource ? { subresource: attrs.subresource } : {}),
          }
        : undefined;
      event = {
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: config.level,
        auditID,
        stage: 'RequestReceived',
        requestURI: req.originalUrl,
        verb: attrs.verb,
        user: u ? { username: u.name, ...(u.uid ? { uid: u.uid } : {}), groups: u.groups, ...(u.extra ? { extra: u.extra } : {}) } : {},
        sourceIPs: sourceIPs(req),
        ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
        ...(objectRef ? { objectRef } : {}),
        requestReceivedTimestamp: microTime(received),
        stageTimestamp: microTime(received),
      };
      return event;
    };

    const emit = (stage: Stage, at: Date, extra: Record<string, unknown> = {}): void => {
      if (!event || !config || config.omitStages.includes(stage)) return;
      const annotations: Record<string, string> = { ...((res.locals.auditAnnotations as Record<string, string> | undefined) ?? {}) };
      const authz = res.locals.authorization as AuthorizationResult | undefined;
      if (authz) {
        annotations['authorization.k8s.io/decision'] = authz.decision === 'allow' ? 'allow' : 'forbid';
        annotations['authorization.k8s.io/reason'] = authz.reason ?? '';
      }
      sink.write({ ...event, ...extra, stage, stageTimestamp: microTime(at), ...(Object.keys(annotations).length ? { annotations } : {}) });
    };

    /** The request body, and the name and namespace it gives a create, at the levels that log them. */
    const requestParts = (): Record<string, unknown> => {
      if (!event || !config || levelRank[config.level] < levelRank.Metadata) return {};
      const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : parseJSON(req.body);
      const ref = event.objectRef as Record<string, unknown> | undefined;
      const md = isObject(body) && isObject(body.metadata) ? body.metadata : undefined;
      if (ref && md) {
        for (const [k, f] of [['namespace', 'namespace'], ['name', 'name'], ['uid', 'uid'], ['resourceVersion', 'resourceVersion']] as const) {
          if (!ref[k] && typeof md[f] === 'string' && md[f]) ref[k] = md[f];
        }
      }
      if (levelRank[config.level] < levelRank.Request || body === undefined) return {};
      return { requestObject: config.omitManagedFields ? withoutManagedFields(body) : body };
    };

    const received_ = (): void => {
      if (emittedReceived) return;
      emittedReceived = true;
      // As in kube, the body is known only after RequestReceived: later stages carry it.
      emit('RequestReceived', received);
      if (event) event = { ...event, ...requestParts() };
    };

    // The status is known when the headers go out: decide what to keep of the body, and start a
    // long-running request's ResponseStarted.
    const writeHead = res.writeHead;
    res.writeHead = function (this: Response, ...args: unknown[]) {
      if (!finished && !config && user()) {
        if (prepare()) {
          const code = typeof args[0] === 'number' ? args[0] : res.statusCode;
          if (!longRunning && (code >= 400 || config!.level === 'RequestResponse')) captured = [];
          if (longRunning) {
            received_();
            emit('ResponseStarted', new Date(), { responseStatus: { metadata: {}, code } });
          }
        }
      }
      return (writeHead as (...a: unknown[]) => Response).apply(this, args);
    } as Response['writeHead'];

    const keep = (chunk: unknown): void => {
      if (!captured || chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      capturedBytes += b.length;
      if (capturedBytes > MAX_CAPTURE) captured = undefined;
      else captured.push(b);
    };
    const write = res.write;
    res.write = function (this: Response, chunk: unknown, ...rest: unknown[]) {
      keep(chunk);
      return (write as (...a: unknown[]) => boolean).apply(this, [chunk, ...rest]);
    } as Response['write'];
    const end = res.end;
    res.end = function (this: Response, chunk?: unknown, ...rest: unknown[]) {
      keep(chunk);
      return (end as (...a: unknown[]) => Response).apply(this, [chunk, ...rest]);
    } as Response['end'];

    const complete = (): void => {
      if (finished) return;
      finished = true;
      const now = new Date();
      const u = user();
      if (!u) {
        // Failed authentication: one ResponseStarted event, no user.
        if (res.statusCode !== 401 || !prepare()) return;
        emit('ResponseStarted', now, { responseStatus: { metadata: {}, message: authMethods(req), code: 401 } });
        return;
      }
      if (!prepare()) return;
      received_();
      const code = res.statusCode;
      const body = captured ? parseJSON(Buffer.concat(captured)) : undefined;
      let responseStatus: Record<string, unknown> = { metadata: {}, code };
      if (code >= 400 && isObject(body) && body.kind === 'Status') {
        const { kind: _k, apiVersion: _a, ...status } = body;
        responseStatus = status;
      }
      const responseObject = config!.level === 'RequestResponse' && !longRunning && body !== undefined && code < 400 ? { responseObject: config!.omitManagedFields ? withoutManagedFields(body) : body } : {};
      emit('ResponseComplete', now, { responseStatus, ...responseObject });
    };
    res.on('finish', complete);
    res.on('close', complete);
    next();
  };
}
