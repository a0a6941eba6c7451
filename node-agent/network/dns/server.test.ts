// The DNS server on loopback, asked with dns-packet queries over UDP and TCP: cluster answers, TC on a
// large answer and the TCP retry, EDNS0 sizes, malformed and hostile packets (FORMERR, NOTIMP, silence,
// never a crash), forwarding to a fake upstream with its cache, SERVFAIL when upstreams fail, REFUSED
// without upstreams, ExternalName chasing, PTR, and the metrics the queries leave.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { DecodedPacket, Packet } from 'dns-packet';
import type { Endpoints, Service } from 'kubernetes-types/core/v1';
import { agentRegistry } from '../../metrics';
import { Forwarder } from './forwarder';
import { DnsHandler } from './handler';
import { DnsMetrics } from './metrics';
import { ClusterRecords } from './records';
import { BoundAddress, DnsServer, parseHostPort } from './server';

type Rcoded = DecodedPacket & { rcode: string };

const zone = 'cluster.local';
let nextId = 1;

function query(name: string, type: string, extra: Partial<Packet> = {}): Buffer {
  return dnsPacket.encode({ type: 'query', id: nextId++, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as 'A' }], ...extra });
}

/** Sends one datagram and resolves with the decoded answer, or undefined after timeoutMs. */
function udpAsk(port: number, msg: Buffer, timeoutMs = 1000): Promise<Rcoded | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(dnsPacket.decode(m) as Rcoded);
    });
    s.send(msg, port, '127.0.0.1');
  });
}

/** Sends length-prefixed messages on one TCP connection; resolves with the decoded answers. */
function tcpAsk(port: number, msgs: Buffer[], timeoutMs = 2000): Promise<Rcoded[]> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1');
    const out: Rcoded[] = [];
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => {
      c.destroy();
      reject(new Error(`tcp: ${out.length} of ${msgs.length} answers`));
    }, timeoutMs);
    c.on('connect', () => {
      for (const m of msgs) {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(m.length);
        c.write(Buffer.concat([len, m]));
      }
    });
    c.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(dnsPacket.decode(buf.subarray(2, 2 + buf.readUInt16BE(0))) as Rcoded);
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === msgs.length) {
        clearTimeout(t);
        c.destroy();
        resolve(out);
      }
    });
    c.on('error', reject);
  });
}

/** A fake upstream resolver on loopback: answers example.com with 192.0.2.1 (TTL 60), counts queries. */
class FakeUpstream {
  readonly udp = dgram.createSocket('udp4');
  count = 0;
  silent = false;
  port = 0;

  async start(): Promise<void> {
    this.udp.on('message', (m, r) => {
      this.count++;
      if (this.silent) return;
      let q: DecodedPacket;
      try {
        q = dnsPacket.decode(m);
        if (q.questions?.length !== 1) return;
      } catch {
        return;
      }
      const name = q.questions![0].name;
      const known = name.toLowerCase() === 'example.com';
      this.udp.send(
        dnsPacket.encode({
          type: 'response',
          id: q.id,
          flags: dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3),
          questions: q.questions,
          answers: known && q.questions![0].type === 'A' ? [{ name, type: 'A', ttl: 60, data: '192.0.2.1' }] : [],
          authorities: known ? [] : [{ name: 'com', type: 'SOA', ttl: 30, data: { mname: 'a.com', rname: 'b.com', minimum: 30 } }],
        }),
        r.port,
        r.address,
      );
    });
    await new Promise<void>((r) => this.udp.bind(0, '127.0.0.1', () => r()));
    this.port = this.udp.address().port;
  }
}

const records = new ClusterRecords(zone);
const upstream = new FakeUpstream();
let forwarder: Forwarder;
let server: DnsServer;
let bound: BoundAddress;

function svc(name: string, spec: Service['spec']): Service {
  return { metadata: { name, namespace: 'default' }, spec };
}

