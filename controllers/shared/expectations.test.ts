import { Expectations } from './expectations';

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
