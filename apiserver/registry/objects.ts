// Small helpers on JSON objects shared by the registry.
import { randomBytes } from 'node:crypto';
import type { KObj } from '../storage/types';

export type Json = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 3339 with whole seconds, as Kubernetes writes metav1.Time. */
export function rfc3339(ms: number = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Json;
  const bo = b as Json;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual(ao[k], bo[k]));
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
