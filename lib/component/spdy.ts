// The client half of SPDY/3.1 as Kubernetes' streaming servers speak it (moby/spdystream, which the
// kubelet's and containerd's CRI streaming servers use): enough to open streams, send and half-close them
// and read what comes back — what a translator from WebSocket v5 to a runtime that speaks only SPDY and
// WebSocket v4 needs (containerd 1.6). npm's SPDY packages are unmaintained (exec-streaming.md §3), and
// the subset is small:
// - frames: SYN_STREAM (ours), SYN_REPLY, DATA (with FIN = half-close), RST_STREAM, PING (echoed),
//   GOAWAY; SETTINGS, HEADERS and WINDOW_UPDATE are read and ignored (spdystream does no flow control);
// - header blocks: one zlib stream per direction. Ours is written as stored (uncompressed) deflate blocks
//   with no preset dictionary, which every inflater reads; the server's blocks are never decoded, because
//   a client of these protocols needs nothing from the replies' headers (and skipping them keeps the
//   SPDY/3 dictionary out of this file).
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';

const VERSION = 3;
// Frame types, flags and RST_STREAM statuses, shared with the server half (spdy-server.ts).
export const TYPE_SYN_STREAM = 1;
export const TYPE_SYN_REPLY = 2;
export const TYPE_RST_STREAM = 3;
export const TYPE_PING = 6;
export const TYPE_GOAWAY = 7;
export const FLAG_FIN = 0x01;
export const STATUS_PROTOCOL_ERROR = 1;
export const STATUS_CANCEL = 5;
/** Data frames carry at most 2^24-1 bytes; smaller frames keep the peer's per-frame copy small. */
const MAX_DATA = 64 * 1024;

/** The uncompressed header block: count, then length-prefixed lowercase names and values. */
export function headerBlock(headers: Record<string, string>): Buffer {
  const entries = Object.entries(headers).map(([k, v]) => [Buffer.from(k.toLowerCase()), Buffer.from(v)]);
  const size = 4 + entries.reduce((n, [k, v]) => n + 8 + k.length + v.length, 0);
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32BE(entries.length, 0);
  let at = 4;
  for (const [k, v] of entries) {
    out.writeUInt32BE(k.length, at);
    k.copy(out, at + 4);
    at += 4 + k.length;
    out.writeUInt32BE(v.length, at);
    v.copy(out, at + 4);
    at += 4 + v.length;
  }
  return out;
}

/**
 * One direction's header compressor: a zlib stream (header 78 01, no dictionary) of stored deflate blocks,
 * each header block ending as a sync flush does (an empty stored block): Go's inflater hands out a stored
 * block's bytes only once it has read the next block's header, which must be in the same frame.
 */
export class StoredZlibWriter {
  private started = false;

  block(data: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      parts.push(Buffer.from([0x78, 0x01]));
    }
    for (let at = 0; at < data.length; at += 0xffff) parts.push(...storedBlock(data.subarray(at, at + 0xffff)));
    parts.push(...storedBlock(Buffer.alloc(0)));
    return Buffer.concat(parts);
  }
}

