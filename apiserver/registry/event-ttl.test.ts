// Event expiry: only Events whose last write is older than the TTL go, and watchers see them deleted.
import { MemoryStorage } from '../storage/memory';
import type { KObj, StorageEvent } from '../storage/types';
import { EventExpiry, eventLastWrite } from './event-ttl';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const ago = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString();

function event(name: string, { created, ...fields }: Record<string, unknown>): KObj {
  return { apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default', creationTimestamp: created ?? ago(0) }, ...fields };
}

test('eventLastWrite takes the newest of the Event times', () => {
  expect(eventLastWrite(event('a', { created: ago(120), lastTimestamp: ago(5) }))).toBe(NOW - 5 * 60_000);
  expect(eventLastWrite(event('b', { created: ago(120), eventTime: ago(90), series: { count: 2, lastObservedTime: ago(2) } }))).toBe(NOW - 2 * 60_000);
  expect(eventLastWrite({ metadata: { name: 'c' } })).toBeNaN();
});

test('a sweep deletes the Events last written before the TTL and keeps the rest', async () => {
  const s = new MemoryStorage();
  await s.create('events', 'default/old', event('old', { created: ago(120), lastTimestamp: ago(61) }));
  await s.create('events', 'default/renewed', event('renewed', { created: ago(120), lastTimestamp: ago(10) }));
  await s.create('events', 'default/new', event('new', { created: ago(1), lastTimestamp: ago(1) }));
  await s.create('events', 'kube-system/old-series', { ...event('old-series', { created: ago(200), series: { count: 3, lastObservedTime: ago(70) } }), metadata: { name: 'old-series', namespace: 'kube-system', creationTimestamp: ago(200) } });
  const seen: StorageEvent[] = [];
  const sub = s.watch('events', s.currentRevision(), (e) => seen.push(e));
  const expiry = new EventExpiry(s, 60 * 60_000, () => NOW);
  expect(await expiry.sweep()).toBe(2);
  sub.stop();
  expect((await s.list('events')).items.map((i) => i.obj.metadata.name).sort()).toEqual(['new', 'renewed']);
  expect(seen.map((e) => `${e.type} ${e.key}`).sort()).toEqual(['DELETED default/old', 'DELETED kube-system/old-series']);
  // A TTL of 0 keeps everything.
  expect(await new EventExpiry(s, 0, () => NOW + 10 * 3600_000).sweep()).toBe(0);
  await s.close();
});
