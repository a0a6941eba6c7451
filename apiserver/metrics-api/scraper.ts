// The metrics API's scrape loop (metrics-server's, inside the apiserver): it reads the Nodes from
// storage, asks each node agent endpoint once for /stats/resource over the apiserver's kubelet client
// (HTTPS as kube-apiserver-kubelet-client, like pods/log), and hands the summaries to the store. Agents
// that do not answer within the timeout keep their nodes out of this round.
//
// On demand: every scrape makes each agent ask containerd for stats (a walk of every container's
// cgroups), so an idle cluster must not pay for them. A metrics API request (kubectl top, the HPA
// controller's sync, the console) wants metrics: scraping then runs every resolution interval
// (--metric-resolution, 15 s) until no request has come for `idleAfterMs`. A request that finds the
// data older than two intervals (nobody asked for a while) scrapes twice, `coldGapMs` apart, with the
// second scrape asking the agents for stats taken then: CPU is a rate between two measurements, so the
// answer needs both. While requests keep coming the data is at most one interval old, as
// metrics-server's.
import type * as http from 'node:http';
import { Resources } from '../../lib/api/resources';
import type { KubeletClient } from '../kubelet-client';
import { nodeEndpoint } from '../handlers/subresources/log';
import { bucketOf } from '../registry/keys';
import type { Storage } from '../storage/types';
import type { MetricsStore, NodeSummary } from './store';

export interface ScraperOptions {
  /** How often to scrape while metrics are wanted (ms); 0: never on its own (scrape() by hand). */
  resolutionMs: number;
  /** Scraping stops when no request has come for this long (default max(60 s, 4 intervals)). */
  idleAfterMs?: number;
  /** A cold request's two scrapes are this far apart (default min(1 s, one interval)). */
  coldGapMs?: number;
  timeoutMs?: number;
}

function fetchJson(client: KubeletClient, target: { host: string; port: number; path: string; timeoutMs: number }): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = client.get(target, (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`${target.path}: ${res.statusCode}`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err as Error);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

export class Scraper {
  private timer?: NodeJS.Timeout;
  private inFlight?: Promise<void>;
  /** A cold request's pair of scrapes, joined by the requests that arrive meanwhile. */
  private warming?: Promise<void>;
  /** When the last scrape finished (ms), for callers that want fresh data. */
  lastScrape = 0;
  /** When a request last wanted metrics (ms). */
  private lastWanted = 0;
  private stopped = false;
  /** Scrapes done (tests, benchmarks: an idle apiserver does none). */
  scrapes = 0;

  constructor(
    private readonly storage: Storage,
    private readonly client: () => KubeletClient,
    private readonly store: MetricsStore,
    private readonly o: ScraperOptions,
  ) {}

  /** Nothing happens until a request wants metrics (want()). */
  start(): void {
    this.stopped = false;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Is the periodic scrape running (metrics wanted lately)? */
  active(): boolean {
    return this.timer !== undefined;
  }

  /**
   * A request wants metrics: keeps (or starts) the periodic scrape, and resolves once the store can
   * answer — at once while scrapes are current, after a pair of scrapes when they are not.
   */
  want(): Promise<void> {
    if (this.o.resolutionMs <= 0 || this.stopped) return Promise.resolve();
    const now = Date.now();
    this.lastWanted = now;
    if (!this.timer) {
      this.timer = setInterval(() => {
        if (Date.now() - this.lastWanted > this.idleAfterMs()) return this.pause();
        this.scrape().catch(() => undefined); // the next interval tries again
      }, this.o.resolutionMs);
      this.timer.unref();
    }
    if (now - this.lastScrape <= 2 * this.o.resolutionMs) return Promise.resolve();
    // A failed scrape (storage unavailable) leaves the request to answer from what the store has.
    if (!this.warming) this.warming = this.warm().catch(() => undefined).finally(() => (this.warming = undefined));
    return this.warming;
  }

  private idleAfterMs(): number {
    return this.o.idleAfterMs ?? Math.max(60_000, 4 * this.o.resolutionMs);
  }

  private pause(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Two scrapes a short gap apart: a first measurement, then one taken now, so rates exist. */
  private async warm(): Promise<void> {
    await this.scrape();
    await new Promise((r) => setTimeout(r, this.o.coldGapMs ?? Math.min(1000, this.o.resolutionMs)));
    await this.scrape(0);
  }

  /**
   * One scrape of every node (a scrape already running is joined, not doubled). `maxAgeMs`: how old the
   * agents' stats may be (default: their own poll interval; 0: measured for this scrape).
   */
  scrape(maxAgeMs?: number): Promise<void> {
    if (!this.inFlight) this.inFlight = this.run(maxAgeMs).finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async run(maxAgeMs: number | undefined): Promise<void> {
    const nodes = await this.storage.list(bucketOf(Resources.nodes));
    const byEndpoint = new Map<string, { host: string; port: number; names: Set<string> }>();
    const covered: string[] = [];
    for (const n of nodes.items) {
      const name = String(n.obj.metadata.name);
      covered.push(name);
      const ep = nodeEndpoint(n.obj);
      if (!ep) continue;
      const key = `${ep.host}:${ep.port}`;
      const group = byEndpoint.get(key) ?? { ...ep, names: new Set<string>() };
      group.names.add(name);
      byEndpoint.set(key, group);
    }
    const summaries: NodeSummary[] = [];
    const answered: string[] = [];
    const path = maxAgeMs === undefined ? '/stats/resource' : `/stats/resource?maxAgeMs=${maxAgeMs}`;
    await Promise.all(
      [...byEndpoint.values()].map(async (g) => {
        try {
          const body = (await fetchJson(this.client(), { host: g.host, port: g.port, path, timeoutMs: this.o.timeoutMs ?? 5000 })) as { items?: NodeSummary[] };
          for (const s of body.items ?? []) if (s?.node && g.names.has(s.node.nodeName)) summaries.push(s);
          answered.push(...g.names);
        } catch {
          // An agent that does not answer this round: its nodes keep their last measurements.
        }
      }),
    );
    this.store.update(covered, answered, summaries);
    this.lastScrape = Date.now();
    this.scrapes++;
  }
}
