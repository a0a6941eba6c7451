// CronJob schedules as Kubernetes reads them: robfig/cron's ParseStandard (five fields, the
// @descriptors, `@every <duration>`, a `TZ=`/`CRON_TZ=` prefix), accepting exactly what it accepts and
// refusing the rest with its words; kube's validation of `.spec.schedule` and `.spec.timeZone` on top.
// Field schedules fire through the maintained `cron-parser` (time zones, DST), fed the parsed fields as
// explicit lists so robfig's day-of-month/day-of-week rule holds; `@every` is robfig's constant delay.
// Shared by the apiserver's CronJob validation and the CronJob controller.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CronExpressionParser } from 'cron-parser';

export interface CronSchedule {
  /** The first time the schedule fires strictly after `t`; undefined when it never does (robfig accepts "0 0 31 2 *"). */
  next(t: Date): Date | undefined;
  /** Every time it fires in (from, to], oldest first; stops after `limit`. */
  between(from: Date, to: Date, limit: number): Date[];
  /** The last time it fires in (from, to], if any. */
  latest(from: Date, to: Date): Date | undefined;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const months: Bounds = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const fieldBounds: Bounds[] = [
  { min: 0, max: 59 }, // minute
  { min: 0, max: 23 }, // hour
  { min: 1, max: 31 }, // day of month
  months,
  { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } }, // day of week
];

/** One parsed field: its values, and whether it was `*`/`?` (robfig's star bit: dom/dow match rule). */
interface Field {
  values: Set<number>;
  star: boolean;
}

/** Go's strconv.Atoi, with its error text. */
function atoi(s: string): number | string {
  if (!/^[+-]?\d+$/.test(s)) return `strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`;
  const n = Number(s);
  if (!Number.isSafeInteger(n) || Math.abs(n) > 2 ** 63 - 1) return `strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`;
  return n;
}

function mustParseInt(expr: string): number | string {
  const n = atoi(expr);
  if (typeof n === 'string') return `failed to parse int from ${expr}: ${n}`;
  if (n < 0) return `negative number (${n}) not allowed: ${expr}`;
  return n;
}

function parseIntOrName(expr: string, names: Record<string, number> | undefined): number | string {
  const named = names?.[expr.toLowerCase()];
  return named !== undefined ? named : mustParseInt(expr);
}

/** robfig's getRange: `*`, `?`, N, N-M, each with an optional /step. */
function parseRange(expr: string, r: Bounds, into: Field): string | undefined {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0].split('-');
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = r.min;
    end = r.max;
    star = true;
  } else {
    const s = parseIntOrName(lowAndHigh[0], r.names);
    if (typeof s === 'string') return s;
    start = s;
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) {
      const e = parseIntOrName(lowAndHigh[1], r.names);
      if (typeof e === 'string') return e;
      end = e;
    } else return `too many hyphens: ${expr}`;
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    const s = mustParseInt(rangeAndStep[1]);
    if (typeof s === 'string') return s;
    step = s;
    // "N/step" means "N-max/step".
    if (lowAndHigh.length === 1) end = r.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) return `too many slashes: ${expr}`;
  if (start < r.min) return `beginning of range (${start}) below minimum (${r.min}): ${expr}`;
  if (end > r.max) return `end of range (${end}) above maximum (${r.max}): ${expr}`;
  if (start > end) return `beginning of range (${start}) beyond end of range (${end}): ${expr}`;
  if (step === 0) return `step of range should be a positive number: ${expr}`;
  for (let v = start; v <= end; v += step) into.values.add(v);
  if (star) into.star = true;
  return undefined;
}

function parseField(text: string, r: Bounds): Field | string {
  const f: Field = { values: new Set(), star: false };
  for (const expr of text.split(',').filter((x) => x !== '')) {
    const err = parseRange(expr, r, f);
    if (err) return err;
  }
  return f;
}

/** Go's time.ParseDuration, in ms (sub-ms precision is dropped: @every rounds to seconds anyway). */
export function parseGoDuration(s: string): number | string {
  const orig = s;
  const bad = `time: invalid duration ${JSON.stringify(orig)}`;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return bad;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  while (s !== '') {
    const m = /^(\d*)(\.\d*)?/.exec(s)!;
    if (m[0] === '' || m[0] === '.') return bad;
    s = s.slice(m[0].length);
    const u = /^[^0-9.]+/.exec(s)?.[0];
    if (!u) return `time: missing unit in duration ${JSON.stringify(orig)}`;
    if (units[u] === undefined) return `time: unknown unit ${JSON.stringify(u)} in duration ${JSON.stringify(orig)}`;
    s = s.slice(u.length);
    total += Number(`${m[1] || '0'}${m[2] && m[2] !== '.' ? m[2] : ''}`) * units[u];
  }
  if (total * 1e6 > 2 ** 63 - 1) return `time: invalid duration ${JSON.stringify(orig)}`;
  return sign * total;
}

/** Does Go's time.LoadLocation know `tz` (on this machine's tz database, case-sensitively as on Linux)? */
export function loadLocationError(tz: string): string | undefined {
  if (tz === '' || tz === 'UTC' || tz === 'Local') return undefined;
  let known = false;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
    // Intl matches names case-insensitively; Go opens the zoneinfo file, so the case must match.
    known = resolved === tz || fs.existsSync(path.join('/usr/share/zoneinfo', tz)) || Intl.supportedValuesOf('timeZone').includes(tz);
  } catch {
    known = false;
  }
  return known ? undefined : `unknown time zone ${tz}`;
}

/** The time zone to give cron-parser for a Go location name (Go's "Local" is the process's own). */
const tzOption = (loc: string | undefined): string | undefined => (loc === undefined || loc === 'Local' ? undefined : loc === '' ? 'UTC' : loc);

