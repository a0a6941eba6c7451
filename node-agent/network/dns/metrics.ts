// The cluster DNS server's Prometheus series, in the node agent's registry (served on the agent's
// /metrics) and named after CoreDNS's where one exists: requests by transport and type, responses by
// rcode, the request duration histogram, forwarded queries by upstream and outcome, dropped packets by
// reason, and the sizes of the record index and the forward cache (computed at scrape time from the
// servers registered here). The per-query series are kept in plain numbers and turned into samples
// at scrape time: prom-client hashes the label set on every inc/observe, which cost a cluster answer
// about a third of its time (bench/dns.ts).
import type { Metric, Registry } from 'prom-client';
import { agentRegistry } from '../../metrics';
import { gauge } from '../../../lib/component/metrics';

type Labels = Record<string, string>;

interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** A counter family whose cells are plain objects the caller keeps and increments. */
class CounterFamily {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private readonly cells = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  cell(labels: Labels): { value: number } {
    const key = JSON.stringify(labels);
    let c = this.cells.get(key);
    if (!c) this.cells.set(key, (c = { labels, value: 0 }));
    return c;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: [...this.cells.values()].map((c) => ({ labels: c.labels, value: c.value })) };
  }

  reset(): void {
    for (const c of this.cells.values()) c.value = 0;
  }
}

/** One label set of a histogram: counts per bucket (not cumulative until scraped), sum and count. */
export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly upper: number[],
  ) {
    this.counts = new Float64Array(upper.length);
  }

  observe(v: number): void {
    this.sum += v;
    this.count++;
    for (let i = 0; i < this.upper.length; i++) {
      if (v <= this.upper[i]) {
        this.counts[i]++;
        return;
      }
    }
  }
}

class HistogramFamily {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, HistogramSeries>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {}

  seriesFor(labels: Labels): HistogramSeries {
    const key = JSON.stringify(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = new HistogramSeries(labels, this.buckets)));
    return s;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    const values: Sample[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += s.counts[i];
        values.push({ labels: { le: String(le), ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const s of this.series.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}

/** Registers a family once per registry (a module may load twice in tests); later callers get the first. */
function register<T extends { name: string }>(registry: Registry, family: T): T {
  const existing = registry.getSingleMetric(family.name) as unknown as T | undefined;
  if (existing) return existing;
  // prom-client reads any object with name, help, type and get() (its registry calls nothing else but reset).
  registry.registerMetric(family as unknown as Metric<string>);
  return family;
}

const requests = register(agentRegistry, new CounterFamily('steer_dns_requests_total', 'DNS queries received, by transport and query type (as coredns_dns_requests_total).'));
const responses = register(agentRegistry, new CounterFamily('steer_dns_responses_total', 'DNS responses sent, by query type and rcode (as coredns_dns_responses_total).'));
const duration = register(
  agentRegistry,
  new HistogramFamily(
    'steer_dns_request_duration_seconds',
    'Time from receiving a DNS query to sending its answer, by whether it was answered from the cluster records or forwarded.',
    [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  ),
);
const forwarded = register(agentRegistry, new CounterFamily('steer_dns_forward_requests_total', 'Queries sent to an upstream resolver, by upstream and outcome (answer, timeout, error).'));
const cacheHits = register(agentRegistry, new CounterFamily('steer_dns_forward_cache_hits_total', 'Forwarded names answered from the forward cache.'));
const dropped = register(agentRegistry, new CounterFamily('steer_dns_dropped_total', 'DNS packets dropped without an answer, by reason (short, response).'));

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

/** One node's view of the series, with its cells cached: a query costs a map lookup and an addition. */
export class DnsMetrics {
  private readonly cells = new Map<string, { value: number }>();
  private readonly histograms = new Map<string, HistogramSeries>();

  constructor(private readonly node: string) {}

  private cell(family: CounterFamily, key: string, labels: Labels): { value: number } {
    let c = this.cells.get(key);
    if (!c) this.cells.set(key, (c = family.cell({ node: this.node, ...labels })));
    return c;
  }

  static typeLabel(type: string | undefined): string {
    return type && knownTypes.has(type) ? type : 'other';
  }

  request(proto: 'udp' | 'tcp', type: string): void {
    this.cell(requests, `q|${proto}|${type}`, { proto, type }).value++;
  }

  response(type: string, rcode: string, source: 'cluster' | 'forward', seconds: number): void {
    this.cell(responses, `r|${type}|${rcode}`, { type, rcode }).value++;
    let h = this.histograms.get(source);
    if (!h) this.histograms.set(source, (h = duration.seriesFor({ node: this.node, source })));
    h.observe(seconds);
  }

  forward(to: string, outcome: string): void {
    this.cell(forwarded, `f|${to}|${outcome}`, { to, outcome }).value++;
  }

  cacheHit(): void {
    this.cell(cacheHits, 'hit', {}).value++;
  }

  dropped(reason: string): void {
    this.cell(dropped, `d|${reason}`, { reason }).value++;
  }
}
