// Pooled reads (lib/component/pooled-reads.ts) between loopback sockets: every byte arrives in order
// through reused buffers, an HTTP client reads its upgrade answer on a pooled socket and the upgraded
// bytes then come uncopied, a slow writer pauses the reader, and the apiserver's kubelet client carries an
// upgrade through proxyUpgrade byte for byte.
import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { PassThrough, Writable, type Duplex } from 'node:stream';
import { kubeletClient } from '../../apiserver/kubelet-client';
import { OUTPUT_QUEUE, ReadBufferPool, isPooled, pooledConnection, pooledReads, pumpPooled, readPooled } from '../../lib/component/pooled-reads';
import { forwardedHeaders, proxyUpgrade, serveUpgrades } from '../../lib/component/upgrade';
import { waitFor } from '../helpers/wait';

jest.setTimeout(30_000);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const closers: Array<() => void> = [];
afterAll(() => {
  for (const c of closers) c();
});

/** A TCP server that writes `payload` to each connection, then ends it. */
async function source(payload: Buffer): Promise<number> {
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.end(payload);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

/** A pool that counts the buffers it had to allocate. */
function countingPool(size: number): { pool: ReadBufferPool; allocated: () => number } {
  const pool = new ReadBufferPool(size, 4);
  let allocated = 0;
  const take = pool.take;
  (pool as { take: () => Buffer }).take = () => {
    if (pool.idle === 0) allocated++;
    return take();
  };
  return { pool, allocated: () => allocated };
}

describe('pooled reads', () => {
  it('a pooled connection hands every byte on in order, reading into a few reused buffers', async () => {
    const payload = randomBytes(8 << 20);
    const port = await source(payload);
    const { pool, allocated } = countingPool(64 * 1024);
    const conn = pooledConnection({ host: '127.0.0.1', port }, pool);
    conn.pause();
    expect(isPooled(conn)).toBe(true);
    const out = new PassThrough();
    const parts: Buffer[] = [];
    out.on('data', (b: Buffer) => parts.push(Buffer.from(b)));
    await new Promise((r) => conn.once('connect', r));
    pumpPooled(conn, out);
    await new Promise((r) => conn.once('end', r));
    await new Promise((r) => setImmediate(r));
    expect(sha(Buffer.concat(parts))).toBe(sha(payload));
    // 128 reads of 64 KiB at least; only a handful of buffers were ever made.
    expect(allocated()).toBeLessThan(16);
    expect(pool.idle).toBeGreaterThan(0);
  });

  it('a writer that does not drain pauses the reader past the output queue, and everything comes once it does', async () => {
    const payload = randomBytes(OUTPUT_QUEUE * 6);
    const port = await source(payload);
    const conn = pooledConnection({ host: '127.0.0.1', port });
    conn.pause();
    await new Promise((r) => conn.once('connect', r));
    const held: Array<() => void> = [];
    const parts: Buffer[] = [];
    let holding = true;
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, cb) {
        parts.push(Buffer.from(chunk));
        if (holding) held.push(cb);
        else cb();
      },
    });
    pumpPooled(conn, slow);
    // The writer takes one chunk and holds it: the rest queues in it up to the limit, then the reads stop.
    await waitFor('the reader paused', () => (conn.isPaused() ? true : undefined), 10_000);
    const queued = slow.writableLength;
    expect(queued).toBeGreaterThan(OUTPUT_QUEUE);
    expect(queued).toBeLessThan(OUTPUT_QUEUE + 2 * 256 * 1024 + 1);
    holding = false;
    for (const cb of held.splice(0)) cb();
    await new Promise((r) => conn.once('end', r));
    await new Promise((r) => setImmediate(r));
    expect(sha(Buffer.concat(parts))).toBe(sha(payload));
  });

  it("an HTTP client reads its 101 on a pooled socket; the bytes after it (in the answer's packet and later) come whole", async () => {
    const after = randomBytes(3 << 20);
    const server = http.createServer();
    server.on('upgrade', (_req, socket: Duplex) => {
      // The answer and the first upgraded bytes in one write, the rest later.
      socket.write(Buffer.concat([Buffer.from('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n'), after.subarray(0, 1000)]));
      setTimeout(() => socket.end(after.subarray(1000)), 50);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const reads = pooledReads();
    const req = http.request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, headers: { Connection: 'Upgrade', Upgrade: 'test' }, agent: false, ...{ onread: reads.onread } });
    req.once('socket', (s) => reads.adopt(s));
    const got = await new Promise<Buffer>((resolve, reject) => {
      req.on('upgrade', (_res, socket: Duplex, head: Buffer) => {
        expect(isPooled(socket)).toBe(true);
        const parts: Buffer[] = [Buffer.from(head)];
        readPooled(socket, (chunk, release) => {
          parts.push(Buffer.from(chunk));
          release();
        });
        socket.on('end', () => resolve(Buffer.concat(parts)));
      });
      req.on('error', reject);
      req.end();
    });
    expect(sha(got)).toBe(sha(after));
  });

  it("the apiserver's kubelet client and proxyUpgrade carry an upgraded download and upload byte for byte", async () => {
    const down = randomBytes(5 << 20);
    const up = randomBytes(1 << 20);
    // The "agent": answers 101, then sends `down` and reads `up` to its end.
    let received: Buffer = Buffer.alloc(0);
    const agent = http.createServer();
    agent.on('upgrade', (_req, socket: Duplex, head: Buffer) => {
      const parts: Buffer[] = [Buffer.from(head)];
      socket.on('data', (b: Buffer) => parts.push(b));
      socket.on('end', () => (received = Buffer.concat(parts)));
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n');
      socket.end(down);
    });
    await new Promise<void>((r) => agent.listen(0, '127.0.0.1', r));
    closers.push(() => agent.close());
    const front = http.createServer();
    serveUpgrades(front, (req, res) => {
      const upstream = kubeletClient().request({ host: '127.0.0.1', port: (agent.address() as AddressInfo).port, path: req.url ?? '/', method: req.method ?? 'GET', headers: forwardedHeaders(req) });
      proxyUpgrade(req, res, upstream);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    closers.push(() => front.close());
    const got = await new Promise<Buffer>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: (front.address() as AddressInfo).port, headers: { Connection: 'Upgrade', Upgrade: 'test' }, agent: false });
      req.on('upgrade', (_res, socket: Duplex, head: Buffer) => {
        const parts: Buffer[] = [Buffer.from(head)];
        socket.on('data', (b: Buffer) => parts.push(b));
        socket.on('end', () => resolve(Buffer.concat(parts)));
        socket.end(up);
      });
      req.on('error', reject);
      req.end();
    });
    expect(sha(got)).toBe(sha(down));
    await waitFor('the upload at the agent', () => (received.length === up.length ? true : undefined), 10_000);
    expect(sha(received)).toBe(sha(up));
  });
});
