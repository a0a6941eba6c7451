// The encoder of the request on the write path — TxnRequest, one per write — as a whole gRPC frame (the
// 5-byte prefix, then the message), written from the end into one buffer (ReverseWriter, as the
// Kubernetes protobuf answers are). proto-loader's serializer turns the request into protobufjs messages
// (fromObject), queues one writer operation per field and per nested message, copies the result out,
// and the channel copied it once more behind the prefix: with the HTTP/2 call, the costliest part of a
// Txn on the apiserver's side after Node's own. The bytes are proto-loader's, field for field (every
// field set, zeros included, in field-number order; int64 from numbers, decimal strings or Longs; enums
// by name or number; a string for bytes is base64, as protobufjs reads it): encode.test.ts compares them
// on generated requests of every shape.
import type { Long } from '@grpc/proto-loader';
import { ReverseWriter } from '../../protobuf/writer';
import type { Compare } from './generated/etcdserverpb/Compare';
import type { DeleteRangeRequest } from './generated/etcdserverpb/DeleteRangeRequest';
import type { PutRequest } from './generated/etcdserverpb/PutRequest';
import type { RangeRequest } from './generated/etcdserverpb/RangeRequest';
import type { RequestOp } from './generated/etcdserverpb/RequestOp';
import type { TxnRequest } from './generated/etcdserverpb/TxnRequest';

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;

const COMPARE_RESULT: Record<string, number> = { EQUAL: 0, GREATER: 1, LESS: 2, NOT_EQUAL: 3 };
const COMPARE_TARGET: Record<string, number> = { VERSION: 0, CREATE: 1, MOD: 2, VALUE: 3, LEASE: 4 };
const SORT_ORDER: Record<string, number> = { NONE: 0, ASCEND: 1, DESCEND: 2 };
const SORT_TARGET: Record<string, number> = { KEY: 0, VERSION: 1, CREATE: 2, MOD: 3, VALUE: 4 };

type Int64 = number | string | Long;
type Bytes = Buffer | Uint8Array | string;

/** One writer for every request: encoding is synchronous, and each frame is copied out of it. */
const writer = new ReverseWriter(16 * 1024);
const prefix = Buffer.alloc(5);

function tag(w: ReverseWriter, field: number, wire: number): void {
  w.varint32((field << 3) | wire);
}

function int64(w: ReverseWriter, field: number, v: Int64 | null | undefined): void {
  if (v == null) return;
  if (typeof v === 'number' && v >= 0 && v <= 0xffffffff && Number.isInteger(v)) w.varint32(v);
  else {
    // Two's complement in 64 bits, as protobufjs' Long-based int64 writes a negative or wide value.
    const big = BigInt.asUintN(64, typeof v === 'object' ? (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0) : BigInt(typeof v === 'number' ? Math.trunc(v) : v));
    w.varint64({ lo: Number(big & 0xffffffffn), hi: Number(big >> 32n) });
  }
  tag(w, field, WIRE_VARINT);
}

function bool(w: ReverseWriter, field: number, v: boolean | null | undefined): void {
  if (v == null) return;
  w.varint32(v ? 1 : 0);
  tag(w, field, WIRE_VARINT);
}

/** An enum by name or number; a name the enum does not have is left out, as protobufjs' fromObject does. */
function enumeration(w: ReverseWriter, field: number, v: string | number | null | undefined, names: Record<string, number>): void {
  if (v == null) return;
  const n = typeof v === 'number' ? v : names[v];
  if (n === undefined) return;
  // A negative enum is a 10-byte varint (int32 sign-extended), as protobufjs writes it.
  if (n < 0) w.varint64({ lo: n >>> 0, hi: 0xffffffff });
  else w.varint32(n);
  tag(w, field, WIRE_VARINT);
}

function bytes(w: ReverseWriter, field: number, v: Bytes | null | undefined): void {
  if (v == null) return;
  w.bytes(typeof v === 'string' ? Buffer.from(v, 'base64') : v);
  tag(w, field, WIRE_BYTES);
}

/** A nested message: its fields (written by `body`), then its length and tag. */
function message<T>(w: ReverseWriter, field: number, v: T | null | undefined, body: (w: ReverseWriter, v: T) => void): void {
  if (v == null) return;
  const mark = w.mark();
  body(w, v);
  w.varint32(w.since(mark));
  tag(w, field, WIRE_BYTES);
}

function repeated<T>(w: ReverseWriter, field: number, vs: T[] | null | undefined, body: (w: ReverseWriter, v: T) => void): void {
  if (!vs) return;
  for (let i = vs.length - 1; i >= 0; i--) message(w, field, vs[i], body);
}

function compare(w: ReverseWriter, c: Compare): void {
  bytes(w, 64, c.range_end);
  int64(w, 8, c.lease);
  bytes(w, 7, c.value);
  int64(w, 6, c.mod_revision);
  int64(w, 5, c.create_revision);
  int64(w, 4, c.version);
  bytes(w, 3, c.key);
  enumeration(w, 2, c.target, COMPARE_TARGET);
  enumeration(w, 1, c.result, COMPARE_RESULT);
}

function rangeRequest(w: ReverseWriter, r: RangeRequest): void {
  int64(w, 13, r.max_create_revision);
  int64(w, 12, r.min_create_revision);
  int64(w, 11, r.max_mod_revision);
  int64(w, 10, r.min_mod_revision);
  bool(w, 9, r.count_only);
  bool(w, 8, r.keys_only);
  bool(w, 7, r.serializable);
  enumeration(w, 6, r.sort_target, SORT_TARGET);
  enumeration(w, 5, r.sort_order, SORT_ORDER);
  int64(w, 4, r.revision);
  int64(w, 3, r.limit);
  bytes(w, 2, r.range_end);
  bytes(w, 1, r.key);
}

function putRequest(w: ReverseWriter, p: PutRequest): void {
  bool(w, 6, p.ignore_lease);
  bool(w, 5, p.ignore_value);
  bool(w, 4, p.prev_kv);
  int64(w, 3, p.lease);
  bytes(w, 2, p.value);
  bytes(w, 1, p.key);
}

function deleteRangeRequest(w: ReverseWriter, d: DeleteRangeRequest): void {
  bool(w, 3, d.prev_kv);
  bytes(w, 2, d.range_end);
  bytes(w, 1, d.key);
}

function requestOp(w: ReverseWriter, op: RequestOp): void {
  message(w, 4, op.request_txn, txnRequest);
  message(w, 3, op.request_delete_range, deleteRangeRequest);
  message(w, 2, op.request_put, putRequest);
  message(w, 1, op.request_range, rangeRequest);
}

function txnRequest(w: ReverseWriter, t: TxnRequest): void {
  repeated(w, 3, t.failure, requestOp);
  repeated(w, 2, t.success, requestOp);
  repeated(w, 1, t.compare, compare);
}

/** A TxnRequest as a gRPC message frame: the uncompressed flag, the length (big-endian), the message. */
export function txnRequestFrame(t: TxnRequest): Buffer {
  writer.reset();
  txnRequest(writer, t);
  prefix[0] = 0;
  prefix.writeUInt32BE(writer.mark(), 1);
  writer.raw(prefix);
  return writer.finish();
}
