// `steer get`: asks the server for Tables (kubectl's Accept header) and prints them as kubectl does;
// `-o yaml|json|name` print objects; `-w` prints a row per watch event as it happens.
import type { Status } from 'kubernetes-types/meta/v1';
import { ApiError, KubeClient, KubeList, KubeObject } from '../../lib/client';
import { ResourceType, resourcePath } from '../../lib/resources';
import { describeError } from '../errors';
import { Streams } from '../io';
import { Table, asList, fallbackTable, kindQualifier, printTable, qualifiedName, tableCells, tabulate, toJson, toYaml } from '../printers';
import { ResourceSelection } from '../resource-args';
import { watchLines } from '../stream';

export const tableAccept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

export type OutputFormat = '' | 'wide' | 'yaml' | 'json' | 'name';

export interface GetOptions {
  namespace: string;
  allNamespaces?: boolean;
  output?: OutputFormat;
  selector?: string;
  fieldSelector?: string;
  watch?: boolean;
  watchOnly?: boolean;
  noHeaders?: boolean;
  /** Ends a watch (tests; Ctrl-C otherwise). */
  signal?: AbortSignal;
}

export function parseOutput(o: string | undefined): OutputFormat {
  const v = (o || '').trim();
  if (v === '' || v === 'wide' || v === 'yaml' || v === 'json' || v === 'name') return v;
  throw new Error(`unable to match a printer suitable for the output format "${v}", allowed formats are: json,name,wide,yaml`);
}

function isTable(v: unknown): v is Table {
  return !!v && typeof v === 'object' && (v as Table).kind === 'Table';
}

function scope(r: ResourceType, o: GetOptions): string | undefined {
  return r.namespaced && !o.allNamespaces ? o.namespace : undefined;
}

/** Fetches one type as a Table (or objects for -o yaml/json/name). */
async function fetchSelection(client: KubeClient, sel: ResourceSelection, o: GetOptions, streams: Streams): Promise<{ table?: Table; objects: KubeObject[]; failed: boolean; listRV?: string }> {
  const wantObjects = o.output === 'yaml' || o.output === 'json' || o.output === 'name';
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
    query: { labelSelector: o.selector, fieldSelector: o.fieldSelector, limit: 500 },
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

function printObjects(objects: KubeObject[], sel: ResourceSelection, o: GetOptions, single: boolean): string {
  if (o.output === 'name') return objects.map((obj) => qualifiedName(sel.resource, obj.metadata?.name || '') + '\n').join('');
  const withKind = objects.map((obj) => ({ apiVersion: obj.apiVersion, kind: obj.kind || sel.resource.kind, ...obj }));
  const doc = single && withKind.length === 1 ? withKind[0] : asList(withKind);
  return o.output === 'json' ? toJson(doc) : toYaml(doc);
}

/** Runs `get` over the selections; returns false when some object was not found. */
export async function runGet(client: KubeClient, selections: ResourceSelection[], o: GetOptions, streams: Streams): Promise<boolean> {
  if (o.watch || o.watchOnly) {
    if (selections.length !== 1) throw new Error('you may only specify a single resource type with --watch');
    return watchSelection(client, selections[0], o, streams);
  }
  const objectOutput = o.output === 'yaml' || o.output === 'json';
  const kindPrefix = selections.length > 1;
  let ok = true;
  let printedAny = false;
  const allObjects: KubeObject[] = [];
  const namedSingle = selections.length === 1 && selections[0].names.length === 1;
  for (const sel of selections) {
    const { table, objects, failed } = await fetchSelection(client, sel, o, streams);
    if (failed) ok = false;
    if (objectOutput) {
      allObjects.push(...objects.map((obj) => ({ apiVersion: obj.apiVersion, kind: obj.kind || sel.resource.kind, ...obj })));
      continue;
    }
    if (o.output === 'name') {
      const text = printObjects(objects, sel, o, false);
      if (text) printedAny = true;
      streams.out(text);
      continue;
    }
    if (!table || !(table.rows || []).length) continue;
    const text = printTable(table, {
      wide: o.output === 'wide',
      noHeaders: o.noHeaders,
      withNamespace: o.allNamespaces && sel.resource.namespaced,
      kindPrefix: kindPrefix ? kindQualifier(sel.resource) : undefined,
    });
    if (printedAny && text) streams.out('\n');
    if (text) printedAny = true;
    streams.out(text);
  }
  if (objectOutput) {
    if (allObjects.length > 0 || !namedSingle) {
      const doc = namedSingle && allObjects.length === 1 ? allObjects[0] : asList(allObjects);
      streams.out(o.output === 'json' ? toJson(doc) : toYaml(doc));
    }
    return ok;
  }
  if (!printedAny && ok && selections.every((s) => s.names.length === 0)) {
    const r = selections[0]?.resource;
    if (r && r.namespaced && !o.allNamespaces) streams.err(`No resources found in ${o.namespace} namespace.\n`);
    else streams.err('No resources found\n');
  }
  return ok;
}

/** `get -w`: the current table, then one row per change (DELETED rows too, with no marker, as kubectl). */
async function watchSelection(client: KubeClient, sel: ResourceSelection, o: GetOptions, streams: Streams): Promise<boolean> {
  const wide = o.output === 'wide';
  const withNamespace = !!(o.allNamespaces && sel.resource.namespaced);
  const fieldSelector = sel.names.length === 1 ? `metadata.name=${sel.names[0]}` : o.fieldSelector;
  const listSel: ResourceSelection = { resource: sel.resource, names: [] };
  const { table, objects, listRV } = await fetchSelection(client, listSel, { ...o, fieldSelector }, streams);
  let widths: number[] = [];
  let columns = table?.columnDefinitions;
  if (!o.watchOnly) {
    if (o.output === 'yaml' || o.output === 'json' || o.output === 'name') {
      for (const obj of objects) streams.out(printObjects([obj], sel, o, true));
    } else if (table) {
      const { header, rows } = tableCells(table, { wide, withNamespace });
      if (rows.length > 0) {
        const block = tabulate(o.noHeaders ? rows : [header, ...rows]);
        widths = block.widths;
        streams.out(block.text);
      }
    }
  }
  const objectOutput = o.output === 'yaml' || o.output === 'json' || o.output === 'name';
  let headerShown = widths.length > 0 || !!o.noHeaders;
  const onEvent = (ev: { type: string; object: unknown }) => {
    if (ev.type === 'BOOKMARK') return;
    if (ev.type === 'ERROR') {
      const st = ev.object as Status;
      streams.out(tabulate([['STATUS', 'REASON', 'MESSAGE'], [st.status || 'Failure', st.reason || '', st.message || '']]).text);
      return;
    }
    if (objectOutput) {
      streams.out(printObjects([ev.object as KubeObject], sel, o, true));
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
    const { header, rows } = tableCells(t, { wide, withNamespace });
    if (rows.length === 0) return;
    // Nothing listed yet: the first row comes with the header, as kubectl prints it.
    const block = tabulate(headerShown ? rows : [header, ...rows], widths);
    if (!headerShown) widths = block.widths;
    headerShown = true;
    streams.out(block.text);
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
