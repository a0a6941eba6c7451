// Parsers for the values of client verbs' flags, read as kubectl reads them: repeatable flags, Go
// durations for --timeout/--since, and booleans that may be spelled out (--wait=false).
import { parseDuration as parseGoDuration } from '../lib/api/duration';

/** Collects a repeatable flag's values (-f a -f b). */
export const collect = (v: string, prev: string[]): string[] => [...prev, v];

/** A duration flag as kubectl's --timeout takes it: 30s, 5m, 1h; a bare number is seconds; 0 or empty: none. */
export function parseDuration(v: string | undefined): number | undefined {
  if (v === undefined || v === '' || v === '0') return undefined;
  return parseGoDuration(v, 's');
}

/** A boolean flag that may carry a value (`--wait`, `--wait=false`); absent: the default. */
export function boolFlag(v: string | boolean | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v === 'boolean') return v;
  return !['false', '0', 'no'].includes(v.toLowerCase());
}
