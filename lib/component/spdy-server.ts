// The server half of SPDY/3.1, as kubectl's port-forward needs it (moby/spdystream on the client): the
// client opens the streams (SYN_STREAM, headers naming each stream), the server answers each (SYN_REPLY),
// both send DATA with FIN as the half-close, either resets (RST_STREAM); PINGs are echoed; SETTINGS,
// HEADERS and WINDOW_UPDATE are read and ignored (spdystream does no flow control).
//
// Unlike the client (spdy.ts), a server must read the peer's header blocks: one zlib stream per direction,
// with SPDY/3's preset dictionary, sync-flushed after every block. Node's zlib has no synchronous
// streaming inflater, so each block is inflated on its own as raw deflate, given as preset dictionary
// what a continuous inflater would hold in its window — the dictionary and then the output so far, the
// last 32 KiB (deflate's window): a back-reference cannot reach further. Blocks end on a sync flush, so
// each frame holds whole deflate blocks.
//
// Data frames are read without copying: a frame's payload is handed on as the slices of the socket's
// chunks it arrives in, so a bulk upload is never reassembled.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import * as zlib from 'node:zlib';
import {
  controlFrame,
  dataFrameHead,
  FLAG_FIN,
  STATUS_CANCEL,
  STATUS_PROTOCOL_ERROR,
  StoredZlibWriter,
  TYPE_GOAWAY,
  TYPE_PING,
  TYPE_RST_STREAM,
  TYPE_SYN_REPLY,
  TYPE_SYN_STREAM,
} from './spdy';

/** Control frames larger than this end the session (a header block of a few streams is some hundred bytes). */
const MAX_CONTROL = 1 << 20;
const WINDOW = 32 * 1024;

// SPDY/3's header dictionary (draft-mbelshe-httpbis-spdy-00 §2.6.10.1): 65 length-prefixed words, then text.
const DICTIONARY_WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date',
  'etag', 'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate',
  'proxy-authorization', 'range', 'referer', 'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'user-agent', 'vary', 'via', 'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK', 'version',
  'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin',
];
const DICTIONARY_TEXT =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

export const SPDY3_DICTIONARY: Buffer = Buffer.concat([
  ...DICTIONARY_WORDS.flatMap((w) => {
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(w.length, 0);
    return [len, Buffer.from(w, 'latin1')];
  }),
  Buffer.from(DICTIONARY_TEXT, 'latin1'),
]);

/** One direction's header blocks, decompressed block by block (see the top of this file). */
export class HeaderBlockReader {
  private window: Buffer = SPDY3_DICTIONARY;
  private started = false;

