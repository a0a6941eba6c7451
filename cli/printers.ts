// Output the way kubectl prints it: server-side Tables through a tab writer (min width 6, padding 3),
// `-o name` as `kind.group/name`, `-o yaml|json` with sorted keys (ages: lib/api/time.ts).
import * as yaml from 'js-yaml';
import { KubeObject } from '../lib/client/client';
import { ResourceType } from '../lib/api/resources';
import { JsonPath, goValue, relaxedJsonPath } from '../lib/api/jsonpath';
import { sortKeysDeep } from '../lib/api/json';
import { ageOf } from '../lib/api/time';

/** meta.k8s.io/v1 Table, as the apiserver sends it for kubectl's Table Accept header. */
export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}
export interface TableRow {
  cells: unknown[];
  object?: unknown;
}
export interface Table {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  columnDefinitions?: TableColumnDefinition[];
  rows?: TableRow[];
}

/** `deployment.apps` / `pod`: how kubectl names a resource in `-o name` and in apply's messages. */
export function kindQualifier(r: ResourceType): string {
  return r.group ? `${r.singular}.${r.group}` : r.singular;
}

export function qualifiedName(r: ResourceType, name: string): string {
  return `${kindQualifier(r)}/${name}`;
}

/**
 * Go's text/tabwriter as kubectl configures it: each column is as wide as its widest cell plus 3
 * spaces, at least 6; the last cell of a line is not padded. `minWidths` keeps columns at least as wide
 * as an earlier block (kubectl's watch rows line up under the header).
 */
export function tabulate(rows: string[][], minWidths: number[] = []): { text: string; widths: number[] } {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (i === row.length - 1) return;
      widths[i] = Math.max(widths[i] || 0, cell.length + 3, 6, minWidths[i] || 0);
    });
  }
  const text = rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('') + '\n')
    .join('');
  return { text, widths };
}

export interface TableOptions {
  wide?: boolean;
  noHeaders?: boolean;
  /** Prefix names with `kind.group/` (kubectl does this for `get all` and several types). */
  kindPrefix?: string;
  /** Add a NAMESPACE column first (-A). */
  withNamespace?: boolean;
  /** -L/--label-columns: one column per label key, after the server's columns. */
  labelColumns?: string[];
  /** --show-labels: a LABELS column last. */
  showLabels?: boolean;
}

/** kubectl's header of a -L column: the key's last path segment, upper case (app.kubernetes.io/name → NAME). */
export function labelColumnHeader(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1).toUpperCase();
}

/** labels.FormatLabels: k=v pairs sorted by key, or <none>. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels || {}).sort();
  return keys.length ? keys.map((k) => `${k}=${(labels as Record<string, string>)[k]}`).join(',') : '<none>';
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '<none>';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function rowNamespace(row: TableRow): string {
  const obj = row.object as KubeObject | undefined;
  return obj?.metadata?.namespace || '';
}

function rowLabels(row: TableRow): Record<string, string> | undefined {
  return (row.object as KubeObject | undefined)?.metadata?.labels;
}

/** The header and body cells of a Table, with kubectl's column choice (priority 0, or all with -o wide). */
export function tableCells(table: Table, o: TableOptions): { header: string[]; rows: string[][] } {
  const columns: Array<{ def: TableColumnDefinition; index: number }> = (table.columnDefinitions || [])
    .map((def, index) => ({ def, index }))
    .filter(({ def }) => o.wide || !def.priority);
  const labelColumns = o.labelColumns || [];
  const header = [...columns.map(({ def }) => def.name.toUpperCase()), ...labelColumns.map(labelColumnHeader), ...(o.showLabels ? ['LABELS'] : [])];
  const nameIndex = columns.findIndex(({ def }) => def.format === 'name' || def.name.toLowerCase() === 'name');
  const rows = (table.rows || []).map((row) => {
    const cells = columns.map(({ index }) => cellText(row.cells[index]));
    if (o.kindPrefix && nameIndex >= 0) cells[nameIndex] = `${o.kindPrefix}/${cells[nameIndex]}`;
    const labels = rowLabels(row);
    for (const key of labelColumns) cells.push(labels?.[key] ?? '');
    if (o.showLabels) cells.push(formatLabels(labels));
    return o.withNamespace ? [rowNamespace(row), ...cells] : cells;
  });
  return { header: o.withNamespace ? ['NAMESPACE', ...header] : header, rows };
}

