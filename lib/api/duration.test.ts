import { parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['500ms', 'ms', 500],
    ['10s', 'ms', 10_000],
    ['1.5m', 's', 90_000],
    ['2h', 's', 7_200_000],
    ['1h30m', 's', 5_400_000],
    ['250', 'ms', 250],
    ['30', 's', 30_000],
    ['1500us', 'ms', 1.5],
  ] as const)('%s (bare %s) → %d ms', (text, unit, want) => expect(parseDuration(text, unit)).toBe(want));

  it.each(['', 'soon', '10x', '5s garbage', '-1s', 's'])('%j is refused', (text) => {
    expect(() => parseDuration(text, 's')).toThrow('invalid duration');
  });
});
