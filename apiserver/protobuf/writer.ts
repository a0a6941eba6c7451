// A protobuf writer that fills its buffer from the end, as Go's generated MarshalToSizedBuffer does: a
// message's fields are written last first, then its length, then its tag, so no length is computed
// ahead of time and nothing is written twice. protobufjs' Writer instead queues an operation per value
// and forks per nested message, which cost more than the encoding itself for Kubernetes' deeply nested
// objects.
//
// Every method writes one value just before what is written already; callers write in reverse order.

/** Two 32-bit halves of a 64-bit varint (protobufjs' LongBits has the same shape). */
export interface Bits64 {
  lo: number;
  hi: number;
}

/** Strings up to this length are copied char by char. */
const SHORT_STRING = 32;

/** Buffers kept between encodings are at most this big; a bigger answer takes its buffer with it. */
const KEEP_BYTES = 1024 * 1024;

export class ReverseWriter {
  private buf: Buffer;
  /** The first written byte; the output is buf[pos..]. */
  private pos: number;

  constructor(private readonly initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafeSlow(initialBytes);
    this.pos = initialBytes;
  }

  /** Starts a new output. */
  reset(): void {
    this.pos = this.buf.length;
  }

  /** Bytes written so far: a mark that stays true when the buffer grows (positions move then). */
  mark(): number {
    return this.buf.length - this.pos;
  }

  /** Bytes written since `mark()` returned `mark`: a nested message's length. */
  since(mark: number): number {
    return this.buf.length - this.pos - mark;
  }

  /** The output: its own buffer (a big one is handed out whole, and the writer starts a fresh one). */
  finish(): Buffer {
    if (this.buf.length > KEEP_BYTES) {
      const out = this.buf.subarray(this.pos);
      this.buf = Buffer.allocUnsafeSlow(this.initialBytes);
      this.pos = this.initialBytes;
      return out;
    }
    const out = Buffer.allocUnsafe(this.buf.length - this.pos);
    this.buf.copy(out, 0, this.pos);
    return out;
  }

  private room(n: number): void {
    if (this.pos < n) this.grow(n);
  }

  private grow(n: number): void {
    const used = this.buf.length - this.pos;
    let size = this.buf.length * 2;
    while (size - used < n) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, size - used, this.pos);
    this.buf = next;
    this.pos = size - used;
  }

  /** An unsigned 32-bit varint (the value is taken as `v >>> 0`, as protobufjs' uint32 does). */
  varint32(v: number): void {
    v >>>= 0;
    const size = v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
    this.room(size);
    const buf = this.buf;
    let p = (this.pos -= size);
    while (v > 127) {
      buf[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[p] = v;
  }

  /** A 64-bit varint from its halves. */
  varint64(bits: Bits64): void {
    let lo = bits.lo >>> 0;
    let hi = bits.hi >>> 0;
    const size = varint64Size(lo, hi);
    this.room(size);
    const buf = this.buf;
    let p = (this.pos -= size);
    while (hi) {
      buf[p++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 127) {
      buf[p++] = (lo & 127) | 128;
      lo >>>= 7;
    }
    buf[p] = lo;
  }

  fixed32(v: number): void {
    this.room(4);
    this.pos -= 4;
    this.buf.writeUInt32LE(v >>> 0, this.pos);
  }

  double(v: number): void {
    this.room(8);
    this.pos -= 8;
    this.buf.writeDoubleLE(v, this.pos);
  }

  float(v: number): void {
    this.room(4);
    this.pos -= 4;
    this.buf.writeFloatLE(v, this.pos);
  }

  /** A length-delimited string: its UTF-8 bytes, then their length. */
  string(s: string): void {
    const n = s.length;
    // A long string is measured and copied by Buffer (native); a loop in JS wins on short ones.
    if (n > SHORT_STRING) {
      this.utf8(s);
      return;
    }
    this.room(n);
    const buf = this.buf;
    const start = this.pos - n;
    // Most strings are ASCII: copied char by char, their length known without measuring.
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        this.utf8(s);
        return;
      }
      buf[start + i] = c;
    }
    this.pos = start;
    this.varint32(n);
  }

  private utf8(s: string): void {
    const len = Buffer.byteLength(s, 'utf8');
    this.room(len);
    this.pos -= len;
    this.buf.write(s, this.pos, len, 'utf8');
    this.varint32(len);
  }

  /** Length-delimited bytes: the bytes, then their length. */
  bytes(b: Uint8Array): void {
    this.raw(b);
    this.varint32(b.length);
  }

  /** Bytes as they are (no length): a prefix such as Kubernetes' `k8s\0`. */
  raw(b: Uint8Array): void {
    this.room(b.length);
    this.pos -= b.length;
    this.buf.set(b, this.pos);
  }
}

function varint64Size(lo: number, hi: number): number {
  if (hi === 0) return lo < 0x80 ? 1 : lo < 0x4000 ? 2 : lo < 0x200000 ? 3 : lo < 0x10000000 ? 4 : 5;
  // 28 bits of lo, then 7 bits per byte across the 32-bit boundary.
  const part1 = ((lo >>> 28) | (hi << 4)) >>> 0;
  const part2 = hi >>> 24;
  if (part2 === 0) return part1 < 0x80 ? 5 : part1 < 0x4000 ? 6 : part1 < 0x200000 ? 7 : 8;
  return part2 < 0x80 ? 9 : 10;
}
