import * as net from 'node:net';
import * as zlib from 'node:zlib';
import { headerBlock, SpdyClientSession, StoredZlibWriter } from './spdy';

/** Frames a test server reads: control frames with their type, data frames with their stream. */
interface Frame {
  control: boolean;
  type?: number;
  stream?: number;
  flags: number;
  body: Buffer;
}

function parseFrames(buf: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let at = 0;
  while (buf.length - at >= 8) {
    const length = buf.readUInt32BE(at + 4) & 0xffffff;
    if (buf.length - at < 8 + length) break;
    const control = (buf[at] & 0x80) !== 0;
    frames.push({
      control,
      type: control ? buf.readUInt16BE(at + 2) : undefined,
      stream: control ? undefined : buf.readUInt32BE(at) & 0x7fffffff,
      flags: buf[at + 4],
      body: buf.subarray(at + 8, at + 8 + length),
    });
    at += 8 + length;
  }
  return { frames, rest: buf.subarray(at) };
}

function control(type: number, flags: number, body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8003, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE((flags << 24) | body.length, 4);
  return Buffer.concat([h, body]);
}

function data(stream: number, flags: number, body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(stream, 0);
  h.writeUInt32BE((flags << 24) | body.length, 4);
  return Buffer.concat([h, body]);
}

const u32 = (...ns: number[]) => Buffer.concat(ns.map((n) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff])));

describe('SPDY/3.1 client framing', () => {
  it('writes header blocks as one zlib stream of stored blocks any inflater reads', () => {
    const w = new StoredZlibWriter();
    const a = headerBlock({ streamType: 'error' });
    const b = headerBlock({ streamtype: 'stdin', port: '80' });
    const inflated = zlib.inflateSync(Buffer.concat([w.block(a), w.block(b)]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    expect(inflated.equals(Buffer.concat([a, b]))).toBe(true);
    // Names are lowercased; count, then length-prefixed name and value.
    expect(a.equals(Buffer.concat([u32(1), u32(10), Buffer.from('streamtype'), u32(5), Buffer.from('error')]))).toBe(true);
  });

  it('opens streams, holds data until the reply, half-closes with FIN, and reads frames split anywhere', async () => {
    let serverSide: net.Socket | undefined;
    const server = net.createServer((s) => (serverSide = s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const sock = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    while (!serverSide) await new Promise((r) => setImmediate(r));
    const peer = serverSide;
    let received = Buffer.alloc(0);
    const got: Frame[] = [];
    peer.on('data', (c: Buffer) => {
      const { frames, rest } = parseFrames(Buffer.concat([received, c]));
      got.push(...frames);
      received = Buffer.from(rest);
    });
    const until = async (pred: () => boolean) => {
      while (!pred()) await new Promise((r) => setTimeout(r, 5));
    };
    try {
      const session = new SpdyClientSession(sock);
      const err = session.openStream({ streamtype: 'error' });
      const stdin = session.openStream({ streamtype: 'stdin' });
      stdin.write(Buffer.from('early'));
      stdin.end();
      await until(() => got.length >= 2);
      expect(got.map((f) => [f.type, f.body.readUInt32BE(0)])).toEqual([
        [1, 1],
        [1, 3],
      ]);
      // Nothing on stdin before its SYN_REPLY (spdystream drops data on unreplied streams).
      await new Promise((r) => setTimeout(r, 30));
      expect(got).toHaveLength(2);
      peer.write(control(2, 0, Buffer.concat([u32(3), Buffer.from([0x78, 0x01])])));
      await until(() => got.length >= 4);
      expect(got[2]).toMatchObject({ control: false, stream: 3, flags: 0 });
      expect(got[2].body.toString()).toBe('early');
      expect(got[3]).toMatchObject({ control: false, stream: 3, flags: 1 });
      expect(got[3].body.length).toBe(0);

      // The server's data, byte by byte; a ping echoed; the error stream's FIN; GOAWAY.
      const out: string[] = [];
      let errEnded = false;
      let goaway = false;
      err.on('data', (b: Buffer) => out.push(b.toString()));
      err.on('end', () => (errEnded = true));
      session.on('goaway', () => (goaway = true));
      const wire = Buffer.concat([control(2, 0, u32(1)), data(1, 0, Buffer.from('{"status":')), control(6, 0, u32(2)), data(1, 1, Buffer.from('"Success"}')), control(7, 0, u32(0, 0))]);
      for (const byte of wire) peer.write(Buffer.from([byte]));
      await until(() => goaway);
      expect(out.join('')).toBe('{"status":"Success"}');
      expect(errEnded).toBe(true);
      await until(() => got.length >= 5);
      expect(got[4]).toMatchObject({ control: true, type: 6 });
      expect(got[4].body.readUInt32BE(0)).toBe(2);

      // A reset stream ends; the connection's end ends the rest and the session.
      const resize = session.openStream({ streamtype: 'resize' });
      let resizeEnded = false;
      resize.on('end', () => (resizeEnded = true));
      peer.write(control(3, 0, u32(5, 5)));
      await until(() => resizeEnded);
      let closed = false;
      session.on('close', () => (closed = true));
      peer.destroy();
      await until(() => closed);
      expect(stdin.remoteEnded).toBe(true);
    } finally {
      sock.destroy();
      server.close();
    }
  });
});
