// The console's cache: changes reported with the object before and after, renders batched, and the
// per-kind cap that keeps only the newest Events.
import { Store } from './store';

const ev = (name: string, t: number) => ({ metadata: { name, namespace: 'default', resourceVersion: String(t) }, lastTimestamp: new Date(t * 1000).toISOString() });

test('a relist reports what was added, changed and removed; views are told once per batch', () => {
  const runs: Array<() => void> = [];
  const store = new Store((fn) => runs.push(fn));
  const changes: string[] = [];
  store.onChange((c) => changes.push(`${c.type} ${(c.next ?? c.prev)?.metadata?.name}`));
  let renders = 0;
  store.subscribe(() => renders++);
  store.reset('pods', [ev('a', 1), ev('b', 1)]);
  store.event('pods', 'MODIFIED', ev('a', 2));
  store.reset('pods', [ev('a', 3), ev('c', 1)]);
  expect(changes).toEqual(['ADDED a', 'ADDED b', 'MODIFIED a', 'MODIFIED a', 'ADDED c', 'DELETED b']);
  expect(runs).toHaveLength(1);
  runs[0]();
  expect(renders).toBe(1);
  expect(store.list('pods').map((p) => p.metadata?.name).sort()).toEqual(['a', 'c']);
});

test('a capped kind keeps the newest objects, on relist and as events arrive', () => {
  const store = new Store((fn) => fn(), Date.now, { events: 3 });
  store.reset('events', [ev('e5', 5), ev('e1', 1), ev('e4', 4), ev('e2', 2)]);
  expect(store.list('events').map((e) => e.metadata?.name)).toEqual(['e2', 'e4', 'e5']);
  store.event('events', 'ADDED', ev('e6', 6));
  expect(store.list('events').map((e) => e.metadata?.name)).toEqual(['e4', 'e5', 'e6']);
});
