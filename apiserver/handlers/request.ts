// Request decoding and response encoding shared by the handlers: query parameters, bodies in JSON
// or YAML, write and delete options, content negotiation for server-side Tables, objects and their
// warnings, and metav1.Status answers.
import { duplicateFieldsAt } from '../../lib/api/json-duplicates';
import { noteStrict } from '../../lib/api/strict-decoding';
import { type YamlDuplicate, yamlDuplicateKeys } from '../../lib/api/yaml-duplicates';
import type { Request, Response } from 'express';
import * as yaml from 'js-yaml';
import type { ResourceType } from '../../lib/api/resources';
import { ApiStatusError, errors } from '../errors';
import { decodeProtobuf, protobufBody, ProtobufMediaType, wantsProtobuf } from './protobuf';
import { isPlainObject } from '../registry/objects';
import type { DeleteOptions, FieldValidation, WriteContext } from '../registry/registry';
import type { UserInfo } from '../auth/types';
import { goJSONText, type StoredObject } from '../storage/types';
import { toTable } from '../tables';
import { queryBool } from './query-bool';
import { writeBody } from './compression';

/** The first value of a query parameter, as a string. */
export function qs(req: Request, name: string): string | undefined {
  const v = (req.query as Record<string, unknown>)[name];
  const first = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' ? first : undefined;
}

