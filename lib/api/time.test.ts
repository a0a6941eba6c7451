import { humanDuration, microTime, rfc3339 } from './time';

test('rfc3339 truncates to whole seconds; microTime keeps six digits', () => {
  const t = Date.parse('2026-11-23T06:49:03.987Z');
  expect(rfc3339(t)).toBe('2026-11-23T06:49:03Z');
  expect(rfc3339(new Date(t))).toBe('2026-11-23T06:49:03Z');
  expect(microTime(t)).toBe('2026-11-23T06:49:03.987000Z');
});

test.each([
  [9_000, '9s'],
  [119_000, '119s'],
  [150_000, '2m30s'],
  [600_000, '10m'],
  [3 * 3600_000 + 5 * 60_000, '3h5m'],
  [30 * 3600_000, '30h'],
  [50 * 3600_000, '2d2h'],
  [400 * 86400_000, '400d'],
  [-5000, '<invalid>'],
])('humanDuration(%d) = %s', (ms, want) => {
  expect(humanDuration(ms)).toBe(want);
});
