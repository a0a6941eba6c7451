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
import { NetworkPolicyEnforcer, NetworkPolicyEnforcerOptions } from './network/network-policy';
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
  /**
   * Enforce NetworkPolicies on this node's pods (network/network-policy.ts: iptables in the filter
   * table's FORWARD chain). Off by default: it changes the host's filter table; `steer server` and
   * `steer node-agent --network-policy` turn it on. instance defaults to the service proxy's.
   */
  networkPolicy?: boolean | Partial<Omit<NetworkPolicyEnforcerOptions, 'client' | 'nodeName' | 'informers'>>;
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
  const log = opts.log ?? console.error;
  // What has started, stopped last first: on a failed start here, or by the returned stop().
  const stops: { what: string; stop: () => Promise<void> }[] = [
    { what: 'HTTP server', stop: async () => server?.close() },
    { what: 'node agent', stop: () => a.stop() },
  ];
  const stopAll = async (quiet: boolean) => {
    for (const s of stops.splice(0).reverse()) {
      await s.stop().catch((err: Error) => {
        if (!quiet) log(`${s.what}: stopping failed: ${err.message}`);
      });
    }
  };
  const startPart = async (what: string, start: () => Promise<void>, stop: () => Promise<void>) => {
    stops.push({ what, stop });
    try {
      await start();
    } catch (err) {
      await stopAll(true);
      throw err;
    }
  };
  if (opts.podRoutes) {
    const routeOpts = opts.podRoutes === true ? {} : opts.podRoutes;
    const routes = new PodRouteSync({ ...routeOpts, client: opts.client, nodeName: a.nodeName, log: routeOpts.log ?? opts.log });
    await startPart('pod routes', () => routes.start(), () => routes.stop());
  }
  // The proxy, the DNS server and the policy enforcer watch the same kinds: one watch each, shared (with
  // the rest of the process when the caller shares its informers; those are the caller's to stop).
  const parts = [opts.serviceProxy, opts.dnsServer, opts.networkPolicy].filter((p) => !!p).length;
  const ownInformers = !opts.informers && parts > 1 ? new SharedInformerFactory(opts.client) : undefined;
  const informers = opts.informers ?? ownInformers;
  if (ownInformers) stops.push({ what: 'informers', stop: async () => ownInformers.stop() });
  const proxyOpts = opts.serviceProxy ? (opts.serviceProxy === true ? {} : opts.serviceProxy) : undefined;
  // Chains named after the proxy's instance, so `steer down` finds all of them after a crash.
  const instance = proxyOpts?.instance ?? a.nodeName;
  if (proxyOpts) {
    const proxy = new ServiceProxy({ nodeName: a.nodeName, ...proxyOpts, instance, client: opts.client, informers, log: proxyOpts.log ?? opts.log });
    await startPart('service proxy (removing its rules)', () => proxy.start(), () => proxy.stop());
  }
  let dns: ClusterDns | undefined;
  if (opts.dnsServer) {
    const dnsOpts = opts.dnsServer === true ? {} : opts.dnsServer;
    const clusterDns = new ClusterDns({
      nodeName: a.nodeName,
      clusterDomain: opts.clusterDomain || 'cluster.local',
      clusterIPs: opts.clusterDNS || [],
      listen: [{ host: address, port: 53 }],
      upstreams: hostNameservers(opts.resolvConf),
      redirect: { instance },
      log: opts.log ? (m) => opts.log!(`cluster-dns: ${m}`) : undefined,
      ...dnsOpts,
      client: opts.client,
      informers,
    });
    dns = clusterDns;
    await startPart('cluster DNS', () => clusterDns.start(), () => clusterDns.stop());
  }
  if (opts.networkPolicy) {
    const policyOpts = opts.networkPolicy === true ? {} : opts.networkPolicy;
    // Started after the proxy: its jump goes first in FORWARD, before the proxy's accepts.
    const enforcer = new NetworkPolicyEnforcer({ instance, ...policyOpts, client: opts.client, nodeName: a.nodeName, informers, log: policyOpts.log ?? (opts.log ? (m) => opts.log!(`network-policy: ${m}`) : undefined) });
    await startPart('network policies (removing their rules)', () => enforcer.start(), () => enforcer.stop());
  }
  return {
    agent: a,
    nodeName: a.nodeName,
    port: server?.port ?? 0,
    url: server?.url ?? '',
    dns,
    stop: () => stopAll(false),
  };
}