/** A boolean query parameter, as apimachinery reads it (query-bool.ts). */
export function qBool(req: Request, name: string): boolean {
  return queryBool(qs(req, name));
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

/** Parses a create/update body: JSON (also with no Content-Type), YAML or protobuf. undefined when empty. */
export function parseBody(req: Request, opts: { allowEmpty?: boolean } = {}): unknown {
  // The current kubectl's typed clients send protobuf (auth can-i, create rolebinding, ...).
  if (mediaType(req) === ProtobufMediaType && Buffer.isBuffer(req.body) && req.body.length) return decodeProtobuf(req.body);
  const text = rawBody(req);
  if (text === undefined || text.trim() === '') {
    if (opts.allowEmpty) return undefined;
    throw errors.badRequest('the request body is empty');
  }
  const ct = mediaType(req);
  const strict = qs(req, 'fieldValidation') !== 'Ignore';
  // No Content-Type means JSON (kubectl scale --current-replicas sends none).
  if (ct === '' || ct === 'application/json' || ct === '*/*') {
    const body = parseJSON(text);
    // Repeated fields are reported by the write (registry decode) unless fieldValidation=Ignore.
    if (strict && body !== null && typeof body === 'object') {
      const duplicates = duplicateFieldsAt(text);
      if (duplicates.length) noteStrict(body, { kind: 'json', text, duplicates });
    }
    return body;
  }
  if (ct === 'application/yaml' || ct === 'application/x-yaml' || ct === 'text/yaml') {
    const { doc, duplicates } = parseYAMLWithDuplicates(text);
    // Noted even without repetitions: a YAML body's unknown fields are reported in sorted order.
    if (strict && doc !== null && typeof doc === 'object') noteStrict(doc, { kind: 'yaml', duplicates });
    return doc;
  }
  throw errors.unsupportedMediaType(ct);
}

export function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

function loadOne(text: string, json: boolean): unknown {
  const docs = yaml.loadAll(text, undefined, { schema: yaml.CORE_SCHEMA, json }).filter((d) => d !== null && d !== undefined);
  if (docs.length !== 1) throw errors.badRequest(`the YAML body must hold exactly one object (found ${docs.length})`);
  return docs[0];
}

/**
 * A YAML body as kube-apiserver reads it: a key repeated within a mapping keeps its last value, and the
 * repetitions are returned with go-yaml's words for them (`line 5: key "name" already set in map`).
 */
export function parseYAMLWithDuplicates(text: string): { doc: unknown; duplicates: YamlDuplicate[] } {
  try {
    try {
      return { doc: loadOne(text, false), duplicates: [] };
    } catch (err) {
      if ((err as yaml.YAMLException).reason !== 'duplicated mapping key') throw err;
      return { doc: loadOne(text, true), duplicates: yamlDuplicateKeys(text) };
    }
  } catch (err) {
    if (err instanceof ApiStatusError) throw err;
    throw errors.badRequest(`error converting YAML to JSON: ${(err as Error).message.split('\n')[0]}`);
  }
}

export function parseYAML(text: string): unknown {
  return parseYAMLWithDuplicates(text).doc;
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
  sendRaw(res, code, typeof body === 'string' ? body : goJSONText(body));
}

/**
 * Sends JSON that is already serialized: a string, or UTF-8 bytes (a stored object's, sent as they are),
 * followed by a newline, as kube's JSON serializer ends every answer (Go's json.Encoder.Encode).
 */
export function sendRaw(res: Response, code: number, json: string | Buffer): void {
  // kube's JSON serializer ends every answer with a newline (json.Encoder).
  writeBody(res, code, { 'Content-Type': 'application/json' }, json, '\n');
}

/** Sends an object's protobuf encoding. */
export function sendProtobuf(res: Response, code: number, body: Buffer): void {
  writeBody(res, code, { 'Content-Type': ProtobufMediaType }, body);
}

/** Sends a Kubernetes object (not yet serialized) in protobuf when the client prefers it, else JSON. */
export function sendKubeObject(req: Request, res: Response, code: number, obj: Record<string, unknown>): void {
  const pb = wantsProtobuf(req) ? protobufBody(obj) : undefined;
  if (pb) return sendProtobuf(res, code, pb);
  sendJSON(res, code, obj);
}

export function sendError(res: Response, err: ApiStatusError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJSON(res, err.code, err.toStatus());
}

/** The Success Status of a POST that acted rather than created an object (binding, eviction). */
export function sendCreatedStatus(res: Response): void {
  sendJSON(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

/** The dry-run and field-validation settings of a write; collects the warnings to send back. */
export function writeContext(req: Request, res: Response): WriteContext {
  const dryRun = qs(req, 'dryRun');
  if (dryRun !== undefined && dryRun !== '' && dryRun !== 'All') throw errors.badRequest(`Invalid dryRun value: ${JSON.stringify(dryRun)}: supported value is "All"`);
  const fv = qs(req, 'fieldValidation');
  let fieldValidation: FieldValidation | undefined;
  if (fv === 'Strict' || fv === 'Warn' || fv === 'Ignore') fieldValidation = fv;
  else if (fv) throw errors.badRequest(`fieldValidation must be one of "Ignore", "Warn", "Strict" (got ${JSON.stringify(fv)})`);
  const warnings: string[] = [];
  res.locals.warnings = warnings;
  const auditAnnotations: Record<string, string> = {};
  res.locals.auditAnnotations = auditAnnotations;
  const fieldManager = qs(req, 'fieldManager');
  if (fieldManager !== undefined && Buffer.byteLength(fieldManager) > 128) throw errors.badRequest('fieldManager: Too long: may not be more than 128 bytes');
  return {
    clientRequest: true,
    dryRun: dryRun === 'All',
    fieldValidation,
    warnings,
    user: res.locals.user as UserInfo | undefined,
    auditAnnotations,
    // As kube-apiserver: without fieldManager, the product of the user agent (kubectl/v1.32 → kubectl).
    fieldManager: fieldManager || (req.headers['user-agent'] ?? '').split('/')[0].slice(0, 128) || undefined,
  };
}

/** Sends the warnings a write collected as Warning headers. */
export function flushWarnings(res: Response): void {
  const w = res.locals.warnings as string[] | undefined;
  if (w?.length) res.setHeader('Warning', w.slice(0, 20).map((m) => `299 - ${JSON.stringify(m)}`));
}

/** Answers with a stored object: its bytes as they are, or a one-row Table when kubectl asks for one. */
export function sendObject(req: Request, res: Response, rt: ResourceType, code: number, stored: StoredObject): void {
  flushWarnings(res);
  if (wantsTable(req)) {
    const table = toTable(rt, [stored.obj], { now: Date.now(), includeColumnDefinitions: true, includeObject: tableIncludeObject(req) });
    table.metadata = { resourceVersion: String(stored.rev) };
    return sendJSON(res, code, table);
  }
  // The current kubectl asks for protobuf first; a kind without a message still goes as JSON.
  const pb = wantsProtobuf(req) ? protobufBody(stored.obj) : undefined;
  if (pb) return sendProtobuf(res, code, pb);
  sendRaw(res, code, stored.bytes);
}

/** DeleteOptions from the query and the body (the body wins). */
export function deleteOptions(req: Request): DeleteOptions {
  const opts: DeleteOptions = {};
  const pp = qs(req, 'propagationPolicy');
  if (pp) opts.propagationPolicy = pp;
  const grace = qInt(req, 'gracePeriodSeconds');
  if (grace !== undefined) opts.gracePeriodSeconds = grace;
  const orphan = qs(req, 'orphanDependents');
  if (orphan !== undefined) opts.orphanDependents = queryBool(orphan);
  const body = parseBody(req, { allowEmpty: true });
  if (body !== undefined) {
    if (!isPlainObject(body)) throw errors.badRequest('the DeleteOptions body must be a JSON object');
    if (body.propagationPolicy !== undefined) {
      if (typeof body.propagationPolicy !== 'string') throw errors.badRequest('propagationPolicy must be a string');
      opts.propagationPolicy = body.propagationPolicy;
    }
    if (body.gracePeriodSeconds !== undefined && body.gracePeriodSeconds !== null) {
      if (typeof body.gracePeriodSeconds !== 'number' || !Number.isInteger(body.gracePeriodSeconds)) throw errors.badRequest('gracePeriodSeconds must be an integer');
      opts.gracePeriodSeconds = body.gracePeriodSeconds;
    }
    if (typeof body.orphanDependents === 'boolean') opts.orphanDependents = body.orphanDependents;
    if (body.preconditions !== undefined && body.preconditions !== null) {
      const p = body.preconditions;
      if (!isPlainObject(p) || (p.uid !== undefined && typeof p.uid !== 'string') || (p.resourceVersion !== undefined && typeof p.resourceVersion !== 'string')) {
        throw errors.badRequest('preconditions must hold string uid and resourceVersion');
      }
      opts.preconditions = { uid: p.uid as string | undefined, resourceVersion: p.resourceVersion as string | undefined };
    }
  }
  return opts;
}
