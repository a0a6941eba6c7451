// Go's encodings of the values Kubernetes' protobuf messages carry specially (metav1.Time, MicroTime,
// Duration, 64-bit integers), shared by the decoder (codec.ts) and the encoder (encode.ts).
import * as protobuf from 'protobufjs';

/** A number from a JSON value or a protobufjs Long. */
export const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'object' && v !== null && 'low' in v ? protobuf.util.LongBits.from(v as protobuf.Long).toNumber(false) : Number(v ?? 0));

/** RFC 3339 in UTC: whole seconds (metav1.Time) or microseconds (MicroTime). */
export function formatTime(seconds: number, nanos: number, micro: boolean): string {
  const d = new Date(seconds * 1000);
  const base = d.toISOString().slice(0, 19);
  return micro ? `${base}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${base}Z`;
}

/** An RFC 3339 time as metav1.Time's seconds and nanoseconds (undefined: Go's zero Time). */
export function parseTime(v: unknown): { seconds: number; nanos: number } | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const seconds = wholeSecondsUTC(v);
  if (seconds !== undefined) return { seconds, nanos: 0 };
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) return undefined;
  const frac = /\.(\d+)/.exec(v);
  const nanos = frac ? Number(frac[1].slice(0, 9).padEnd(9, '0')) : 0;
  return { seconds: Math.floor(ms / 1000), nanos };
}

/** Go's time.Duration.String(): 1h2m3.5s, 300ms, 0s. */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let n = Math.abs(ns);
  if (n < 1e9) {
    if (n < 1e3) return `${sign}${n}ns`;
    if (n < 1e6) return `${sign}${n / 1e3}µs`;
    return `${sign}${n / 1e6}ms`;
  }
  const h = Math.floor(n / 3.6e12);
  n -= h * 3.6e12;
  const m = Math.floor(n / 6e10);
  n -= m * 6e10;
  const s = n / 1e9;
  return `${sign}${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

/** Go's time.Duration text (as formatGoDuration writes it) in nanoseconds. */
export function parseGoDuration(v: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 6e10, h: 3.6e12 };
  let total = 0;
  for (let m = re.exec(v); m; m = re.exec(v)) total += Number(m[1]) * units[m[2]];
  return Math.round(v.startsWith('-') ? -total : total);
}

/**
 * `YYYY-MM-DDTHH:MM:SSZ`, the form metav1.Time is always written in, read without Date.parse (which
 * with its regular expression cost more than the rest of a Time's encoding); undefined for any other
 * form or an out-of-range field, which Date.parse then reads. Days past a month's end roll over, as
 * Date.parse does.
 */
function wholeSecondsUTC(v: string): number | undefined {
  if (v.length !== 20 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 84 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58 || v.charCodeAt(19) !== 90) return undefined;
  const year = digits(v, 0, 4);
  const month = digits(v, 5, 2);
  const day = digits(v, 8, 2);
  const hour = digits(v, 11, 2);
  const minute = digits(v, 14, 2);
  const second = digits(v, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second) / 1000;
}

/** The decimal number of `n` digits at `at`, or -1 when one is not a digit. */
function digits(v: string, at: number, n: number): number {
  let x = 0;
  for (let i = at; i < at + n; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    x = x * 10 + d;
  }
  return x;
}
