// The API server's seams to team B's pure modules (strategic merge patch, defaulting, unknown-field
// pruning, validation, tables): call sites in the registry and handlers depend only on these.
import type { ResourceType } from '../lib/api/resources';
import { applyDefaults as applyKubernetesDefaults } from './defaults';
import { pruneUnknownFields as pruneBySchema } from './schema';
import { strategicMergePatch as strategicMerge } from './strategic-merge';
import { Table, TableOptions, toTable as toKubectlTable } from './tables';
import { FieldCause, validate as validateObject } from './validation';

export type { FieldCause, Table };

export interface DefaultsAllocators {
  clusterIP(): string;
  nodePort(): number;
}

export const haveTables = true;

export function strategicMergePatch(original: unknown, patch: unknown, kind: string): unknown {
  return strategicMerge(original, patch, kind);
}

export function applyDefaults(rt: ResourceType, obj: Record<string, unknown>, alloc: DefaultsAllocators): void {
  applyKubernetesDefaults(rt, obj, alloc);
}

export function validate(rt: ResourceType, obj: unknown, old?: unknown): FieldCause[] {
  return validateObject(rt, obj, old);
}

export function pruneUnknownFields(rt: ResourceType, obj: Record<string, unknown>): string[] {
  return pruneBySchema(rt, obj);
}

export function toTable(rt: ResourceType, objects: unknown[], opts: TableOptions): Table {
  return toKubectlTable(rt, objects, opts);
}
