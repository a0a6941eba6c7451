// A small etcd v3 client: gRPC stubs generated from etcd 3.4's own rpc.proto (proto/, types in
// generated/, `npm run gen:etcd`), loaded with @grpc/proto-loader exactly as the CRI client is. It
// covers the slice of etcd an apiserver needs — Range, Txn, Compact, the Watch stream, Status — and
// moves to the next endpoint when the one in use stops answering. Reads are retried there; writes are
// not (a Txn cut off in flight may have committed), their caller sees the error. Every call, the Watch
// stream included, goes over one HTTP/2 session per member (channel.ts: a write costs the apiserver half
// the CPU it did through grpc-js), with proto-loader's own (de)serializers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import type { RangeRequest } from './generated/etcdserverpb/RangeRequest';
import type { RangeResponse__Output } from './generated/etcdserverpb/RangeResponse';
import type { TxnRequest } from './generated/etcdserverpb/TxnRequest';
import type { TxnResponse__Output } from './generated/etcdserverpb/TxnResponse';
import type { PutRequest } from './generated/etcdserverpb/PutRequest';
import type { PutResponse__Output } from './generated/etcdserverpb/PutResponse';
import type { DeleteRangeRequest } from './generated/etcdserverpb/DeleteRangeRequest';
import type { DeleteRangeResponse__Output } from './generated/etcdserverpb/DeleteRangeResponse';
import type { CompactionResponse__Output } from './generated/etcdserverpb/CompactionResponse';
import type { StatusResponse__Output } from './generated/etcdserverpb/StatusResponse';
import type { WatchRequest } from './generated/etcdserverpb/WatchRequest';
import type { WatchResponse__Output } from './generated/etcdserverpb/WatchResponse';
import type { CompactionRequest } from './generated/etcdserverpb/CompactionRequest';
import type { StatusRequest } from './generated/etcdserverpb/StatusRequest';
import { decodeRangeResponse, decodeTxnResponse, decodeWatchResponse } from './decode';
import { GRPC_DEADLINE_EXCEEDED, GRPC_UNAVAILABLE, GrpcChannel, GrpcMethod, GrpcStream } from './channel';

/**
 * How the .proto files are loaded: snake_case field names (without keepCase proto-loader silently drops
 * request_put and friends, and etcd answers "key not found"), enums as strings, int64 revisions as
 * decimal strings, defaults filled in. `npm run gen:etcd` passes the same flags to the generator.
 */
export const LOAD_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true } satisfies protoLoader.Options;

/** The directory holding etcd/…/rpc.proto: beside this file in the source tree; compiled code runs from dist/. */
export function protoRoot(): string {
  const candidates = [path.join(__dirname, 'proto'), path.resolve(__dirname, '../../../../apiserver/storage/etcd/proto')];
  for (const p of candidates) if (fs.existsSync(path.join(p, RPC_PROTO))) return p;
  throw new Error(`${RPC_PROTO} not found (looked in ${candidates.join(', ')})`);
}
const RPC_PROTO = 'etcd/etcdserver/etcdserverpb/rpc.proto';

/** The methods used, called over Node's HTTP/2 (channel.ts) with proto-loader's (de)serializers. */
interface Methods {
  range: GrpcMethod<RangeRequest, RangeResponse__Output>;
  txn: GrpcMethod<TxnRequest, TxnResponse__Output>;
  put: GrpcMethod<PutRequest, PutResponse__Output>;
  deleteRange: GrpcMethod<DeleteRangeRequest, DeleteRangeResponse__Output>;
  compact: GrpcMethod<CompactionRequest, CompactionResponse__Output>;
  status: GrpcMethod<StatusRequest, StatusResponse__Output>;
  /** Bidirectional: WatchRequests out, WatchResponses back. */
  watch: GrpcMethod<WatchRequest, WatchResponse__Output>;
}

