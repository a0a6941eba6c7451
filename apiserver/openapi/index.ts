// The published OpenAPI: /openapi/v2 (swagger 2.0, as gnostic protobuf for kubectl — its explain and
// `apply --validate` — and as JSON for everyone else) and /openapi/v3 (an index of group-versions and
// one OpenAPI 3.0 document per group-version, which the current kubectl's explain and field-validation
// check read). One schema source: the built-in kinds' definitions generated from client-node's models
// (models.ts) and each served CRD version's own schema, with the x-kubernetes-group-version-kind
// extension kubectl finds kinds by. Rebuilt only when the served kinds change (CRDs come and go).
import { createHash } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import { groupVersion, type ResourceType } from '../../lib/api/resources';
import { errors } from '../errors';
import { strategyFor } from '../kinds';
import type { KindCatalog } from '../kinds/catalog';
import { definitionName, modelDefinitions, type OpenApiSchema } from './models';
import { encodeOpenApiV2 } from './protobuf';

const intOrString: OpenApiSchema = { type: 'string', format: 'int-or-string' };
const info = { title: 'Kubernetes', version: 'v1.20.2' };

/** A CRD version's definition name, as kube publishes it: the reversed group, version, kind. */
export function customDefinitionName(rt: ResourceType): string {
  return `${rt.group.split('.').reverse().join('.')}.${rt.version}.${rt.kind}`;
}

