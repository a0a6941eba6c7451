// ClusterDns: the node agent's cluster DNS, put together. Services and Endpoints come from informers
// (the service proxy's shared factory when it runs, so no extra watch), fill ClusterRecords event by
// event, and DnsHandler answers from them; other names go to the host's resolvers through the
// Forwarder. Once the caches are synced the server binds its addresses (the node's InternalIP, port 53,
// by default); when that fails (port taken, address not there yet) it logs and retries. When it is
// bound, the cluster DNS addresses are DNATed to it (redirect.ts), re-applied periodically in case
// someone flushed the nat table.
import type { Endpoints, Service } from 'kubernetes-types/core/v1';
import type { KubeClient } from '../../../lib/client/client';
import { Resources } from '../../../lib/api/resources';
import { SharedInformerFactory } from '../../../lib/client/shared-informers';
import { Forwarder } from './forwarder';
import { DnsHandler } from './handler';
import { DnsMetrics, registerDnsSizes } from './metrics';
import { ClusterRecords } from './records';
import { DnsRedirect } from './redirect';
import { BoundAddress, DnsServer, ListenAddress } from './server';

export interface ClusterDnsOptions {
  client: KubeClient;
  /** Informers to share (the service proxy's); by default the server has its own. */
  informers?: SharedInformerFactory;
  /** Labels the metrics. */
  nodeName: string;
  clusterDomain: string;
  /** The addresses pods are given as nameservers (--cluster-dns): DNATed to this server. */
  clusterIPs: string[];
  /** Where the server listens (e.g. the node's InternalIP, port 53). */
  listen: ListenAddress[];
  /** Resolvers for names outside the cluster: `ip` or `ip:port` (the host's resolv.conf nameservers). */
  upstreams: string[];
  /** DNAT the cluster DNS addresses to this server (default on; the instance names the chain). */
  redirect?: false | { instance: string; commandPrefix?: string[] };
  /** TTL of cluster answers in seconds (default 5, as CoreDNS). */
  ttl?: number;
  forwardTimeoutMs?: number;
  forwardCacheSize?: number;
  /** Retry period when binding fails (default 5 s). */
  retryMs?: number;
  /**
   * How often the redirect's jump is checked, and the rules applied again when it is gone (default 30 s,
   * one `iptables -C`; 0 = never).
   */
  resyncMs?: number;
  log?: (msg: string) => void;
}

export class ClusterDns {
  readonly records: ClusterRecords;
  readonly forwarder: Forwarder;
  readonly handler: DnsHandler;
  private readonly informers: SharedInformerFactory;
  private readonly ownInformers: boolean;
  private readonly redirect?: DnsRedirect;
  private readonly log: (msg: string) => void;
  private server?: DnsServer;
  private retryTimer?: NodeJS.Timeout;
  private resyncTimer?: NodeJS.Timeout;
  private unregisterSizes?: () => void;
  private stopped = false;
  private applying?: Promise<void>;
  private servingResolve?: (b: BoundAddress[]) => void;
  /** Resolves with the bound addresses once the server listens (after retries, if it had to). */
  readonly serving: Promise<BoundAddress[]>;

  constructor(private readonly o: ClusterDnsOptions) {
    const zone = o.clusterDomain.toLowerCase().replace(/^\.+|\.+$/g, '');
    this.records = new ClusterRecords(zone);
    this.log = o.log ?? ((m) => console.error(`cluster-dns: ${m}`));
    this.ownInformers = !o.informers;
    this.informers = o.informers ?? new SharedInformerFactory(o.client);
    const metrics = new DnsMetrics(o.nodeName);
    this.forwarder = new Forwarder({
      upstreams: o.upstreams,
      // Never forward to ourselves: the listen addresses, nor (through the DNAT) the cluster DNS IPs.
      own: [...o.listen, ...o.clusterIPs.map((host) => ({ host, port: 53 }))],
      timeoutMs: o.forwardTimeoutMs,
      cacheSize: o.forwardCacheSize,
      onForward: (to, outcome) => metrics.forward(to, outcome),
    });
    this.handler = new DnsHandler({ zone, ttl: o.ttl ?? 5, nameserverIPs: o.clusterIPs, records: this.records, forwarder: this.forwarder, metrics });
    if (o.redirect !== false && o.clusterIPs.length) this.redirect = new DnsRedirect(o.redirect?.instance ?? o.nodeName, o.redirect?.commandPrefix);
    this.serving = new Promise((resolve) => (this.servingResolve = resolve));
    this.serving.catch(() => undefined);
  }

