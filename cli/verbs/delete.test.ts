// `steer delete`'s --cascade values (kubectl 1.20's true/false and the newer policy names).
import { parseCascade } from './delete';

describe('delete flags', () => {
  it('parses flags values', () => {
    expect(parseCascade('false')).toBe('Orphan');
    expect(parseCascade('foreground')).toBe('Foreground');
    expect(parseCascade(undefined)).toBe('Background');
  });
});
