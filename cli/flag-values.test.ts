// Flag values as kubectl reads them: --timeout durations.
import { parseDuration } from './flag-values';

describe('flag values', () => {
  it('parses flags values', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('0')).toBeUndefined();
    expect(() => parseDuration('soon')).toThrow('invalid duration');
  });
});
