// The DNS server's sockets: for each listen address a UDP socket and a TCP listener on the same port
// (port 0: the port the UDP socket got). UDP datagrams go to the handler one by one (libuv reads at
// most 32 per socket per event-loop turn, so a flood cannot hold the loop for long); TCP connections
// carry 2-byte length-prefixed messages, several per connection, with bounded connections, a bounded
// number of queries per read (the rest after the loop has turned), back-pressure when the client does
// not read its answers, and an idle timeout. Nothing a client sends can throw out of here.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import type { DnsHandler } from './handler';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `1.2.3.4`, `1.2.3.4:5353`, `fd00::1` or `[fd00::1]:53` → host and port (defaultPort when none). */
export function parseHostPort(s: string, defaultPort = 53): ListenAddress | undefined {
  const t = s.trim();
  const valid = (port: number) => Number.isInteger(port) && port >= 0 && port < 65536;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) {
    const port = Number(bracket[2] ?? defaultPort);
    return net.isIPv6(bracket[1]) && valid(port) ? { host: bracket[1], port } : undefined;
  }
  if (net.isIP(t)) return { host: t, port: defaultPort };
  const m = /^([^:]+):(\d+)$/.exec(t);
  return m && net.isIPv4(m[1]) && valid(Number(m[2])) ? { host: m[1], port: Number(m[2]) } : undefined;
}

export interface DnsServerOptions {
  handler: DnsHandler;
  listen: ListenAddress[];
  /** Open TCP connections at once (default 256); more are closed at once. */
  maxTcpConnections?: number;
  /** A TCP connection without a complete query for this long is closed (default 10 s). */
  tcpIdleMs?: number;
  /** Queries answered per read of one TCP connection before yielding to the event loop (default 64). */
  tcpQueriesPerTurn?: number;
}

/** What one listen address turned into. */
export interface BoundAddress {
  host: string;
  udpPort: number;
  tcpPort: number;
}

/** A TCP connection's unprocessed bytes are capped: two largest messages with their lengths. */
const TCP_MAX_PENDING = 2 * 65_537;
/** Unsent answers above this pause reading the connection until they drain. */
const TCP_HIGH_WATER = 256 * 1024;

export class DnsServer {
  private readonly udp: dgram.Socket[] = [];
  private readonly tcp: net.Server[] = [];
  private readonly connections = new Set<net.Socket>();
  readonly bound: BoundAddress[] = [];

  constructor(private readonly o: DnsServerOptions) {}

  /** Binds every address; on any failure nothing stays bound and the error is thrown. */
  async start(): Promise<BoundAddress[]> {
    try {
      for (const a of this.o.listen) this.bound.push(await this.bindOne(a));
    } catch (err) {
      await this.stop();
      throw err;
    }
    return this.bound;
  }

  async stop(): Promise<void> {
    for (const s of this.udp) s.close();
    this.udp.length = 0;
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    await Promise.all(this.tcp.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.tcp.length = 0;
  }

  private async bindOne(a: ListenAddress): Promise<BoundAddress> {
    // Port 0: the UDP socket's free port may be taken for TCP; try another a few times.
    for (let attempt = 1; ; attempt++) {
      const udp = await this.bindUdp(a);
      const udpPort = udp.address().port;
      const tcp = net.createServer((c) => this.onConnection(c));
      tcp.maxConnections = this.o.maxTcpConnections ?? 256;
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(udpPort, a.host, () => {
            tcp.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        udp.close();
        if (a.port === 0 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 20) continue;
        throw err;
      }
      tcp.on('error', () => undefined);
      this.udp.push(udp);
      this.tcp.push(tcp);
      return { host: a.host, udpPort, tcpPort: (tcp.address() as net.AddressInfo).port };
    }
  }

  private async bindUdp(a: ListenAddress): Promise<dgram.Socket> {
    const udp = dgram.createSocket({ type: net.isIPv6(a.host) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(a.port, a.host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', () => undefined); // e.g. ICMP unreachable for an answer: nothing to do
    udp.on('message', (msg, rinfo) => {
      try {
        this.o.handler.handle(msg, 'udp', (response) => {
          udp.send(response, rinfo.port, rinfo.address); // a failed send is the socket's 'error'
        });
      } catch {
        // The handler answers every error itself; a throw here is a bug, never a crash.
      }
    });
    return udp;
  }

  private onConnection(c: net.Socket): void {
    this.connections.add(c);
    c.setNoDelay(true);
    c.setTimeout(this.o.tcpIdleMs ?? 10_000, () => c.destroy());
    c.on('error', () => undefined);
    c.on('close', () => this.connections.delete(c));
    let buf: Buffer = Buffer.alloc(0);
    let scheduled = false;
    const perTurn = this.o.tcpQueriesPerTurn ?? 64;
    const drain = () => {
      scheduled = false;
      let n = 0;
      while (buf.length >= 2 && !c.destroyed) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        if (n++ >= perTurn) {
          scheduled = true;
          setImmediate(drain);
          return;
        }
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        try {
          this.o.handler.handle(msg, 'tcp', (response) => {
            if (c.destroyed) return;
            const framed = Buffer.allocUnsafe(2 + response.length);
            framed.writeUInt16BE(response.length, 0);
            response.copy(framed, 2);
            if (!c.write(framed) && c.writableLength > TCP_HIGH_WATER) {
              c.pause();
              c.once('drain', () => c.resume());
            }
          });
        } catch {
          // see the UDP path
        }
      }
    };
    c.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      if (buf.length > TCP_MAX_PENDING) return void c.destroy();
      if (!scheduled) drain();
    });
  }
}
