// CronJob schedules (robfig/cron's standard parser as Kubernetes uses it) on the maintained
// `cron-parser`: five fields or a @descriptor, an optional IANA time zone, and the times a schedule
// fires. Shared by the apiserver's CronJob validation and the CronJob controller, so both accept the same
// schedules.
import { CronExpressionParser } from 'cron-parser';

export interface CronSchedule {
  /** The first time the schedule fires strictly after `t`. */
  next(t: Date): Date;
  /** Every time it fires in (from, to], oldest first; stops after `limit`. */
  between(from: Date, to: Date, limit: number): Date[];
  /** The last time it fires at or before `t`. */
  latest(t: Date): Date;
}

// robfig/cron's descriptors. Kubernetes also accepts `@every <duration>`; cron-parser has no interval
// form, so steer refuses it with a message that says so.
const descriptors: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Is `tz` an IANA time zone this runtime knows (Kubernetes loads it from the tz database)? */
export function isValidTimeZone(tz: string): boolean {
  if (tz === '' || tz.trim() !== tz) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Parses a schedule; a string is the error as Kubernetes' validation words it. */
export function parseSchedule(schedule: string, timeZone?: string): CronSchedule | string {
  const trimmed = schedule.trim();
  if (/^(CRON_)?TZ=/.test(trimmed)) return 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead';
  let expr = trimmed;
  if (trimmed.startsWith('@')) {
    if (trimmed.startsWith('@every')) return `unsupported schedule ${JSON.stringify(trimmed)}: @every intervals are not supported, write five cron fields`;
    const d = descriptors[trimmed];
    if (!d) return `unrecognized descriptor: ${trimmed}`;
    expr = d;
  } else {
    const fields = trimmed.split(/\s+/).filter(Boolean);
    if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`;
  }
  if (timeZone !== undefined && !isValidTimeZone(timeZone)) return `unknown time zone ${timeZone}`;
  try {
    CronExpressionParser.parse(expr, { tz: timeZone });
  } catch (err) {
    return (err as Error).message;
  }
  const iterate = (from: Date) => CronExpressionParser.parse(expr, { currentDate: from, tz: timeZone });
  return {
    next: (t) => iterate(t).next().toDate(),
    latest: (t) => iterate(new Date(t.getTime() + 1)).prev().toDate(),
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
  };
}
