import { RuntimeError } from './runtime/runtime';
import { httpStatusOfRuntimeError, parsePorts, sessionProcess } from './streaming';

describe('streaming endpoint helpers', () => {
  it('maps the runtime’s gRPC codes to HTTP statuses', () => {
    expect(httpStatusOfRuntimeError(new RuntimeError('x', 5))).toEqual({ code: 404, reason: 'NotFound' });
    expect(httpStatusOfRuntimeError(new RuntimeError('x', 8))).toEqual({ code: 429, reason: 'TooManyRequests' });
    expect(httpStatusOfRuntimeError(new RuntimeError('x', 9))).toEqual({ code: 400, reason: 'BadRequest' });
    expect(httpStatusOfRuntimeError(new RuntimeError('x', 12))).toEqual({ code: 501, reason: 'NotImplemented' });
    expect(httpStatusOfRuntimeError(new RuntimeError('x', 2))).toEqual({ code: 500, reason: 'InternalError' });
    expect(httpStatusOfRuntimeError(new Error('x'))).toEqual({ code: 500, reason: 'InternalError' });
  });
  it('reads ?ports= as a list or repeated, and refuses bad ports', () => {
    expect(parsePorts(undefined)).toEqual([]);
    expect(parsePorts('80,443')).toEqual([80, 443]);
    expect(parsePorts(['80', '8081'])).toEqual([80, 8081]);
    expect(parsePorts('0')).toBeUndefined();
    expect(parsePorts('http')).toBeUndefined();
  });
});

describe('sessionProcess: which exec process an ended session owns', () => {
  const p = (execId: string, startedAtMs: number, args = ['sleep', '60']) => ({ execId, startedAtMs, args });
  const session = { since: 1000, startedBy: 2000, closedAt: 2000, otherSessions: false, cmd: ['sleep', '60'], taken: new Set<string>() };
  it('takes the first process with the session\'s argv started within the session', () => {
    expect(sessionProcess([p('probe', 1500, ['cat', '/ready']), p('b', 1600), p('a', 1200)], session)?.execId).toBe('a');
    // Older than the session (less one clock tick): someone else's.
    expect(sessionProcess([p('old', 900)], session)).toBeUndefined();
    expect(sessionProcess([p('tick', 995)], session)?.execId).toBe('tick');
  });
  it('bounded by startedBy (a later session of the same command began): its process is not ours', () => {
    expect(sessionProcess([p('next', 2010, ['true'])], { ...session, cmd: ['true'] })).toBeUndefined();
    expect(sessionProcess([p('mine', 1990), p('next', 2010)], session)?.execId).toBe('mine');
    // Unbounded: a process containerd started after the client left is still ours.
    expect(sessionProcess([p('late', 2500)], { ...session, startedBy: Infinity })?.execId).toBe('late');
  });
  it('skips processes another ending session claimed; the only candidate when argv differs (sh -c exec)', () => {
    expect(sessionProcess([p('a', 1200), p('b', 1300)], { ...session, taken: new Set(['a']) })?.execId).toBe('b');
    expect(sessionProcess([p('x', 1200, ['nginx'])], { ...session, cmd: ['sh', '-c', 'exec nginx'] })?.execId).toBe('x');
    expect(sessionProcess([p('x', 1200, ['nginx']), p('y', 1300, ['cat'])], { ...session, cmd: ['sh', '-c', 'exec nginx'] })).toBeUndefined();
  });
  it('never takes another session\'s process for one whose own had ended (argv differs)', () => {
    const shell = { ...session, cmd: ['sh', '-c', 'exit 0'] };
    // A `kubectl cp` began in the container after ours: its tar is the only fresh process, and not ours.
    expect(sessionProcess([p('tar', 1500, ['tar', '-xmf', '-', '-C', '/tmp'])], { ...shell, otherSessions: true })).toBeUndefined();
    // Started after our client left: not ours either.
    expect(sessionProcess([p('tar', 2500, ['tar', '-xmf', '-'])], { ...shell, startedBy: Infinity })).toBeUndefined();
    // By argv, another session does not matter.
    expect(sessionProcess([p('a', 1200)], { ...session, otherSessions: true })?.execId).toBe('a');
  });
});
