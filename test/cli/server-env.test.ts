import { serverEnv } from '../../cli/cluster/up';

describe('how steer up starts steer server', () => {
  it('limits glibc to two malloc arenas unless the user chose a number', () => {
    expect(serverEnv({ PATH: '/usr/bin' })).toEqual({ PATH: '/usr/bin', MALLOC_ARENA_MAX: '1' });
    expect(serverEnv({ MALLOC_ARENA_MAX: '8' }).MALLOC_ARENA_MAX).toBe('8');
  });
});