/** robfig's ConstantDelaySchedule: whole seconds (at least one) after `t` truncated to its second. */
function everySchedule(delayMs: number): CronSchedule {
  const delay = Math.max(1000, delayMs - (delayMs % 1000));
  const next = (t: Date) => new Date(t.getTime() - (((t.getTime() % 1000) + 1000) % 1000) + delay);
  return {
    next,
    between(from, to, limit) {
      const out: Date[] = [];
      for (let d = next(from); d.getTime() <= to.getTime() && out.length < limit; d = next(d)) out.push(d);
      return out;
    },
    latest(from, to) {
      const first = next(from);
      if (first.getTime() > to.getTime()) return undefined;
      return new Date(first.getTime() + Math.floor((to.getTime() - first.getTime()) / delay) * delay);
    },
  };
}

function fieldSchedule(fields: Field[], loc: string | undefined): CronSchedule {
  // Explicit lists keep robfig's rule: a `*` day field defers to the other, two restricted ones OR.
  const text = fields.map((f) => (f.star && f.values.size > 0 ? '*' : [...f.values].sort((a, b) => a - b).join(','))).join(' ');
  const tz = tzOption(loc);
  const iterate = (from: Date) => CronExpressionParser.parse(text, { currentDate: from, ...(tz ? { tz } : {}) });
  try {
    iterate(new Date(0));
  } catch {
    // cron-parser refuses a day that never comes (31 February); robfig accepts it and never fires.
    return { next: () => undefined, between: () => [], latest: () => undefined };
  }
  return {
    next: (t) => iterate(t).next().toDate(),
    between(from, to, limit) {
      const out: Date[] = [];
      const it = iterate(from);
      for (;;) {
        const d = it.next().toDate();
        if (d.getTime() > to.getTime()) return out;
        out.push(d);
        if (out.length >= limit) return out;
      }
    },
    latest(from, to) {
      const d = iterate(new Date(to.getTime() + 1)).prev().toDate();
      return d.getTime() > from.getTime() ? d : undefined;
    },
  };
}

const descriptors: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/**
 * robfig/cron's ParseStandard: a string is its error, word for word. A `TZ=`/`CRON_TZ=` prefix sets the
 * zone; without one the schedule runs in the process's local time (as kube-controller-manager's).
 */
export function parseStandard(spec: string): CronSchedule | string {
  if (spec.length === 0) return 'empty spec string';
  let loc: string | undefined;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const i = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    // robfig slices up to the first space; without one there is no schedule after the zone.
    if (i < 0) return `provided bad location ${spec.slice(eq + 1)}: no schedule after the time zone`;
    loc = spec.slice(eq + 1, i);
    const err = loadLocationError(loc);
    if (err) return `provided bad location ${loc}: ${err}`;
    spec = spec.slice(i).trim();
  }
  if (spec.startsWith('@')) {
    const d = descriptors[spec];
    if (d) return parseStandard(loc !== undefined ? `TZ=${loc} ${d}` : d);
    if (spec.startsWith('@every ')) {
      const ms = parseGoDuration(spec.slice('@every '.length));
      if (typeof ms === 'string') return `failed to parse duration ${spec}: ${ms}`;
      return everySchedule(ms);
    }
    return `unrecognized descriptor: ${spec}`;
  }
  const parts = spec.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) return `expected exactly 5 fields, found ${parts.length}: [${parts.join(' ')}]`;
  const fields: Field[] = [];
  for (let i = 0; i < 5; i++) {
    const f = parseField(parts[i], fieldBounds[i]);
    if (typeof f === 'string') return f;
    fields.push(f);
  }
  return fieldSchedule(fields, loc);
}

/** kube's validTimeZoneCharacters, per `/`-separated part of a zone name. */
const timeZonePart = /^[A-Za-z.\-_0-9+]{1,14}$/;

/** kube's validateTimeZone: the messages of `.spec.timeZone`'s Invalid errors (empty: valid). */
export function timeZoneErrors(tz: string | undefined): string[] {
  if (tz === undefined) return [];
  if (tz.length === 0) return ['timeZone must be nil or non-empty string'];
  for (const part of tz.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !timeZonePart.test(part)) return [`unknown time zone ${tz}`];
  }
  const out: string[] = [];
  if (tz.toLowerCase() === 'local') out.push('timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones');
  const err = loadLocationError(tz);
  if (err) out.push(err);
  return out;
}

/**
 * kube's validateScheduleFormat: the messages of `.spec.schedule`'s Invalid errors. `allowTZInSchedule`:
 * the stored object already had TZ in its schedule (objects from before `.spec.timeZone` keep working).
 */
export function scheduleErrors(schedule: string, timeZone: string | undefined, allowTZInSchedule: boolean): string[] {
  const out: string[] = [];
  const parsed = parseStandard(schedule);
  if (typeof parsed === 'string') out.push(parsed);
  if (allowTZInSchedule && schedule.includes('TZ') && timeZone !== undefined) out.push('cannot use both timeZone field and TZ or CRON_TZ in schedule');
  else if (!allowTZInSchedule && schedule.includes('TZ')) out.push('cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  return out;
}

/**
 * The schedule the CronJob controller runs (kube's formatSchedule + ParseStandard): `.spec.timeZone` as a
 * TZ= prefix, unless the schedule carries its own zone (then that one, as kube does, with a warning).
 */
export function cronJobSchedule(schedule: string, timeZone: string | undefined): CronSchedule | string {
  if (schedule.includes('TZ') || timeZone === undefined || loadLocationError(timeZone)) return parseStandard(schedule);
  return parseStandard(`TZ=${timeZone} ${schedule}`);
}
