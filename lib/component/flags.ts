// Option parsers for the components' commander flags, so every binary reads numbers and durations alike
// and answers a bad value with commander's usage error.
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../api/duration';

/** An integer in [min, max]; the message names the flag when given. */
export function intOption(min = 0, max = Number.MAX_SAFE_INTEGER, flag?: string): (v: string) => number {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      const what = min === 0 && max === Number.MAX_SAFE_INTEGER ? 'a non-negative integer' : `an integer from ${min} to ${max}`;
      throw new InvalidArgumentError(flag ? `${flag} must be ${what}` : `must be ${what}`);
    }
    return n;
  };
}

/** A port number (0 asks the system for a free one). */
export const portOption = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number');
  return n;
};

/**
 * A Go-style duration ("500ms", "10s", "2m"), in the unit the flag's value is kept in; a bare number is
 * read in that unit too.
 */
export function durationOption(unit: 'ms' | 's'): (v: string) => number {
  return (v: string): number => {
    try {
      const ms = parseDuration(v, unit);
      return unit === 'ms' ? Math.round(ms) : ms / 1000;
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

/** A Go-style boolean flag (`--flag`, `--flag=true`, `--flag=false`), declared as `--flag [bool]`. */
export function boolOption(v: string | undefined): boolean {
  if (v === undefined || ['true', '1', 't', 'T', 'TRUE', 'True'].includes(v)) return true;
  if (['false', '0', 'f', 'F', 'FALSE', 'False'].includes(v)) return false;
  throw new InvalidArgumentError(`invalid boolean ${JSON.stringify(v)}`);
}
