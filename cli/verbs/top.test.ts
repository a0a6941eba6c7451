// `steer top`'s reading of metrics quantities and its kubectl cells.
import { cpuCell, memoryCell, parseBytes, parseCpuNano } from './top';

describe('top', () => {
  it('reads metrics quantities and prints kubectl cells', () => {
    expect(parseCpuNano('1234567n')).toBe(1234567);
    expect(parseCpuNano('250m')).toBe(250e6);
    expect(parseBytes('5120Ki')).toBe(5 * 1024 * 1024);
    expect(cpuCell(1234567)).toBe('2m');
    expect(memoryCell(5 * 1024 * 1024)).toBe('5Mi');
  });
});
