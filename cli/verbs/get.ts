// `steer get`: asks the server for Tables (kubectl's Accept header) and prints them as kubectl does
// (with -L label columns, --show-labels, --sort-by); `-o yaml|json|name|jsonpath|custom-columns` print
// objects; `-w` prints a row (or an object) per watch event as it happens.
import * as fs from 'node:fs';
import { Command } from 'commander';
import type { Status } from 'kubernetes-types/meta/v1';
import { ApiError, KubeClient, KubeList, KubeObject } from '../../lib/client/client';
import { ResourceType, resourcePath } from '../../lib/api/resources';
import { ReportedError, action, describeError } from '../errors';
import { collect } from '../flag-values';
import { Streams, processStreams } from '../io';
import { JsonPath, compileJsonPath, executeJsonPath } from '../../lib/api/jsonpath';
import {
  CustomColumn,
  Table,
  TableOptions,
  asList,
  customColumnCells,
  customColumnHeader,
  fallbackTable,
  kindQualifier,
  parseCustomColumns,
  parseCustomColumnsFile,
  printTable,
  qualifiedName,
  tableCells,
  tabulate,
  toJson,
  toYaml,
} from '../printers';
import { ClientFlags, namespaceOf, withAllNamespaces, withClient, withClientOptions } from '../options';
import { ResourceSelection, parseResourceArgs } from '../resource-args';
import { compileSortBy, sortByJsonPath } from '../sorting';
import { watchLines } from '../stream';

export const tableAccept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

export type OutputFormat = '' | 'wide' | 'yaml' | 'json' | 'name' | 'jsonpath' | 'custom-columns';

/** What -o asked for; jsonpath and custom-columns carry their parsed templates. */
export interface OutputSpec {
  output: OutputFormat;
  jsonPath?: JsonPath;
  customColumns?: CustomColumn[];
}

export interface GetOptions extends Partial<OutputSpec> {
  namespace: string;
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  watch?: boolean;
  watchOnly?: boolean;
  noHeaders?: boolean;
  /** --show-labels */
  showLabels?: boolean;
  /** -L/--label-columns keys (each flag may hold several, comma-separated). */
  labelColumns?: string[];
  /** --sort-by JSONPath. */
  sortBy?: string;
  /** Ends a watch (tests; Ctrl-C otherwise). */
  signal?: AbortSignal;
}

const allowedFormats = 'custom-columns,custom-columns-file,json,jsonpath,jsonpath-file,name,wide,yaml';

/** Parses -o as kubectl does: `json`, `jsonpath=TEMPLATE`, `jsonpath-file=FILE`, `custom-columns=SPEC`, `custom-columns-file=FILE`… */
export function parseOutput(o: string | undefined, readFile: (file: string) => string = (f) => fs.readFileSync(f, 'utf8')): OutputSpec {
  const v = (o || '').trim();
  if (v === '' || v === 'wide' || v === 'yaml' || v === 'json' || v === 'name') return { output: v };
  const eq = v.indexOf('=');
  const format = eq < 0 ? v : v.slice(0, eq);
  const arg = eq < 0 ? undefined : v.slice(eq + 1);
  const read = (file: string) => {
    try {
      return readFile(file);
    } catch (err) {
      throw new Error(`error reading template ${file}, ${(err as Error).message}`);
    }
  };
  switch (format) {
    case 'jsonpath':
    case 'jsonpath-file':
      if (arg === undefined || arg === '') throw new Error('template format specified but no template given');
      return { output: 'jsonpath', jsonPath: compileJsonPath(format === 'jsonpath' ? arg : read(arg)) };
    case 'custom-columns':
      return { output: 'custom-columns', customColumns: parseCustomColumns(arg ?? '') };
    case 'custom-columns-file':
      if (arg === undefined || arg === '') throw new Error('custom-columns-file format specified but no custom columns file given');
      return { output: 'custom-columns', customColumns: parseCustomColumnsFile(read(arg)) };
    default:
      throw new Error(`unable to match a printer suitable for the output format "${v}", allowed formats are: ${allowedFormats}`);
  }
}

