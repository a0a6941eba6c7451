import { CacheWrites, Expectations } from './expectations';

describe('Expectations: counted creates (ReplicaSet, Job)', () => {
  it('satisfied only after every create and delete is observed, or after the timeout', () => {
    const e = new Expectations(50);
    expect(e.satisfied('k')).toBe(true);
    e.expectCreations('k', 2);
    e.expectDeletions('k', ['u1']);
    expect(e.satisfied('k')).toBe(false);
    e.creationObserved('k');
    e.creationObserved('k');
    expect(e.satisfied('k')).toBe(false);
    e.deletionObserved('k', 'u1');
    expect(e.satisfied('k')).toBe(true);
    e.expectCreations('k', 1);
    const realNow = Date.now;
    Date.now = () => realNow() + 100;
    try {
      expect(e.satisfied('k')).toBe(true);
    } finally {
      Date.now = realNow;
    }
  });
});

describe('Expectations: creates by node (DaemonSet)', () => {
  let now = 0;
  const clock = () => now;

  test('blocks until every create and delete has been observed', () => {
    const e = new Expectations(60_000, clock);
    now = 0;
    expect(e.satisfied('ns/ds')).toBe(true);
    e.expectCreations('ns/ds', ['n1', 'n2']);
    e.expectDeletions('ns/ds', ['uid-a']);
    now = 1;
    expect(e.satisfied('ns/ds')).toBe(false);
    e.creationObserved('ns/ds', 'n1');
    e.deletionObserved('ns/ds', 'uid-a');
    now = 2;
    expect(e.satisfied('ns/ds')).toBe(false);
    e.creationObserved('ns/ds', 'n2'); // a failed create will never be seen
    now = 3;
    expect(e.satisfied('ns/ds')).toBe(true);
  });

  test('observations for other keys or other nodes do not count', () => {
    const e = new Expectations(60_000, clock);
    now = 0;
    e.expectCreations('ns/ds', ['n1']);
    e.creationObserved('ns/other', 'n1');
    e.creationObserved('ns/ds', 'n9');
    now = 1;
    expect(e.satisfied('ns/ds')).toBe(false);
  });

  test('expire after the timeout, so a lost event cannot block a DaemonSet forever', () => {
    const e = new Expectations(1000, clock);
    now = 0;
    e.expectCreations('ns/ds', ['n1']);
    now = 999;
    expect(e.satisfied('ns/ds')).toBe(false);
    now = 1001;
    expect(e.satisfied('ns/ds')).toBe(true);
  });

  test('delete drops pending expectations', () => {
    const e = new Expectations(60_000, clock);
    now = 0;
    e.expectCreations('ns/ds', ['n1']);
    e.delete('ns/ds');
    now = 1;
    expect(e.satisfied('ns/ds')).toBe(true);
  });
});

describe('CacheWrites (read-your-writes for a controller cache)', () => {
  test.each([
    ['nothing written', [], {}, true],
    ['created, not yet in the cache', [['rs-b', undefined]], {}, false],
    ['created, now in the cache', [['rs-b', undefined]], { 'rs-b': '7' }, true],
    ['scaled, cache still at the version the write was based on', [['rs-a', '5']], { 'rs-a': '5' }, false],
    ['scaled, cache shows a newer version', [['rs-a', '5']], { 'rs-a': '9' }, true],
    ['two writes, one seen', [['rs-a', '5'], ['rs-b', undefined]], { 'rs-a': '9' }, false],
  ] as const)('%s', (_name, writes, cache, expected) => {
    const w = new CacheWrites(30_000, () => 1000);
    for (const [name, basedOn] of writes) w.wrote('d', name, basedOn);
    expect(w.caughtUp('d', (n) => (cache as Record<string, string>)[n])).toBe(expected);
  });

  test('a write the cache never shows is no longer waited for after the timeout', () => {
    let now = 0;
    const w = new CacheWrites(30_000, () => now);
    w.wrote('d', 'rs-b', undefined);
    expect(w.caughtUp('d', () => undefined)).toBe(false);
    now = 30_001;
    expect(w.caughtUp('d', () => undefined)).toBe(true);
  });
});
