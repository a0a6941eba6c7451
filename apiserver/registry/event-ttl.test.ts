// Event expiry: only Events whose last write is older than the TTL go, and watchers see them deleted.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LevelStorage } from '../storage/leveldb';
import { MemoryStorage } from '../storage/memory';
import type { KObj, Storage, StorageEvent } from '../storage/types';
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

const tmpDirs: string[] = [];
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

const storages: Array<[string, () => Promise<Storage>]> = [
  ['memory', async () => new MemoryStorage()],
  [
    'LevelDB, Events uncached',
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steer-event-ttl-'));
      tmpDirs.push(dir);
      return LevelStorage.open(dir, { uncachedBuckets: ['events'] });
    },
  ],
];

test.each(storages)('a sweep deletes the Events last written before the TTL and keeps the rest (%s)', async (_name, open) => {
  const s = await open();
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

test.each(storages)('a sweep pages through more Events than one page holds (%s)', async (_name, open) => {
  const s = await open();
  for (let i = 0; i < 1_200; i++) await s.create('events', `default/e${i}`, event(`e${i}`, { created: ago(120), lastTimestamp: ago(i % 3 === 0 ? 5 : 90) }));
  expect(await new EventExpiry(s, 60 * 60_000, () => NOW).sweep()).toBe(800);
  const left = (await s.list('events')).items;
  expect(left).toHaveLength(400);
  expect(left.every((i) => Number(i.obj.metadata.name!.slice(1)) % 3 === 0)).toBe(true);
  await s.close();
});