  get bound(): BoundAddress[] {
    return this.server?.bound ?? [];
  }

  /** Fills the records from synced caches, then binds (or keeps retrying in the background). */
  async start(): Promise<void> {
    const services = this.informers.informerFor<Service>(Resources.services);
    const endpoints = this.informers.informerFor<Endpoints>(Resources.endpoints);
    services.onAdd((s) => this.records.upsertService(s));
    services.onUpdate((_, s) => this.records.upsertService(s));
    services.onDelete((s) => this.records.removeService(s));
    endpoints.onAdd((e) => this.records.upsertEndpoints(e));
    endpoints.onUpdate((_, e) => this.records.upsertEndpoints(e));
    endpoints.onDelete((e) => this.records.removeEndpoints(e));
    this.informers.start();
    // Answers before the first list would deny Services that exist (and clients cache denials). Its own
    // two kinds only: shared informers may hold other components' kinds too.
    await Promise.all([services.start(), endpoints.start()]);
    this.unregisterSizes = registerDnsSizes({
      node: this.o.nodeName,
      sizes: () => ({ ...this.records.sizes, forwardCache: this.forwarder.cacheEntries, forwardInFlight: this.forwarder.outstanding }),
    });
    await this.tryServe();
  }

  private async tryServe(): Promise<void> {
    if (this.stopped) return;
    const server = new DnsServer({ handler: this.handler, listen: this.o.listen });
    try {
      const bound = await server.start();
      if (this.stopped) return void (await server.stop()); // stopped while binding
      this.server = server;
      if (this.redirect) await this.applyRedirect();
      const resync = this.o.resyncMs ?? 30_000;
      if (resync > 0 && this.redirect) {
        this.resyncTimer = setInterval(() => void this.checkRedirect(), resync);
        this.resyncTimer.unref();
      }
      this.log(`serving ${this.records.zone} on ${bound.map((b) => `${b.host}:${b.udpPort}`).join(', ')}${this.redirect ? ` (for ${this.o.clusterIPs.join(', ')})` : ''}; other names go to ${this.forwarder.upstreams.map((u) => `${u.host}:${u.port}`).join(', ') || 'nobody (no usable nameserver)'}`);
      this.servingResolve?.(bound);
    } catch (err) {
      await server.stop();
      this.log(`cannot serve on ${this.o.listen.map((a) => `${a.host}:${a.port}`).join(', ')}: ${(err as Error).message}; retrying`);
      this.retryTimer = setTimeout(() => void this.tryServe(), this.o.retryMs ?? 5000);
      this.retryTimer.unref();
    }
  }

  /** Applies the DNAT again when a flush or a firewall reload took it away. */
  private async checkRedirect(): Promise<void> {
    if (!this.redirect || this.stopped || this.applying) return;
    const intact = await this.redirect.intact().catch(() => false);
    if (!intact) await this.applyRedirect();
  }

  /** (Re)applies the DNAT; one at a time, and stop() waits for the one under way. */
  private applyRedirect(): Promise<void> {
    const b = this.server?.bound[0];
    if (!b || !this.redirect || this.stopped || this.applying) return this.applying ?? Promise.resolve();
    const redirect = this.redirect;
    this.applying = redirect
      .apply(this.o.clusterIPs, { host: b.host, udpPort: b.udpPort, tcpPort: b.tcpPort })
      .catch((err: Error) => this.log(`cannot redirect ${this.o.clusterIPs.join(', ')} to ${b.host}: ${err.message}`))
      .finally(() => (this.applying = undefined));
    return this.applying;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.resyncTimer);
    this.unregisterSizes?.();
    if (this.ownInformers) this.informers.stop();
    // A periodic re-apply under way would put the jumps back after the removal below.
    await this.applying;
    if (this.redirect && this.server) {
      await this.redirect.remove().catch((err: Error) => this.log(`removing the DNS redirect failed: ${err.message}`));
    }
    await this.server?.stop();
    this.forwarder.close();
  }
}