/** -L app,tier -L zone → [app, tier, zone]. */
export function labelColumnKeys(flags: string[] | undefined): string[] {
  return (flags || []).flatMap((f) => f.split(',')).map((k) => k.trim()).filter(Boolean);
}

/** Formats that print objects rather than the server's Table. */
function printsObjects(o: GetOptions): boolean {
  return o.output === 'yaml' || o.output === 'json' || o.output === 'name' || o.output === 'jsonpath' || o.output === 'custom-columns';
}

function tableOptions(o: GetOptions, sel: ResourceSelection, kindPrefix: boolean): TableOptions {
  return {
    wide: o.output === 'wide',
    noHeaders: o.noHeaders,
    withNamespace: !!(o.allNamespaces && sel.resource.namespaced),
    kindPrefix: kindPrefix ? kindQualifier(sel.resource) : undefined,
    labelColumns: o.labelColumns,
    showLabels: o.showLabels,
  };
}

function withKind(obj: KubeObject, r: ResourceType): KubeObject {
  return { apiVersion: obj.apiVersion, kind: obj.kind || r.kind, ...obj };
}

function isTable(v: unknown): v is Table {
  return !!v && typeof v === 'object' && (v as Table).kind === 'Table';
}

function scope(r: ResourceType, o: GetOptions): string | undefined {
  return r.namespaced && !o.allNamespaces ? o.namespace : undefined;
}

/** Fetches one type as a Table (or objects for -o yaml/json/name). */
async function fetchSelection(client: KubeClient, sel: ResourceSelection, o: GetOptions, streams: Streams): Promise<{ table?: Table; objects: KubeObject[]; failed: boolean; listRV?: string }> {
  const wantObjects = printsObjects(o);
  const accept = wantObjects ? 'application/json' : tableAccept;
  const namespace = scope(sel.resource, o);
  const objects: KubeObject[] = [];
  let table: Table | undefined;
  let failed = false;
  let listRV: string | undefined;
  const addTable = (t: Table) => {
    if (!table) table = { ...t, rows: [...(t.rows || [])] };
    else table.rows = [...(table.rows || []), ...(t.rows || [])];
  };
  if (sel.names.length > 0) {
    for (const name of sel.names) {
      try {
        const got = await client.request<unknown>('GET', resourcePath(sel.resource, { namespace, name }), { accept });
        if (isTable(got)) addTable(got);
        else {
          objects.push(got as KubeObject);
          if (!wantObjects) addTable(fallbackTable([got as KubeObject]));
        }
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        streams.err(describeError(err) + '\n');
        failed = true;
      }
    }
    return { table, objects, failed };
  }
  const got = await client.request<unknown>('GET', resourcePath(sel.resource, { namespace }), {
    accept,
    // --sort-by on a Table needs whole objects in its rows (kubectl's includeObject=Object).
    query: { labelSelector: o.selector, fieldSelector: o.fieldSelector, limit: 500, includeObject: o.sortBy && !wantObjects ? 'Object' : undefined },
  });
  if (isTable(got)) {
    addTable(got);
    listRV = got.metadata?.resourceVersion;
  } else {
    const list = got as KubeList<KubeObject>;
    listRV = list.metadata?.resourceVersion;
    for (const item of list.items || []) objects.push(item);
    if (!wantObjects) addTable(fallbackTable(objects));
  }
  return { table, objects, failed, listRV };
}

/** An object and the resource it was listed as (`-o name` prints `kind.group/name`). */
interface Fetched {
  resource: ResourceType;
  object: KubeObject;
}

/** One object in a non-table format, as a watch prints each event. */
function printOne(item: Fetched, o: GetOptions): string {
  switch (o.output) {
    case 'name':
      return qualifiedName(item.resource, item.object.metadata?.name || '') + '\n';
    case 'jsonpath':
      return executeJsonPath(o.jsonPath as JsonPath, item.object);
    case 'json':
      return toJson(item.object);
    default:
      return toYaml(item.object);
  }
}

