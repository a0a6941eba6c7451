// serviceaccounts/token: POST a TokenRequest (authentication.k8s.io/v1) to get a bound, expiring token
// for the service account (`kubectl create token`, the node agent's projected volumes). The work is in
// auth/serviceaccount/token-request.ts; this is its HTTP face.
import { serviceAccountTokensOf, createTokenRequest } from '../../auth/serviceaccount';
import { errors } from '../../errors';
import { flushWarnings, parseBody, sendJSON, writeContext } from '../request';
import type { ObjectRequest } from '.';

export async function serveToken({ req, res, registry, namespace, name }: ObjectRequest): Promise<void> {
  if (req.method !== 'POST') throw errors.methodNotAllowed(req.method, 'serviceaccounts/token');
  const tokens = serviceAccountTokensOf(registry);
  if (!tokens) throw errors.pathNotFound();
  const ctx = writeContext(req, res);
  const out = await createTokenRequest(registry, tokens.tokenRequest, namespace!, name, parseBody(req), ctx);
  flushWarnings(res);
  sendJSON(res, 201, out);
}
