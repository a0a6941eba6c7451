// Request decoding and response encoding shared by the handlers: query parameters, bodies in JSON
// or YAML, content negotiation for server-side Tables, and metav1.Status answers.
import type { Request, Response } from 'express';
import * as yaml from 'js-yaml';
import { ApiStatusError, errors } from '../errors';

/** The first value of a query parameter, as a string. */
export function qs(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first : undefined;
}

export function qBool(req: Request, name: string): boolean {
  const v = qs(req, name);
  return v === 'true' || v === '1';
}

/** An integer query parameter; a malformed one is a 400. */
export function qInt(req: Request, name: string): number | undefined {
  const v = qs(req, name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`invalid value for ${name}: ${JSON.stringify(v)} is not an integer`);
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw errors.badRequest(`invalid value for ${name}: ${v} is out of range`);
  return n;
}

/** The media type without parameters, lower case ('' when absent). */
export function mediaType(req: Request): string {
  return (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
}

function rawBody(req: Request): string | undefined {
  const b = req.body as unknown;
  if (Buffer.isBuffer(b)) return b.length ? b.toString('utf8') : undefined;
  return undefined;
}

/** Parses a create/update body: JSON (also with no Content-Type) or YAML. undefined when empty. */
export function parseBody(req: Request, opts: { allowEmpty?: boolean } = {}): unknown {
  const text = rawBody(req);
  if (text === undefined || text.trim() === '') {
    if (opts.allowEmpty) return undefined;
    throw errors.badRequest('the request body is empty');
  }
  const ct = mediaType(req);
  // No Content-Type means JSON (kubectl scale --current-replicas sends none).
  if (ct === '' || ct === 'application/json' || ct === '*/*') return parseJSON(text);
  if (ct === 'application/yaml' || ct === 'application/x-yaml' || ct === 'text/yaml') return parseYAML(text);
  throw errors.unsupportedMediaType(ct);
}

export function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

export function parseYAML(text: string): unknown {
  try {
    const docs = yaml.loadAll(text, undefined, { schema: yaml.CORE_SCHEMA }).filter((d) => d !== null && d !== undefined);
    if (docs.length !== 1) throw errors.badRequest(`the YAML body must hold exactly one object (found ${docs.length})`);
    return docs[0];
  } catch (err) {
    if (err instanceof ApiStatusError) throw err;
    throw errors.badRequest(`error converting YAML to JSON: ${(err as Error).message.split('\n')[0]}`);
  }
}

export function rawText(req: Request): string | undefined {
  return rawBody(req);
}

/** True when the client asked for a meta.k8s.io Table (kubectl get). */
export function wantsTable(req: Request): boolean {
  const accept = req.headers.accept || '';
  if (!accept.includes('as=Table')) return false;
  return accept.split(',').some((part) => {
    const params = part.split(';').map((p) => p.trim());
    return params.includes('as=Table') && params.includes('g=meta.k8s.io') && (params.includes('v=v1') || params.includes('v=v1beta1'));
  });
}

/** Kubernetes' TableOptions.includeObject: what each Table row's `object` holds (default Metadata). */
export function tableIncludeObject(req: Request): 'None' | 'Metadata' | 'Object' {
  const v = qs(req, 'includeObject');
  if (v === undefined || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw new ApiStatusError(400, 'BadRequest', `includeObject: Unsupported value: ${JSON.stringify(v)}: supported values: "Metadata", "None", "Object"`);
}

export function sendJSON(res: Response, code: number, body: unknown): void {
  sendRaw(res, code, typeof body === 'string' ? body : JSON.stringify(body));
}

/** Sends JSON that is already serialized: a string, or UTF-8 bytes (a stored object's, sent as they are). */
export function sendRaw(res: Response, code: number, json: string | Buffer): void {
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': typeof json === 'string' ? Buffer.byteLength(json) : json.length });
  res.end(json);
}

export function sendError(res: Response, err: ApiStatusError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJSON(res, err.code, err.toStatus());
}