/** Everything fetched, in a non-table format: one object alone when one was named, else a v1 List. */
function printFetched(items: Fetched[], o: GetOptions, namedSingle: boolean): string {
  if (o.output === 'name') return items.map((it) => printOne(it, o)).join('');
  if (o.output === 'custom-columns') {
    const columns = o.customColumns as CustomColumn[];
    const rows = items.map((it) => customColumnCells(columns, it.object));
    return tabulate(o.noHeaders ? rows : [customColumnHeader(columns), ...rows]).text;
  }
  const objects = items.map((it) => it.object);
  const doc = namedSingle && objects.length === 1 ? objects[0] : asList(objects);
  if (o.output === 'jsonpath') return executeJsonPath(o.jsonPath as JsonPath, doc);
  return o.output === 'json' ? toJson(doc) : toYaml(doc);
}

/** Sorts a Table's rows by --sort-by over each row's whole object (asked for with includeObject=Object). */
function sortTable(table: Table, path: JsonPath): Table {
  return { ...table, rows: sortByJsonPath(table.rows || [], path, (row) => row.object as KubeObject | undefined) };
}

/** Runs `get` over the selections; returns false when some object was not found. */
export async function runGet(client: KubeClient, selections: ResourceSelection[], o: GetOptions, streams: Streams): Promise<boolean> {
  const sortPath = o.sortBy ? compileSortBy(o.sortBy) : undefined;
  if (o.watch || o.watchOnly) {
    if (selections.length !== 1) throw new Error('you may only specify a single resource type with --watch');
    if (sortPath) streams.err('warning: --watch or --watch-only requested, --sort-by will be ignored\n');
    return watchSelection(client, selections[0], o, streams);
  }
  const objectOutput = printsObjects(o);
  const kindPrefix = selections.length > 1;
  let ok = true;
  let printedAny = false;
  let fetched: Fetched[] = [];
  const namedSingle = selections.length === 1 && selections[0].names.length === 1;
  for (const sel of selections) {
    const { table: got, objects, failed } = await fetchSelection(client, sel, o, streams);
    if (failed) ok = false;
    if (objectOutput) {
      fetched.push(...objects.map((obj) => ({ resource: sel.resource, object: withKind(obj, sel.resource) })));
      continue;
    }
    if (!got || !(got.rows || []).length) continue;
    const table = sortPath ? sortTable(got, sortPath) : got;
    const text = printTable(table, tableOptions(o, sel, kindPrefix));
    if (printedAny && text) streams.out('\n');
    if (text) printedAny = true;
    streams.out(text);
  }
  if (objectOutput) {
    // kubectl 1.20 says "No resources found" only above tables; these formats print what they have.
    if (sortPath) fetched = sortByJsonPath(fetched, sortPath, (it) => it.object);
    if (fetched.length > 0 || !namedSingle) streams.out(printFetched(fetched, o, namedSingle));
    return ok;
  }
  if (!printedAny && ok && selections.every((s) => s.names.length === 0)) {
    const r = selections[0]?.resource;
    if (r && r.namespaced && !o.allNamespaces) streams.err(`No resources found in ${o.namespace} namespace.\n`);
    else streams.err('No resources found\n');
  }
  return ok;
}

