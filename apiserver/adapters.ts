// The API server's seams to team B's pure modules (strategic merge patch, defaulting, unknown-field
// pruning, validation, tables). Modules not yet written (validation, tables) are loaded when present,
// so the server builds and runs meanwhile; call sites depend only on the signatures below.
import type { ResourceType } from '../lib/resources';
import { applyDefaults as applyKubernetesDefaults } from './defaults';
import { pruneUnknownFields as pruneBySchema } from './schema';
import { strategicMergePatch as strategicMerge } from './strategic-merge';

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

interface ValidationModule {
  validate(resource: ResourceType, obj: unknown, old?: unknown): FieldCause[];
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

const validation = load<ValidationModule>('./validation', 'validate');
const tables = load<TablesModule>('./tables', 'toTable');

export const haveTables = !!tables;

export function strategicMergePatch(original: unknown, patch: unknown, kind: string): unknown {
  return strategicMerge(original, patch, kind);
}

export function applyDefaults(rt: ResourceType, obj: Record<string, unknown>, alloc: DefaultsAllocators): void {
  applyKubernetesDefaults(rt, obj, alloc);
}

export function validate(rt: ResourceType, obj: unknown, old?: unknown): FieldCause[] {
  return validation ? validation.validate(rt, obj, old) : [];
}

export function pruneUnknownFields(rt: ResourceType, obj: Record<string, unknown>): string[] {
  return pruneBySchema(rt, obj);
}

export function toTable(rt: ResourceType, objects: unknown[], opts: { now: number; includeColumnDefinitions?: boolean }): Table | undefined {
  return tables?.toTable(rt, objects, opts);
}
