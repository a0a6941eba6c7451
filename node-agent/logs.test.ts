// CRI log lines: parsing, and the formatter that joins partial lines and applies timestamps and since.
import { CriLogFormatter, parseCriLine } from './logs';

describe('CRI log lines', () => {
  test('parse', () => {
    expect(parseCriLine('2026-11-23T07:06:37.311896215Z stderr F hello world')).toMatchObject({ stream: 'stderr', partial: false, content: 'hello world' });
    expect(parseCriLine('garbage')).toBeUndefined();
  });
  test('partials are joined; timestamps use the first part; since filters; incremental input', () => {
    const f = new CriLogFormatter({ timestamps: true, sinceMs: Date.parse('2026-11-23T07:00:01Z') });
    expect(f.push('2026-11-23T07:00:00Z stdout F old\n2026-11-23T07:00:02Z stdout P ab')).toEqual([]);
    expect(f.push('c\n2026-11-23T07:00:03Z stdout F d\n')).toEqual(['2026-11-23T07:00:02Z abcd\n']);
  });
});
