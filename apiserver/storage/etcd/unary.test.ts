// The unary gRPC transport against a local HTTP/2 server that answers the way a gRPC server does: a
// message and grpc-status 0 in the trailers; an error in a trailers-only answer; no answer at all; a
// connection refused or reset. Each must come back with the status code the etcd client acts on.
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { GRPC_DEADLINE_EXCEEDED, GRPC_UNAVAILABLE, UnaryCallError, UnaryChannel, UnaryMethod } from './unary';

const echo: UnaryMethod<string, string> = {
  path: '/test.Echo/Say',
  requestSerialize: (s) => Buffer.from(s),
  responseDeserialize: (b) => b.toString(),
};

function frame(msg: string): Buffer {
  const body = Buffer.from(msg);
  const f = Buffer.alloc(5 + body.length);
  f.writeUInt32BE(body.length, 1);
  body.copy(f, 5);
  return f;
}

let server: http2.Http2Server;
let authority: string;
const sessions = new Set<http2.ServerHttp2Session>();

beforeAll(async () => {
  server = http2.createServer();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      const msg = body.subarray(5, 5 + body.readUInt32BE(1)).toString();
      if (headers[':path'] !== echo.path) return stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'unknown method' }, { endStream: true });
      if (msg === 'fail') {
        // etcd's errors come as trailers-only answers, the message percent-encoded.
        stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '9', 'grpc-message': 'etcdserver%3A not leader' }, { endStream: true });
      } else if (msg === 'silent') {
        // never answered
      } else if (msg === 'reset') {
        for (const s of sessions) s.destroy();
      } else {
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(frame(`${msg}!`));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  authority = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sessions) s.destroy();
  await new Promise((r) => server.close(r));
});

function call(ch: UnaryChannel, msg: string, method = echo, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => ch.call(method, msg, Date.now() + timeoutMs, (err, res) => (err ? reject(err) : resolve(res as string))));
}

test('answers, concurrent calls on one connection, and the status of an error answer', async () => {
  const ch = new UnaryChannel({ authority });
  try {
    expect(await Promise.all(['a', 'b', 'c'].map((m) => call(ch, m)))).toEqual(['a!', 'b!', 'c!']);
    const err = (await call(ch, 'fail').catch((e: unknown) => e)) as UnaryCallError;
    expect(err).toBeInstanceOf(UnaryCallError);
    expect(err.code).toBe(9);
    expect(err.details).toBe('etcdserver: not leader');
    expect(((await call(ch, 'x', { ...echo, path: '/test.Echo/Nope' }).catch((e: unknown) => e)) as UnaryCallError).code).toBe(12);
  } finally {
    ch.close();
  }
});

test('a call not answered by its deadline ends DEADLINE_EXCEEDED; the connection keeps serving', async () => {
  const ch = new UnaryChannel({ authority });
  try {
    expect(((await call(ch, 'silent', echo, 50).catch((e: unknown) => e)) as UnaryCallError).code).toBe(GRPC_DEADLINE_EXCEEDED);
    expect(await call(ch, 'after')).toBe('after!');
  } finally {
    ch.close();
  }
});

test('a connection reset ends the calls in flight UNAVAILABLE, and the next call connects again', async () => {
  const ch = new UnaryChannel({ authority });
  try {
    expect(await call(ch, 'before')).toBe('before!');
    const pending = call(ch, 'silent').catch((e: unknown) => e);
    expect(((await call(ch, 'reset').catch((e: unknown) => e)) as UnaryCallError).code).toBe(GRPC_UNAVAILABLE);
    expect(((await pending) as UnaryCallError).code).toBe(GRPC_UNAVAILABLE);
    expect(await call(ch, 'again')).toBe('again!');
  } finally {
    ch.close();
  }
});

test('a member that refuses connections: UNAVAILABLE', async () => {
  const probe = http2.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const ch = new UnaryChannel({ authority: `http://127.0.0.1:${port}` });
  try {
    expect(((await call(ch, 'x').catch((e: unknown) => e)) as UnaryCallError).code).toBe(GRPC_UNAVAILABLE);
  } finally {
    ch.close();
  }
});