export function printTable(table: Table, o: TableOptions): string {
  const { header, rows } = tableCells(table, o);
  if (rows.length === 0) return '';
  return tabulate(o.noHeaders ? rows : [header, ...rows]).text;
}

/** A minimal Table (NAME, AGE) built client-side, as kubectl shows objects a server sent without one. */
export function fallbackTable(items: KubeObject[], now = Date.now()): Table {
  return {
    apiVersion: 'meta.k8s.io/v1',
    kind: 'Table',
    metadata: {},
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name', priority: 0 },
      { name: 'Age', type: 'string', format: '', description: 'Age', priority: 0 },
    ],
    rows: items.map((it) => ({
      cells: [it.metadata?.name || '', ageOf(it.metadata?.creationTimestamp as string | undefined, now)],
      object: it,
    })),
  };
}

export function toYaml(v: unknown): string {
  return yaml.dump(sortKeysDeep(v), { lineWidth: -1, noRefs: true });
}

export function toJson(v: unknown): string {
  return JSON.stringify(sortKeysDeep(v), null, 4) + '\n';
}

/** What kubectl prints for `-o yaml|json` of several objects: a v1 List. */
export function asList(items: KubeObject[]): KubeObject & { items: KubeObject[] } {
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items } as KubeObject & { items: KubeObject[] };
}

/** One column of `-o custom-columns`: its header and the JSONPath of its cells. */
export interface CustomColumn {
  header: string;
  path: JsonPath;
}

function customColumn(header: string, expr: string): CustomColumn {
  const template = relaxedJsonPath(expr);
  try {
    return { header, path: new JsonPath(template) };
  } catch (err) {
    throw new Error(`${template} is not a valid jsonpath: ${(err as Error).message}`);
  }
}

/** `-o custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[*].image`, with kubectl's errors. */
export function parseCustomColumns(spec: string): CustomColumn[] {
  if (spec === '') throw new Error('custom-columns format specified but no custom columns given');
  return spec.split(',').map((part) => {
    const colon = part.indexOf(':');
    if (colon < 0) throw new Error(`unexpected custom-columns spec: ${part}, expected <header>:<json-path-expr>`);
    return customColumn(part.slice(0, colon), part.slice(colon + 1));
  });
}

/** `-o custom-columns-file=FILE`: a line of headers and a line of paths, whitespace-separated. */
export function parseCustomColumnsFile(text: string): CustomColumn[] {
  // bufio.Scanner's lines: a final newline ends the last line rather than starting an empty one.
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n').map((l) => l.replace(/\r$/, ''));
  const spec = 'Expected format is one line of space separated headers, one line of space separated column specs.';
  const words = (l: string) => l.split(/\s+/).filter(Boolean);
  if (lines.length < 1) throw new Error(`invalid template, missing header line. ${spec}`);
  if (lines.length < 2) throw new Error(`invalid template, missing spec line. ${spec}`);
  const headers = words(lines[0]);
  const paths = words(lines[1]);
  if (headers.length !== paths.length) throw new Error(`number of headers (${headers.length}) and field specifications (${paths.length}) don't match`);
  return headers.map((h, i) => customColumn(h, paths[i]));
}

/** A custom-columns row: each path's values joined by commas as Go's %v prints them, <none> if none. */
export function customColumnCells(columns: CustomColumn[], obj: unknown): string[] {
  return columns.map(({ path }) => {
    const values = path.findResults(obj).flat();
    return values.length ? values.map(goValue).join(',') : '<none>';
  });
}

export function customColumnHeader(columns: CustomColumn[]): string[] {
  return columns.map((c) => c.header);
}
