// One DNS message in, its answer out: decode with dns-packet; a packet shorter than a header or that
// is itself a response is dropped, one that does not decode gets FORMERR, an opcode other than QUERY
// NOTIMP, a message without exactly one question FORMERR. A name in the cluster zone (or the PTR of a
// cluster IP) is answered at once from the records (answer.ts), with the SOA in the authority section of
// negative answers; an ExternalName's target is resolved too (in the zone, or through the forwarder).
// Everything else goes to the forwarder. Over UDP an answer larger than 512 bytes (or the client's EDNS0
// size) is sent without records and with TC set, so the client retries over TCP. Cluster answers are
// produced synchronously (no promise per query): the callback runs before handle() returns.
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet, Question, RecordType } from 'dns-packet';
import { answerReverse, answerZone, inZone, soaRecord, ZoneAnswer, ZoneOptions } from './answer';
import type { Forwarder } from './forwarder';
import { DnsMetrics } from './metrics';
import type { ClusterRecords } from './records';

export type Transport = 'udp' | 'tcp';

const RCODES = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
type Rcode = keyof typeof RCODES;

/** The most a UDP answer may carry without EDNS0 (RFC 1035), and the most steer accepts with it. */
export const UDP_PLAIN_LIMIT = 512;
export const UDP_EDNS_LIMIT = 4096;
/** The EDNS0 buffer size steer advertises (the DNS flag day's recommendation). */
const ADVERTISED_UDP_SIZE = 1232;
/** ExternalName targets inside the zone that point at other ExternalNames: at most this many hops. */
const MAX_CHASE = 8;

export interface DnsHandlerOptions extends ZoneOptions {
  records: ClusterRecords;
  /** Names outside the cluster; without one they get REFUSED. */
  forwarder?: Forwarder;
  metrics?: DnsMetrics;
}

type Reply = (response: Buffer) => void;

interface Query {
  packet: DecodedPacket;
  question: Question;
  lower: string;
  type: RecordType | 'ANY';
  proto: Transport;
  /** The most a UDP answer may carry. */
  limit: number;
  /** Whether to put an OPT record in the answer (the client sent one). */
  edns: boolean;
  start: number;
}

export class DnsHandler {
  readonly metrics: DnsMetrics;

  constructor(private readonly o: DnsHandlerOptions) {
    this.metrics = o.metrics ?? new DnsMetrics('');
  }

