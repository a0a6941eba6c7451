// The request pipeline's first steps, as Express middleware in kube-apiserver's order: what the request
// is about (RequestInfo), who sends it (authentication, 401), whether they may (authorization, 403).
// The health probes answer anyone.
import type { NextFunction, Request, Response } from 'express';
import { ApiStatusError, errors } from '../errors';
import { parseRequestInfo, type ResourceLookup } from '../handlers/request-info';
import { forbiddenMessage, requestAttributes } from './request-attributes';
import { AllAuthenticated, AllUnauthenticated, Anonymous, AuthenticationError, type Authenticator, type Authorizer, type UserInfo } from './types';

const ALWAYS_ALLOWED_PATHS = new Set(['/healthz', '/livez', '/readyz']);

export interface AuthenticationOptions {
  authenticators: Authenticator[];
  /** Requests with no credential run as system:anonymous (else 401). */
  anonymous: boolean;
}

/** Sets res.locals.requestInfo for every request (resource requests; undefined otherwise). */
export function requestInfoMiddleware(kinds?: ResourceLookup) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.locals.requestInfo = parseRequestInfo(req.method, req.path, req.query as Record<string, unknown>, kinds);
    next();
  };
}

function withAuthenticatedGroup(u: UserInfo): UserInfo {
  return u.groups.includes(AllAuthenticated) || u.name === Anonymous ? u : { ...u, groups: [...u.groups, AllAuthenticated] };
}

/** Sets res.locals.user, or answers 401 (kube-apiserver's Status: reason Unauthorized). */
export function authenticationMiddleware(o: AuthenticationOptions) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      let user: UserInfo | undefined;
      for (const a of o.authenticators) {
        user = await a.authenticate(req);
        if (user) break;
      }
      if (user) res.locals.user = withAuthenticatedGroup(user);
      // A credential that no authenticator accepts is refused, even where anonymous requests are allowed.
      else if (req.headers.authorization) throw errors.unauthorized();
      else if (o.anonymous || ALWAYS_ALLOWED_PATHS.has(req.path)) res.locals.user = { name: Anonymous, groups: [AllUnauthenticated] } satisfies UserInfo;
      else throw errors.unauthorized();
      next();
    } catch (err) {
      if (err instanceof AuthenticationError) return next(errors.unauthorized());
      next(err);
    }
  };
}

/** Answers 403 with Kubernetes' message unless the authorizer allows the request. */
export function authorizationMiddleware(authorizer: Authorizer) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      if (ALWAYS_ALLOWED_PATHS.has(req.path)) return next();
      const user = res.locals.user as UserInfo;
      const attrs = requestAttributes(user, req.method, req.path, res.locals.requestInfo);
      const r = await authorizer.authorize(attrs);
      // Audit records the decision and its reason (authorization.k8s.io/decision, /reason).
      res.locals.authorization = r;
      if (r.decision === 'allow') return next();
      throw forbidden(attrs, r.reason);
    } catch (err) {
      next(err);
    }
  };
}

function forbidden(a: ReturnType<typeof requestAttributes>, reason?: string): ApiStatusError {
  const message = forbiddenMessage(a, reason);
  if (!a.resourceRequest) return new ApiStatusError(403, 'Forbidden', `forbidden: ${message}`);
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const subject = a.name ? `${qualified} "${a.name}"` : qualified;
  return new ApiStatusError(403, 'Forbidden', `${subject} is forbidden: ${message}`, {
    name: a.name || undefined,
    ...(a.apiGroup ? { group: a.apiGroup } : {}),
    kind: a.resource,
  });
}
