import { cronJobSchedule, parseGoDuration, parseStandard, scheduleErrors, timeZoneErrors } from './cron-schedule';

const at = (s: string) => new Date(s);
const iso = (d: Date | undefined) => d?.toISOString().replace('.000Z', 'Z');
/** The next `n` firings after `from`, in UTC. */
function firings(spec: string, from: string, n = 3): Array<string | undefined> {
  const s = parseStandard(spec);
  if (typeof s === 'string') throw new Error(s);
  const out: Array<string | undefined> = [];
  let t: Date | undefined = at(from);
  for (let i = 0; i < n && t; i++) out.push(iso((t = s.next(t))));
  return out;
}

describe('parseStandard (robfig/cron ParseStandard, as kube validates schedules)', () => {
  it.each([
    ['five fields', '*/15 * * * *'],
    ['names, case-insensitive', '0 9 * JAN-mar mon-FRI'],
    ['? for a day field', '0 0 ? * 1'],
    ['N/step (N to the maximum)', '5/20 * * * *'],
    ['lists with an empty item', '1,,2 * * * *'],
    ['a day that never comes (robfig accepts it; it never fires)', '0 0 31 2 *'],
    ['every descriptor', '@yearly'],
    ['@annually', '@annually'],
    ['@monthly', '@monthly'],
    ['@weekly', '@weekly'],
    ['@daily', '@daily'],
    ['@midnight', '@midnight'],
    ['@hourly', '@hourly'],
    ['@every with a Go duration', '@every 1h30m'],
    ['@every under a second (rounded up to one)', '@every 10ms'],
    ['@every with fractions', '@every 1.5m'],
    ['a TZ= prefix', 'TZ=Europe/Paris 0 9 * * *'],
    ['a CRON_TZ= prefix with a descriptor', 'CRON_TZ=UTC @daily'],
    ['surrounding spaces around five fields', '  0 0 * * *  '],
  ])('accepts %s: %s', (_what, spec) => {
    expect(typeof parseStandard(spec)).toBe('object');
  });

  it.each([
    ['', 'empty spec string'],
    ['0 * * * * *', 'expected exactly 5 fields, found 6: [0 * * * * *]'],
    ['* * *', 'expected exactly 5 fields, found 3: [* * *]'],
    [' @daily', 'expected exactly 5 fields, found 1: [@daily]'],
    ['@daily ', 'unrecognized descriptor: @daily '],
    ['@DAILY', 'unrecognized descriptor: @DAILY'],
    ['@reboot', 'unrecognized descriptor: @reboot'],
    ['@every', 'unrecognized descriptor: @every'],
    ['@every 5', 'failed to parse duration @every 5: time: missing unit in duration "5"'],
    ['@every 5d', 'failed to parse duration @every 5d: time: unknown unit "d" in duration "5d"'],
    ['@every soon', 'failed to parse duration @every soon: time: invalid duration "soon"'],
    ['60 * * * *', 'end of range (60) above maximum (59): 60'],
    ['* 24 * * *', 'end of range (24) above maximum (23): 24'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['* * * 13 *', 'end of range (13) above maximum (12): 13'],
    ['* * * * 7', 'end of range (7) above maximum (6): 7'],
    ['5-2 * * * *', 'beginning of range (5) beyond end of range (2): 5-2'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['*/2/3 * * * *', 'too many slashes: */2/3'],
    ['L * * * *', 'failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax'],
    ['0 0 * * MON#2', 'failed to parse int from MON#2: strconv.Atoi: parsing "MON#2": invalid syntax'],
    ['0 0 * * 1-fri2', 'failed to parse int from fri2: strconv.Atoi: parsing "fri2": invalid syntax'],
    ['TZ=Mars/Olympus 0 * * * *', 'provided bad location Mars/Olympus: unknown time zone Mars/Olympus'],
  ])('refuses %j with robfig\'s message', (spec, message) => {
    expect(parseStandard(spec)).toBe(message);
  });

  it.each([
    // [schedule, from, the next three]
    ['*/20 * * * *', '2026-01-01T00:05:00Z', ['2026-01-01T00:20:00Z', '2026-01-01T00:40:00Z', '2026-01-01T01:00:00Z']],
    ['5/20 * * * *', '2026-01-01T00:06:00Z', ['2026-01-01T00:25:00Z', '2026-01-01T00:45:00Z', '2026-01-01T01:05:00Z']],
    // Both day fields restricted: either matches (1 Jan 2026 is a Thursday).
    ['0 0 13 * 5', '2026-01-01T00:00:00Z', ['2026-01-02T00:00:00Z', '2026-01-09T00:00:00Z', '2026-01-13T00:00:00Z']],
    // A day field of * defers to the other.
    ['0 0 * * 5', '2026-01-01T00:00:00Z', ['2026-01-02T00:00:00Z', '2026-01-09T00:00:00Z', '2026-01-16T00:00:00Z']],
    ['@hourly', '2026-01-01T00:30:00Z', ['2026-01-01T01:00:00Z', '2026-01-01T02:00:00Z', '2026-01-01T03:00:00Z']],
    ['CRON_TZ=UTC @weekly', '2026-01-01T00:00:00Z', ['2026-01-04T00:00:00Z', '2026-01-11T00:00:00Z', '2026-01-18T00:00:00Z']],
    // 09:00 in Paris is 08:00 UTC in winter.
    ['TZ=Europe/Paris 0 9 * * *', '2026-01-01T00:00:00Z', ['2026-01-01T08:00:00Z', '2026-01-02T08:00:00Z', '2026-01-03T08:00:00Z']],
    // robfig's constant delay: from the time truncated to its second.
    ['@every 90s', '2026-01-01T00:00:10.700Z', ['2026-01-01T00:01:40Z', '2026-01-01T00:03:10Z', '2026-01-01T00:04:40Z']],
    ['@every 10ms', '2026-01-01T00:00:00Z', ['2026-01-01T00:00:01Z', '2026-01-01T00:00:02Z', '2026-01-01T00:00:03Z']],
    ['@every 2500ms', '2026-01-01T00:00:00Z', ['2026-01-01T00:00:02Z', '2026-01-01T00:00:04Z', '2026-01-01T00:00:06Z']],
    ['0 0 31 2 *', '2026-01-01T00:00:00Z', [undefined]],
  ])('%s after %s fires at %j', (spec, from, want) => {
    expect(firings(spec, from, want.length)).toEqual(want);
  });

  it('finds the latest firing of a window for fields and @every', () => {
    const every = parseStandard('@every 7m');
    const fields = parseStandard('*/7 * * * *');
    if (typeof every === 'string' || typeof fields === 'string') throw new Error('unparsed');
    expect(iso(every.latest(at('2026-01-01T00:00:00Z'), at('2026-01-01T01:00:00Z')))).toBe('2026-01-01T00:56:00Z');
    expect(every.latest(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:06:00Z'))).toBeUndefined();
    expect(iso(fields.latest(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:59:59Z')))).toBe('2026-01-01T00:56:00Z');
    expect(fields.latest(at('2026-01-01T00:56:00Z'), at('2026-01-01T00:59:59Z'))).toBeUndefined();
    expect(every.between(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:30:00Z'), 10).map(iso)).toEqual(['2026-01-01T00:07:00Z', '2026-01-01T00:14:00Z', '2026-01-01T00:21:00Z', '2026-01-01T00:28:00Z']);
  });
});

describe('parseGoDuration (time.ParseDuration)', () => {
  it.each([
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['300ms', 300],
    ['2h45m30s', 9_930_000],
    ['0', 0],
    ['1m0.5s', 60_500],
    ['-1m', -60_000],
  ])('%s is %d ms', (text, ms) => expect(parseGoDuration(text)).toBe(ms));
});

describe('kube validation of .spec.schedule and .spec.timeZone', () => {
  it.each([
    // [schedule, timeZone, TZ allowed (stored object had it), messages]
    ['*/5 * * * *', undefined, false, []],
    ['@every 5m', 'Europe/Paris', false, []],
    ['TZ=UTC 0 * * * *', undefined, false, ['cannot use TZ or CRON_TZ in schedule, use timeZone field instead']],
    ['CRON_TZ=Europe/Paris @daily', undefined, false, ['cannot use TZ or CRON_TZ in schedule, use timeZone field instead']],
    ['TZ=Mars/Olympus 0 * * * *', undefined, false, ['provided bad location Mars/Olympus: unknown time zone Mars/Olympus', 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead']],
    // An object stored with TZ keeps it on update, but not together with .spec.timeZone.
    ['TZ=UTC 0 * * * *', undefined, true, []],
    ['TZ=UTC 0 * * * *', 'UTC', true, ['cannot use both timeZone field and TZ or CRON_TZ in schedule']],
    ['@every 1x', undefined, false, ['failed to parse duration @every 1x: time: unknown unit "x" in duration "1x"']],
  ])('%j (timeZone %j, TZ allowed %s): %j', (schedule, tz, allow, want) => {
    expect(scheduleErrors(schedule, tz, allow)).toEqual(want);
  });

  it.each([
    [undefined, []],
    ['Europe/Paris', []],
    ['UTC', []],
    ['America/Argentina/Buenos_Aires', []],
    ['Etc/GMT+5', []],
    ['', ['timeZone must be nil or non-empty string']],
    ['Mars/Olympus', ['unknown time zone Mars/Olympus']],
    ['europe/paris', ['unknown time zone europe/paris']],
    ['../etc/passwd', ['unknown time zone ../etc/passwd']],
    ['Europe/-Paris', ['unknown time zone Europe/-Paris']],
    ['America/A_Very_Long_Name', ['unknown time zone America/A_Very_Long_Name']],
    ['Local', ['timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones']],
    ['local', ['timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones', 'unknown time zone local']],
  ])('timeZone %j: %j', (tz, want) => {
    expect(timeZoneErrors(tz)).toEqual(want);
  });

  it('runs .spec.timeZone as a TZ= prefix, and a schedule with its own TZ as written', () => {
    const paris = cronJobSchedule('0 9 * * *', 'Europe/Paris');
    const own = cronJobSchedule('CRON_TZ=America/New_York 0 9 * * *', 'Europe/Paris');
    if (typeof paris === 'string' || typeof own === 'string') throw new Error('unparsed');
    expect(iso(paris.next(at('2026-01-01T00:00:00Z')))).toBe('2026-01-01T08:00:00Z');
    expect(iso(own.next(at('2026-01-01T00:00:00Z')))).toBe('2026-01-01T14:00:00Z');
  });
});
