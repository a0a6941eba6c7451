// The gRPC transport against a local HTTP/2 server that answers the way a gRPC server does: a message
// and grpc-status 0 in the trailers; an error in a trailers-only answer; no answer at all; a connection
// refused or reset; a streaming call's messages however they are cut into frames. Each must come back
// with the messages and the status code the etcd client acts on.
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { GRPC_DEADLINE_EXCEEDED, GRPC_UNAVAILABLE, GrpcCallError, GrpcChannel, GrpcMethod, GrpcStream } from './channel';

const echo: GrpcMethod<string, string> = {
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

const chat: GrpcMethod<string, string> = { ...echo, path: '/test.Echo/Chat' };

/**
 * The streaming method: each message is answered as it says — `split` in one-byte writes, `three` with
 * three messages in one write, `bye` ends with status 0, `refuse` with status 11, `reset` drops the
 * connection — anything else echoed; the request's `hasleader` header comes back as the first answer.
 */
function serveChat(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.write(frame(`hasleader=${String(headers.hasleader)}`));
  let status = '0';
  stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': status, 'grpc-message': status === '0' ? '' : 'out%20of%20range' }));
  let buf = Buffer.alloc(0);
  stream.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    while (buf.length >= 5 && buf.length >= 5 + buf.readUInt32BE(1)) {
      const msg = buf.subarray(5, 5 + buf.readUInt32BE(1)).toString();
      buf = buf.subarray(5 + msg.length);
      if (msg === 'split') for (const b of frame('split!')) stream.write(Buffer.from([b]));
      else if (msg === 'three') stream.write(Buffer.concat([frame('1'), frame('2'), frame('3')]));
      else if (msg === 'bye') stream.end();
      else if (msg === 'refuse') {
        status = '11';
        stream.end();
      } else if (msg === 'reset') for (const s of sessions) s.destroy();
      else stream.write(frame(`${msg}!`));
    }
  });
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
    if (headers[':path'] === chat.path) return serveChat(stream, headers);
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

function call(ch: GrpcChannel, msg: string, method = echo, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => ch.call(method, msg, Date.now() + timeoutMs, (err, res) => (err ? reject(err) : resolve(res as string))));
}

test('answers, concurrent calls on one connection, and the status of an error answer', async () => {
  const ch = new GrpcChannel({ authority });
  try {
    expect(await Promise.all(['a', 'b', 'c'].map((m) => call(ch, m)))).toEqual(['a!', 'b!', 'c!']);
    const err = (await call(ch, 'fail').catch((e: unknown) => e)) as GrpcCallError;
    expect(err).toBeInstanceOf(GrpcCallError);
    expect(err.code).toBe(9);
    expect(err.details).toBe('etcdserver: not leader');
    expect(((await call(ch, 'x', { ...echo, path: '/test.Echo/Nope' }).catch((e: unknown) => e)) as GrpcCallError).code).toBe(12);
  } finally {
    ch.close();
  }
});

test('a call not answered by its deadline ends DEADLINE_EXCEEDED; the connection keeps serving', async () => {
  const ch = new GrpcChannel({ authority });
  try {
    expect(((await call(ch, 'silent', echo, 50).catch((e: unknown) => e)) as GrpcCallError).code).toBe(GRPC_DEADLINE_EXCEEDED);
    expect(await call(ch, 'after')).toBe('after!');
  } finally {
    ch.close();
  }
});

test('a connection reset ends the calls in flight UNAVAILABLE, and the next call connects again', async () => {
  const ch = new GrpcChannel({ authority });
  try {
    expect(await call(ch, 'before')).toBe('before!');
    const pending = call(ch, 'silent').catch((e: unknown) => e);
    expect(((await call(ch, 'reset').catch((e: unknown) => e)) as GrpcCallError).code).toBe(GRPC_UNAVAILABLE);
    expect(((await pending) as GrpcCallError).code).toBe(GRPC_UNAVAILABLE);
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
  const ch = new GrpcChannel({ authority: `http://127.0.0.1:${port}` });
  try {
    expect(((await call(ch, 'x').catch((e: unknown) => e)) as GrpcCallError).code).toBe(GRPC_UNAVAILABLE);
  } finally {
    ch.close();
  }
});

/** A stream's messages and its outcome: 'end', or the error's code and details. */
function collect(stream: GrpcStream<string, string>): { got: string[]; outcome: Promise<string> } {
  const got: string[] = [];
  stream.on('data', (m: string) => got.push(m));
  const outcome = new Promise<string>((resolve) => {
    stream.on('end', () => resolve('end'));
    stream.on('error', (e: GrpcCallError) => resolve(`${e.code} ${e.details}`));
  });
  return { got, outcome };
}

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
};

test('a stream: metadata sent, messages split over frames or sharing one, in order; status 0 ends it', async () => {
  const ch = new GrpcChannel({ authority });
  try {
    const s = ch.stream(chat, { hasleader: 'true' });
    const { got, outcome } = collect(s);
    for (const m of ['a', 'split', 'three', 'b']) s.write(m);
    await until(() => got.length === 7);
    expect(got).toEqual(['hasleader=true', 'a!', 'split!', '1', '2', '3', 'b!']);
    // Unary calls share the connection meanwhile.
    expect(await call(ch, 'beside')).toBe('beside!');
    s.write('bye');
    expect(await outcome).toBe('end');
  } finally {
    ch.close();
  }
});

test("a stream's error status, a dropped connection, and cancel", async () => {
  const ch = new GrpcChannel({ authority });
  try {
    const refused = ch.stream(chat);
    const r = collect(refused);
    refused.write('refuse');
    expect(await r.outcome).toBe('11 out of range');

    const dropped = ch.stream(chat);
    const d = collect(dropped);
    await until(() => d.got.length === 1);
    dropped.write('reset');
    expect(await d.outcome).toMatch(/^14 /);

    // The next stream connects again; a cancelled one reports nothing more.
    const cancelled = ch.stream(chat);
    const c = collect(cancelled);
    await until(() => c.got.length === 1);
    cancelled.cancel();
    let settled = false;
    void c.outcome.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
  } finally {
    ch.close();
  }
});

test('pause holds messages (even past the end of the stream) until resume', async () => {
  const ch = new GrpcChannel({ authority });
  try {
    const s = ch.stream(chat);
    const { got, outcome } = collect(s);
    await until(() => got.length === 1);
    s.pause();
    s.write('three');
    s.write('bye');
    let ended = false;
    void outcome.then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(['hasleader=undefined']);
    expect(ended).toBe(false);
    s.resume();
    expect(await outcome).toBe('end');
    expect(got).toEqual(['hasleader=undefined', '1', '2', '3']);
  } finally {
    ch.close();
  }
});
