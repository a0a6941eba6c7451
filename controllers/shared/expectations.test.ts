import { CacheWrites, Expectations } from './expectations';
import { ApiError, writeMayHaveLanded } from '../../lib/client/client';

describe('Expectations: counted creates (ReplicaSet, Job)', () => {
  it('satisfied only after every create and delete is observed, or after the timeout', () => {
    let now = 0;
    const e = new Expectations(50, () => now);
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
    expect(e.satisfied('k')).toBe(false);
    now += 100;
    expect(e.satisfied('k')).toBe(true);
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
    ['two writes of one object in a row, cache at the first one\'s version', [['d', '5'], ['d', '6']], { d: '6' }, false],
    ['two writes of one object in a row, cache at the second one\'s version', [['d', '5'], ['d', '6']], { d: '7' }, true],
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

describe('Expectations: creates whose answers were lost', () => {
  it('stay expected until the cache is past the revision read after the loss, then the ones not seen never happened', () => {
    const e = new Expectations(60_000);
    e.expectCreations('k', 3);
    e.creationObserved('k'); // answered and seen
    e.creationObserved('k'); // refused: un-expected
    e.creationAnswerLost('k');
    expect(e.satisfied('k')).toBe(false);
    expect(e.lostCreatesNeed('k')).toBe('unread');
    expect(e.settleLostCreates('k', 1_000)).toBe(false); // no revision read yet
    e.lostCreatesRevision('k', 120);
    expect(e.lostCreatesNeed('k')).toBe(120);
    expect(e.settleLostCreates('k', 119)).toBe(false);
    expect(e.satisfied('k')).toBe(false);
    expect(e.settleLostCreates('k', 120)).toBe(true);
    expect(e.satisfied('k')).toBe(true);
    expect(e.lostCreatesNeed('k')).toBeUndefined();
  });

  it('a lost create that shows up settles them at once', () => {
    const e = new Expectations(60_000);
    e.expectCreations('k', 1);
    e.creationAnswerLost('k');
    e.creationObserved('k');
    expect(e.satisfied('k')).toBe(true);
    expect(e.lostCreatesNeed('k')).toBeUndefined();
  });
});

describe('writeMayHaveLanded', () => {
  const status = (code: number, reason: string) => new ApiError(code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message: reason });
  it.each([
    ['a connection broken after sending', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), true],
    ['a request timed out', Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }), true],
    ['a server timeout (504)', status(504, 'Timeout'), true],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), false],
    ['a connect timeout', Object.assign(new Error('connect timed out'), { code: 'ECONNECTTIMEOUT' }), false],
    ['an answer (409)', status(409, 'AlreadyExists'), false],
    ['an answer (500)', status(500, 'InternalError'), false],
    ['an error before sending', new Error('crashed'), false],
  ])('%s: %s', (_what, err, landed) => {
    expect(writeMayHaveLanded(err)).toBe(landed);
  });
});
