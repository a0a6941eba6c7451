// Forwarding of names outside the cluster to the host's resolvers (the nameservers of the node's
// resolv.conf, loopback ones such as systemd-resolved's 127.0.0.53 included: the agent runs in the
// host's network namespace, where pods' queries arrive). A query goes out over the client's transport
// with a fresh random ID (the client's is put back on the answer), to the upstreams in order, each
// with a timeout; when all fail the client gets SERVFAIL. At most maxConcurrent queries are out at
// once (beyond that: REFUSED, as CoreDNS's forward max_concurrent), and answers are cached for at most
// 30 s (CoreDNS's `cache 30`) in a bounded cache whose hits are re-encoded with aged TTLs. Upstreams
// that are the server's own addresses are dropped (the loop CoreDNS's `loop` plugin guards against).
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { randomInt } from 'node:crypto';
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet, Question } from 'dns-packet';
import { ListenAddress, parseHostPort } from './server';

export type Upstream = ListenAddress;

export interface ForwarderOptions {
  upstreams: string[];
  /** Addresses that must never be upstreams: the server's own (a loop otherwise). */
  own?: Upstream[];
  /** Per upstream try (default 2 s). */
  timeoutMs?: number;
  /** Queries out at once (default 1000). */
  maxConcurrent?: number;
  /** Cached answers (default 10,000; 0 = no cache). */
  cacheSize?: number;
  /** The longest an answer is cached, and a negative one (defaults 30 s and 30 s; CoreDNS's cache 30). */
  cacheMaxTtl?: number;
  /** Called for every query sent upstream and its outcome (metrics). */
  onForward?: (upstream: string, outcome: 'answer' | 'timeout' | 'error') => void;
}

export type ForwardResult =
  | { ok: true; response: Buffer; cached: boolean; rcode: string }
  | { ok: false; rcode: 'SERVFAIL' | 'REFUSED' };

interface CacheEntry {
  packet: DecodedPacket;
  storedAt: number;
  expiresAt: number;
}

interface Pending {
  upstream: Upstream;
  resolve: (r: Buffer | undefined) => void;
  timer: NodeJS.Timeout;
}

const TCP_MAX_RESPONSE = 65535;

function rcodeOf(p: DecodedPacket): string {
  return (p as DecodedPacket & { rcode?: string }).rcode ?? 'NOERROR';
}

function cacheKey(q: Question, dnssecOk: boolean): string {
  return `${q.name.toLowerCase().replace(/\.$/, '')}|${q.type}|${q.class ?? 'IN'}|${dnssecOk ? 'do' : ''}`;
}

/** The seconds an answer may be cached: its smallest TTL (negative: the SOA's minimum), capped. */
export function cacheTtl(p: DecodedPacket, max: number): number {
  if (p.flag_tc) return 0;
  const rcode = rcodeOf(p);
  const ttls = (list: Answer[] | undefined) => (list || []).filter((a) => a.type !== 'OPT').map((a) => (a as { ttl?: number }).ttl ?? 0);
  if (rcode === 'NOERROR' && (p.answers || []).length) return Math.min(max, ...ttls(p.answers));
  if (rcode === 'NXDOMAIN' || (rcode === 'NOERROR' && !(p.answers || []).length)) {
    const soa = (p.authorities || []).find((a) => a.type === 'SOA') as { ttl?: number; data: { minimum?: number } } | undefined;
    return soa ? Math.min(max, soa.ttl ?? 0, soa.data.minimum ?? 0) : 0;
  }
  return 0;
}

export class Forwarder {
  readonly upstreams: Upstream[];
  private readonly timeoutMs: number;
  private readonly maxConcurrent: number;
  private readonly cacheSize: number;
  private readonly cacheMaxTtl: number;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly pending = new Map<number, Pending>();
  private sockets: { udp4?: dgram.Socket; udp6?: dgram.Socket } = {};
  private inFlight = 0;
  private closed = false;

  constructor(private readonly o: ForwarderOptions) {
    const own = o.own || [];
    this.upstreams = o.upstreams
      .map((u) => parseHostPort(u))
      .filter((u): u is Upstream => !!u)
      .filter((u) => !own.some((x) => x.host === u.host && x.port === u.port));
    this.timeoutMs = o.timeoutMs ?? 2000;
    this.maxConcurrent = o.maxConcurrent ?? 1000;
    this.cacheSize = o.cacheSize ?? 10_000;
    this.cacheMaxTtl = o.cacheMaxTtl ?? 30;
  }

  get cacheEntries(): number {
    return this.cache.size;
  }

  get outstanding(): number {
    return this.inFlight;
  }

