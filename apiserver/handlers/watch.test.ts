import { Resources } from '../../lib/api/resources';
import { compileSelectors } from '../registry/registry';
import { StorageEvent, StoredObject, storedObject } from '../storage/types';
import { filteredType, watchFlushDelay } from './watch';

const stored = (labels: Record<string, string>, rev = 1): StoredObject => {
  const obj = { metadata: { name: 'p', namespace: 'default', labels, resourceVersion: String(rev) } };
  return storedObject(rev, obj);
};
const ev = (type: StorageEvent['type'], now: Record<string, string>, before?: Record<string, string>): StorageEvent => ({
  type,
  rev: 2,
  bucket: 'pods',
  key: 'default/p',
  object: stored(now, 2),
  prev: before ? stored(before) : undefined,
});

test.each([
  ['ADDED matching', ev('ADDED', { app: 'a' }), 'ADDED'],
  ['ADDED not matching', ev('ADDED', { app: 'b' }), undefined],
  ['MODIFIED staying in', ev('MODIFIED', { app: 'a', x: '1' }, { app: 'a' }), 'MODIFIED'],
  ['MODIFIED entering', ev('MODIFIED', { app: 'a' }, { app: 'b' }), 'ADDED'],
  ['MODIFIED leaving', ev('MODIFIED', { app: 'b' }, { app: 'a' }), 'DELETED'],
  ['MODIFIED outside', ev('MODIFIED', { app: 'c' }, { app: 'b' }), undefined],
  ['DELETED matching', ev('DELETED', { app: 'a' }, { app: 'a' }), 'DELETED'],
  ['DELETED not matching', ev('DELETED', { app: 'b' }, { app: 'b' }), undefined],
])('selector app=a: %s', (_name, event, expected) => {
  expect(filteredType(event, compileSelectors(Resources.pods, 'app=a'))).toBe(expected);
});

test('no selector passes every event through', () => {
  expect(filteredType(ev('MODIFIED', { app: 'b' }, { app: 'a' }), compileSelectors(Resources.pods))).toBe('MODIFIED');
});

describe('watchFlushDelay: when a stream writes an event', () => {
  test.each([
    // [ms since the last flush, quiet gap before that flush, delay]
    ['a quiet stream: at once', Infinity, Infinity, 0],
    ['the event right after one that followed a quiet spell (a binding after its pod): at once', 1.5, 500, 0],
    ['a third event in a burst waits out the interval', 1.5, 1.5, 8.5],
    ['a stream flushed every interval under steady load stays throttled', 2, 10, 8],
    ['the interval over: at once', 10, 3, 0],
  ])('%s', (_what, since, gapBefore, delay) => {
    expect(watchFlushDelay(since, gapBefore)).toBeCloseTo(delay, 6);
  });
});