/** A CRD schema as a published definition: what v2 cannot say is dropped, refs point at ObjectMeta. */
function publishedCustomSchema(schema: Record<string, unknown>, rt: ResourceType, refPrefix: string, v2: boolean): OpenApiSchema {
  const convert = (s: unknown): unknown => {
    if (Array.isArray(s)) return s.map(convert);
    if (!s || typeof s !== 'object') return s;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s as Record<string, unknown>)) {
      if (k === 'x-kubernetes-validations') continue;
      if (v2 && (k === 'nullable' || k === 'anyOf' || k === 'oneOf' || k === 'not')) continue;
      out[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([p, ps]) => [p, convert(ps)])) : k === 'enum' || k === 'default' || k === 'required' ? v : convert(v);
    }
    return out;
  };
  const root = convert(schema) as OpenApiSchema;
  const properties = { ...(root.properties ?? {}) };
  properties.apiVersion ??= { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' };
  properties.kind ??= { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' };
  properties.metadata = { description: 'Standard object\'s metadata.', $ref: `${refPrefix}${definitionName('V1ObjectMeta')}` };
  return { ...root, type: 'object', properties, 'x-kubernetes-group-version-kind': [{ group: rt.group, version: rt.version, kind: rt.kind }] };
}

/** Every definition of the kinds given: built-in models and CRD versions. */
function definitionsFor(kinds: readonly ResourceType[], refPrefix: string, v2: boolean): Record<string, OpenApiSchema> {
  const custom = kinds.filter((rt) => strategyFor(rt).openAPISchema);
  // ObjectMeta comes along for the custom kinds (their metadata refers to it).
  const builtin = kinds.filter((rt) => !strategyFor(rt).openAPISchema);
  const { definitions } = modelDefinitions(custom.length ? [...builtin, { group: '', version: 'v1', kind: 'ObjectMeta' } as ResourceType] : builtin, refPrefix, intOrString);
  for (const rt of custom) definitions[customDefinitionName(rt)] = publishedCustomSchema(strategyFor(rt).openAPISchema!, rt, refPrefix, v2);
  return definitions;
}

/** The swagger 2.0 document of every served kind. */
export function openApiV2(kinds: readonly ResourceType[]): { swagger: string; info: typeof info; paths: Record<string, never>; definitions: Record<string, OpenApiSchema> } {
  return { swagger: '2.0', info, paths: {}, definitions: definitionsFor(kinds.filter((rt) => !rt.verbs), '#/definitions/', true) };
}

/** The paths of a kind's objects with their PATCH operations, which say fieldValidation is served. */
function pathsOf(rt: ResourceType): Record<string, unknown> {
  const base = rt.group ? `/apis/${rt.group}/${rt.version}` : `/api/${rt.version}`;
  const item = `${base}${rt.namespaced ? '/namespaces/{namespace}' : ''}/${rt.resource}/{name}`;
  const gvk = { group: rt.group, version: rt.version, kind: rt.kind };
  const params = ['dryRun', 'fieldManager', 'fieldValidation'].map((name) => ({ name, in: 'query', schema: { type: 'string', uniqueItems: true } }));
  const op = (action: string) => ({ operationId: `${action}${rt.kind}`, parameters: params, responses: { '200': { description: 'OK' } }, 'x-kubernetes-action': action, 'x-kubernetes-group-version-kind': gvk });
  return { [item]: { put: op('put'), patch: op('patch') } };
}

/** The OpenAPI 3.0 document of one group-version. */
export function openApiV3(kinds: readonly ResourceType[], gv: string): unknown {
  const served = kinds.filter((rt) => groupVersion(rt) === gv && !rt.verbs);
  const paths: Record<string, unknown> = {};
  for (const rt of served) Object.assign(paths, pathsOf(rt));
  return { openapi: '3.0.0', info, paths, components: { schemas: definitionsFor(served, '#/components/schemas/', false) } };
}

/** The path of a group-version's document: 'api/v1', 'apis/apps/v1'. */
const v3Path = (gv: string): string => (gv.includes('/') ? `apis/${gv}` : `api/${gv}`);

interface Cached {
  generation: number;
  v2json?: Buffer;
  v2proto?: Buffer;
  v3?: Map<string, { body: Buffer; hash: string }>;
}

export function installOpenApi(app: Express, kinds: KindCatalog): void {
  let cache: Cached = { generation: -1 };
  const current = (): Cached => {
    if (cache.generation !== kinds.generation) cache = { generation: kinds.generation };
    return cache;
  };
  const v3docs = (): Map<string, { body: Buffer; hash: string }> => {
    const c = current();
    if (!c.v3) {
      c.v3 = new Map();
      const gvs = [...new Set(kinds.all().filter((rt) => !rt.verbs).map((rt) => groupVersion(rt)))];
      for (const gv of gvs) {
        const body = Buffer.from(JSON.stringify(openApiV3(kinds.all(), gv)));
        c.v3.set(v3Path(gv), { body, hash: createHash('sha512').update(body).digest('hex').slice(0, 128).toUpperCase() });
      }
    }
    return c.v3;
  };
  const send = (res: Response, contentType: string, body: Buffer, etag?: string) => {
    res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': body.length, ...(etag ? { ETag: `"${etag}"` } : {}) });
    res.end(body);
  };
  app.get('/openapi/v2', (req: Request, res: Response) => {
    const c = current();
    if (String(req.headers.accept ?? '').includes('protobuf')) {
      c.v2proto ??= encodeOpenApiV2(openApiV2(kinds.all()));
      // kubectl 1.20 refuses the protobuf media type with '@' as a Content-Type (kubectl-protocol.md §0.1).
      return send(res, 'application/octet-stream', c.v2proto);
    }
    c.v2json ??= Buffer.from(JSON.stringify(openApiV2(kinds.all())));
    send(res, 'application/json', c.v2json);
  });
  app.get('/openapi/v3', (_req, res) => {
    const paths: Record<string, unknown> = {};
    for (const [p, d] of v3docs()) paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${d.hash}` };
    send(res, 'application/json', Buffer.from(JSON.stringify({ paths })));
  });
  app.get(/^\/openapi\/v3\/(.+)$/, (req: Request, res: Response) => {
    const doc = v3docs().get(String(req.params[0]).replace(/\/$/, ''));
    if (!doc) throw errors.pathNotFound();
    send(res, 'application/json', doc.body, doc.hash);
  });
}