  /**
   * Forwards a query (its raw bytes and decoded form) and resolves with the answer carrying the
   * client's ID, or with the rcode to answer when nobody could.
   */
  async forward(query: DecodedPacket, raw: Buffer, proto: 'udp' | 'tcp'): Promise<ForwardResult> {
    const q = query.questions?.[0];
    const dnssecOk = (query.additionals || []).some((a) => a.type === 'OPT' && (a as { flag_do?: boolean }).flag_do);
    const key = q ? cacheKey(q, dnssecOk) : '';
    if (q && this.cacheSize) {
      const hit = this.fromCache(key, query);
      if (hit) return { ok: true, response: hit.response, cached: true, rcode: hit.rcode };
    }
    if (!this.upstreams.length) return { ok: false, rcode: 'SERVFAIL' };
    if (this.inFlight >= this.maxConcurrent) return { ok: false, rcode: 'REFUSED' };
    this.inFlight++;
    try {
      for (const u of this.upstreams) {
        if (this.closed) break;
        const out = Buffer.from(raw);
        const response = proto === 'udp' ? await this.viaUdp(u, out) : await this.viaTcp(u, out);
        if (!response) continue;
        let decoded: DecodedPacket;
        try {
          decoded = dnsPacket.decode(response);
        } catch {
          this.o.onForward?.(`${u.host}:${u.port}`, 'error');
          continue;
        }
        // An answer to some other question is not an answer (a late or spoofed packet).
        const rq = decoded.questions?.[0];
        if (q && (!rq || rq.name.toLowerCase() !== q.name.toLowerCase() || rq.type !== q.type)) {
          this.o.onForward?.(`${u.host}:${u.port}`, 'error');
          continue;
        }
        this.o.onForward?.(`${u.host}:${u.port}`, 'answer');
        if (q && this.cacheSize) this.store(key, decoded);
        response.writeUInt16BE(query.id ?? 0, 0);
        return { ok: true, response, cached: false, rcode: rcodeOf(decoded) };
      }
      return { ok: false, rcode: 'SERVFAIL' };
    } finally {
      this.inFlight--;
    }
  }

  /** Resolves a name for ExternalName chasing: the upstream's decoded answer, undefined on failure. */
  async lookup(name: string, type: Question['type']): Promise<DecodedPacket | undefined> {
    const query: Packet = { type: 'query', id: randomInt(65536), flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] };
    const raw = dnsPacket.encode(query);
    const r = await this.forward(dnsPacket.decode(raw), raw, 'udp');
    if (!r.ok) return undefined;
    try {
      return dnsPacket.decode(r.response);
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
    this.sockets.udp4?.close();
    this.sockets.udp6?.close();
    this.sockets = {};
  }

  private fromCache(key: string, query: DecodedPacket): { response: Buffer; rcode: string } | undefined {
    const e = this.cache.get(key);
    if (!e) return undefined;
    const now = Date.now();
    if (now >= e.expiresAt) {
      this.cache.delete(key);
      return undefined;
    }
    // Never longer than the entry has left: an answer cached for at most 30 s says so.
    const left = Math.ceil((e.expiresAt - now) / 1000);
    const age = Math.floor((now - e.storedAt) / 1000);
    const aged = (list: Answer[] | undefined) => (list || []).map((a) => (a.type === 'OPT' ? a : { ...a, ttl: Math.max(0, Math.min(left, ((a as { ttl?: number }).ttl ?? 0) - age)) })) as Answer[];
    try {
      const response = dnsPacket.encode({
        ...e.packet,
        id: query.id,
        questions: query.questions,
        answers: aged(e.packet.answers),
        authorities: aged(e.packet.authorities),
        additionals: aged(e.packet.additionals),
      });
      return { response, rcode: rcodeOf(e.packet) };
    } catch {
      this.cache.delete(key);
      return undefined;
    }
  }

  private store(key: string, p: DecodedPacket): void {
    const ttl = cacheTtl(p, this.cacheMaxTtl);
    if (ttl <= 0) return;
    this.cache.delete(key);
    // Oldest first out: a Map iterates in insertion order.
    while (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
    const now = Date.now();
    this.cache.set(key, { packet: p, storedAt: now, expiresAt: now + ttl * 1000 });
  }

  private socket(family: 4 | 6): dgram.Socket {
    const name = family === 4 ? 'udp4' : 'udp6';
    let s = this.sockets[name];
    if (!s) {
      s = dgram.createSocket(name);
      s.on('message', (msg, rinfo) => this.onUdpAnswer(msg, rinfo));
      s.on('error', () => undefined);
      s.unref();
      this.sockets[name] = s;
    }
    return s;
  }

  private onUdpAnswer(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length < 12) return;
    const id = msg.readUInt16BE(0);
    const p = this.pending.get(id);
    if (!p || p.upstream.host !== rinfo.address || p.upstream.port !== rinfo.port) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(msg);
  }

  private viaUdp(u: Upstream, out: Buffer): Promise<Buffer | undefined> {
    let id = randomInt(65536);
    for (let i = 0; this.pending.has(id) && i < 100; i++) id = randomInt(65536);
    if (this.pending.has(id)) return Promise.resolve(undefined);
    out.writeUInt16BE(id, 0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.o.onForward?.(`${u.host}:${u.port}`, 'timeout');
        resolve(undefined);
      }, this.timeoutMs);
      this.pending.set(id, { upstream: u, resolve, timer });
      this.socket(net.isIPv6(u.host) ? 6 : 4).send(out, u.port, u.host, (err) => {
        if (!err || !this.pending.has(id)) return;
        this.pending.delete(id);
        clearTimeout(timer);
        this.o.onForward?.(`${u.host}:${u.port}`, 'error');
        resolve(undefined);
      });
    });
  }

  private viaTcp(u: Upstream, out: Buffer): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const sock = net.connect({ host: u.host, port: u.port });
      let buf = Buffer.alloc(0);
      let done = false;
      const finish = (r: Buffer | undefined, outcome?: 'timeout' | 'error') => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sock.destroy();
        if (outcome) this.o.onForward?.(`${u.host}:${u.port}`, outcome);
        resolve(r);
      };
      const timer = setTimeout(() => finish(undefined, 'timeout'), this.timeoutMs);
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        sock.write(Buffer.concat([len, out]));
      });
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length > TCP_MAX_RESPONSE + 2) return finish(undefined, 'error');
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) finish(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      });
      sock.on('error', () => finish(undefined, 'error'));
      sock.on('close', () => finish(undefined, 'error'));
    });
  }
}
