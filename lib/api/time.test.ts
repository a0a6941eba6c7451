import { microTime, rfc3339 } from './time';

test('rfc3339 truncates to whole seconds; microTime keeps six digits', () => {
  const t = Date.parse('2026-11-23T06:49:03.987Z');
  expect(rfc3339(t)).toBe('2026-11-23T06:49:03Z');
  expect(rfc3339(new Date(t))).toBe('2026-11-23T06:49:03Z');
  expect(microTime(t)).toBe('2026-11-23T06:49:03.987000Z');
});
