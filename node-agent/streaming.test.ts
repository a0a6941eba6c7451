import { RuntimeError } from './runtime/runtime';
import { httpStatusOfRuntimeError, parsePorts } from './streaming';

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
