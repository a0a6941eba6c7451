// Decoders of the etcd answers on the write path — TxnResponse (one per write), WatchResponse (one event
// per write) and RangeResponse — written against etcd 3.4's rpc.proto and kv.proto (proto/), giving the
// very objects @grpc/proto-loader's deserializers give with LOAD_OPTIONS (int64 as decimal strings,
// enums as names, defaults filled in, oneofs named), in one pass over the bytes. proto-loader decodes
// into protobufjs messages, then copies them into plain objects, and turns each of the 4 to 12 int64s
// of a message into a long.js Long and back into a string by long division: about a third of what the
// etcd storage allocated per write beyond LevelDB. Here an int64 of up to 49 bits (every revision) is
// read as a number; only wider ones (cluster and member IDs) go through BigInt. decode.test.ts checks
// the output against proto-loader's on generated messages.
import type { KeyValue__Output } from './generated/mvccpb/KeyValue';
import type { Event__Output } from './generated/mvccpb/Event';
import type { ResponseHeader__Output } from './generated/etcdserverpb/ResponseHeader';
import type { RangeResponse__Output } from './generated/etcdserverpb/RangeResponse';
import type { PutResponse__Output } from './generated/etcdserverpb/PutResponse';
import type { DeleteRangeResponse__Output } from './generated/etcdserverpb/DeleteRangeResponse';
import type { ResponseOp__Output } from './generated/etcdserverpb/ResponseOp';
import type { TxnResponse__Output } from './generated/etcdserverpb/TxnResponse';
import type { WatchResponse__Output } from './generated/etcdserverpb/WatchResponse';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

/** A position in a message's bytes; each decoder reads up to `end`. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    pos: number,
    readonly end: number,
  ) {
    this.pos = pos;
  }

  private fail(what: string): never {
    throw new Error(`invalid protobuf: ${what} at byte ${this.pos}`);
  }

  /** A varint that fits 32 bits (tags, lengths, bools, enums); wider ones are cut to their low 32 bits, as protobufjs does. */
  uint32(): number {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++];
      if (shift < 32) value |= (b & 0x7f) << shift;
      if (b < 0x80) return value >>> 0;
    }
    return this.fail('varint longer than 10 bytes');
  }

  /** An int64 or uint64 varint as protobufjs with longs: String writes it. */
  int64(signed: boolean): string {
    let value = 0;
    let scale = 1;
    for (let n = 0; n < 7; n++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) return String(value); // at most 49 bits: exact as a double
      scale *= 128;
    }
    // Wider: a cluster or member ID (the same in every answer of a member), or a negative int64.
    let lo = value % 2 ** 32;
    let hi = Math.floor(value / 2 ** 32); // bits 32..48
    for (let shift = 49; ; shift += 7) {
      if (this.pos >= this.end || shift >= 70) this.fail('bad varint');
      const b = this.buf[this.pos++] & 0xff;
      if (shift < 64) hi = (hi | ((b & 0x7f) << (shift - 32))) >>> 0;
      if (b < 0x80) break;
    }
    lo >>>= 0;
    return wideInt64(hi, lo, signed);
  }

  bool(): boolean {
    return this.uint32() !== 0;
  }

  /** The extent of a length-delimited field: [start, end). */
  delimited(): number {
    const len = this.uint32();
    const end = this.pos + len;
    if (end > this.end) this.fail('truncated field');
    return end;
  }

  bytes(): Buffer {
    const end = this.delimited();
    const b = this.buf.subarray(this.pos, end);
    this.pos = end;
    return b;
  }

  string(): string {
    const end = this.delimited();
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return s;
  }

  /** Steps over a field this decoder does not read (unknown fields included, as protobufjs does). */
  skip(wire: number): void {
    if (wire === WIRE_VARINT) this.uint32();
    else if (wire === WIRE_FIXED64) this.pos += 8;
    else if (wire === WIRE_BYTES) this.pos = this.delimited();
    else if (wire === WIRE_FIXED32) this.pos += 4;
    else this.fail(`wire type ${wire}`);
    if (this.pos > this.end) this.fail('truncated field');
  }

  /** A nested message: decoded by `read` from a reader bounded to its bytes. */
  message<T>(read: (r: Reader) => T): T {
    const end = this.delimited();
    const value = read(new Reader(this.buf, this.pos, end));
    this.pos = end;
    return value;
  }
}

const EMPTY = Buffer.alloc(0);

/** The decimal text of the last wide int64s seen: a member sends the same two IDs in every header. */
const wideCache: Array<{ hi: number; lo: number; signed: boolean; text: string }> = [];
let wideNext = 0;

/** A 64-bit integer given as its high and low 32 bits, in decimal. */
function wideInt64(hi: number, lo: number, signed: boolean): string {
  for (const c of wideCache) if (c.hi === hi && c.lo === lo && c.signed === signed) return c.text;
  const big = (BigInt(hi) << 32n) | BigInt(lo);
  const text = String(signed ? BigInt.asIntN(64, big) : big);
  wideCache[wideNext] = { hi, lo, signed, text };
  wideNext = (wideNext + 1) % 4;
  return text;
}

function header(r: Reader): ResponseHeader__Output {
  const h: ResponseHeader__Output = { cluster_id: '0', member_id: '0', revision: '0', raft_term: '0' };
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | WIRE_VARINT:
        h.cluster_id = r.int64(false);
        break;
      case (2 << 3) | WIRE_VARINT:
        h.member_id = r.int64(false);
        break;
      case (3 << 3) | WIRE_VARINT:
        h.revision = r.int64(true);
        break;
      case (4 << 3) | WIRE_VARINT:
        h.raft_term = r.int64(false);
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return h;
}