  /** Answers one message; reply is called once (or never, for a packet that gets no answer). */
  handle(msg: Buffer, proto: Transport, reply: Reply): void {
    const start = performance.now();
    if (msg.length < 12) return this.metrics.dropped('short');
    let packet: DecodedPacket;
    try {
      packet = dnsPacket.decode(msg);
    } catch {
      // The header decoded or the length check above would have failed: answer with its ID.
      if (msg[2] & 0x80) return this.metrics.dropped('response');
      this.metrics.request(proto, 'other');
      return this.send(reply, this.errorResponse(msg.readUInt16BE(0), (msg[2] >> 3) & 0x0f, 'FORMERR'), 'other', 'FORMERR', 'cluster', start);
    }
    if (packet.type === 'response') return this.metrics.dropped('response');
    const opcode = (packet as DecodedPacket & { opcode?: string }).opcode;
    const question = packet.questions?.[0];
    const typeLabel = DnsMetrics.typeLabel(question?.type);
    this.metrics.request(proto, typeLabel);
    if (opcode !== 'QUERY') return this.send(reply, this.errorResponse(packet.id ?? 0, (packet.flags ?? 0) >> 11, 'NOTIMP'), typeLabel, 'NOTIMP', 'cluster', start);
    if (!question || packet.questions!.length !== 1) return this.send(reply, this.errorResponse(packet.id ?? 0, 0, 'FORMERR'), typeLabel, 'FORMERR', 'cluster', start);
    const opt = (packet.additionals || []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
    const limit = opt ? Math.min(UDP_EDNS_LIMIT, Math.max(UDP_PLAIN_LIMIT, opt.udpPayloadSize ?? 0)) : UDP_PLAIN_LIMIT;
    let lower = question.name.toLowerCase();
    if (lower.endsWith('.')) lower = lower.slice(0, -1);
    const q: Query = { packet, question, lower, type: question.type as RecordType | 'ANY', proto, limit, edns: !!opt, start };
    const klass = question.class ?? 'IN';

    const zone = this.o.zone;
    if (inZone(lower, zone)) {
      if (klass !== 'IN' && klass !== 'ANY') return this.answer(reply, q, { rcode: 'NOERROR', answers: [], additionals: [] });
      const a = answerZone(this.o.records, this.o, question.name, lower, q.type);
      if (a.chase) return void this.chase(reply, q, a);
      return this.answer(reply, q, a);
    }
    if (klass === 'IN' && (lower.endsWith('.in-addr.arpa') || lower.endsWith('.ip6.arpa'))) {
      const a = answerReverse(this.o.records, this.o, question.name, lower, q.type);
      if (a) return this.answer(reply, q, a);
    }
    void this.forward(reply, q, msg);
  }

  /** An answer from the cluster records: authoritative, SOA with negative answers, TC when too big. */
  private answer(reply: Reply, q: Query, a: ZoneAnswer): void {
    const negative = a.rcode === 'NXDOMAIN' || a.answers.length === 0;
    const response: Packet = {
      id: q.packet.id,
      type: 'response',
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | ((q.packet.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | RCODES[a.rcode],
      questions: [q.question],
      answers: a.answers,
      authorities: negative ? [soaRecord(this.o)] : [],
      additionals: q.edns ? [...a.additionals, this.opt()] : a.additionals,
    };
    this.send(reply, this.fit(response, q), DnsMetrics.typeLabel(q.type), a.rcode, 'cluster', q.start);
  }

  /** CNAME to an ExternalName's target, plus the target's own records (in the zone, or forwarded). */
  private async chase(reply: Reply, q: Query, first: ZoneAnswer): Promise<void> {
    const answers: Answer[] = [...first.answers];
    let target = first.chase;
    let rcode: 'NOERROR' | 'NXDOMAIN' = 'NOERROR';
    for (let hop = 0; target && hop < MAX_CHASE; hop++) {
      if (inZone(target, this.o.zone)) {
        const next = answerZone(this.o.records, this.o, target, target, q.type);
        answers.push(...next.answers);
        rcode = next.rcode;
        target = next.chase;
        continue;
      }
      const upstream = this.o.forwarder && q.type !== 'ANY' ? await this.o.forwarder.lookup(target, q.type as RecordType) : undefined;
      if (upstream) {
        answers.push(...(upstream.answers || []));
        const r = (upstream as DecodedPacket & { rcode?: string }).rcode;
        if (r === 'NXDOMAIN') rcode = 'NXDOMAIN';
      }
      break;
    }
    // The CNAME exists whatever its target does: NXDOMAIN only tells about the end of the chain.
    this.answer(reply, q, { rcode, answers, additionals: [] });
  }

  private async forward(reply: Reply, q: Query, raw: Buffer): Promise<void> {
    const typeLabel = DnsMetrics.typeLabel(q.type);
    const fwd = this.o.forwarder;
    const r = fwd ? await fwd.forward(q.packet, raw, q.proto) : ({ ok: false, rcode: 'REFUSED' } as const);
    if (!r.ok) {
      const response: Packet = {
        id: q.packet.id,
        type: 'response',
        flags: dnsPacket.RECURSION_AVAILABLE | ((q.packet.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | RCODES[r.rcode],
        questions: [q.question],
      };
      return this.send(reply, dnsPacket.encode(response), typeLabel, r.rcode, 'forward', q.start);
    }
    if (r.cached) this.metrics.cacheHit();
    let response = r.response;
    // An upstream (or cached) answer too big for this client's UDP size goes back truncated.
    if (q.proto === 'udp' && response.length > q.limit) {
      response = dnsPacket.encode({
        id: q.packet.id,
        type: 'response',
        flags: dnsPacket.RECURSION_AVAILABLE | ((q.packet.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | dnsPacket.TRUNCATED_RESPONSE,
        questions: [q.question],
      });
    }
    this.send(reply, response, typeLabel, r.rcode, 'forward', q.start);
  }

  /** The encoded response, or (over UDP, when larger than the client takes) the same without records and with TC. */
  private fit(response: Packet, q: Query): Buffer {
    const full = dnsPacket.encode(response);
    if (q.proto === 'tcp' || full.length <= q.limit) return full;
    return dnsPacket.encode({
      ...response,
      flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE,
      answers: [],
      authorities: [],
      additionals: q.edns ? [this.opt()] : [],
    });
  }

  private opt(): Answer {
    return { name: '.', type: 'OPT', udpPayloadSize: ADVERTISED_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
  }

  private errorResponse(id: number, opcode: number, rcode: Rcode): Buffer {
    return dnsPacket.encode({ id, type: 'response', flags: ((opcode & 0x0f) << 11) | RCODES[rcode] });
  }

  private send(reply: Reply, response: Buffer, type: string, rcode: string, source: 'cluster' | 'forward', start: number): void {
    this.metrics.response(type, rcode, source, (performance.now() - start) / 1000);
    reply(response);
  }
}
