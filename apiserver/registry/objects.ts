// Small helpers on JSON objects shared by the registry.
import { randomBytes } from 'node:crypto';
import type { KObj } from '../storage/types';

export type Json = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}



export function clone<T>(json: string): T {
  return JSON.parse(json) as T;
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
/** The 5-character suffix Kubernetes appends to generateName. */
export function randomSuffix(n = 5): string {
  const bytes = randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHANUMS[bytes[i] % ALPHANUMS.length];
  return s;
}

export function finalizersOf(obj: KObj): string[] {
  const f = obj.metadata.finalizers;
  return Array.isArray(f) ? (f.filter((x) => typeof x === 'string') as string[]) : [];
}