/** A non-final stored deflate block: BFINAL 0 and BTYPE 00 (byte-aligned), LEN, NLEN, the bytes. */
function storedBlock(piece: Buffer): Buffer[] {
  const head = Buffer.allocUnsafe(5);
  head[0] = 0x00;
  head.writeUInt16LE(piece.length, 1);
  head.writeUInt16LE(~piece.length & 0xffff, 3);
  return [head, piece];
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.allocUnsafe(8);
  head.writeUInt16BE(0x8000 | VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([head, payload]);
}

export function dataFrameHead(streamId: number, flags: number, length: number): Buffer {
  const head = Buffer.allocUnsafe(8);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE(((flags & 0xff) << 24) | length, 4);
  return head;
}

export class SpdyStream extends EventEmitter {
  /** The peer answered SYN_REPLY: data written before waits for it (spdystream drops data on unreplied streams). */
  replied = false;
  /** Our side sent FIN. */
  private ended = false;
  /** The peer's side is done (FIN or reset). */
  remoteEnded = false;
  private queued: Array<{ data: Buffer; fin: boolean }> = [];

  constructor(
    readonly id: number,
    private readonly session: SpdyClientSession,
  ) {
    super();
  }

  /** Sends data (split into frames); false when the connection's buffer is full (wait for the session's 'drain'). */
  write(data: Buffer): boolean {
    if (this.ended) return true;
    if (!this.replied) {
      this.queued.push({ data, fin: false });
      return true;
    }
    return this.session.sendData(this.id, data, false);
  }

  /** Half-closes our side (FIN): the peer reads EOF. */
  end(): void {
    if (this.ended) return;
    if (!this.replied) {
      this.queued.push({ data: Buffer.alloc(0), fin: true });
      this.ended = true;
      return;
    }
    this.ended = true;
    this.session.sendData(this.id, Buffer.alloc(0), true);
  }

  /** @internal The peer's SYN_REPLY: flush what waited for it. */
  onReply(): void {
    if (this.replied) return;
    this.replied = true;
    for (const q of this.queued) this.session.sendData(this.id, q.data, q.fin);
    this.queued = [];
    this.emit('reply');
  }

  /** @internal */
  onRemoteEnd(): void {
    if (this.remoteEnded) return;
    this.remoteEnded = true;
    this.emit('end');
  }
}

/**
 * A client SPDY/3.1 session over an upgraded connection (the 101 already read; `head` is what followed it).
 * Events: 'close' once the connection is gone (after every stream's 'end'), 'goaway'.
 */
export class SpdyClientSession extends EventEmitter {
  private nextId = 1;
  private readonly streams = new Map<number, SpdyStream>();
  private readonly compressor = new StoredZlibWriter();
  private pending: Buffer = Buffer.alloc(0);
  private closed = false;

  constructor(readonly socket: Duplex, head: Buffer = Buffer.alloc(0)) {
    super();
    (socket as Duplex & { setNoDelay?(on: boolean): void }).setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.emit('drain'));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.onClose());
    if (head.length) this.onData(head);
  }

  /** Opens a stream (SYN_STREAM) with these headers. */
  openStream(headers: Record<string, string>): SpdyStream {
    const id = this.nextId;
    this.nextId += 2;
    const stream = new SpdyStream(id, this);
    this.streams.set(id, stream);
    const block = this.compressor.block(headerBlock(headers));
    const payload = Buffer.allocUnsafe(10 + block.length);
    payload.writeUInt32BE(id & 0x7fffffff, 0);
    payload.writeUInt32BE(0, 4); // associated-to stream
    payload[8] = 0; // priority
    payload[9] = 0; // slot
    block.copy(payload, 10);
    this.write(controlFrame(TYPE_SYN_STREAM, 0, payload));
    return stream;
  }

  /** @internal */
  sendData(id: number, data: Buffer, fin: boolean): boolean {
    let ok = true;
    if (data.length === 0) return this.write(dataFrameHead(id, fin ? FLAG_FIN : 0, 0));
    for (let at = 0; at < data.length; at += MAX_DATA) {
      const piece = data.subarray(at, at + MAX_DATA);
      const last = at + MAX_DATA >= data.length;
      ok = this.write(dataFrameHead(id, fin && last ? FLAG_FIN : 0, piece.length)) && ok;
      ok = this.write(piece) && ok;
    }
    return ok;
  }

  /** Resets a stream (RST_STREAM CANCEL). */
  reset(stream: SpdyStream): void {
    const payload = Buffer.allocUnsafe(8);
    payload.writeUInt32BE(stream.id & 0x7fffffff, 0);
    payload.writeUInt32BE(STATUS_CANCEL, 4);
    this.write(controlFrame(TYPE_RST_STREAM, 0, payload));
    stream.onRemoteEnd();
  }

  /** Closes the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private write(b: Buffer): boolean {
    if (this.closed || this.socket.destroyed) return true;
    return this.socket.write(b);
  }

  private onData(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= 8) {
      const length = buf.readUInt32BE(at + 4) & 0xffffff;
      if (buf.length - at < 8 + length) break;
      const flags = buf[at + 4];
      const body = buf.subarray(at + 8, at + 8 + length);
      if (buf[at] & 0x80) this.onControl(buf.readUInt16BE(at + 2), flags, body);
      else this.onDataFrame(buf.readUInt32BE(at) & 0x7fffffff, flags, body);
      at += 8 + length;
    }
    buf = buf.subarray(at);
    // Keep a copy of a partial frame only: the whole chunk would pin the socket's buffer.
    this.pending = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
  }

  private onDataFrame(id: number, flags: number, body: Buffer): void {
    const stream = this.streams.get(id);
    if (!stream) return;
    if (body.length) stream.emit('data', body);
    if (flags & FLAG_FIN) stream.onRemoteEnd();
  }

  private onControl(type: number, flags: number, body: Buffer): void {
    switch (type) {
      case TYPE_SYN_REPLY: {
        const stream = this.streams.get(body.readUInt32BE(0) & 0x7fffffff);
        stream?.onReply();
        if (stream && flags & FLAG_FIN) stream.onRemoteEnd();
        return;
      }
      case TYPE_RST_STREAM: {
        const stream = this.streams.get(body.readUInt32BE(0) & 0x7fffffff);
        stream?.onRemoteEnd();
        return;
      }
      case TYPE_PING:
        // The server's pings (even IDs) are answered with the same frame; we send none.
        this.write(controlFrame(TYPE_PING, 0, Buffer.from(body)));
        return;
      case TYPE_GOAWAY:
        this.emit('goaway');
        return;
      default:
        // SETTINGS, HEADERS, WINDOW_UPDATE: nothing a client of these protocols needs.
        return;
    }
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.onRemoteEnd();
    this.emit('close');
  }
}