let methodsCache: Methods | undefined;
function etcdMethods(): Methods {
  if (!methodsCache) {
    const def = protoLoader.loadSync(RPC_PROTO, { ...LOAD_OPTIONS, includeDirs: [protoRoot()] });
    const method = <Req, Res>(service: string, name: string): GrpcMethod<Req, Res> => {
      const m = (def[`etcdserverpb.${service}`] as protoLoader.ServiceDefinition)[name] as unknown as protoLoader.MethodDefinition<Req, Res>;
      return { path: m.path, requestSerialize: m.requestSerialize, responseDeserialize: m.responseDeserialize };
    };
    // The answers of every write and read of the storage are decoded by decode.ts (the same objects, a
    // fraction of the allocation); the rest by proto-loader.
    methodsCache = {
      range: { ...method<RangeRequest, RangeResponse__Output>('KV', 'Range'), responseDeserialize: decodeRangeResponse },
      txn: { ...method<TxnRequest, TxnResponse__Output>('KV', 'Txn'), responseDeserialize: decodeTxnResponse },
      put: method('KV', 'Put'),
      deleteRange: method('KV', 'DeleteRange'),
      compact: method('KV', 'Compact'),
      status: method('Maintenance', 'Status'),
      watch: { ...method<WatchRequest, WatchResponse__Output>('Watch', 'Watch'), responseDeserialize: decodeWatchResponse },
    };
  }
  return methodsCache;
}

export interface EtcdTLS {
  /** PEM CA bundle that signed the members' certificates (--etcd-cafile). */
  ca?: Buffer;
  /** PEM client certificate and key for members that require client certificates (--etcd-certfile/--etcd-keyfile). */
  cert?: Buffer;
  key?: Buffer;
}

export interface EtcdClientOptions {
  /** Member client URLs, http://host:port or https://host:port. */
  endpoints: string[];
  tls?: EtcdTLS;
  /** Deadline of each unary call (default 10 s). */
  timeoutMs?: number;
}

/** etcd's Watch stream: WatchRequests written, WatchResponses as 'data', then 'end' or 'error'. */
export type WatchStream = GrpcStream<WatchRequest, WatchResponse__Output>;

/** An etcd request that failed: the gRPC status code and etcd's message. */
export class EtcdError extends Error {
  constructor(
    /** The gRPC status code (channel.ts's GRPC_* and etcd's own). */
    readonly code: number,
    message: string,
    readonly endpoint: string,
  ) {
    super(`etcd ${endpoint}: ${message}`);
  }
}

/** Codes after which another member may answer: this one is down, unreachable, or lost its leader. */
const FAILOVER_CODES = new Set([GRPC_UNAVAILABLE, GRPC_DEADLINE_EXCEEDED]);

interface Member {
  endpoint: string;
  /** Every call to the member: unary (KV, Maintenance) and the Watch stream. */
  channel: GrpcChannel;
}

type Callback<Res> = (err: { code: number; details?: string; message: string } | null, res?: Res) => void;
/** Sends one call to a member, to be answered by the deadline (ms since the epoch). */
type Invoke<Res> = (m: Member, deadline: number, cb: Callback<Res>) => void;

/** Parses a member URL into a gRPC target and whether it needs TLS. */
export function parseEndpoint(url: string): { target: string; secure: boolean } {
  const m = /^(https?):\/\/([^/]+)\/?$/.exec(url.trim());
  if (!m) throw new Error(`invalid etcd endpoint ${JSON.stringify(url)}: expected http://host:port or https://host:port`);
  const hostPort = m[2];
  return { target: /:\d+$/.test(hostPort) ? hostPort : `${hostPort}:2379`, secure: m[1] === 'https' };
}

export class EtcdClient {
  private readonly members: Member[];
  private current = 0;
  private readonly timeoutMs: number;
  private readonly methods: Methods;

