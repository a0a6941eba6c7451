// The service proxy (kube-proxy's iptables mode) the node agent runs when asked to: it watches Services
// and Endpoints, computes the rules with the pure core (proxy-rules.ts) and applies them with one
// `iptables-restore --noflush` of only its own chains, at most once per minSyncIntervalMs, plus the
// jumps from the built-in chains. As kube-proxy, it syncs when Services or Endpoints change, checks
// every checkIntervalMs that its rules are still in place (kube-proxy's canary chains: a firewall reload
// or `iptables -F` takes the jumps from the built-in chains with it) and resyncs when they are not, and
// resyncs in full once an hour anyway: a node where nothing changes runs two `iptables -C` per check
// instead of two iptables-save, a restore and eight `iptables -C` every 30 s. On stop (and in `steer down`, after a crash) removeProxyRules takes
// every chain and jump of the instance away again.
import type { Endpoints, Service } from 'kubernetes-types/core/v1';
import type { KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { SharedInformerFactory } from '../../lib/client/shared-informers';
import { BoundedRunner, startRuleTimers } from './bounded-runner';
import { HealthCheckPorts, healthCheckTargets } from './health-check-ports';
import { Iptables, runCommand } from './iptables';
import { ChainNames, chainsInSave, chainTag, computeProxyRules, type HookRule, hookRules, recordedRouteLocalnet, restoreInput } from './proxy-rules';

const RouteLocalnet = 'net.ipv4.conf.all.route_localnet';

/**
 * Removes every chain of an instance and the jumps to them from the built-in chains (whatever options
 * the instance ran with): what the proxy does on stop, and what `steer down` does after a crash. When
 * no other steer proxy is left serving NodePorts on 127.0.0.1, route_localnet gets the value recorded
 * before the first one set it (or routeLocalnetBefore, what a running proxy remembers).
 */
export async function removeProxyRules(instance: string, prefix: string[] = [], routeLocalnetBefore?: string): Promise<void> {
  const ipt = new Iptables(prefix);
  const names = new ChainNames(chainTag(instance));
  for (const h of hookRules(names, { localhostNodePorts: true })) await ipt.remove(h);
  const filterSave = await ipt.save('filter');
  const existing = { nat: chainsInSave(await ipt.save('nat'), names.prefix), filter: chainsInSave(filterSave, names.prefix) };
  const before = routeLocalnetBefore ?? recordedRouteLocalnet(filterSave);
  if (existing.nat.length || existing.filter.length) {
    await ipt.restore(restoreInput({ nat: { chains: [], rules: [] }, filter: { chains: [], rules: [] } }, existing));
  }
  if (before === undefined) return;
  const others = chainsInSave(await ipt.save('filter'), 'STEER-').some((c) => c.endsWith('-FIREWALL'));
  if (!others) await ipt.sysctl(RouteLocalnet, before);
}

export interface ServiceProxyOptions {
  client: KubeClient;
  /** Names this instance's chains (steer server passes its bridge); see chainTag. */
  instance: string;
  clusterCIDR?: string;
  /** Default true, as kube-proxy's --iptables-localhost-nodeports. */
  localhostNodePorts?: boolean;
  /** At most one sync per this period; changes in between are merged (default 250 ms). */
  minSyncIntervalMs?: number;
  /** A full resync even without changes (default 1 h, kube-proxy's full sync period). */
  resyncIntervalMs?: number;
  /**
   * How often the jumps from the built-in chains are checked, one per table, and everything resynced
   * when one is gone (default 30 s, kube-proxy's --iptables-sync-period for its canary chains; 0 = never).
   */
  checkIntervalMs?: number;
  /** Runs every command through this prefix (tests: ['ip', 'netns', 'exec', NAME]). */
  commandPrefix?: string[];
  /** This node: traffic policies of Local keep its endpoints (Endpoints' nodeName). */
  nodeName?: string;
  /**
   * Where the health check ports of LoadBalancer Services with externalTrafficPolicy Local are served
   * (health-check-ports.ts; default every address, as kube-proxy's; false: not served).
   */
  healthCheckBindAddress?: string | false;
  /** Informers to share (with the node's cluster DNS server); by default the proxy has its own. */
  informers?: SharedInformerFactory;
  log?: (msg: string) => void;
}

export class ServiceProxy {
  private readonly informers: SharedInformerFactory;
  private readonly ownInformers: boolean;
  private readonly ipt: Iptables;
  private readonly names: ChainNames;
  private readonly localhostNodePorts: boolean;
  private readonly log: (msg: string) => void;
  private readonly runner: BoundedRunner;
  private readonly healthChecks?: HealthCheckPorts;
  private stopTimers?: () => void;
  private checking = false;
  private stopped = false;
  /** Set once the caches are synced: events before that are covered by the first sync. */
  private ready = false;
  private routeLocalnetBefore?: string;
  private lastApplied = '';
  /** Completed syncs (tests wait on it). */
  syncCount = 0;

  constructor(private readonly o: ServiceProxyOptions) {
    this.ownInformers = !o.informers;
    this.informers = o.informers ?? new SharedInformerFactory(o.client);
    this.ipt = new Iptables(o.commandPrefix);
    this.names = new ChainNames(chainTag(o.instance));
    this.localhostNodePorts = o.localhostNodePorts ?? true;
    this.log = o.log ?? ((m) => console.error(`service-proxy: ${m}`));
    if (o.healthCheckBindAddress !== false) this.healthChecks = new HealthCheckPorts(o.healthCheckBindAddress || undefined, this.log);
    this.runner = new BoundedRunner(() => this.sync(), {
      minIntervalMs: o.minSyncIntervalMs ?? 250,
      onError: (err) => {
        this.log(`sync failed: ${err.message}`);
        this.lastApplied = '';
      },
    });
  }

  /** The health check ports served now (tests). */
  get healthCheckPorts(): number[] {
    return this.healthChecks?.ports ?? [];
  }

  get chainPrefix(): string {
    return this.names.prefix;
  }

  async start(): Promise<void> {
    const services = this.informers.informerFor<Service>(Resources.services);
    const endpoints = this.informers.informerFor<Endpoints>(Resources.endpoints);
    const changed = () => this.request();
    services.onAdd(changed);
    services.onUpdate(changed);
    services.onDelete(changed);
    endpoints.onAdd(changed);
    endpoints.onUpdate(changed);
    endpoints.onDelete(changed);
    this.informers.start();
    // Its own two kinds only: shared informers may hold other components' kinds too.
    await Promise.all([services.start(), endpoints.start()]);
    if (this.localhostNodePorts) {
      const before = await this.ipt.sysctl(RouteLocalnet);
      if (before !== '1') {
        await this.ipt.sysctl(RouteLocalnet, '1');
        this.routeLocalnetBefore = before;
      } else {
        // Another steer proxy may have set it: carry its record so the last one to stop restores it.
        this.routeLocalnetBefore = recordedRouteLocalnet(await this.ipt.save('filter'));
      }
    }
    // Pod-to-pod connections through a ClusterIP are answered across the bridge: without
    // br_netfilter's bridge-nf-call-iptables the reply is never un-DNATed (kube-proxy needs it too).
    const bridgeNf = await runCommand(this.o.commandPrefix ?? [], ['cat', '/proc/sys/net/bridge/bridge-nf-call-iptables']);
    if (bridgeNf.code !== 0 || bridgeNf.stdout.trim() !== '1') {
      this.log('net.bridge.bridge-nf-call-iptables is not 1 (modprobe br_netfilter): pods reaching other pods through a ClusterIP will not get replies');
    }
    this.ready = true;
    await this.runner.runNow();
    this.stopTimers = startRuleTimers({ resyncMs: this.o.resyncIntervalMs ?? 3_600_000, checkMs: this.o.checkIntervalMs ?? 30_000, resync: () => this.resync(), check: () => this.checkRules(), log: this.log });
  }

  /**
   * Checks that the first jump of each table is still there and resyncs when one is not; resolves
   * with whether it asked for a resync. A table flushed or reloaded loses all of them; a sync under way
   * puts them back itself.
   */
  async checkRules(): Promise<boolean> {
    if (this.stopped || !this.ready || this.runner.busy || this.checking) return false;
    this.checking = true;
    try {
      const firstPerTable = new Map<string, HookRule>();
      for (const h of hookRules(this.names, { localhostNodePorts: this.localhostNodePorts })) if (!firstPerTable.has(h.table)) firstPerTable.set(h.table, h);
      for (const h of firstPerTable.values()) {
        if (await this.ipt.has(h)) continue;
        if (this.stopped) return false;
        this.log(`the ${h.table} table lost the jump from ${h.chain}: resyncing every rule`);
        this.resync();
        return true;
      }
      return false;
    } finally {
      this.checking = false;
    }
  }

  /** Reapplies every rule even if nothing changed here: someone may have flushed our chains. */
  resync(): void {
    this.lastApplied = '';
    this.request();
  }

  /** Asks for a sync; runs at most once per minSyncIntervalMs, never two at once. */
  request(): void {
    this.runner.request();
  }

  private async sync(): Promise<void> {
    const services = this.informers.informerFor<Service>(Resources.services).list();
    const endpoints = this.informers.informerFor<Endpoints>(Resources.endpoints).list();
    const rules = computeProxyRules(services, endpoints, {
      tag: this.names.tag,
      clusterCIDR: this.o.clusterCIDR,
      localhostNodePorts: this.localhostNodePorts,
      routeLocalnetBefore: this.routeLocalnetBefore,
      nodeName: this.o.nodeName,
    });
    const existing = { nat: chainsInSave(await this.ipt.save('nat'), this.names.prefix), filter: chainsInSave(await this.ipt.save('filter'), this.names.prefix) };
    const input = restoreInput(rules, existing);
    if (input !== this.lastApplied) {
      await this.ipt.restore(input);
      this.lastApplied = input;
    }
    for (const h of hookRules(this.names, { localhostNodePorts: this.localhostNodePorts })) await this.ipt.ensure(h);
    await this.healthChecks?.update(healthCheckTargets(services, endpoints, this.o.nodeName));
    this.syncCount++;
  }

  /** Stops watching and removes every rule and chain this proxy made. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopTimers?.();
    if (this.ownInformers) this.informers.stop();
    await this.runner.stop();
    await this.healthChecks?.close();
    await removeProxyRules(this.o.instance, this.o.commandPrefix, this.routeLocalnetBefore);
  }
}