  read(compressed: Buffer): Buffer {
    let raw = compressed;
    if (!this.started) {
      // The zlib header: CMF, FLG, and the dictionary's Adler-32 when FLG's FDICT bit is set.
      if (compressed.length < 2 || (compressed[0] & 0x0f) !== 8 || ((compressed[0] << 8) | compressed[1]) % 31 !== 0) throw new Error('invalid header block: not a zlib stream');
      raw = compressed.subarray(compressed[1] & 0x20 ? 6 : 2);
      this.started = true;
    }
    const out = zlib.inflateRawSync(raw, { dictionary: this.window, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const joined = Buffer.concat([this.window, out]);
    this.window = joined.length > WINDOW ? Buffer.from(joined.subarray(joined.length - WINDOW)) : joined;
    return out;
  }
}

/** An uncompressed header block → lowercase names and their values (several values joined by NUL, as sent). */
export function parseHeaderBlock(block: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  if (block.length < 4) throw new Error('invalid header block: too short');
  const count = block.readUInt32BE(0);
  let at = 4;
  const take = (): string => {
    if (at + 4 > block.length) throw new Error('invalid header block: truncated');
    const n = block.readUInt32BE(at);
    if (at + 4 + n > block.length) throw new Error('invalid header block: truncated');
    const s = block.toString('utf8', at + 4, at + 4 + n);
    at += 4 + n;
    return s;
  };
  for (let i = 0; i < count; i++) {
    const name = take().toLowerCase();
    out[name] = take();
  }
  return out;
}

/** A stream the client opened. Events: 'data' (Buffer), 'end' (the client's FIN or reset; once), 'reset'. */
export class SpdyServerStream extends EventEmitter {
  private replied = false;
  private ended = false;
  remoteEnded = false;

  constructor(
    readonly id: number,
    readonly headers: Readonly<Record<string, string>>,
    private readonly session: SpdyServerSession,
  ) {
    super();
  }

  /** Accepts the stream (SYN_REPLY, no headers); writes answer it first when not done yet. */
  reply(): void {
    if (this.replied) return;
    this.replied = true;
    this.session.sendReply(this.id);
  }

  /**
   * Sends data; false when the connection's buffer is full (wait for the session's 'drain'). `written`, once
   * `data`'s memory is no longer needed (it is written without a copy).
   */
  write(data: Buffer, written?: () => void): boolean {
    if (this.ended) {
      written?.();
      return true;
    }
    this.reply();
    return this.session.sendData(this.id, data, false, written);
  }

  /** Half-closes our side (FIN). */
  end(): void {
    if (this.ended) return;
    this.reply();
    this.ended = true;
    this.session.sendData(this.id, Buffer.alloc(0), true);
  }

  /** Resets the stream (RST_STREAM CANCEL): both sides are done. */
  reset(): void {
    if (!this.ended || !this.remoteEnded) this.session.sendReset(this.id, STATUS_CANCEL);
    this.ended = true;
    this.onRemoteEnd();
  }

  /** @internal */
  onRemoteEnd(): void {
    if (this.remoteEnded) return;
    this.remoteEnded = true;
    this.emit('end');
  }
}

/**
 * A server SPDY/3.1 session over an upgraded connection (the 101 already written; `head` is what the
 * client sent after its request). Events: 'stream' (SpdyServerStream, its headers read), 'drain' (the
 * connection's buffer emptied), 'close' (the connection is gone, after every stream's 'end').
 */
export class SpdyServerSession extends EventEmitter {
  private readonly streams = new Map<number, SpdyServerStream>();
  private readonly headerReader = new HeaderBlockReader();
  private readonly compressor = new StoredZlibWriter();
  /** A frame header or control frame read in part. */
  private partial: Buffer = Buffer.alloc(0);
  /** The data frame being read: its stream, bytes still to come, and its flags. */
  private dataStream = 0;
  private dataLeft = 0;
  private dataFlags = 0;
  private closed = false;

  constructor(
    readonly socket: Duplex,
    head: Buffer = Buffer.alloc(0),
  ) {
    super();
    (socket as Duplex & { setNoDelay?(on: boolean): void }).setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.emit('drain'));
    socket.on('error', () => socket.destroy());
    // The client's end of the connection ends the session (a server's sockets allow half-open ones).
    socket.on('end', () => socket.destroy());
    socket.on('close', () => this.onClose());
    if (head.length) this.onData(head);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }

  /** @internal */
  sendReply(id: number): void {
    const block = this.compressor.block(Buffer.from([0, 0, 0, 0]));
    const payload = Buffer.allocUnsafe(4 + block.length);
    payload.writeUInt32BE(id & 0x7fffffff, 0);
    block.copy(payload, 4);
    this.write(controlFrame(TYPE_SYN_REPLY, 0, payload));
  }

  /** @internal */
  sendReset(id: number, status: number): void {
    const payload = Buffer.allocUnsafe(8);
    payload.writeUInt32BE(id & 0x7fffffff, 0);
    payload.writeUInt32BE(status, 4);
    this.write(controlFrame(TYPE_RST_STREAM, 0, payload));
  }

  /** @internal One frame, its head and payload written together (no copy of the payload; `written` once it is out or dropped). */
  sendData(id: number, data: Buffer, fin: boolean, written?: () => void): boolean {
    if (this.closed || this.socket.destroyed) {
      written?.();
      return true;
    }
    const flags = fin ? FLAG_FIN : 0;
    if (data.length === 0) {
      const ok = this.socket.write(dataFrameHead(id, flags, 0));
      written?.();
      return ok;
    }
    let ok = true;
    this.socket.cork();
    // A frame's length field has 24 bits.
    for (let at = 0; at < data.length; at += 0xffffff) {
      const piece = data.subarray(at, at + 0xffffff);
      const last = at + piece.length >= data.length;
      this.socket.write(dataFrameHead(id, last ? flags : 0, piece.length));
      ok = last && written ? this.socket.write(piece, written) : this.socket.write(piece);
    }
    this.socket.uncork();
    return ok;
  }

  private write(b: Buffer): boolean {
    if (this.closed || this.socket.destroyed) return true;
    return this.socket.write(b);
  }

  private onData(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.closed) {
      if (this.dataLeft > 0) {
        // Inside a data frame's payload: hand on what this chunk holds of it.
        const n = Math.min(this.dataLeft, chunk.length - at);
        const slice = chunk.subarray(at, at + n);
        at += n;
        this.dataLeft -= n;
        const stream = this.streams.get(this.dataStream);
        if (stream && !stream.remoteEnded) stream.emit('data', slice);
        if (this.dataLeft === 0) this.endOfDataFrame();
        continue;
      }
      // A frame header (8 bytes), and for a control frame its body too, gathered whole.
      const need = (buf: Buffer) => (buf.length < 8 ? 8 : buf[0] & 0x80 ? 8 + (buf.readUInt32BE(4) & 0xffffff) : 8);
      let frame: Buffer;
      if (this.partial.length) {
        const want = need(this.partial.length >= 8 ? this.partial : Buffer.concat([this.partial, chunk.subarray(at, at + 8 - this.partial.length)]));
        const n = Math.min(want - this.partial.length, chunk.length - at);
        this.partial = Buffer.concat([this.partial, chunk.subarray(at, at + n)]);
        at += n;
        if (this.partial.length < 8 || this.partial.length < need(this.partial)) continue;
        frame = this.partial;
        this.partial = Buffer.alloc(0);
      } else {
        const rest = chunk.length - at;
        if (rest < 8 || rest < need(chunk.subarray(at))) {
          this.partial = Buffer.from(chunk.subarray(at));
          at = chunk.length;
          continue;
        }
        const len = need(chunk.subarray(at));
        frame = chunk.subarray(at, at + len);
        at += len;
      }
      const length = frame.readUInt32BE(4) & 0xffffff;
      const flags = frame[4];
      if (frame[0] & 0x80) {
        if (length > MAX_CONTROL) {
          this.destroy();
          return;
        }
        this.onControl(frame.readUInt16BE(2), flags, frame.subarray(8));
      } else {
        this.dataStream = frame.readUInt32BE(0) & 0x7fffffff;
        this.dataFlags = flags;
        this.dataLeft = length;
        if (length === 0) this.endOfDataFrame();
      }
    }
  }

