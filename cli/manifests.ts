// Reading manifests for `apply -f` / `delete -f`: a file, a directory (its .yaml/.yml/.json files,
// recursively with -R), or `-` for stdin; multi-document YAML and v1 `List`s are split into objects.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { JsonMap } from './client-side-apply/three-way';

export interface Manifest {
  source: string;
  object: JsonMap;
}

const manifestExtensions = ['.yaml', '.yml', '.json'];

function filesIn(dir: string, recursive: boolean): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (recursive) out.push(...filesIn(full, recursive));
    } else if (manifestExtensions.includes(path.extname(entry.name).toLowerCase())) {
      out.push(full);
    }
  }
  return out;
}

/** Splits YAML/JSON text into objects; empty documents are skipped, Lists flattened. */
export function parseManifests(text: string, source: string): Manifest[] {
  const out: Manifest[] = [];
  let docs: unknown[];
  try {
    docs = yaml.loadAll(text);
  } catch (err) {
    throw new Error(`error parsing ${source}: ${(err as Error).message}`);
  }
  const add = (doc: unknown) => {
    if (doc === null || doc === undefined) return;
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`error parsing ${source}: a document is not an object`);
    const obj = doc as JsonMap;
    if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
      for (const item of obj.items) add(item);
      return;
    }
    if (!obj.apiVersion || !obj.kind) {
      throw new Error(`error validating "${source}": error validating data: [apiVersion not set, kind not set]`);
    }
    out.push({ source, object: obj });
  };
  for (const d of docs) add(d);
  return out;
}

/** Reads every manifest named by -f arguments, in order. `-` reads stdin. */
export function loadManifests(filenames: string[], recursive: boolean, readStdin: () => string = () => fs.readFileSync(0, 'utf8')): Manifest[] {
  const out: Manifest[] = [];
  for (const f of filenames) {
    if (f === '-') {
      out.push(...parseManifests(readStdin(), 'STDIN'));
      continue;
    }
    let stat: fs.Stats;
    try {
      stat = fs.statSync(f);
    } catch {
      throw new Error(`the path "${f}" does not exist`);
    }
    const files = stat.isDirectory() ? filesIn(f, recursive) : [f];
    for (const file of files) out.push(...parseManifests(fs.readFileSync(file, 'utf8'), file));
  }
  if (out.length === 0) throw new Error('no objects passed to apply');
  return out;
}
