// `steer get`'s -o flag, read before anything is asked of the server.
import { parseOutput } from './get';

describe('get flags', () => {
  it('parses flags values', () => {
    expect(parseOutput('wide')).toEqual({ output: 'wide' });
    expect(() => parseOutput('xml')).toThrow('unable to match a printer');
  });
});
