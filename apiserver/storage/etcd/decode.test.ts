// decode.ts against @grpc/proto-loader's own deserializers (LOAD_OPTIONS, etcd's .proto): the same
// objects for every shape an answer can take, encoded by proto-loader's serializers — headers with
// 64-bit IDs, negative and zero int64s, DELETE events with and without prev_kv, cancelled and compacted
// watches, nested Txns, empty bytes — and for fields decode.ts does not know.
import * as protoLoader from '@grpc/proto-loader';
import { LOAD_OPTIONS, protoRoot } from './client';
import { decodeRangeResponse, decodeTxnResponse, decodeWatchResponse } from './decode';

const def = protoLoader.loadSync('etcd/etcdserver/etcdserverpb/rpc.proto', { ...LOAD_OPTIONS, includeDirs: [protoRoot()] });
const method = (service: string, name: string) => (def[`etcdserverpb.${service}`] as protoLoader.ServiceDefinition)[name];
const txn = method('KV', 'Txn');
const range = method('KV', 'Range');
const watch = method('Watch', 'Watch');

/** A small deterministic generator, so that a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function shapes(seed: number) {
  const rand = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const int64 = () => pick(['0', '1', '127', '128', String(2 ** 31), String(2 ** 49 - 1), String(2 ** 49), String(2 ** 53 + 2), '-1', '-9223372036854775808', '9223372036854775807', String(Math.floor(rand() * 1e9))]);
  const uint64 = () => pick(['0', '1', '14841639068965178418', '18446744073709551615', String(2 ** 48), String(Math.floor(rand() * 1e6))]);
  const bytes = () => Buffer.from(pick(['', '/registry/pods/default/x', '{"kind":"Pod","metadata":{"name":"é ☃"}}', 'x'.repeat(300)]));
  const header = () => (rand() < 0.1 ? null : { cluster_id: uint64(), member_id: uint64(), revision: int64(), raft_term: uint64() });
  const kv = () => (rand() < 0.15 ? null : { key: bytes(), create_revision: int64(), mod_revision: int64(), version: int64(), value: bytes(), lease: int64() });
  const kvs = () => Array.from({ length: Math.floor(rand() * 3) }, () => kv() ?? { key: bytes() });
  const op = (depth: number): object => {
    switch (pick(depth > 1 ? [0, 1, 2, 4] : [0, 1, 2, 3, 4])) {
      case 0:
        return { response_range: { header: header(), kvs: kvs(), more: rand() < 0.5, count: int64() } };
      case 1:
        return { response_put: { header: header(), prev_kv: kv() } };
      case 2:
        return { response_delete_range: { header: header(), deleted: int64(), prev_kvs: kvs() } };
      case 3:
        return { response_txn: txnResponse(depth + 1) };
      default:
        return {};
    }
  };
  const txnResponse = (depth = 0) => ({ header: header(), succeeded: rand() < 0.5, responses: Array.from({ length: Math.floor(rand() * 3) }, () => op(depth)) });
  const watchResponse = () => ({
    header: header(),
    watch_id: pick(['0', '-1', '3']),
    created: rand() < 0.2,
    canceled: rand() < 0.2,
    compact_revision: pick(['0', int64()]),
    cancel_reason: pick(['', 'mvcc: required revision has been compacted', 'ünïcode']),
    fragment: rand() < 0.1,
    events: Array.from({ length: Math.floor(rand() * 4) }, () => ({ type: pick(['PUT', 'DELETE']), kv: kv(), prev_kv: kv() })),
  });
  return { txn: txnResponse(), range: { header: header(), kvs: kvs(), more: rand() < 0.5, count: int64() }, watch: watchResponse() };
}

test('the same objects as proto-loader, for generated answers of every shape', () => {
  for (let seed = 1; seed <= 400; seed++) {
    const s = shapes(seed);
    const t = txn.responseSerialize(s.txn);
    expect([seed, decodeTxnResponse(t)]).toEqual([seed, txn.responseDeserialize(t)]);
    const r = range.responseSerialize(s.range);
    expect([seed, decodeRangeResponse(r)]).toEqual([seed, range.responseDeserialize(r)]);
    const w = watch.responseSerialize(s.watch);
    expect([seed, decodeWatchResponse(w)]).toEqual([seed, watch.responseDeserialize(w)]);
  }
});

test('fields it does not know are skipped, whatever their wire type; truncated input fails', () => {
  const known = watch.responseSerialize({ watch_id: '5', events: [{ type: 'DELETE', kv: { key: Buffer.from('k'), mod_revision: '9' } }] });
  // field 20 varint, field 21 fixed64, field 22 bytes, field 23 fixed32, then the known fields
  const unknown = Buffer.from([0xa0, 0x01, 0x96, 0x01, 0xa9, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0xb2, 0x01, 2, 0xff, 0xee, 0xbd, 0x01, 1, 2, 3, 4]);
  const bytes = Buffer.concat([unknown, known]);
  expect(decodeWatchResponse(bytes)).toEqual(watch.responseDeserialize(bytes));
  expect(decodeWatchResponse(bytes).events[0]).toEqual(expect.objectContaining({ type: 'DELETE', kv: expect.objectContaining({ mod_revision: '9' }) }));
  expect(() => decodeWatchResponse(known.subarray(0, known.length - 1))).toThrow(/invalid protobuf/);
});