beforeAll(async () => {
  await upstream.start();
  records.upsertService(svc('nginx', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80 }] }));
  records.upsertService(svc('big', { clusterIP: 'None' }));
  const addresses = Array.from({ length: 60 }, (_, i) => ({ ip: `10.88.1.${i + 1}` }));
  records.upsertEndpoints({ metadata: { name: 'big', namespace: 'default' }, subsets: [{ addresses }] } as Endpoints);
  records.upsertService(svc('ext', { type: 'ExternalName', externalName: 'example.com' }));
  records.upsertService(svc('alias', { type: 'ExternalName', externalName: 'nginx.default.svc.cluster.local' }));
  const metrics = new DnsMetrics('unit');
  forwarder = new Forwarder({ upstreams: [`127.0.0.1:${upstream.port}`], timeoutMs: 300, onForward: (to, outcome) => metrics.forward(to, outcome) });
  const handler = new DnsHandler({ zone, ttl: 5, nameserverIPs: ['10.96.0.10'], records, forwarder, metrics });
  server = new DnsServer({ handler, listen: [{ host: '127.0.0.1', port: 0 }], tcpIdleMs: 2000 });
  [bound] = await server.start();
});

afterAll(async () => {
  await server.stop();
  forwarder.close();
  upstream.udp.close();
});

