// Boolean query parameters read as apimachinery's Convert_Slice_string_To_bool reads them.
import { queryBool } from './query-bool';

describe('queryBool', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, false],
    ['0', false],
    ['false', false],
    ['False', false],
    ['FALSE', false],
    ['fAlSe', false],
    ['true', true],
    ['1', true],
    ['t', true],
    ['T', true],
    ['True', true],
    // Not Go's strconv.ParseBool: every other value, the empty one included, is true and never a 400.
    ['f', true],
    ['F', true],
    ['yes', true],
    ['', true],
  ])('%p → %p', (value, want) => {
    expect(queryBool(value)).toBe(want);
  });
});
