// The node's usage from /proc, parsed as the kubelet's (cadvisor's) root-cgroup figures.
import { busyCpuSeconds, readHostUsage, workingSetBytes } from './host-stats';

test('busy CPU: user, nice, system, irq, softirq and steal ticks, in seconds', () => {
  const stat = 'cpu  100 20 30 4000 50 6 7 8 9 10\ncpu0 50 10 15 2000 25 3 3 4 4 5\nintr 1\n';
  expect(busyCpuSeconds(stat)).toBeCloseTo((100 + 20 + 30 + 6 + 7 + 8) / 100);
  expect(() => busyCpuSeconds('intr 1\n')).toThrow('no aggregate cpu line');
});

test('working set: used memory less the inactive file cache', () => {
  const meminfo = 'MemTotal:       24000000 kB\nMemFree:        20000000 kB\nMemAvailable:   22000000 kB\nInactive(file):   1000000 kB\n';
  expect(workingSetBytes(meminfo)).toBe((24000000 - 20000000 - 1000000) * 1024);
  expect(() => workingSetBytes('MemTotal: 1 kB\n')).toThrow('no MemFree');
});

test("this machine's figures are plausible", () => {
  const u = readHostUsage();
  expect(u.cpuSeconds).toBeGreaterThan(0);
  expect(u.memoryWorkingSetBytes).toBeGreaterThan(16 * 2 ** 20);
});
