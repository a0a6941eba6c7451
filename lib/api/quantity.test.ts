import { isQuantity, milliValue, QuantityError, value } from './quantity';

describe('quantity', () => {
  test.each([
    ['100m', 100],
    ['1', 1000],
    ['0.1', 100],
    ['.5', 500],
    ['1.5', 1500],
    ['2', 2000],
    ['250000u', 250],
    ['1n', 1], // rounds up
    ['1k', 1_000_000],
    ['1e3', 1_000_000],
    ['0', 0],
  ])('milliValue(%s) = %d', (q, want) => {
    expect(milliValue(q)).toBe(want);
  });

  test.each([
    ['64Mi', 64 * 1024 * 1024],
    ['1Gi', 1024 ** 3],
    ['1G', 1e9],
    ['128974848', 128974848],
    ['129e6', 129e6],
    ['123Mi', 123 * 1024 * 1024],
    ['1.5Gi', 1.5 * 1024 ** 3],
    ['110', 110],
    ['100m', 1], // rounds up, as Quantity.Value() does
    ['2Ki', 2048],
  ])('value(%s) = %d', (q, want) => {
    expect(value(q)).toBe(want);
  });

  test('numbers are accepted', () => {
    expect(milliValue(2)).toBe(2000);
    expect(value(3)).toBe(3);
  });

  test('malformed quantities are rejected', () => {
    expect(() => value('abc')).toThrow(QuantityError);
    expect(() => value('1Zi')).toThrow(QuantityError);
    expect(() => value('')).toThrow(QuantityError);
    expect(isQuantity('1Xb')).toBe(false);
    expect(isQuantity('500Mi')).toBe(true);
  });
});
