import { DaemonExpectations } from './daemonset/controller';

describe('DaemonExpectations', () => {
  test('blocks until every create and delete has been observed', () => {
    const e = new DaemonExpectations(60_000);
    expect(e.satisfied('ns/ds', 0)).toBe(true);
    e.expect('ns/ds', ['n1', 'n2'], ['uid-a'], 0);
    expect(e.satisfied('ns/ds', 1)).toBe(false);
    e.creationObserved('ns/ds', 'n1');
    e.deletionObserved('ns/ds', 'uid-a');
    expect(e.satisfied('ns/ds', 2)).toBe(false);
    e.creationFailed('ns/ds', 'n2'); // a failed create will never be seen
    expect(e.satisfied('ns/ds', 3)).toBe(true);
  });

  test('observations for other keys or other nodes do not count', () => {
    const e = new DaemonExpectations(60_000);
    e.expect('ns/ds', ['n1'], [], 0);
    e.creationObserved('ns/other', 'n1');
    e.creationObserved('ns/ds', 'n9');
    expect(e.satisfied('ns/ds', 1)).toBe(false);
  });

  test('expire after the timeout, so a lost event cannot block a DaemonSet forever', () => {
    const e = new DaemonExpectations(1000);
    e.expect('ns/ds', ['n1'], [], 0);
    expect(e.satisfied('ns/ds', 999)).toBe(false);
    expect(e.satisfied('ns/ds', 1001)).toBe(true);
  });

  test('forget drops pending expectations', () => {
    const e = new DaemonExpectations(60_000);
    e.expect('ns/ds', ['n1'], [], 0);
    e.forget('ns/ds');
    expect(e.satisfied('ns/ds', 1)).toBe(true);
  });
});
