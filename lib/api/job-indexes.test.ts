import { formatIndexes, parseIndexes } from './job-indexes';

test('Job index lists round-trip and malformed ones are refused', () => {
  expect(formatIndexes([7, 1, 3, 4, 5, 3])).toBe('1,3-5,7');
  expect(parseIndexes('1,3-5,7')).toEqual([1, 3, 4, 5, 7]);
  expect(parseIndexes('')).toEqual([]);
  for (const bad of ['1,', '5-3', 'a', '1-2-3', '-1']) expect(parseIndexes(bad)).toBeUndefined();
});