  constructor(opts: EtcdClientOptions) {
    if (!opts.endpoints.length) throw new Error('no etcd endpoints given');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.methods = etcdMethods();
    this.members = opts.endpoints.map((endpoint) => {
      const { target, secure } = parseEndpoint(endpoint);
      // Keepalive (channel.ts's defaults): etcd refuses pings more often than every 5 s
      // (--grpc-keepalive-min-time); every 10 s, answered within 5 s, finds a dead peer behind a silent
      // network within ~15 s, a killed local member at once (its socket is reset).
      const channel = new GrpcChannel({ authority: `${secure ? 'https' : 'http'}://${target}`, tls: secure ? (opts.tls ?? {}) : undefined, maxResponseBytes: 64 * 1024 * 1024 });
      return { endpoint, channel };
    });
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.endpoint);
  }

  /** The member requests go to now. */
  get endpoint(): string {
    return this.members[this.current].endpoint;
  }

  /** Moves on to the next member (after `failed` stopped answering, unless another call moved already). */
  private failover(failed: Member): void {
    if (this.members[this.current] === failed) this.current = (this.current + 1) % this.members.length;
  }

  private call<Res>(member: Member, invoke: Invoke<Res>, timeoutMs: number): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      invoke(member, Date.now() + timeoutMs, (err, res) => {
        if (err) {
          if (FAILOVER_CODES.has(err.code)) this.failover(member);
          reject(new EtcdError(err.code, err.details || err.message, member.endpoint));
        } else resolve(res as Res);
      });
    });
  }

  /** A read: tried on each member in turn while they are unreachable. */
  private async read<Res>(invoke: Invoke<Res>, timeoutMs = this.timeoutMs): Promise<Res> {
    let lastErr: unknown;
    for (let attempt = 0; attempt < this.members.length; attempt++) {
      try {
        return await this.call(this.members[this.current], invoke, timeoutMs);
      } catch (err) {
        lastErr = err;
        if (!(err instanceof EtcdError && FAILOVER_CODES.has(err.code))) throw err;
      }
    }
    throw lastErr;
  }

  /** A write: sent once, to the current member. */
  private write<Res>(invoke: Invoke<Res>, timeoutMs = this.timeoutMs): Promise<Res> {
    return this.call(this.members[this.current], invoke, timeoutMs);
  }

  range(req: RangeRequest, timeoutMs?: number): Promise<RangeResponse__Output> {
    return this.read<RangeResponse__Output>((m, deadline, cb) => m.channel.call(this.methods.range, req, deadline, cb), timeoutMs);
  }

  /** timeoutMs: this attempt's deadline (default the client's). */
  txn(req: TxnRequest, timeoutMs?: number): Promise<TxnResponse__Output> {
    return this.write<TxnResponse__Output>((m, deadline, cb) => m.channel.call(this.methods.txn, req, deadline, cb), timeoutMs);
  }

  put(req: PutRequest): Promise<PutResponse__Output> {
    return this.write<PutResponse__Output>((m, deadline, cb) => m.channel.call(this.methods.put, req, deadline, cb));
  }

  deleteRange(req: DeleteRangeRequest): Promise<DeleteRangeResponse__Output> {
    return this.write<DeleteRangeResponse__Output>((m, deadline, cb) => m.channel.call(this.methods.deleteRange, req, deadline, cb));
  }

  /** Forgets every revision before rev (physical: wait until the members have done it). */
  compact(rev: number, physical = false): Promise<CompactionResponse__Output> {
    return this.write<CompactionResponse__Output>((m, deadline, cb) => m.channel.call(this.methods.compact, { revision: rev, physical }, deadline, cb));
  }

  /** The status of one member (the current one by default): version, leader, raft term, DB size. */
  status(endpoint?: string, timeoutMs?: number): Promise<StatusResponse__Output> {
    const member = endpoint ? this.members.find((m) => m.endpoint === endpoint) : undefined;
    if (member) return this.call<StatusResponse__Output>(member, (m, deadline, cb) => m.channel.call(this.methods.status, {}, deadline, cb), timeoutMs ?? this.timeoutMs);
    return this.read<StatusResponse__Output>((m, deadline, cb) => m.channel.call(this.methods.status, {}, deadline, cb), timeoutMs);
  }

  /**
   * Opens a Watch stream on the current member. "hasleader" makes the member cancel the stream when it
   * has had no leader for a while (clientv3's WithRequireLeader), so a partitioned member cannot keep
   * a silent watch open. The caller moves on with failover() when the stream fails.
   */
  openWatch(): { stream: WatchStream; endpoint: string; failed: () => void } {
    const member = this.members[this.current];
    return { stream: member.channel.stream(this.methods.watch, { hasleader: 'true' }), endpoint: member.endpoint, failed: () => this.failover(member) };
  }

  close(): void {
    for (const m of this.members) {
      m.channel.close();
    }
  }
}
