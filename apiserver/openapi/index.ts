// The published OpenAPI: /openapi/v2 (swagger 2.0, as gnostic protobuf for kubectl — its explain and
// `apply --validate` — and as JSON for everyone else) and /openapi/v3 (an index of group-versions and
// one OpenAPI 3.0 document per group-version, which the current kubectl's explain and field-validation
// check read). One schema source: the built-in kinds' definitions generated from client-node's models
// (models.ts) and each served CRD version's own schema, with the x-kubernetes-group-version-kind
// extension kubectl finds kinds by, and every kind's operations (paths.ts). The built-in kinds' documents
// are generated at build time (generate.ts → dist/apiserver/openapi/generated/) and read on first request; the
// CRDs' parts are made when the served kinds change (CRDs come and go) and joined to them.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Express, Request, Response } from 'express';
import { groupVersion, type ResourceType } from '../../lib/api/resources';
import { errors } from '../errors';
import { strategyFor } from '../kinds';
import type { KindCatalog } from '../kinds/catalog';
import { MODEL_ATTRIBUTES_FILE, modelAttributesFromClientNode } from '../model-attributes';
import { definitionName, modelDefinitions, type OpenApiSchema } from './models';
import { encodeOpenApiV2 } from './protobuf';
import { v2Paths, v3Paths } from './paths';
import { modelNameFor } from '../schema';

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
function definitionsFor(kinds: readonly ResourceType[], refPrefix: string, v2: boolean, withObjectMeta = true): Record<string, OpenApiSchema> {
  const custom = kinds.filter((rt) => strategyFor(rt).openAPISchema);
  // ObjectMeta comes along for the custom kinds (their metadata refers to it).
  const builtin = kinds.filter((rt) => !strategyFor(rt).openAPISchema);
  const roots = custom.length && withObjectMeta ? [...builtin, { group: '', version: 'v1', kind: 'ObjectMeta' } as ResourceType] : builtin;
  const { definitions } = roots.length ? modelDefinitions(roots, refPrefix, intOrString) : { definitions: {} as Record<string, OpenApiSchema> };
  for (const rt of custom) definitions[customDefinitionName(rt)] = publishedCustomSchema(strategyFor(rt).openAPISchema!, rt, refPrefix, v2);
  return definitions;
}

/** The definition a kind's operations refer to, by `refPrefix`; undefined when it has none. */
function refFor(refPrefix: string): (rt: ResourceType) => string | undefined {
  return (rt) => {
    if (strategyFor(rt).openAPISchema) return `${refPrefix}${customDefinitionName(rt)}`;
    const model = modelNameFor(rt);
    return model ? `${refPrefix}${definitionName(model)}` : undefined;
  };
}

/** Kinds with every verb (the create-only reviews and read-only kinds are left out, as before). */
const published = (kinds: readonly ResourceType[]) => kinds.filter((rt) => !rt.verbs);

export interface OpenApiV2Document {
  swagger: string;
  info: typeof info;
  paths: Record<string, OpenApiSchema>;
  definitions: Record<string, OpenApiSchema>;
}

/** The swagger 2.0 document of every served kind. */
export function openApiV2(kinds: readonly ResourceType[]): OpenApiV2Document {
  const served = published(kinds);
  return { swagger: '2.0', info, paths: v2Paths(served, refFor('#/definitions/')), definitions: definitionsFor(served, '#/definitions/', true) };
}

/** The OpenAPI 3.0 document of one group-version. */
export function openApiV3(kinds: readonly ResourceType[], gv: string): unknown {
  const served = published(kinds).filter((rt) => groupVersion(rt) === gv);
  return { openapi: '3.0.0', info, paths: v3Paths(served, refFor('#/components/schemas/')), components: { schemas: definitionsFor(served, '#/components/schemas/', false) } };
}

/** The path of a group-version's document: 'api/v1', 'apis/apps/v1'. */
const v3Path = (gv: string): string => (gv.includes('/') ? `apis/${gv}` : `api/${gv}`);
const kindKey = (rt: ResourceType): string => `${groupVersion(rt)}/${rt.resource}`;
const v3Hash = (body: Buffer): string => createHash('sha512').update(body).digest('hex').slice(0, 128).toUpperCase();

/**
 * The built-in kinds' documents as `npm run build` writes them (generate.ts, into dist/): the v2
 * document as JSON and as gnostic protobuf, one v3 document per group-version, and the kinds they cover.
 */
export interface GeneratedOpenApi {
  kinds: string[];
  v2json: Buffer;
  v2proto: Buffer;
  v3: Map<string, Buffer>;
}

/** Where the build writes the generated documents: beside the compiled module. */
export const generatedOpenApiDir = path.join(__dirname, 'generated');

const v3File = (gvPath: string): string => `${gvPath.replace(/\//g, '_')}.json`;

