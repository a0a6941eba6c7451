// The attribute type maps of @kubernetes/client-node's generated model classes (each field's JSON name,
// type name and format), which schema.ts (pruning, wrong JSON types) and openapi/models.ts read.
// Loading the model classes themselves means 717 ES modules: 6.2 MiB more RSS and 5.1 MiB more heap
// after a GC in a process that has the server's other modules loaded, all for about 3,000 small records. So the build writes the records to
// dist/apiserver/openapi/generated/model-attributes.json (openapi/generate.ts) and a built server reads
// only that; running from the sources (tests, a build without the generate step) loads the models.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ModelAttribute {
  name: string;
  baseName: string; // the JSON field name
  type: string; // 'string', 'number', 'V1PodSpec', 'Array<V1Container>', '{ [key: string]: string; }', …
  format: string; // 'int32', 'int64', 'double', 'byte', 'date-time', 'int-or-string', ''
}

export const MODEL_ATTRIBUTES_FILE = 'model-attributes.json';
const generatedFile = path.join(__dirname, 'openapi', 'generated', MODEL_ATTRIBUTES_FILE);

let table: Map<string, readonly ModelAttribute[]> | undefined;
let fromClientNodeOnly = false;

/** Every model class's attributes, read from client-node's generated models (what the build writes out). */
export function modelAttributesFromClientNode(): Record<string, ModelAttribute[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- only when the build's records are not there
  const models = require('@kubernetes/client-node/dist/gen/models/all.js') as Record<string, { attributeTypeMap?: ModelAttribute[] } | undefined>;
  const out: Record<string, ModelAttribute[]> = {};
  for (const [model, cls] of Object.entries(models)) {
    const attrs = cls?.attributeTypeMap;
    if (Array.isArray(attrs)) out[model] = attrs.map(({ name, baseName, type, format }) => ({ name, baseName, type, format }));
  }
  return out;
}

/** The build step: read the models themselves, never an earlier build's file. */
export function useClientNodeModels(): void {
  fromClientNodeOnly = true;
  table = undefined;
}

/** The records the build wrote to `file`; undefined when there is no such file (running from the sources). */
export function readModelAttributes(file: string = generatedFile): Record<string, ModelAttribute[]> | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, ModelAttribute[]>;
  } catch {
    return undefined;
  }
}

/** The attributes of model class `model` ('V1Pod', 'CoreV1Event'); undefined when there is no such model. */
export function modelAttributes(model: string): readonly ModelAttribute[] | undefined {
  table ??= new Map(Object.entries((fromClientNodeOnly ? undefined : readModelAttributes()) ?? modelAttributesFromClientNode()));
  return table.get(model);
}
