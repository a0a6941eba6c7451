import { Resources } from '../../lib/api/resources';
import { compileSelectors } from '../registry/registry';
import { StorageEvent, StoredObject, storedObject } from '../storage/types';
import { filteredType } from './watch';

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
