import { serverEnv } from '../../cli/cluster/up';

describe('how steer up starts steer server', () => {
  it('sets glibc to one malloc arena and fixed mmap and trim thresholds, keeping what the user chose', () => {
    expect(serverEnv({ PATH: '/usr/bin' })).toEqual({
      PATH: '/usr/bin',
      MALLOC_ARENA_MAX: '1',
      MALLOC_MMAP_THRESHOLD_: '65536',
      MALLOC_TRIM_THRESHOLD_: '65536',
      MALLOC_TOP_PAD_: '65536',
    });
    const mine = serverEnv({ MALLOC_ARENA_MAX: '8', MALLOC_MMAP_THRESHOLD_: '131072' });
    expect(mine.MALLOC_ARENA_MAX).toBe('8');
    expect(mine.MALLOC_MMAP_THRESHOLD_).toBe('131072');
    expect(mine.MALLOC_TRIM_THRESHOLD_).toBe('65536');
  });
});
