// The cluster DNS server's Prometheus series, in the node agent's registry (served on the agent's
// /metrics) and named after CoreDNS's where one exists: requests by transport and type, responses by
// rcode, the request duration histogram, forwarded queries by upstream and outcome, dropped packets by
// reason, and the sizes of the record index and the forward cache (computed at scrape time from the
// servers registered here). Labelled children are kept so the per-query cost is a map lookup.
import type { Counter, Histogram } from 'prom-client';
import { agentRegistry } from '../../metrics';
import { counter, gauge, histogram } from '../../../lib/component/metrics';

const requests = counter({
  name: 'steer_dns_requests_total',
  help: 'DNS queries received, by transport and query type (as coredns_dns_requests_total).',
  labelNames: ['node', 'proto', 'type'],
}, agentRegistry);

const responses = counter({
  name: 'steer_dns_responses_total',
  help: 'DNS responses sent, by query type and rcode (as coredns_dns_responses_total).',
  labelNames: ['node', 'type', 'rcode'],
}, agentRegistry);

const duration = histogram({
  name: 'steer_dns_request_duration_seconds',
  help: 'Time from receiving a DNS query to sending its answer, by whether it was answered from the cluster records or forwarded.',
  labelNames: ['node', 'source'],
  buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
}, agentRegistry);

const forwarded = counter({
  name: 'steer_dns_forward_requests_total',
  help: 'Queries sent to an upstream resolver, by upstream and outcome (answer, timeout, error).',
  labelNames: ['node', 'to', 'outcome'],
}, agentRegistry);

const cacheHits = counter({
  name: 'steer_dns_forward_cache_hits_total',
  help: 'Forwarded names answered from the forward cache.',
  labelNames: ['node'],
}, agentRegistry);

const dropped = counter({
  name: 'steer_dns_dropped_total',
  help: 'DNS packets dropped without an answer, by reason (short, response, tcp-limit).',
  labelNames: ['node', 'reason'],
}, agentRegistry);

/** The query types that get their own label value; anything else is "other". */
const knownTypes = new Set(['A', 'AAAA', 'SRV', 'PTR', 'TXT', 'CNAME', 'SOA', 'NS', 'MX', 'ANY']);

/** What a running server reports about its sizes at scrape time. */
export interface DnsSizesSource {
  node: string;
  sizes(): { services: number; endpoints: number; reverse: number; forwardCache: number; forwardInFlight: number };
}

const sources = new Set<DnsSizesSource>();

export function registerDnsSizes(s: DnsSizesSource): () => void {
  sources.add(s);
  return () => sources.delete(s);
}

gauge({
  name: 'steer_dns_cache_entries',
  help: 'Entries of the cluster DNS caches: services, endpoints and reverse (the record index), forward (the answer cache of forwarded names).',
  labelNames: ['node', 'cache'],
  collect() {
    this.reset();
    for (const s of sources) {
      const z = s.sizes();
      this.set({ node: s.node, cache: 'services' }, z.services);
      this.set({ node: s.node, cache: 'endpoints' }, z.endpoints);
      this.set({ node: s.node, cache: 'reverse' }, z.reverse);
      this.set({ node: s.node, cache: 'forward' }, z.forwardCache);
    }
  },
}, agentRegistry);

gauge({
  name: 'steer_dns_forward_in_flight',
  help: 'Forwarded queries waiting for an upstream answer.',
  labelNames: ['node'],
  collect() {
    this.reset();
    for (const s of sources) this.set({ node: s.node }, s.sizes().forwardInFlight);
  },
}, agentRegistry);

type CounterChild = ReturnType<Counter<string>['labels']>;
type HistogramChild = ReturnType<Histogram<string>['labels']>;

/** One node's view of the series, with its labelled children cached. */
export class DnsMetrics {
  private readonly counters = new Map<string, CounterChild>();
  private readonly histograms = new Map<string, HistogramChild>();

  constructor(private readonly node: string) {}

  private child(metric: Counter<string>, key: string, labels: Record<string, string>): CounterChild {
    let c = this.counters.get(key);
    if (!c) this.counters.set(key, (c = metric.labels({ node: this.node, ...labels })));
    return c;
  }

  static typeLabel(type: string | undefined): string {
    return type && knownTypes.has(type) ? type : 'other';
  }

  request(proto: 'udp' | 'tcp', type: string): void {
    this.child(requests, `q|${proto}|${type}`, { proto, type }).inc();
  }

  response(type: string, rcode: string, source: 'cluster' | 'forward', seconds: number): void {
    this.child(responses, `r|${type}|${rcode}`, { type, rcode }).inc();
    let h = this.histograms.get(source);
    if (!h) this.histograms.set(source, (h = duration.labels({ node: this.node, source })));
    h.observe(seconds);
  }

  forward(to: string, outcome: string): void {
    this.child(forwarded, `f|${to}|${outcome}`, { to, outcome }).inc();
  }

  cacheHit(): void {
    this.child(cacheHits, 'hit', {}).inc();
  }

  dropped(reason: string): void {
    this.child(dropped, `d|${reason}`, { reason }).inc();
  }
}