  private endOfDataFrame(): void {
    if (this.dataFlags & FLAG_FIN) this.streams.get(this.dataStream)?.onRemoteEnd();
  }

  private onControl(type: number, flags: number, body: Buffer): void {
    switch (type) {
      case TYPE_SYN_STREAM: {
        if (body.length < 10) return this.destroy();
        const id = body.readUInt32BE(0) & 0x7fffffff;
        let headers: Record<string, string>;
        try {
          headers = parseHeaderBlock(this.headerReader.read(body.subarray(10)));
        } catch {
          // The header stream cannot be read past a bad block: the session is over.
          this.sendReset(id, STATUS_PROTOCOL_ERROR);
          return this.destroy();
        }
        if (this.streams.has(id) || id % 2 === 0) return this.sendReset(id, STATUS_PROTOCOL_ERROR);
        const stream = new SpdyServerStream(id, headers, this);
        this.streams.set(id, stream);
        stream.once('end', () => {
          // Forgotten once both sides are done; a stream we still write to stays.
          setImmediate(() => this.streams.delete(id));
        });
        this.emit('stream', stream);
        if (flags & FLAG_FIN) stream.onRemoteEnd();
        return;
      }
      case TYPE_RST_STREAM: {
        if (body.length < 8) return;
        const stream = this.streams.get(body.readUInt32BE(0) & 0x7fffffff);
        if (stream) {
          stream.emit('reset');
          stream.onRemoteEnd();
        }
        return;
      }
      case TYPE_PING:
        // Pings the client sends (odd IDs) are echoed.
        this.write(controlFrame(TYPE_PING, 0, Buffer.from(body)));
        return;
      case TYPE_GOAWAY:
        this.emit('goaway');
        return;
      default:
        // SYN_REPLY (we open no streams), SETTINGS, HEADERS, WINDOW_UPDATE.
        return;
    }
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) {
      if (s.remoteEnded) continue;
      s.emit('reset');
      s.onRemoteEnd();
    }
    this.streams.clear();
    this.emit('close');
  }
}
