// Socket reads into reused buffers, for the connections that carry bulk port-forward and exec bytes (the
// node agent's pod connections, the apiserver's upgraded connection to the agent). A socket's ordinary
// reads each land in a fresh 64 KiB allocation, whose pages the kernel faults in during the copy (glibc
// hands freed heap back, and GC frees in batches): in a VM those faults were a quarter of the agent's CPU
// per forwarded MiB, and the stream machinery around each read (push, 'data', GC) another quarter.
// Node's `onread` reads into buffers the caller gives; the pool lends one per read, and the reader gives
// it back once what was read into it has been written on (a socket write's callback).
import type * as http from 'node:http';
import * as net from 'node:net';
import type { Duplex, Writable } from 'node:stream';

export class ReadBufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly size: number,
    /** Free buffers kept for later reads (the rest go to GC). */
    private readonly keep: number,
  ) {}

  take = (): Buffer => this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);

  give(b: Buffer): void {
    if (this.free.length < this.keep) this.free.push(b);
  }

  get idle(): number {
    return this.free.length;
  }
}

/** 256 KiB a read: a bulk download is 4 reads and frames a MiB instead of 16. At most 2 MiB kept idle. */
export const bulkReadBuffers = new ReadBufferPool(256 * 1024, 8);

/** What a pooled socket read: `release` once the chunk has been written on (its buffer is read into again). */
export type ChunkSink = (chunk: Buffer, release: () => void) => void;

interface PooledEntry {
  sink?: ChunkSink;
}

const pooled = new WeakMap<Duplex, PooledEntry>();

type OnRead = NonNullable<net.TcpSocketConnectOpts['onread']>;

/**
 * The `onread` option (net.connect, tls.connect, and through them an http(s) request's options) for one
 * socket whose reads go into `pool`'s buffers; `adopt` names the socket once it exists. Until readPooled
 * gives it a sink, what it reads is emitted as 'data' (a copy), so an HTTP client can read its response on
 * it; an upgraded connection then hands its bytes to a sink, uncopied.
 */
export function pooledReads(pool: ReadBufferPool = bulkReadBuffers): { onread: OnRead; adopt(socket: Duplex): void } {
  const entry: PooledEntry = {};
  let socket: Duplex | undefined;
  return {
    onread: {
      buffer: pool.take,
      callback: (n: number, buf: Uint8Array): boolean => {
        const b = buf as Buffer;
        if (entry.sink) entry.sink(b.subarray(0, n), () => pool.give(b));
        else {
          socket?.emit('data', Buffer.from(b.subarray(0, n)));
          pool.give(b);
        }
        return true;
      },
    },
    adopt(s: Duplex) {
      // A socket an HTTP agent hands out again keeps the onread it was made with, and so its entry.
      if (pooled.has(s)) return;
      socket = s;
      pooled.set(s, entry);
    },
  };
}

/** A TCP connection with pooled reads (net.connect's options less onread). */
export function pooledConnection(options: net.TcpNetConnectOpts, pool: ReadBufferPool = bulkReadBuffers): net.Socket {
  const reads = pooledReads(pool);
  const socket = net.connect({ ...options, onread: reads.onread });
  reads.adopt(socket);
  return socket;
}

/**
 * An HTTP request (made by `make` with the given `onread` among its options) whose connection reads into
 * reused buffers: an upgraded connection's bulk bytes (port-forward, cp, logs of an exec) cost no
 * allocation per read. Its connection must be its own (no keep-alive agent), which `onread` reaches through
 * the agent's createConnection, given the request's options.
 */
export function pooledRequest(make: (options: { onread: OnRead }) => http.ClientRequest, pool: ReadBufferPool = bulkReadBuffers): http.ClientRequest {
  const reads = pooledReads(pool);
  const req = make({ onread: reads.onread });
  req.once('socket', (socket) => reads.adopt(socket));
  return req;
}

export function isPooled(conn: Duplex): boolean {
  return pooled.has(conn);
}

/**
 * Hands what `conn` reads from now on to `sink` and makes sure it reads: a pooled socket lends its
 * buffers; any other Duplex gives its chunks as they come (release does nothing).
 */
export function readPooled(conn: Duplex, sink: ChunkSink): void {
  const entry = pooled.get(conn);
  if (entry) {
    entry.sink = sink;
    conn.resume();
    return;
  }
  conn.on('data', (b: Buffer) => sink(b, noop));
}

function noop(): void {}

/**
 * Bytes queued toward a writer above which a pooled reader pauses until the writer drains. A socket's own
 * mark (16 KiB) is below one read, so obeying it would stop and restart the reads after every one.
 */
export const OUTPUT_QUEUE = 1 << 20;

/**
 * Copies `from` to `to` as pipe does (pausing `from` while `to` has more than OUTPUT_QUEUE queued), with
 * pooled reads; `to` is not ended (the caller decides what `from`'s end means).
 */
export function pumpPooled(from: Duplex, to: Writable): void {
  let waiting = false;
  readPooled(from, (chunk, release) => {
    if (to.destroyed) return release();
    if (!to.write(chunk, release) && !waiting && to.writableLength > OUTPUT_QUEUE) {
      waiting = true;
      from.pause();
      const resume = () => {
        to.off('drain', resume);
        to.off('close', resume);
        waiting = false;
        from.resume();
      };
      to.on('drain', resume);
      to.on('close', resume);
    }
  });
}
