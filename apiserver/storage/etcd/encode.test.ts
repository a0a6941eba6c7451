// encode.ts against @grpc/proto-loader's own serializer (LOAD_OPTIONS, etcd's .proto): the same bytes,
// behind the gRPC prefix, for generated TxnRequests of every shape — every Compare target and result,
// the four operations with every field, nested Txns, int64 as numbers, decimal strings and Longs
// (negative and wider than 32 bits), enums by name and number, zeros and empty bytes set explicitly,
// fields left out — and the storage's own requests.
import * as protoLoader from '@grpc/proto-loader';
import { LOAD_OPTIONS, protoRoot } from './client';
import { txnRequestFrame } from './encode';
import type { TxnRequest } from './generated/etcdserverpb/TxnRequest';

const def = protoLoader.loadSync('etcd/etcdserver/etcdserverpb/rpc.proto', { ...LOAD_OPTIONS, includeDirs: [protoRoot()] });
const txn = (def['etcdserverpb.KV'] as protoLoader.ServiceDefinition).Txn as protoLoader.MethodDefinition<TxnRequest, unknown>;

function protoLoaderFrame(req: TxnRequest): Buffer {
  const body = txn.requestSerialize(req);
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(body.length, 1);
  return Buffer.concat([prefix, body]);
}

/** A small deterministic generator, so that a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function request(seed: number): TxnRequest {
  const rand = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const maybe = <T>(v: () => T): T | undefined => (rand() < 0.4 ? undefined : v());
  const long = (low: number, high: number) => ({ low, high, unsigned: false }) as unknown as number;
  const int64 = () => pick<number | string>([0, 1, 127, 128, 2 ** 31, 2 ** 32, 2 ** 49 - 1, 2 ** 53 - 1, -1, '0', '300', '-5', '9223372036854775807', '-9223372036854775808', long(5, 0), long(-1, -1), long(0, 7)]);
  const bytes = () => pick<Buffer | string>([Buffer.alloc(0), Buffer.from('/registry/configmaps/default/x'), Buffer.from('{"kind":"Pod","metadata":{"name":"é ☃"}}'), Buffer.from('x'.repeat(300)), Buffer.alloc(70_000, 1), 'aGVsbG8=']);
  const bool = () => rand() < 0.5;
  const target = () => pick<string | number>(['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE', 0, 2, 4]);
  const result = () => pick<string | number>(['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL', 1, 3]);
  const compare = () => {
    const c: Record<string, unknown> = { result: maybe(result), target: maybe(target), key: maybe(bytes), range_end: maybe(bytes) };
    c[pick(['version', 'create_revision', 'mod_revision', 'lease'])] = int64();
    if (rand() < 0.2) c.value = bytes();
    return c;
  };
  const op = (depth: number): object => {
    switch (pick(depth > 1 ? [0, 1, 2, 4] : [0, 1, 2, 3, 4])) {
      case 0:
        return {
          request_range: {
            key: maybe(bytes),
            range_end: maybe(bytes),
            limit: maybe(int64),
            revision: maybe(int64),
            sort_order: maybe(() => pick<string | number>(['NONE', 'ASCEND', 'DESCEND', 2])),
            sort_target: maybe(() => pick<string | number>(['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE', 3])),
            serializable: maybe(bool),
            keys_only: maybe(bool),
            count_only: maybe(bool),
            min_mod_revision: maybe(int64),
            max_mod_revision: maybe(int64),
            min_create_revision: maybe(int64),
            max_create_revision: maybe(int64),
          },
        };
      case 1:
        return { request_put: { key: maybe(bytes), value: maybe(bytes), lease: maybe(int64), prev_kv: maybe(bool), ignore_value: maybe(bool), ignore_lease: maybe(bool) } };
      case 2:
        return { request_delete_range: { key: maybe(bytes), range_end: maybe(bytes), prev_kv: maybe(bool) } };
      case 3:
        return { request_txn: txnRequest(depth + 1) };
      default:
        return {};
    }
  };
  const list = <T>(make: () => T) => (rand() < 0.15 ? undefined : Array.from({ length: Math.floor(rand() * 3) }, make));
  const txnRequest = (depth = 0): TxnRequest => ({ compare: list(compare), success: list(() => op(depth)), failure: list(() => op(depth)) }) as TxnRequest;
  return txnRequest();
}

test("the same bytes as proto-loader's serializer, for generated requests of every shape", () => {
  for (let seed = 1; seed <= 500; seed++) {
    const req = request(seed);
    expect([seed, txnRequestFrame(req).toString('hex')]).toEqual([seed, protoLoaderFrame(req).toString('hex')]);
  }
});

test("the storage's own Txns: create, update, delete, the marker", () => {
  const k = Buffer.from('/registry/configmaps/default/x');
  const v = Buffer.from('{"metadata":{"name":"x"}}');
  const reqs: TxnRequest[] = [
    { compare: [{ key: k, target: 'CREATE', result: 'EQUAL', create_revision: 0 }], success: [{ request_put: { key: k, value: v } }], failure: [{ request_range: { key: k } }] },
    { compare: [{ key: k, target: 'MOD', result: 'EQUAL', mod_revision: 123456789012 }], success: [{ request_put: { key: k, value: v } }], failure: [{ request_range: { key: k } }] },
    { compare: [{ key: k, target: 'CREATE', result: 'GREATER', create_revision: 0 }], success: [{ request_delete_range: { key: k, prev_kv: true } }], failure: [{ request_range: { key: k } }] },
    { compare: [], success: [{ request_put: { key: k, value: Buffer.alloc(0) } }], failure: [] },
    {},
  ];
  for (const req of reqs) expect(txnRequestFrame(req).toString('hex')).toBe(protoLoaderFrame(req).toString('hex'));
  // A frame is its own buffer: the next encoding does not change it.
  const first = txnRequestFrame(reqs[0]);
  const copy = Buffer.from(first);
  txnRequestFrame(reqs[1]);
  expect(first.equals(copy)).toBe(true);
});
