// The metrics API's scrape loop (metrics-server's, inside the apiserver): every resolution interval
// (--metric-resolution, 15 s) it reads the Nodes from storage, asks each node agent endpoint once for
// /stats/resource over the apiserver's kubelet client (HTTPS as kube-apiserver-kubelet-client, like
// pods/log), and hands the summaries to the store. Agents that do not answer within the timeout keep
// their nodes out of this round.
import type * as http from 'node:http';
import { Resources } from '../../lib/api/resources';
import type { KubeletClient } from '../kubelet-client';
import { nodeEndpoint } from '../handlers/subresources/log';
import { bucketOf } from '../registry/keys';
import type { Storage } from '../storage/types';
import type { MetricsStore, NodeSummary } from './store';

export interface ScraperOptions {
  /** How often to scrape (ms); 0: never on its own (scrape() by hand). */
  resolutionMs: number;
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
  /** When the last scrape finished (ms), for callers that want fresh data. */
  lastScrape = 0;

  constructor(
    private readonly storage: Storage,
    private readonly client: () => KubeletClient,
    private readonly store: MetricsStore,
    private readonly o: ScraperOptions,
  ) {}

  start(): void {
    if (this.o.resolutionMs <= 0 || this.timer) return;
    void this.scrape();
    this.timer = setInterval(() => void this.scrape(), this.o.resolutionMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One scrape of every node (a scrape already running is joined, not doubled). */
  scrape(): Promise<void> {
    if (!this.inFlight) this.inFlight = this.run().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async run(): Promise<void> {
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
    await Promise.all(
      [...byEndpoint.values()].map(async (g) => {
        try {
          const body = (await fetchJson(this.client(), { host: g.host, port: g.port, path: '/stats/resource', timeoutMs: this.o.timeoutMs ?? 5000 })) as { items?: NodeSummary[] };
          for (const s of body.items ?? []) if (s?.node && g.names.has(s.node.nodeName)) summaries.push(s);
          answered.push(...g.names);
        } catch {
          // An agent that does not answer this round: its nodes keep their last measurements.
        }
      }),
    );
    this.store.update(covered, answered, summaries);
    this.lastScrape = Date.now();
  }
}
