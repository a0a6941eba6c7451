// Programmatic entry points: startNodeAgent (one agent + its HTTP server, used by `steer node-agent`,
// `steer up` and tests) and, in hollow.ts, startHollowNodes.
import * as fs from 'node:fs';
import { NodeAgent, NodeAgentOptions } from './agent';
import { ClusterDns, ClusterDnsOptions } from './network/dns/cluster-dns';
import { parseResolvConf } from './podspec';
import { SharedInformerFactory } from '../lib/client/shared-informers';
import { defaultNodeAddress } from './node-status';
import { PodRouteSync, PodRouteSyncOptions } from './network/pod-routes';
import { agentServing, RunningAgentServer, startAgentServer } from './server';
import type { StreamingLimits } from './streaming';
import type { SecureServingOptions } from '../lib/component/secure-serving';
import { ServiceProxy, ServiceProxyOptions } from './network/service-proxy';
import { canonicalIPv4Cidr } from '../lib/api/ip';

export interface StartNodeAgentOptions extends NodeAgentOptions {
  /** HTTP port (default 10250; 0 = a free port; false = no server). */
  port?: number;
  serve?: boolean;
  /**
   * Serve HTTPS with the kubelet's authentication and authorization (server.ts: certificate, client CA,
   * TokenReview and SubjectAccessReview through the apiserver); without it plain HTTP, open to all.
   */
  serving?: SecureServingOptions;
  /** Bounds on open exec, attach and port-forward sessions (default 256 in all, 32 per pod). */
  streamingLimits?: StreamingLimits;
  /** Address the HTTP server binds to (default: the node address). */
  bindAddress?: string;
  /**
   * Keep host routes to the other nodes' pod CIDRs via their InternalIPs (pod-routes.ts). Off by
   * default: it changes the host's routing table, which single-host setups and tests must not touch.
   */
  podRoutes?: boolean | Omit<PodRouteSyncOptions, 'client' | 'nodeName'>;
  /**
   * Run the service proxy (service-proxy.ts: ClusterIPs and NodePorts through iptables). Off by default:
   * it changes the host's nat table; `steer server` turns it on. instance defaults to the node name.
   */
  serviceProxy?: boolean | Partial<Omit<ServiceProxyOptions, 'client'>>;
  /**
   * Serve cluster DNS (network/dns/): answers on the node's address, port 53, from the Service and
   * Endpoints caches (shared with the service proxy), forwards other names to the resolv.conf's
   * nameservers, and DNATs the clusterDNS addresses to itself. Off by default: it binds port 53 and
   * changes the host's nat table; `steer server` and `steer node-agent --cluster-dns` turn it on.
   */
  dnsServer?: boolean | Partial<Omit<ClusterDnsOptions, 'client' | 'informers'>>;
}

/** The host's nameservers (forwarding targets of the cluster DNS server). */
function hostNameservers(resolvConf: string | undefined): string[] {
  try {
    return parseResolvConf(fs.readFileSync(resolvConf || '/etc/resolv.conf', 'utf8')).servers;
  } catch {
    return [];
  }
}

export interface RunningNodeAgent {
  agent: NodeAgent;
  nodeName: string;
  /** The HTTP server's port (0 without a server). */
  port: number;
  url: string;
  /** The cluster DNS server, when it runs (its bound addresses, records, serving promise). */
  dns?: ClusterDns;
  stop(): Promise<void>;
}

export async function startNodeAgent(opts: StartNodeAgentOptions): Promise<RunningNodeAgent> {
  if (opts.podCIDR !== undefined && canonicalIPv4Cidr(opts.podCIDR) !== opts.podCIDR) {
    throw new Error(`invalid pod CIDR ${JSON.stringify(opts.podCIDR)}: want an IPv4 network such as 10.88.1.0/24`);
  }
  const address = opts.address || defaultNodeAddress();
  let server: RunningAgentServer | undefined;
  let agent: NodeAgent | undefined;
  if (opts.serve !== false) {
    server = await startAgentServer(
      () => (agent ? [agent] : []),
      opts.bindAddress || address,
      opts.port ?? 10250,
      opts.serving ? agentServing(opts.nodeName, opts.serving) : undefined,
      opts.streamingLimits,
    );
  }
  agent = new NodeAgent({ ...opts, address, port: server?.port ?? opts.port ?? 10250 });
  try {
    await agent.start();
  } catch (err) {
    await agent.stop().catch(() => undefined);
    await server?.close();
    throw err;
  }
  const a = agent;
  let routes: PodRouteSync | undefined;
  if (opts.podRoutes) {
    const routeOpts = opts.podRoutes === true ? {} : opts.podRoutes;
    routes = new PodRouteSync({ ...routeOpts, client: opts.client, nodeName: a.nodeName, log: routeOpts.log ?? opts.log });
    try {
      await routes.start();
    } catch (err) {
      await routes.stop();
      await a.stop().catch(() => undefined);
      await server?.close();
      throw err;
    }
  }
  // The proxy and the DNS server watch the same Services and Endpoints: one watch each, shared (with the
  // rest of the process when the caller shares its informers; those are the caller's to stop).
  const ownInformers = !opts.informers && opts.serviceProxy && opts.dnsServer ? new SharedInformerFactory(opts.client) : undefined;
  const informers = opts.informers ?? ownInformers;
  let proxy: ServiceProxy | undefined;
  const proxyOpts = opts.serviceProxy ? (opts.serviceProxy === true ? {} : opts.serviceProxy) : undefined;
  if (proxyOpts) {
    proxy = new ServiceProxy({ ...proxyOpts, instance: proxyOpts.instance ?? a.nodeName, client: opts.client, informers, log: proxyOpts.log ?? opts.log });
    try {
      await proxy.start();
    } catch (err) {
      await proxy.stop().catch(() => undefined);
      ownInformers?.stop();
      await routes?.stop();
      await a.stop().catch(() => undefined);
      await server?.close();
      throw err;
    }
  }
  let dns: ClusterDns | undefined;
  if (opts.dnsServer) {
    const dnsOpts = opts.dnsServer === true ? {} : opts.dnsServer;
    dns = new ClusterDns({
      nodeName: a.nodeName,
      clusterDomain: opts.clusterDomain || 'cluster.local',
      clusterIPs: opts.clusterDNS || [],
      listen: [{ host: address, port: 53 }],
      upstreams: hostNameservers(opts.resolvConf),
      // Named like the proxy's chains, so `steer down` finds both after a crash.
      redirect: { instance: proxyOpts?.instance ?? a.nodeName },
      log: opts.log ? (m) => opts.log!(`cluster-dns: ${m}`) : undefined,
      ...dnsOpts,
      client: opts.client,
      informers,
    });
    try {
      await dns.start();
    } catch (err) {
      await dns.stop().catch(() => undefined);
      ownInformers?.stop();
      await proxy?.stop().catch(() => undefined);
      await routes?.stop();
      await a.stop().catch(() => undefined);
      await server?.close();
      throw err;
    }
  }
  return {
    agent: a,
    nodeName: a.nodeName,
    port: server?.port ?? 0,
    url: server?.url ?? '',
    dns,
    stop: async () => {
      await dns?.stop().catch((err: Error) => (opts.log ?? console.error)(`cluster DNS: stopping failed: ${err.message}`));
      ownInformers?.stop();
      await proxy?.stop().catch((err: Error) => (opts.log ?? console.error)(`service proxy: removing its rules failed: ${err.message}`));
      await routes?.stop();
      await a.stop();
      await server?.close();
    },
  };
}