/** `get -w`: the current table (or objects), then one row (or object) per change; DELETED ones too, with no marker, as kubectl. */
async function watchSelection(client: KubeClient, sel: ResourceSelection, o: GetOptions, streams: Streams): Promise<boolean> {
  const topts = tableOptions(o, sel, false);
  const fieldSelector = sel.names.length === 1 ? `metadata.name=${sel.names[0]}` : o.fieldSelector;
  const listSel: ResourceSelection = { resource: sel.resource, names: [] };
  const { table, objects, listRV } = await fetchSelection(client, listSel, { ...o, sortBy: undefined, fieldSelector }, streams);
  const objectOutput = printsObjects(o);
  let widths: number[] = [];
  let columns = table?.columnDefinitions;
  let headerShown = !!o.noHeaders;
  // Table rows and custom-columns rows line up under the first block, as kubectl's watch output does.
  const printRows = (header: string[], rows: string[][]) => {
    if (rows.length === 0) return;
    const block = tabulate(headerShown ? rows : [header, ...rows], widths);
    if (!headerShown) widths = block.widths;
    headerShown = true;
    streams.out(block.text);
  };
  const printObject = (obj: KubeObject) => {
    const item = { resource: sel.resource, object: withKind(obj, sel.resource) };
    if (o.output === 'custom-columns') {
      const cc = o.customColumns as CustomColumn[];
      printRows(customColumnHeader(cc), [customColumnCells(cc, item.object)]);
    } else streams.out(printOne(item, o));
  };
  if (!o.watchOnly) {
    if (objectOutput) {
      for (const obj of objects) printObject(obj);
    } else if (table) {
      const { header, rows } = tableCells(table, topts);
      printRows(header, rows);
    }
  }
  const onEvent = (ev: { type: string; object: unknown }) => {
    if (ev.type === 'BOOKMARK') return;
    if (ev.type === 'ERROR') {
      const st = ev.object as Status;
      streams.out(tabulate([['STATUS', 'REASON', 'MESSAGE'], [st.status || 'Failure', st.reason || '', st.message || '']]).text);
      return;
    }
    if (objectOutput) {
      printObject(ev.object as KubeObject);
      return;
    }
    let t: Table;
    if (isTable(ev.object)) {
      t = ev.object;
      if (t.columnDefinitions && t.columnDefinitions.length > 0) columns = t.columnDefinitions;
      else t = { ...t, columnDefinitions: columns || [] };
    } else {
      t = fallbackTable([ev.object as KubeObject]);
    }
    const { header, rows } = tableCells(t, topts);
    // Nothing listed yet: the first row comes with the header, as kubectl prints it.
    printRows(header, rows);
  };
  await watchLines(
    client,
    resourcePath(sel.resource, { namespace: scope(sel.resource, o) }),
    { resourceVersion: listRV, labelSelector: o.selector, fieldSelector },
    objectOutput ? 'application/json' : tableAccept,
    onEvent,
    o.signal,
  ).catch((err) => {
    // A watch the server ends (or Ctrl-C) ends quietly, as kubectl; a refused one is an error.
    if (err instanceof ApiError) throw err;
  });
  return true;
}

export function register(program: Command): void {
  withAllNamespaces(
    withClientOptions(
      program
        .command('get')
        .description('display one or many resources (kubectl get)')
        .argument('<resources...>', 'TYPE [NAME...] | TYPE/NAME... | TYPE1,TYPE2 | all')
        .option('-o, --output <format>', 'wide|yaml|json|name|jsonpath=TEMPLATE|jsonpath-file=FILE|custom-columns=SPEC|custom-columns-file=FILE')
        .option('-l, --selector <selector>', 'label selector, e.g. app=nginx')
        .option('--field-selector <selector>', 'field selector, e.g. status.phase=Running')
        .option('-w, --watch', 'after listing, watch for changes')
        .option('--watch-only', 'watch for changes without listing first')
        .option('--no-headers', 'do not print column headers')
        .option('--show-labels', 'show all labels as the last column')
        .option('-L, --label-columns <keys>', 'a column per label key, e.g. -L app,tier (repeatable)', collect, [] as string[])
        .option('--sort-by <jsonpath>', 'sort by a JSONPath expression, e.g. .metadata.name'),
    ),
  ).action(
    action(async (args: string[], o: ClientFlags & { output?: string; selector?: string; fieldSelector?: string; watch?: boolean; watchOnly?: boolean; headers?: boolean; showLabels?: boolean; labelColumns: string[]; sortBy?: string }) => {
      // Flags are checked before anything is asked of the server.
      const output = parseOutput(o.output);
      const selections = parseResourceArgs(args);
      await withClient(o, async (client) => {
        const ac = new AbortController();
        const onSigint = () => ac.abort();
        process.once('SIGINT', onSigint);
        try {
          const ok = await runGet(
            client,
            selections,
            {
              namespace: namespaceOf(client, o),
              allNamespaces: o.allNamespaces,
              ...output,
              selector: o.selector,
              fieldSelector: o.fieldSelector,
              watch: o.watch,
              watchOnly: o.watchOnly,
              noHeaders: o.headers === false,
              showLabels: o.showLabels,
              labelColumns: labelColumnKeys(o.labelColumns),
              sortBy: o.sortBy,
              signal: ac.signal,
            },
            processStreams,
          );
          if (!ok) throw new ReportedError();
        } finally {
          process.removeListener('SIGINT', onSigint);
        }
      });
    }),
  );
}
