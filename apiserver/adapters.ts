// The API server's seams to team B's pure modules (strategic merge patch, defaulting, validation,
// tables). Each is loaded when present, so the server builds and runs while they are being written;
// call sites depend only on the signatures below.
import type { ResourceType } from '../lib/resources';

export interface FieldCause {
  reason: string;
  message: string;
  field: string;
}
export interface DefaultsAllocators {
  clusterIP(): string;
  nodePort(): number;
}
export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}
export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions?: TableColumnDefinition[];
  rows: Array<{ cells: unknown[]; object?: unknown }>;
}

interface StrategicMergeModule {
  strategicMergePatch(original: unknown, patch: unknown, kind: string): unknown;
}
interface DefaultsModule {
  applyDefaults(resource: ResourceType, obj: Record<string, unknown>, alloc: DefaultsAllocators): void;
}
interface ValidationModule {
  validate(resource: ResourceType, obj: unknown, old?: unknown): FieldCause[];
  pruneUnknownFields(resource: ResourceType, obj: unknown): string[];
}
interface TablesModule {
  toTable(resource: ResourceType, objects: unknown[], opts: { now: number; includeColumnDefinitions?: boolean }): Table;
}

function load<T>(path: string, fn: keyof T): T | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path) as T;
    return typeof mod[fn] === 'function' ? mod : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(path.slice(2))) return undefined;
    throw err;
  }
}

const strategic = load<StrategicMergeModule>('./strategic-merge', 'strategicMergePatch');
const defaults = load<DefaultsModule>('./defaults', 'applyDefaults');
const validation = load<ValidationModule>('./validation', 'validate');
const tables = load<TablesModule>('./tables', 'toTable');

export const haveStrategicMerge = !!strategic;
export const haveTables = !!tables;

/** Strategic merge patch; without the module, a JSON merge patch (the same for maps, not for lists). */
export function strategicMergePatch(original: unknown, patch: unknown, kind: string, fallback: (o: unknown, p: unknown) => unknown): unknown {
  return strategic ? strategic.strategicMergePatch(original, patch, kind) : fallback(original, patch);
}

export function applyDefaults(rt: ResourceType, obj: Record<string, unknown>, alloc: DefaultsAllocators): void {
  defaults?.applyDefaults(rt, obj, alloc);
}

export function validate(rt: ResourceType, obj: unknown, old?: unknown): FieldCause[] {
  return validation ? validation.validate(rt, obj, old) : [];
}

export function pruneUnknownFields(rt: ResourceType, obj: unknown): string[] {
  return validation?.pruneUnknownFields ? validation.pruneUnknownFields(rt, obj) : [];
}

export function toTable(rt: ResourceType, objects: unknown[], opts: { now: number; includeColumnDefinitions?: boolean }): Table | undefined {
  return tables?.toTable(rt, objects, opts);
}
