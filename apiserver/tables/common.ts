// What every table printer shares: the meta.k8s.io/v1 Table types, Kubernetes' age format
// (duration.HumanDuration), the common columns and cell helpers, the printer of kinds that have no
// printer of their own (Name, Age), and the function that turns objects into a Table with a printer.
import type { Container, PodSpec } from 'kubernetes-types/core/v1';
import type { LabelSelector, ObjectMeta } from 'kubernetes-types/meta/v1';
import { labelSelectorToString } from '../../lib/api/selectors';

export interface TableColumnDefinition {
  name: string;
  type: string; // 'string' | 'integer' | 'number' | 'boolean' | 'date'
  format: string; // 'name' for the Name column, else ''
  description: string;
  priority: number; // 0 always shown, 1 with -o wide
}

export type TableCell = string | number | boolean | null;

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ObjectMeta;
}

export interface TableRow {
  cells: TableCell[];
  /**
   * PartialObjectMetadata by default; the whole object with includeObject 'Object'; null with 'None'
   * (metav1.TableRow holds a RawExtension by value, which Go writes as null when empty).
   */
  object?: PartialObjectMetadata | Record<string, unknown> | null;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  /** null without headers (a watch's events after its first): kube's asTable sets them nil, and they have no omitempty. */
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

export interface TableOptions {
  /** The current time in ms since the epoch, for the Age columns. */
  now: number;
  /** Default true; a watch sends them only with its first event. */
  includeColumnDefinitions?: boolean;
  /** What each row's `object` holds (Kubernetes' includeObject parameter); default 'Metadata'. */
  includeObject?: 'None' | 'Metadata' | 'Object';
}

// ---- durations, as apimachinery's duration.HumanDuration ----

/** A duration as Kubernetes prints ages: `9s`, `119s`, `5m3s`, `15m`, `3h5m`, `10h`, `2d3h`, `30d`, `2y5d`. */
export function formatAge(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    const years = Math.floor(hours / 24 / 365);
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** The age of a timestamp (RFC 3339) at `now`, or `<unknown>` when there is none. */
export function ageSince(timestamp: string | undefined | null, now: number): string {
  if (!timestamp) return '<unknown>';
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? '<unknown>' : formatAge(now - t);
}

// ---- columns ----

export const col = (name: string, description: string, priority = 0, type = 'string'): TableColumnDefinition => ({
  name,
  type,
  format: name === 'Name' ? 'name' : '',
  description,
  priority,
});

export const nameCol = col('Name', 'Name must be unique within a namespace. Cannot be updated.');
export const ageCol = col(
  'Age',
  'CreationTimestamp is a timestamp representing the server time when this object was created, shown as the time since then.',
);
export const containersCol = col('Containers', 'Names of each container in the template.', 1);
export const imagesCol = col('Images', 'Images referenced by each container in the template.', 1);
export const selectorCol = col('Selector', 'Label query over pods that should match the replicas count.', 1);

export interface Printer {
  columns: TableColumnDefinition[];
  cells(obj: Record<string, unknown>, now: number): TableCell[];
}

export const none = '<none>';

export function meta(obj: Record<string, unknown>): ObjectMeta {
  const m = obj.metadata;
  return m !== null && typeof m === 'object' && !Array.isArray(m) ? (m as ObjectMeta) : {};
}

export function age(obj: Record<string, unknown>, now: number): string {
  return ageSince(meta(obj).creationTimestamp, now);
}

export function selectorString(sel: LabelSelector | undefined): string {
  try {
    return labelSelectorToString(sel) || none;
  } catch {
    return none;
  }
}

/** A label set as Kubernetes prints it (labels.Set.String: sorted `k=v` joined by commas), `<none>` if empty. */
export function labelSetString(set: Record<string, string> | undefined): string {
  const keys = Object.keys(set ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${(set ?? {})[k]}`).join(',') : none;
}

export function containerColumns(spec: PodSpec | undefined): [string, string] {
  const containers: Container[] = spec?.containers ?? [];
  return [containers.map((c) => c.name).join(','), containers.map((c) => c.image ?? '').join(',')];
}

/** Kinds without a printer of their own: Name and Age. */
export const defaultPrinter: Printer = {
  columns: [nameCol, ageCol],
  cells: (obj, now) => [meta(obj).name ?? '', age(obj, now)],
};

/** The Table of objects printed by one printer. */
export function buildTable(printer: Printer, objects: unknown[], opts: TableOptions): Table {
  const includeObject = opts.includeObject ?? 'Metadata';
  const rows: TableRow[] = [];
  for (const o of objects) {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) continue;
    const obj = o as Record<string, unknown>;
    let cells: TableCell[];
    try {
      cells = printer.cells(obj, opts.now);
    } catch {
      // A stored object of an unexpected shape still gets a row rather than failing the whole list.
      cells = printer.columns.map((c, i) => (i === 0 ? (meta(obj).name ?? '') : c.name === 'Age' ? age(obj, opts.now) : '<unknown>'));
    }
    const row: TableRow = { cells };
    if (includeObject === 'Metadata') {
      row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: meta(obj) };
    } else if (includeObject === 'Object') {
      row.object = obj;
    } else row.object = null;
    rows.push(row);
  }
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {},
    columnDefinitions: opts.includeColumnDefinitions === false ? null : printer.columns.map((c) => ({ ...c })),
    rows,
  };
}
