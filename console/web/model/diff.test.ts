// The apply preview's line diff.
import { diffHunks, diffLines, diffStats } from './diff';

test('a changed line is a removal and an addition; unchanged lines keep both numbers', () => {
  const d = diffLines('a: 1\nb: 2\nc: 3\n', 'a: 1\nb: 5\nc: 3\nd: 4\n');
  expect(d.map((l) => `${l.op}${l.text}`)).toEqual([' a: 1', '-b: 2', '+b: 5', ' c: 3', '+d: 4']);
  expect(diffStats(d)).toEqual({ added: 2, removed: 1 });
  expect(d[3]).toMatchObject({ a: 3, b: 3 });
});

test('a new object is all additions; hunks keep three lines of context around changes', () => {
  expect(diffLines('', 'x\ny\n').map((l) => l.op)).toEqual(['+', '+']);
  const old = Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n');
  const hunks = diffHunks(diffLines(old, old.replace('l10', 'L10')));
  expect(hunks.map((l) => (l ? `${l.op}${l.text}` : '…'))).toEqual(['…', ' l7', ' l8', ' l9', '-l10', '+L10', ' l11', ' l12', ' l13', '…']);
});