function keyValue(r: Reader): KeyValue__Output {
  const kv: KeyValue__Output = { key: EMPTY, create_revision: '0', mod_revision: '0', version: '0', value: EMPTY, lease: '0' };
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | WIRE_BYTES:
        kv.key = r.bytes();
        break;
      case (2 << 3) | WIRE_VARINT:
        kv.create_revision = r.int64(true);
        break;
      case (3 << 3) | WIRE_VARINT:
        kv.mod_revision = r.int64(true);
        break;
      case (4 << 3) | WIRE_VARINT:
        kv.version = r.int64(true);
        break;
      case (5 << 3) | WIRE_BYTES:
        kv.value = r.bytes();
        break;
      case (6 << 3) | WIRE_VARINT:
        kv.lease = r.int64(true);
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return kv;
}

const EVENT_TYPES = ['PUT', 'DELETE'] as const;

function event(r: Reader): Event__Output {
  const ev: Event__Output = { type: 'PUT', kv: null, prev_kv: null };
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | WIRE_VARINT: {
        const t = r.uint32() | 0;
        // An enum value the .proto does not name stays a number, as proto-loader leaves it.
        ev.type = EVENT_TYPES[t] ?? (t as unknown as Event__Output['type']);
        break;
      }
      case (2 << 3) | WIRE_BYTES:
        ev.kv = r.message(keyValue);
        break;
      case (3 << 3) | WIRE_BYTES:
        ev.prev_kv = r.message(keyValue);
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return ev;
}

function rangeResponse(r: Reader): RangeResponse__Output {
  const res: RangeResponse__Output = { header: null, kvs: [], more: false, count: '0' };
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | WIRE_BYTES:
        res.header = r.message(header);
        break;
      case (2 << 3) | WIRE_BYTES:
        res.kvs.push(r.message(keyValue));
        break;
      case (3 << 3) | WIRE_VARINT:
        res.more = r.bool();
        break;
      case (4 << 3) | WIRE_VARINT:
        res.count = r.int64(true);
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return res;
}

function putResponse(r: Reader): PutResponse__Output {
  const res: PutResponse__Output = { header: null, prev_kv: null };
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WIRE_BYTES)) res.header = r.message(header);
    else if (tag === ((2 << 3) | WIRE_BYTES)) res.prev_kv = r.message(keyValue);
    else r.skip(tag & 7);
  }
  return res;
}

function deleteRangeResponse(r: Reader): DeleteRangeResponse__Output {
  const res: DeleteRangeResponse__Output = { header: null, deleted: '0', prev_kvs: [] };
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WIRE_BYTES)) res.header = r.message(header);
    else if (tag === ((2 << 3) | WIRE_VARINT)) res.deleted = r.int64(true);
    else if (tag === ((3 << 3) | WIRE_BYTES)) res.prev_kvs.push(r.message(keyValue));
    else r.skip(tag & 7);
  }
  return res;
}

/** The oneof `response`: the last member on the wire wins, as in protobufjs. */
function responseOp(r: Reader): ResponseOp__Output {
  let op: ResponseOp__Output = {};
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | WIRE_BYTES:
        op = { response_range: r.message(rangeResponse), response: 'response_range' };
        break;
      case (2 << 3) | WIRE_BYTES:
        op = { response_put: r.message(putResponse), response: 'response_put' };
        break;
      case (3 << 3) | WIRE_BYTES:
        op = { response_delete_range: r.message(deleteRangeResponse), response: 'response_delete_range' };
        break;
      case (4 << 3) | WIRE_BYTES:
        op = { response_txn: r.message(txnResponse), response: 'response_txn' };
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return op;
}

function txnResponse(r: Reader): TxnResponse__Output {
  const res: TxnResponse__Output = { header: null, succeeded: false, responses: [] };
  while (r.pos < r.end) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | WIRE_BYTES)) res.header = r.message(header);
    else if (tag === ((2 << 3) | WIRE_VARINT)) res.succeeded = r.bool();
    else if (tag === ((3 << 3) | WIRE_BYTES)) res.responses.push(r.message(responseOp));
    else r.skip(tag & 7);
  }
  return res;
}

function watchResponse(r: Reader): WatchResponse__Output {
  const res: WatchResponse__Output = { header: null, watch_id: '0', created: false, canceled: false, compact_revision: '0', cancel_reason: '', fragment: false, events: [] };
  while (r.pos < r.end) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | WIRE_BYTES:
        res.header = r.message(header);
        break;
      case (2 << 3) | WIRE_VARINT:
        res.watch_id = r.int64(true);
        break;
      case (3 << 3) | WIRE_VARINT:
        res.created = r.bool();
        break;
      case (4 << 3) | WIRE_VARINT:
        res.canceled = r.bool();
        break;
      case (5 << 3) | WIRE_VARINT:
        res.compact_revision = r.int64(true);
        break;
      case (6 << 3) | WIRE_BYTES:
        res.cancel_reason = r.string();
        break;
      case (7 << 3) | WIRE_VARINT:
        res.fragment = r.bool();
        break;
      case (11 << 3) | WIRE_BYTES:
        res.events.push(r.message(event));
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return res;
}

const whole =
  <T>(read: (r: Reader) => T) =>
  (bytes: Buffer): T =>
    read(new Reader(bytes, 0, bytes.length));

export const decodeTxnResponse = whole(txnResponse);
export const decodeWatchResponse = whole(watchResponse);
export const decodeRangeResponse = whole(rangeResponse);
