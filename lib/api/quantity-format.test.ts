import { QuantityError, compareQuantities, formatQuantity, isQuantity, milliValue, parseQuantity, value as integerValue } from './quantity';

describe('parseQuantity', () => {
  it.each<[string | number, number, string]>([
    ['1', 1, 'DecimalSI'],
    ['100m', 0.1, 'DecimalSI'],
    ['1.5', 1.5, 'DecimalSI'],
    ['0.5', 0.5, 'DecimalSI'],
    ['.5', 0.5, 'DecimalSI'],
    ['64Mi', 64 * 1024 * 1024, 'BinarySI'],
    ['1Gi', 1024 ** 3, 'BinarySI'],
    ['1Ki', 1024, 'BinarySI'],
    ['1k', 1000, 'DecimalSI'],
    ['2M', 2e6, 'DecimalSI'],
    ['1G', 1e9, 'DecimalSI'],
    ['250n', 250e-9, 'DecimalSI'],
    ['5u', 5e-6, 'DecimalSI'],
    ['1e3', 1000, 'DecimalExponent'],
    ['1E3', 1000, 'DecimalExponent'],
    ['1e-3', 0.001, 'DecimalExponent'],
    ['+2', 2, 'DecimalSI'],
    ['-1', -1, 'DecimalSI'],
    [2, 2, 'DecimalSI'],
    [0.25, 0.25, 'DecimalSI'],
  ])('%p → %p (%s)', (input, value, format) => {
    const q = parseQuantity(input);
    expect(q.value).toBeCloseTo(value, 12);
    expect(q.format).toBe(format);
  });

  it.each(['', 'abc', '1x', '1KiB', '1.2.3', 'Mi', '1 Gi', '1mi', '--1', '1e', '.'])('rejects %p', (input) => {
    expect(() => parseQuantity(input)).toThrow(QuantityError);
    expect(() => parseQuantity(input)).toThrow(/quantities must match the regular expression/);
    expect(isQuantity(input)).toBe(false);
  });
});

describe('compareQuantities', () => {
  it.each<[string, string, number]>([
    ['1', '1000m', 0],
    ['500m', '1', -1],
    ['1Gi', '1G', 1],
    ['1e3', '1k', 0],
    ['0.1', '100m', 0],
  ])('%s vs %s', (a, b, sign) => expect(Math.sign(compareQuantities(a, b))).toBe(sign));
});

describe('milliValue / integerValue', () => {
  it.each<[string, number, number]>([
    ['100m', 100, 1],
    ['1', 1000, 1],
    ['1.5', 1500, 2],
    ['1234567n', 2, 1],
    ['64Mi', 64 * 1024 * 1024 * 1000, 64 * 1024 * 1024],
  ])('%s → %d milli, %d units', (q, milli, units) => {
    expect(milliValue(q)).toBe(milli);
    expect(integerValue(q)).toBe(units);
  });
});

describe('formatQuantity', () => {
  it.each<[string | number, string]>([
    ['2048Mi', '2Gi'],
    ['1Gi', '1Gi'],
    ['1536Mi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['1000m', '1'],
    ['1500m', '1500m'],
    ['100m', '100m'],
    ['0.1', '100m'],
    ['1k', '1k'],
    ['1000', '1k'],
    ['1e3', '1e3'],
    ['1234567n', '1234567n'],
    ['0', '0'],
    ['-2', '-2'],
    [2, '2'],
    ['512', '512'],
    ['100Ki', '100Ki'],
  ])('%p → %s', (input, want) => expect(formatQuantity(input)).toBe(want));
});
