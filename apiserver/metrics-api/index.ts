// The resource metrics API, metrics.k8s.io/v1beta1 PodMetrics and NodeMetrics (what metrics-server
// serves as an aggregated API in Kubernetes), served by the apiserver itself from the node agents'
// measurements: a scrape every --metric-resolution (15 s, scraper.ts), the last two measurements per
// container kept (store.ts), CPU served as the rate over the window between them. GET and LIST with
// label selectors; RBAC is the ordinary `get`/`list` on pods.metrics.k8s.io and nodes.metrics.k8s.io.
import type { NextFunction, Request, Response } from 'express';
import { MetricsResources, Resources } from '../../lib/api/resources';
import { rfc3339 } from '../../lib/api/time';
import { ApiStatusError, errors } from '../errors';
import type { RequestInfo } from '../handlers/request-info';
import { qs, sendJSON } from '../handlers/request';
import { kubeletClientOf, type KubeletClient } from '../kubelet-client';
import type { Registry } from '../registry/registry';
import { Scraper } from './scraper';
import { MetricsStore, type Usage } from './store';

export { MetricsStore } from './store';

const GV = 'metrics.k8s.io/v1beta1';

function windowText(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)}s` : `${Math.round(ms)}ms`;
}

/** metrics-server's quantities: CPU in nano-cores, memory in KiB. */
function usageOf(u: Usage): { cpu: string; memory: string } {
  return { cpu: `${Math.round(u.nanoCores)}n`, memory: `${Math.round(u.memoryBytes / 1024)}Ki` };
}

type Meta = { name?: string; namespace?: string; labels?: Record<string, string>; creationTimestamp?: string };

export class MetricsApi {
  readonly store = new MetricsStore();
  private scraper?: Scraper;

  constructor(
    private readonly registry: Registry,
    private readonly resolutionMs: number,
  ) {}

  /** Starts scraping with the apiserver's kubelet client. */
  start(client: () => KubeletClient): void {
    this.scraper = new Scraper(this.registry.storage, client, this.store, { resolutionMs: this.resolutionMs });
    this.scraper.start();
  }

  stop(): void {
    this.scraper?.stop();
  }

  /** One scrape now (tests, benchmarks). */
  async scrape(): Promise<void> {
    await this.scraper?.scrape();
  }

  private podMetrics(md: Meta, now: string): Record<string, unknown> | undefined {
    const u = this.store.pod(md.namespace ?? '', md.name ?? '');
    if (!u) return undefined;
    return {
      kind: 'PodMetrics',
      apiVersion: GV,
      metadata: { name: md.name, namespace: md.namespace, creationTimestamp: now, ...(md.labels ? { labels: md.labels } : {}) },
      timestamp: rfc3339(u.timestamp),
      window: windowText(u.windowMs),
      containers: u.containers.map((c) => ({ name: c.name, usage: usageOf(c.usage) })),
    };
  }

  private nodeMetrics(md: Meta, now: string): Record<string, unknown> | undefined {
    const u = this.store.node(md.name ?? '');
    if (!u) return undefined;
    return {
      kind: 'NodeMetrics',
      apiVersion: GV,
      metadata: { name: md.name, creationTimestamp: now, ...(md.labels ? { labels: md.labels } : {}) },
      timestamp: rfc3339(u.timestamp),
      window: windowText(u.windowMs),
      usage: usageOf(u),
    };
  }

  /** Express middleware: answers metrics.k8s.io paths, passes everything else on. */
  handler() {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      const info = res.locals.requestInfo as RequestInfo | undefined;
      if (!info?.rt || info.rt.group !== 'metrics.k8s.io') return next();
      if (!this.scraper) this.start(() => kubeletClientOf(req));
      if (req.method !== 'GET' || info.watch || info.subresource) throw errors.methodNotAllowed(req.method, info.rt.resource);
      const pods = info.rt === MetricsResources.pods;
      const stored = pods ? Resources.pods : Resources.nodes;
      const rt = pods ? MetricsResources.pods : MetricsResources.nodes;
      const now = rfc3339(Date.now());
      const ns = pods ? info.namespace : undefined;
      const build = (md: Meta) => (pods ? this.podMetrics(md, now) : this.nodeMetrics(md, now));
      if (info.name !== undefined) {
        let md: Meta | undefined;
        try {
          md = (await this.registry.get(stored, ns, info.name)).obj.metadata as Meta;
        } catch (err) {
          if (!(err instanceof ApiStatusError && err.code === 404)) throw err;
        }
        const item = md && build(md);
        if (!item) throw errors.notFound(rt, pods ? `${ns}/${info.name}` : info.name);
        return sendJSON(res, 200, item);
      }
      const page = await this.registry.list(stored, ns, { labelSelector: qs(req, 'labelSelector'), fieldSelector: qs(req, 'fieldSelector') });
      const items = page.items.map((s) => build(s.obj.metadata as Meta)).filter((x): x is Record<string, unknown> => x !== undefined);
      return sendJSON(res, 200, { kind: pods ? 'PodMetricsList' : 'NodeMetricsList', apiVersion: GV, metadata: {}, items });
    };
  }
}
