// The built-in kinds' OpenAPI schemas, generated from @kubernetes/client-node's models (their runtime
// attributeTypeMap gives fields, types and formats; the comments of their .d.ts files give the
// descriptions Kubernetes publishes) plus lib/api/patch-meta.ts (the patch strategies and merge keys a
// client's apply needs). Nothing is hand-written per kind: a new served kind with a client-node model
// is published as it is. Run by the build step (generate.ts); at run time only without a build.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { patchMetaForKind, type PatchMeta } from '../../lib/api/patch-meta';
import type { ResourceType } from '../../lib/api/resources';
import { modelAttributes } from '../model-attributes';
import { modelNameFor } from '../schema';

/** An OpenAPI schema node (the subset steer publishes; v2 and v3 differ only in refs and int-or-string). */
export interface OpenApiSchema {
  type?: string;
  format?: string;
  description?: string;
  $ref?: string;
  items?: OpenApiSchema;
  properties?: Record<string, OpenApiSchema>;
  additionalProperties?: OpenApiSchema | boolean;
  required?: string[];
  [extension: `x-${string}`]: unknown;
  [other: string]: unknown;
}

const modelsDir = path.dirname(require.resolve('@kubernetes/client-node/dist/gen/models/all.js'));

/** The descriptions of a model's class and fields, from the comments of its .d.ts file. */
function descriptionsOf(model: string): { type?: string; fields: Map<string, string> } {
  const fields = new Map<string, string>();
  let text: string;
  try {
    text = fs.readFileSync(path.join(modelsDir, `${model}.d.ts`), 'utf8');
  } catch {
    return { fields };
  }
  let type: string | undefined;
  let pending: string | undefined;
  let block: string[] | undefined; // the lines of the comment being read
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (block) {
      if (t.endsWith('*/')) {
        pending = block.join('\n').trim().replace(/\\"/g, '"');
        block = undefined;
      } else block.push(t.replace(/^\*\s?/, ''));
      continue;
    }
    if (t.startsWith('/**')) {
      block = [];
      continue;
    }
    if (!t) continue;
    const field = /^'([^']+)'\??:/.exec(t);
    if (field && pending) fields.set(field[1], pending);
    else if (t.startsWith('export declare class ') && pending) type = pending;
    pending = undefined;
  }
  return { type, fields };
}

const arrayRe = /^Array<(.+)>$/;
const mapRe = /^\{ \[key: string\]: (.+); \}$/;

/**
 * The definition name a model is published under, in Kubernetes' style (kubectl prints its last part as
 * a field's type): V1DeploymentStrategy → io.k8s.v1.DeploymentStrategy, CoreV1Event → io.k8s.core.v1.Event.
 */
export function definitionName(model: string): string {
  const m = /^([A-Z][a-z]+)?(V\d+(?:alpha\d+|beta\d+)?)([A-Z].*)$/.exec(model);
  return m ? `io.k8s.${m[1] ? `${m[1].toLowerCase()}.` : ''}${m[2].toLowerCase()}.${m[3]}` : model;
}

/** A field's schema from a client-node type name; `ref` makes the reference to another definition. */
function schemaOfType(type: string, format: string, ref: (model: string) => OpenApiSchema, intOrString: OpenApiSchema): OpenApiSchema {
  const array = arrayRe.exec(type);
  if (array) return { type: 'array', items: schemaOfType(array[1], '', ref, intOrString) };
  const map = mapRe.exec(type);
  if (map) return { type: 'object', additionalProperties: schemaOfType(map[1], format, ref, intOrString) };
  switch (type) {
    case 'string':
      return format && format !== 'int-or-string' ? { type: 'string', format } : { type: 'string' };
    case 'Date':
      return { type: 'string', format: 'date-time' };
    case 'boolean':
      return { type: 'boolean' };
    case 'number':
      return format === 'int32' || format === 'int64' ? { type: 'integer', format } : { type: 'number', format: format || 'double' };
    case 'IntOrString':
      return { ...intOrString };
    case 'any':
      return {}; // arbitrary JSON (a CRD schema's default or enum values, RawExtension)
    case 'object':
      return { type: 'object' };
    default:
      return modelAttributes(type) ? ref(type) : { type: 'object' };
  }
}

/** The patch extensions of a field whose list merges under a strategic merge patch. */
function patchExtensions(meta: PatchMeta | undefined): Record<string, string> {
  if (!meta) return {};
  if (meta.mergeKey) return { 'x-kubernetes-patch-merge-key': meta.mergeKey, 'x-kubernetes-patch-strategy': 'merge' };
  if (meta.set) return { 'x-kubernetes-patch-strategy': 'merge' };
  return {};
}

export interface ModelDefinitions {
  /** Definition name → schema, refs written by `refPrefix`. */
  definitions: Record<string, OpenApiSchema>;
  /** The definition of each served built-in kind (by `group/version/kind`). */
  byKind: Map<string, string>;
}

/**
 * The definitions reachable from the served built-in kinds, with the GVK extension on each kind's own
 * definition. `refPrefix` is '#/definitions/' (v2) or '#/components/schemas/' (v3).
 */
export function modelDefinitions(kinds: readonly ResourceType[], refPrefix: string, intOrString: OpenApiSchema): ModelDefinitions {
  const definitions: Record<string, OpenApiSchema> = {};
  const byKind = new Map<string, string>();
  const patchMetas = new Map<string, PatchMeta>();
  const queue: string[] = [];
  const seen = new Set<string>();
  const ref = (model: string): OpenApiSchema => {
    if (!seen.has(model)) {
      seen.add(model);
      queue.push(model);
    }
    return { $ref: `${refPrefix}${definitionName(model)}` };
  };
  const roots: Array<[ResourceType, string]> = [];
  for (const rt of kinds) {
    const model = modelNameFor(rt);
    if (!model) continue;
    roots.push([rt, model]);
    byKind.set(`${rt.group}/${rt.version}/${rt.kind}`, definitionName(model));
    // Which fields of which models merge by key: walk the kind's patch metadata along its model.
    const walkMeta = (m: string, meta: PatchMeta): void => {
      for (const a of modelAttributes(m) ?? []) {
        const fieldMeta = meta.fields?.[a.baseName];
        if (!fieldMeta) continue;
        patchMetas.set(`${m}.${a.baseName}`, fieldMeta);
        const inner = arrayRe.exec(a.type)?.[1] ?? a.type;
        const next = fieldMeta.items ?? (fieldMeta.fields ? fieldMeta : undefined);
        if (next && modelAttributes(inner)) walkMeta(inner, next);
      }
    };
    walkMeta(model, patchMetaForKind(rt.kind));
    ref(model);
  }
  while (queue.length) {
    const model = queue.shift()!;
    const docs = descriptionsOf(model);
    const properties: Record<string, OpenApiSchema> = {};
    for (const a of modelAttributes(model) ?? []) {
      const s = schemaOfType(a.type, a.format, ref, intOrString);
      const description = docs.fields.get(a.baseName);
      properties[a.baseName] = { ...(description ? { description } : {}), ...s, ...patchExtensions(patchMetas.get(`${model}.${a.baseName}`)) };
    }
    definitions[definitionName(model)] = { ...(docs.type ? { description: docs.type } : {}), type: 'object', properties };
  }
  for (const [rt, model] of roots) {
    const def = definitions[definitionName(model)];
    const gvks = (def['x-kubernetes-group-version-kind'] as unknown[] | undefined) ?? [];
    def['x-kubernetes-group-version-kind'] = [...gvks, { group: rt.group, version: rt.version, kind: rt.kind }];
  }
  return { definitions, byKind };
}
