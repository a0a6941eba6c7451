// What kube-apiserver's strict decoding reports about a request body, and in which order: unknown
// fields (found by the write's pruning) and repeated ones (found in the text by the request parser,
// which notes them on the decoded body for the write to report). fieldValidation=Strict makes them one
// error, Warn (the default) one Warning each, Ignore nothing. The order and words follow kube's
// decoders (test/integration/apiserver/field_validation_test.go):
// - a JSON body: unknown and duplicate fields in text order, a field both unknown and repeated (or
//   inside an unknown one) reported as unknown only;
// - a YAML body: go-yaml's repeated keys first (`yaml: unmarshal errors:` and one line each; one
//   warning per line), then the unknown fields in sorted order (kube turns YAML into JSON through a
//   map, so the JSON decoder meets keys sorted);
// - a patch: the patch's own problems first (its repeated fields; a JSON patch's unknown or repeated
//   operation fields), then the patched object's unknown fields, sorted; under Strict kube answers 422
//   with the patched object (or the strategic patch, as Go prints a map) as the `patch` field's value.
import { type DuplicateField, keyOffsets } from './json-duplicates';
import type { YamlDuplicate } from './yaml-duplicates';

export type StrictNotes =
  | { kind: 'json'; text: string; duplicates: DuplicateField[] }
  | { kind: 'yaml'; duplicates: YamlDuplicate[] }
  | { kind: 'patch'; problems: string[]; value: () => string };

const noted = new WeakMap<object, StrictNotes>();

/** Remembers what the parser found in a decoded body's text, for the write that decodes it to report. */
export function noteStrict(body: object, notes: StrictNotes): void {
  noted.set(body, notes);
}

/** What the parser noted for a decoded body (nothing when it came from elsewhere or had nothing to say). */
export function strictNotesOf(body: object): StrictNotes | undefined {
  return noted.get(body);
}

/** A strict decoding outcome: each error's text (Strict joins them after `strict decoding error: `) and the warnings (Warn). */
export interface StrictReport {
  errors: string[];
  warnings: string[];
}

function segments(path: string): string[] {
  return path.split(/\.|(?=\[)/);
}

/** Orders field paths as a walk of sorted map keys meets them (array elements by index). */
export function compareFieldPaths(a: string, b: string): number {
  const x = segments(a);
  const y = segments(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    const xi = /^\[(\d+)\]$/.exec(x[i]);
    const yi = /^\[(\d+)\]$/.exec(y[i]);
    if (xi && yi) return Number(xi[1]) - Number(yi[1]);
    return x[i] < y[i] ? -1 : 1;
  }
  return x.length - y.length;
}

const unknownField = (path: string): string => `unknown field "${path}"`;
const same = (errors: string[]): StrictReport => ({ errors, warnings: errors });

/** What to report for a body whose pruning found `unknown` (in the object's order), given what its parser noted. */
export function strictReport(unknown: string[], notes: StrictNotes | undefined): StrictReport {
  if (!notes) return same(unknown.map(unknownField));
  switch (notes.kind) {
    case 'json': {
      const under = (p: string) => unknown.some((u) => p === u || p.startsWith(`${u}.`) || p.startsWith(`${u}[`));
      const duplicates = notes.duplicates.filter((d) => !under(d.path));
      if (!duplicates.length) return same(unknown.map(unknownField));
      const offsets = unknown.length ? keyOffsets(notes.text, new Set(unknown)) : new Map<string, number>();
      const found = [
        ...unknown.map((path) => ({ text: unknownField(path), at: offsets.get(path) ?? Number.MAX_SAFE_INTEGER })),
        ...duplicates.map((d) => ({ text: `duplicate field "${d.path}"`, at: d.at })),
      ];
      return same(found.sort((a, b) => a.at - b.at).map((f) => f.text));
    }
    case 'yaml': {
      const sorted = [...unknown].sort(compareFieldPaths).map(unknownField);
      const lines = notes.duplicates.map((d) => d.message);
      return {
        errors: [...(lines.length ? [`yaml: unmarshal errors:\n${lines.map((l) => `  ${l}`).join('\n')}`] : []), ...sorted],
        warnings: [...lines, ...sorted],
      };
    }
    case 'patch':
      return same([...notes.problems, ...[...unknown].sort(compareFieldPaths).map(unknownField)]);
  }
}

/** Go's %+v of a value decoded from JSON into interface{} (map keys sorted), as kube prints a strategic merge patch. */
export function goPrint(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goPrint).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${goPrint(o[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

/** The problems of a JSON patch's operations: fields other than op, path, from and value, and repeated ones, in text order. */
export function jsonPatchProblems(ops: unknown, text: string, duplicates: DuplicateField[]): string[] {
  if (!Array.isArray(ops)) return [];
  const unknown: string[] = [];
  ops.forEach((op, i) => {
    if (op === null || typeof op !== 'object' || Array.isArray(op)) return;
    for (const k of Object.keys(op as object)) if (!['op', 'path', 'from', 'value'].includes(k)) unknown.push(`[${i}].${k}`);
  });
  const offsets = unknown.length ? keyOffsets(text, new Set(unknown)) : new Map<string, number>();
  return [
    ...unknown.map((path) => ({ text: `json patch unknown field "${path}"`, at: offsets.get(path) ?? Number.MAX_SAFE_INTEGER })),
    ...duplicates.map((d) => ({ text: `json patch duplicate field "${d.path}"`, at: d.at })),
  ]
    .sort((a, b) => a.at - b.at)
    .map((p) => p.text);
}
