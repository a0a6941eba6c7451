import { MEMORY_LINE_PREFIX, memorySample, startMemoryLog, type MemorySample } from '../../cli/cluster/memory-log';

describe('steer server memory line ($STEER_MEMORY_LOG_SECONDS)', () => {
  afterEach(() => jest.useRealTimers());

  it('splits RSS into the parts bench/soak.ts compares', () => {
    const m = memorySample();
    expect(m.rss).toBeGreaterThan(0);
    expect(m.heapUsed).toBeGreaterThan(0);
    expect(m.heapTotal).toBeGreaterThanOrEqual(m.heapUsed);
    expect(m.spaces.old).toBeGreaterThan(0);
    expect(m.cpuSeconds).toBeGreaterThan(0);
    if (process.platform === 'linux') {
      // smaps_rollup: anonymous + file-backed pages make up the RSS (read a moment apart, so roughly).
      expect(m.anon).toBeGreaterThan(0);
      expect(m.file).toBeGreaterThan(0);
      expect(Math.abs(m.anon + m.file - m.rss)).toBeLessThan(m.rss * 0.5);
    }
  });

  it('writes one JSON line per period when the variable is set, and nothing when it is not', () => {
    jest.useFakeTimers();
    const lines: string[] = [];
    const stopOff = startMemoryLog((l) => lines.push(l), {});
    const stopBad = startMemoryLog((l) => lines.push(l), { STEER_MEMORY_LOG_SECONDS: 'soon' });
    jest.advanceTimersByTime(120_000);
    expect(lines).toEqual([]);
    stopOff();
    stopBad();

    const stop = startMemoryLog((l) => lines.push(l), { STEER_MEMORY_LOG_SECONDS: '30' });
    jest.advanceTimersByTime(29_000);
    expect(lines).toHaveLength(0);
    jest.advanceTimersByTime(62_000);
    expect(lines).toHaveLength(3);
    expect(lines[0].startsWith(MEMORY_LINE_PREFIX)).toBe(true);
    const parsed = JSON.parse(lines[0].slice(MEMORY_LINE_PREFIX.length)) as MemorySample;
    expect(parsed.rss).toBeGreaterThan(0);
    stop();
    jest.advanceTimersByTime(120_000);
    expect(lines).toHaveLength(3);
  });
});