/** Generates the built-in kinds' documents into `dir` (the build step). */
export function writeGeneratedOpenApi(dir: string, builtins: readonly ResourceType[]): GeneratedOpenApi {
  const kinds = published(builtins);
  const v2 = openApiV2(kinds);
  const gen: GeneratedOpenApi = { kinds: kinds.map(kindKey), v2json: Buffer.from(JSON.stringify(v2)), v2proto: encodeOpenApiV2(v2), v3: new Map() };
  for (const gv of new Set(kinds.map((rt) => groupVersion(rt)))) gen.v3.set(v3Path(gv), Buffer.from(JSON.stringify(openApiV3(kinds, gv))));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'v3'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'v2.json'), gen.v2json);
  fs.writeFileSync(path.join(dir, 'v2.pb'), gen.v2proto);
  for (const [p, body] of gen.v3) fs.writeFileSync(path.join(dir, 'v3', v3File(p)), body);
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ kinds: gen.kinds, v3: [...gen.v3.keys()] }));
  // The models' attribute records, so a built server never loads the model classes (model-attributes.ts).
  fs.writeFileSync(path.join(dir, MODEL_ATTRIBUTES_FILE), JSON.stringify(modelAttributesFromClientNode()));
  return gen;
}

/** The generated documents in `dir`; undefined when there are none (running from the sources). */
export function loadGeneratedOpenApi(dir: string = generatedOpenApiDir): GeneratedOpenApi | undefined {
  let manifest: { kinds: string[]; v3: string[] };
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { kinds: string[]; v3: string[] };
  } catch {
    return undefined;
  }
  // Read on first use, not at start: about 3 MB that most servers are never asked for (kubectl reads
  // them for `explain`, `diff`, validation), so they cost no memory until then.
  let v2json: Buffer | undefined;
  let v2proto: Buffer | undefined;
  let v3: Map<string, Buffer> | undefined;
  return {
    kinds: manifest.kinds,
    get v2json() {
      return (v2json ??= fs.readFileSync(path.join(dir, 'v2.json')));
    },
    set v2json(body: Buffer) {
      v2json = body;
    },
    get v2proto() {
      return (v2proto ??= fs.readFileSync(path.join(dir, 'v2.pb')));
    },
    set v2proto(body: Buffer) {
      v2proto = body;
    },
    get v3() {
      return (v3 ??= new Map(manifest.v3.map((p) => [p, fs.readFileSync(path.join(dir, 'v3', v3File(p)))])));
    },
    set v3(docs: Map<string, Buffer>) {
      v3 = docs;
    },
  };
}

interface Cached {
  generation: number;
  v2json?: Buffer;
  v2proto?: Buffer;
  v3?: Map<string, { body: Buffer; hash: string }>;
}

/**
 * Serves the documents. The built-in kinds' documents come from the build (read on first request);
 * only the CRDs' parts are made at run time and joined to them. Without generated documents, or when
 * they do not cover this server's built-in kinds, every document is made here on first request.
 */
export function installOpenApi(app: Express, kinds: KindCatalog, generated: GeneratedOpenApi | undefined = loadGeneratedOpenApi()): void {
  const builtinNow = published(kinds.all()).filter((rt) => !strategyFor(rt).openAPISchema).map(kindKey);
  const gen = generated && generated.kinds.length === builtinNow.length && generated.kinds.every((k, i) => k === builtinNow[i]) ? generated : undefined;
  const builtinKeys = new Set(gen?.kinds ?? []);
  let genV3: Map<string, { body: Buffer; hash: string }> | undefined; // on first request (the files load lazily)
  let builtinV2: OpenApiV2Document | undefined; // parsed from gen.v2json once a CRD needs it

  let cache: Cached = { generation: -1 };
  const current = (): Cached => {
    if (cache.generation !== kinds.generation) cache = { generation: kinds.generation };
    return cache;
  };
  /** The served kinds the generated documents do not cover (the CRDs'). */
  const runTimeKinds = () => published(kinds.all()).filter((rt) => !builtinKeys.has(kindKey(rt)));
  const v2 = (): OpenApiV2Document => {
    if (!gen) return openApiV2(kinds.all());
    builtinV2 ??= JSON.parse(gen.v2json.toString()) as OpenApiV2Document;
    const extra = runTimeKinds();
    return { ...builtinV2, paths: { ...builtinV2.paths, ...v2Paths(extra, refFor('#/definitions/')) }, definitions: { ...builtinV2.definitions, ...definitionsFor(extra, '#/definitions/', true, false) } };
  };
  const v3docs = (): Map<string, { body: Buffer; hash: string }> => {
    const c = current();
    if (!c.v3) {
      genV3 ??= new Map([...(gen?.v3 ?? new Map<string, Buffer>())].map(([p, body]) => [p, { body, hash: v3Hash(body) }]));
      c.v3 = new Map(genV3);
      const dynamic = gen ? runTimeKinds() : published(kinds.all());
      for (const gv of new Set(dynamic.map((rt) => groupVersion(rt)))) {
        const body = Buffer.from(JSON.stringify(openApiV3(kinds.all(), gv)));
        c.v3.set(v3Path(gv), { body, hash: v3Hash(body) });
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
    const extra = gen ? runTimeKinds() : [];
    if (String(req.headers.accept ?? '').includes('protobuf')) {
      if (!c.v2proto) {
        if (!gen) c.v2proto = encodeOpenApiV2(v2());
        else if (!extra.length) c.v2proto = gen.v2proto;
        else c.v2proto = Buffer.concat([gen.v2proto, encodeOpenApiV2({ paths: v2Paths(extra, refFor('#/definitions/')), definitions: definitionsFor(extra, '#/definitions/', true, false) })]);
      }
      // kubectl 1.20 refuses the protobuf media type with '@' as a Content-Type (kubectl-protocol.md §0.1).
      return send(res, 'application/octet-stream', c.v2proto);
    }
    c.v2json ??= gen && !extra.length ? gen.v2json : Buffer.from(JSON.stringify(v2()));
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