describe('the DNS server on loopback', () => {
  test('UDP and TCP listen on the same port', () => {
    expect(bound.udpPort).toBeGreaterThan(0);
    expect(bound.tcpPort).toBe(bound.udpPort);
  });

  test('a cluster name over UDP: authoritative, ID and question echoed, RD copied, RA set', async () => {
    const msg = query('nginx.default.svc.cluster.local', 'A');
    const a = (await udpAsk(bound.udpPort, msg))!;
    expect(a.id).toBe(msg.readUInt16BE(0));
    expect(a).toMatchObject({ type: 'response', flag_aa: true, flag_rd: true, flag_ra: true, flag_tc: false, rcode: 'NOERROR' });
    expect(a.questions).toEqual([{ name: 'nginx.default.svc.cluster.local', type: 'A', class: 'IN' }]);
    expect(a.answers).toEqual([expect.objectContaining({ name: 'nginx.default.svc.cluster.local', type: 'A', ttl: 5, data: '10.96.0.20' })]);
  });

  test('NXDOMAIN and NODATA both carry the zone SOA (negative caching for 5 s)', async () => {
    const nx = (await udpAsk(bound.udpPort, query('nope.default.svc.cluster.local', 'A')))!;
    expect(nx.rcode).toBe('NXDOMAIN');
    expect(nx.authorities).toEqual([expect.objectContaining({ name: 'cluster.local', type: 'SOA', ttl: 5 })]);
    const nodata = (await udpAsk(bound.udpPort, query('nginx.default.svc.cluster.local', 'AAAA')))!;
    expect(nodata).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect(nodata.authorities).toHaveLength(1);
  });

  test('an answer over 512 bytes: TC over UDP, all 60 addresses over TCP; with EDNS0 4096 it fits UDP', async () => {
    const tc = (await udpAsk(bound.udpPort, query('big.default.svc.cluster.local', 'A')))!;
    expect(tc).toMatchObject({ flag_tc: true, rcode: 'NOERROR', answers: [] });
    const [full] = await tcpAsk(bound.tcpPort, [query('big.default.svc.cluster.local', 'A')]);
    expect(full.flag_tc).toBe(false);
    expect(full.answers).toHaveLength(60);
    const edns = query('big.default.svc.cluster.local', 'A', { additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] });
    const big = (await udpAsk(bound.udpPort, edns))!;
    expect(big.flag_tc).toBe(false);
    expect(big.answers).toHaveLength(60);
    expect(big.additionals).toEqual([expect.objectContaining({ type: 'OPT', udpPayloadSize: 1232 })]);
  });

  test('TCP: several pipelined queries on one connection, answered in order', async () => {
    const msgs = Array.from({ length: 100 }, (_, i) => query(i % 2 ? 'nginx.default.svc.cluster.local' : 'nope.default.svc.cluster.local', 'A'));
    const answers = await tcpAsk(bound.tcpPort, msgs);
    expect(answers.map((a) => a.id)).toEqual(msgs.map((m) => m.readUInt16BE(0)));
    expect(answers.filter((a) => a.rcode === 'NXDOMAIN')).toHaveLength(50);
  });

  test('PTR of a ClusterIP', async () => {
    const a = (await udpAsk(bound.udpPort, query('20.0.96.10.in-addr.arpa', 'PTR')))!;
    expect(a.answers).toEqual([expect.objectContaining({ type: 'PTR', data: 'nginx.default.svc.cluster.local' })]);
  });

  test('malformed input: FORMERR with the ID, NOTIMP for other opcodes, silence for responses and short packets', async () => {
    const garbage = Buffer.from('abcdefghijklmnopqrstuvwxyz');
    garbage[2] = 0x01; // a query (QR 0), opcode QUERY, then nonsense counts
    const formerr = (await udpAsk(bound.udpPort, garbage))!;
    expect(formerr).toMatchObject({ id: garbage.readUInt16BE(0), rcode: 'FORMERR', type: 'response' });
    expect(await udpAsk(bound.udpPort, Buffer.from([1, 2, 3]), 300)).toBeUndefined();
    const response = dnsPacket.encode({ type: 'response', id: 7, questions: [{ name: 'nginx.default.svc.cluster.local', type: 'A' }] });
    expect(await udpAsk(bound.udpPort, response, 300)).toBeUndefined();
    const two = dnsPacket.encode({ type: 'query', id: 8, questions: [{ name: 'a.cluster.local', type: 'A' }, { name: 'b.cluster.local', type: 'A' }] });
    expect((await udpAsk(bound.udpPort, two))!.rcode).toBe('FORMERR');
    const notify = dnsPacket.encode({ type: 'query', id: 9, flags: 4 << 11, questions: [{ name: 'cluster.local', type: 'SOA' }] });
    expect((await udpAsk(bound.udpPort, notify))!).toMatchObject({ id: 9, rcode: 'NOTIMP', opcode: 'NOTIFY' });
    const cut = query('nginx.default.svc.cluster.local', 'A').subarray(0, 20);
    expect((await udpAsk(bound.udpPort, cut))!.rcode).toBe('FORMERR');
  });

  test('fuzz: 3,000 mutated queries over UDP and TCP never stop the server', async () => {
    const base = query('nginx.default.svc.cluster.local', 'SRV');
    const s = dgram.createSocket('udp4');
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const mutants: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      const m = Buffer.from(base.subarray(0, Math.max(1, Math.floor(rand() * (base.length + 8)))));
      for (let k = 0; k < 3; k++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
      mutants.push(m);
      s.send(m, bound.udpPort, '127.0.0.1');
    }
    // TCP: garbage lengths and bodies on one connection, which the server may close.
    await new Promise<void>((resolve) => {
      const c = net.connect(bound.tcpPort, '127.0.0.1', () => {
        for (const m of mutants.slice(0, 300)) c.write(m);
        c.end();
      });
      c.resume(); // read (and drop) the answers, or the close never shows
      c.on('error', () => resolve());
      c.on('close', () => resolve());
    });
    s.close();
    const a = await udpAsk(bound.udpPort, query('nginx.default.svc.cluster.local', 'A'));
    expect(a?.answers?.[0]).toMatchObject({ data: '10.96.0.20' });
    const [t] = await tcpAsk(bound.tcpPort, [query('nginx.default.svc.cluster.local', 'A')]);
    expect(t.answers?.[0]).toMatchObject({ data: '10.96.0.20' });
  });

  test('names outside the cluster go upstream; the answer is cached (the TTL ages), denials too', async () => {
    const before = upstream.count;
    const a = (await udpAsk(bound.udpPort, query('EXAMPLE.com', 'A')))!;
    expect(a).toMatchObject({ rcode: 'NOERROR', flag_aa: false });
    expect(a.questions?.[0].name).toBe('EXAMPLE.com');
    expect(a.answers).toEqual([expect.objectContaining({ type: 'A', data: '192.0.2.1' })]);
    expect(upstream.count).toBe(before + 1);
    const again = (await udpAsk(bound.udpPort, query('example.com', 'A')))!;
    expect(again.answers).toEqual([expect.objectContaining({ type: 'A', data: '192.0.2.1' })]);
    expect((again.answers![0] as { ttl: number }).ttl).toBeLessThanOrEqual(30);
    expect(upstream.count).toBe(before + 1);
    const nx = (await udpAsk(bound.udpPort, query('nothing.example', 'A')))!;
    expect(nx.rcode).toBe('NXDOMAIN');
    await udpAsk(bound.udpPort, query('nothing.example', 'A'));
    expect(upstream.count).toBe(before + 2);
    expect(forwarder.cacheEntries).toBeGreaterThanOrEqual(2);
  });

  test('over TCP a forwarded name is asked upstream over TCP; an upstream that fails gives SERVFAIL', async () => {
    // The fake upstream has no TCP listener: the TCP query fails over to SERVFAIL.
    const [a] = await tcpAsk(bound.tcpPort, [query('other.example', 'A')]);
    expect(a.rcode).toBe('SERVFAIL');
    upstream.silent = true;
    try {
      const t0 = Date.now();
      const b = (await udpAsk(bound.udpPort, query('silent.example', 'A'), 2000))!;
      expect(b.rcode).toBe('SERVFAIL');
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    } finally {
      upstream.silent = false;
    }
  });

  test('ExternalName: CNAME plus the target chased upstream, or in the zone', async () => {
    const a = (await udpAsk(bound.udpPort, query('ext.default.svc.cluster.local', 'A')))!;
    expect(a.answers?.map((x) => [x.type, (x as { data: unknown }).data])).toEqual([['CNAME', 'example.com'], ['A', '192.0.2.1']]);
    const b = (await udpAsk(bound.udpPort, query('alias.default.svc.cluster.local', 'A')))!;
    expect(b.answers?.map((x) => [x.type, (x as { data: unknown }).data])).toEqual([['CNAME', 'nginx.default.svc.cluster.local'], ['A', '10.96.0.20']]);
  });

  test('without upstreams: REFUSED; the server never forwards to itself', async () => {
    const lonely = new Forwarder({ upstreams: ['127.0.0.1:53', 'not-an-ip'], own: [{ host: '127.0.0.1', port: 53 }] });
    expect(lonely.upstreams).toEqual([]);
    const h = new DnsHandler({ zone, ttl: 5, nameserverIPs: [], records });
    const out: Buffer[] = [];
    h.handle(query('example.com', 'A'), 'udp', (b) => out.push(b));
    await new Promise((r) => setImmediate(r));
    expect((dnsPacket.decode(out[0]) as Rcoded).rcode).toBe('REFUSED');
    lonely.close();
  });

  test('the metrics count queries by type and rcode, forwarded ones and the latency', async () => {
    const text = await agentRegistry.metrics();
    expect(text).toMatch(/steer_dns_requests_total\{node="unit",proto="udp",type="A"\} \d+/);
    expect(text).toMatch(/steer_dns_requests_total\{node="unit",proto="tcp",type="A"\} \d+/);
    expect(text).toMatch(/steer_dns_responses_total\{node="unit",type="A",rcode="NXDOMAIN"\} \d+/);
    expect(text).toMatch(/steer_dns_responses_total\{node="unit",type="other",rcode="FORMERR"\} \d+/);
    expect(text).toMatch(/steer_dns_forward_requests_total\{node="unit",to="127\.0\.0\.1:\d+",outcome="answer"\} \d+/);
    expect(text).toMatch(/steer_dns_forward_requests_total\{node="unit",to="127\.0\.0\.1:\d+",outcome="timeout"\} \d+/);
    expect(text).toMatch(/steer_dns_forward_cache_hits_total\{node="unit"\} \d+/);
    expect(text).toMatch(/steer_dns_request_duration_seconds_bucket\{le="0.001",node="unit",source="cluster"\} \d+/);
    expect(text).toMatch(/steer_dns_dropped_total\{node="unit",reason="short"\} \d+/);
  });

  test('parseHostPort', () => {
    expect(parseHostPort('10.0.0.1')).toEqual({ host: '10.0.0.1', port: 53 });
    expect(parseHostPort('10.0.0.1:5353')).toEqual({ host: '10.0.0.1', port: 5353 });
    expect(parseHostPort('[fd00::1]:54')).toEqual({ host: 'fd00::1', port: 54 });
    expect(parseHostPort('fd00::1')).toEqual({ host: 'fd00::1', port: 53 });
    expect(parseHostPort('example.com')).toBeUndefined();
    expect(parseHostPort('10.0.0.1:70000')).toBeUndefined();
  });
});
