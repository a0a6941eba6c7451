// Programmatic entry points: startNodeAgent (one agent + its HTTP server, used by `steer node-agent`,
// `steer up` and tests) and, in hollow.ts, startHollowNodes.
import { NodeAgent, NodeAgentOptions } from './agent';
import { defaultNodeAddress } from './node-status';
import { PodRouteSync, PodRouteSyncOptions } from './network/pod-routes';
import { agentServing, RunningAgentServer, startAgentServer } from './server';
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
}

export interface RunningNodeAgent {
  agent: NodeAgent;
  nodeName: string;
  /** The HTTP server's port (0 without a server). */
  port: number;
  url: string;
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
  let proxy: ServiceProxy | undefined;
  if (opts.serviceProxy) {
    const proxyOpts = opts.serviceProxy === true ? {} : opts.serviceProxy;
    proxy = new ServiceProxy({ ...proxyOpts, instance: proxyOpts.instance ?? a.nodeName, client: opts.client, log: proxyOpts.log ?? opts.log });
    try {
      await proxy.start();
    } catch (err) {
      await proxy.stop().catch(() => undefined);
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
    stop: async () => {
      await proxy?.stop().catch((err: Error) => (opts.log ?? console.error)(`service proxy: removing its rules failed: ${err.message}`));
      await routes?.stop();
      await a.stop();
      await server?.close();
    },
  };
}
