import { PassThrough } from 'node:stream';
import * as zlib from 'node:zlib';
import { controlFrame, dataFrameHead, headerBlock } from './spdy';
import { HeaderBlockReader, parseHeaderBlock, SPDY3_DICTIONARY, SpdyServerSession, type SpdyServerStream } from './spdy-server';

/** Adler-32 (RFC 1950), the checksum zlib names a preset dictionary by. */
function adler32(b: Buffer): number {
  let a = 1;
  let c = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    c = (c + a) % 65521;
  }
  return ((c << 16) | a) >>> 0;
}

/** A header compressor as Go's (one zlib stream with the SPDY/3 dictionary, sync-flushed per block). */
async function compressBlocks(blocks: Buffer[]): Promise<Buffer[]> {
  const deflate = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  const out: Buffer[] = [];
  for (const b of blocks) {
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => chunks.push(c);
    deflate.on('data', onData);
    deflate.write(b);
    await new Promise<void>((r) => deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
    await new Promise((r) => setImmediate(r));
    deflate.off('data', onData);
    out.push(Buffer.concat(chunks));
  }
  deflate.close();
  return out;
}

const control = controlFrame;
const dataFrame = (stream: number, flags: number, body: Buffer): Buffer => Buffer.concat([dataFrameHead(stream, flags, body.length), body]);

function synStream(id: number, compressed: Buffer, flags = 0): Buffer {
  const head = Buffer.alloc(10);
  head.writeUInt32BE(id, 0);
  return control(1, flags, Buffer.concat([head, compressed]));
}

describe('SPDY/3.1 server: header blocks', () => {
  it('the dictionary is SPDY/3 (1423 bytes, the Adler-32 Go writes as its ID)', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(adler32(SPDY3_DICTIONARY)).toBe(0xe3c6a7c2);
  });

  it('reads a continuous dictionary stream block by block, also past the 32 KiB window', async () => {
    const blocks = [headerBlock({ streamType: 'error', port: '8080', requestID: '0' }), headerBlock({ streamType: 'data', port: '8080', requestID: '0' })];
    // Large blocks that repeat earlier ones: back-references into earlier blocks' output.
    for (let i = 1; i < 40; i++) blocks.push(headerBlock({ streamType: 'data', port: String(i), requestID: String(i), filler: 'x'.repeat(1000) + i }));
    const compressed = await compressBlocks(blocks);
    expect(compressed[0][1] & 0x20).toBe(0x20); // FDICT: the dictionary's ID follows the zlib header
    const reader = new HeaderBlockReader();
    for (const [i, c] of compressed.entries()) expect(reader.read(c).equals(blocks[i])).toBe(true);
  });

  it('parses names (lowercased) and values; refuses truncated blocks', () => {
    expect(parseHeaderBlock(headerBlock({ StreamType: 'data', port: '80' }))).toEqual({ streamtype: 'data', port: '80' });
    expect(() => parseHeaderBlock(headerBlock({ port: '80' }).subarray(0, 10))).toThrow(/truncated/);
    expect(() => new HeaderBlockReader().read(Buffer.from([1, 2, 3]))).toThrow(/zlib/);
  });
});

describe('SPDY/3.1 server session', () => {
  /** A session over a stand-in socket: `feed` is what the client sends, `written` what the session wrote. */
  function setup() {
    const socket = new PassThrough();
    const written: Buffer[] = [];
    socket.write = ((chunk: Buffer, ...rest: unknown[]) => {
      written.push(Buffer.from(chunk));
      (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
      return true;
    }) as typeof socket.write;
    const session = new SpdyServerSession(socket);
    const streams: SpdyServerStream[] = [];
    const received = new Map<number, string[]>();
    session.on('stream', (s: SpdyServerStream) => {
      streams.push(s);
      const got: string[] = [];
      received.set(s.id, got);
      s.on('data', (b: Buffer) => got.push(b.toString()));
      s.on('end', () => got.push('<end>'));
    });
    const feed = (b: Buffer) => socket.emit('data', b);
    return { session, streams, received, feed, written, socket };
  }

  it('streams, frames split across reads at every byte, FIN, and a ping echoed', async () => {
    const { streams, received, feed, written } = setup();
    const [h1, h2] = await compressBlocks([headerBlock({ streamType: 'error', port: '80', requestID: '7' }), headerBlock({ streamType: 'data', port: '80', requestID: '7' })]);
    const wire = Buffer.concat([synStream(1, h1), synStream(3, h2), dataFrame(3, 0, Buffer.from('GET /')), dataFrame(3, 1, Buffer.alloc(0)), control(6, 0, Buffer.from([0, 0, 0, 1]))]);
    // One byte at a time: frame heads and control frames are gathered, data handed on as it comes.
    for (let i = 0; i < wire.length; i++) feed(wire.subarray(i, i + 1));
    expect(streams.map((s) => s.headers)).toEqual([
      { streamtype: 'error', port: '80', requestid: '7' },
      { streamtype: 'data', port: '80', requestid: '7' },
    ]);
    expect(received.get(3)).toEqual(['G', 'E', 'T', ' ', '/', '<end>']);
    expect(received.get(1)).toEqual([]);
    const ping = Buffer.concat(written);
    expect(ping.length).toBe(12);
    expect(ping.readUInt16BE(2)).toBe(6);
    expect(ping.readUInt32BE(8)).toBe(1);
  });

  it('hands a data frame on in the slices it arrives in, and answers SYN_REPLY before writing', async () => {
    const { streams, received, feed, written } = setup();
    const [h1] = await compressBlocks([headerBlock({ streamType: 'data', port: '80', requestID: '0' })]);
    feed(synStream(1, h1));
    const s = streams[0];
    const frame = dataFrame(1, 1, Buffer.from('hello world'));
    feed(frame.subarray(0, 5));
    feed(frame.subarray(5, 12));
    feed(frame.subarray(12));
    expect(received.get(1)).toEqual(['hell', 'o world', '<end>']);
    s.write(Buffer.from('back'));
    s.end();
    const frames = Buffer.concat(written);
    // SYN_REPLY (control type 2) for stream 1, then a data frame with 'back', then an empty FIN frame.
    expect(frames.readUInt16BE(2)).toBe(2);
    const replyLen = 8 + (frames.readUInt32BE(4) & 0xffffff);
    expect(frames.readUInt32BE(8) & 0x7fffffff).toBe(1);
    const d = frames.subarray(replyLen);
    expect(d.readUInt32BE(0)).toBe(1);
    expect(d.subarray(8, 12).toString()).toBe('back');
    expect(d.readUInt32BE(12)).toBe(1);
    expect(d[16]).toBe(1); // FIN
  });

  it('a reset stream ends with "reset"; the session closing ends every stream', async () => {
    const { session, streams, feed, socket } = setup();
    const [h1, h2] = await compressBlocks([headerBlock({ streamType: 'error', port: '80' }), headerBlock({ streamType: 'data', port: '80' })]);
    feed(Buffer.concat([synStream(1, h1), synStream(3, h2)]));
    const events: string[] = [];
    streams[0].on('reset', () => events.push('reset 1'));
    streams[1].on('end', () => events.push('end 3'));
    const rst = Buffer.alloc(8);
    rst.writeUInt32BE(1, 0);
    rst.writeUInt32BE(5, 4);
    feed(control(3, 0, rst));
    socket.destroy();
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['reset 1', 'end 3']);
    expect(session.isClosed).toBe(true);
  });
});
