// The resource metrics API, metrics.k8s.io/v1beta1 PodMetrics and NodeMetrics (what metrics-server
// serves as an aggregated API in Kubernetes), served by the apiserver itself from the node agents'
// measurements: while requests want them, a scrape every --metric-resolution (15 s; none while nobody
// asks, scraper.ts), the last two measurements per container kept (store.ts), CPU served as the rate over the window between them. GET and LIST with
// label selectors; RBAC is the ordinary `get`/`list` on pods.metrics.k8s.io and nodes.metrics.k8s.io.
// A LIST costs what the pods' metadata costs: each pod's measured part (timestamp, window, containers)
// is serialized once per scrape and reused by every request until the next one, and a LIST asked again
// within the same second and scrape, over the same stored pods, gets the same body.
import type { NextFunction, Request, Response } from 'express';
import { MetricsResources, Resources } from '../../lib/api/resources';
import { rfc3339 } from '../../lib/api/time';
import { ApiStatusError, errors } from '../errors';
import type { RequestInfo } from '../handlers/request-info';
import { qs, sendJSON, sendRaw } from '../handlers/request';
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
  /** Each pod's serialized measured part (null: no rate yet), for one generation of the store. */
  private podTails = { generation: -1, byKey: new Map<string, string | null>() };
  /**
   * The last LIST body per namespace and selectors: served again while the scrape, the second of
   * creationTimestamp and the listed pods (the same stored objects) are the same.
   */
  private readonly lastLists = new Map<string, { generation: number; now: string; metas: Meta[]; body: Buffer }>();
  /** The text of a pod's metadata up to and after creationTimestamp, per stored metadata object. */
  private readonly podHeads = new WeakMap<Meta, { open: string; labels: string }>();

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

  /** Scrapes done so far (an apiserver nobody asks for metrics does none). */
  scrapes(): number {
    return this.scraper?.scrapes ?? 0;
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

  /** `,"timestamp":…,"window":…,"containers":[…]}`: what a PodMetrics adds to its metadata, cached per scrape. */
  private podTail(namespace: string, name: string): string | null {
    if (this.podTails.generation !== this.store.generation) this.podTails = { generation: this.store.generation, byKey: new Map() };
    const key = `${namespace}/${name}`;
    let tail = this.podTails.byKey.get(key);
    if (tail === undefined) {
      const u = this.store.pod(namespace, name);
      tail = u
        ? `,"timestamp":"${rfc3339(u.timestamp)}","window":"${windowText(u.windowMs)}","containers":${JSON.stringify(u.containers.map((c) => ({ name: c.name, usage: usageOf(c.usage) })))}}`
        : null;
      this.podTails.byKey.set(key, tail);
    }
    return tail;
  }

  /**
   * A PodMetricsList as JSON text: each item its metadata and its cached tail. The metadata's text is
   * kept per stored metadata object (storage hands out the same object until the pod changes), so labels
   * are always current; creationTimestamp is the time of the request, as metrics-server writes it.
   */
  private podMetricsListJson(items: Meta[], now: string): string {
    const parts: string[] = [];
    const created = JSON.stringify(now);
    for (const md of items) {
      const tail = this.podTail(md.namespace ?? '', md.name ?? '');
      if (tail === null) continue;
      let head = this.podHeads.get(md);
      if (head === undefined) {
        head = {
          open: `{"kind":"PodMetrics","apiVersion":"${GV}","metadata":{"name":${JSON.stringify(md.name)},"namespace":${JSON.stringify(md.namespace)},"creationTimestamp":`,
          labels: md.labels ? `,"labels":${JSON.stringify(md.labels)}}` : '}',
        };
        this.podHeads.set(md, head);
      }
      parts.push(head.open + created + head.labels + tail);
    }
    return `{"kind":"PodMetricsList","apiVersion":"${GV}","metadata":{},"items":[${parts.join(',')}]}`;
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
      // Metrics are wanted: scraping runs while requests come, and a first request waits for a rate.
      await this.scraper?.want();
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
      // One UTF-8 encoding of the whole text (a string would be measured, then encoded again).
      if (pods) {
        const metas = page.items.map((s) => s.obj.metadata as Meta);
        const key = `${ns ?? ''}\n${qs(req, 'labelSelector') ?? ''}\n${qs(req, 'fieldSelector') ?? ''}`;
        const last = this.lastLists.get(key);
        if (last && last.generation === this.store.generation && last.now === now && last.metas.length === metas.length && last.metas.every((m, i) => m === metas[i])) {
          return sendRaw(res, 200, last.body);
        }
        const body = Buffer.from(this.podMetricsListJson(metas, now));
        if (this.lastLists.size > 64) this.lastLists.clear();
        this.lastLists.set(key, { generation: this.store.generation, now, metas, body });
        return sendRaw(res, 200, body);
      }
      const items = page.items.map((s) => build(s.obj.metadata as Meta)).filter((x): x is Record<string, unknown> => x !== undefined);
      return sendJSON(res, 200, { kind: pods ? 'PodMetricsList' : 'NodeMetricsList', apiVersion: GV, metadata: {}, items });
    };
  }
}
