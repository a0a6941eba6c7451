// --sort-by order on plain data (the get tests cover it end to end).
import { naturalLess, sortByJsonPath, compileSortBy, valueLess } from './sorting';

describe('--sort-by order', () => {
  it('natural order for strings, numbers by value, quantities as quantities, missing first', () => {
    expect(naturalLess('db9', 'db10')).toBe(true);
    expect(naturalLess('db10', 'db9')).toBe(false);
    expect(naturalLess('a01', 'a1')).toBe(false);
    expect(naturalLess('a1', 'a01')).toBe(true);
    expect(naturalLess('abc', 'abd')).toBe(true);
    expect(valueLess('500m', '1')).toBe(true);
    expect(valueLess('1Gi', '512Mi')).toBe(false);
    expect(valueLess(false, true)).toBe(true);
    const items = [{ v: 'x10' }, { v: 'x9' }, {}, { v: 'x1' }];
    expect(sortByJsonPath(items, compileSortBy('.v'), (i) => i)).toEqual([{}, { v: 'x1' }, { v: 'x9' }, { v: 'x10' }]);
    expect(() => sortByJsonPath(items, compileSortBy('.w'), (i) => i)).toThrow('couldn\'t find any field with path "{.w}" in the list of objects');
  });
});
