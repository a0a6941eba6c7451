// kube-proxy's service health check servers: a LoadBalancer Service with externalTrafficPolicy Local
// has a healthCheckNodePort, and every node answers HTTP there with how many of the Service's
// endpoints run on it — 200 when some do, 503 when none — so a load balancer in front of the nodes
// sends traffic only to nodes that keep it (outside traffic is not forwarded to other nodes then).
// The service proxy hands the wanted ports to HealthCheckPorts after each sync; servers are opened and
// closed to match. healthCheckTargets, the pure part, is table-tested.
import * as http from 'node:http';
import type { Endpoints, Service } from 'kubernetes-types/core/v1';
import { objectKey } from '../../lib/client/informer';

export interface HealthCheckTarget {
  namespace: string;
  name: string;
  /** Ready endpoints (distinct addresses) on this node. */
  localEndpoints: number;
}

/** The health check ports this node serves, and what each reports. */
export function healthCheckTargets(services: Service[], endpoints: Endpoints[], nodeName: string | undefined): Map<number, HealthCheckTarget> {
  const byKey = new Map(endpoints.map((e) => [objectKey(e), e]));
  const out = new Map<number, HealthCheckTarget>();
  for (const svc of services) {
    const port = svc.spec?.healthCheckNodePort;
    if (!port || svc.spec?.type !== 'LoadBalancer' || svc.spec.externalTrafficPolicy !== 'Local') continue;
    const local = new Set<string>();
    for (const subset of byKey.get(objectKey(svc))?.subsets ?? []) {
      for (const a of subset.addresses ?? []) if (nodeName !== undefined && a.nodeName === nodeName) local.add(a.ip);
    }
    out.set(port, { namespace: svc.metadata?.namespace ?? '', name: svc.metadata?.name ?? '', localEndpoints: local.size });
  }
  return out;
}

/** What kube-proxy's health check server answers, as status and JSON body. */
export function healthCheckAnswer(t: HealthCheckTarget): { status: number; body: string } {
  return {
    status: t.localEndpoints > 0 ? 200 : 503,
    body: JSON.stringify({ service: { namespace: t.namespace, name: t.name }, localEndpoints: t.localEndpoints, serviceProxyHealthy: true }),
  };
}

export class HealthCheckPorts {
  private readonly servers = new Map<number, http.Server>();
  private targets = new Map<number, HealthCheckTarget>();

  constructor(
    /** Address the servers bind (default all: load balancers reach the node from outside). */
    private readonly host: string | undefined,
    private readonly log: (msg: string) => void,
  ) {}

  /** Serves exactly these ports from now on. */
  async update(targets: Map<number, HealthCheckTarget>): Promise<void> {
    this.targets = targets;
    for (const [port, server] of this.servers) {
      if (targets.has(port)) continue;
      this.servers.delete(port);
      server.closeAllConnections(); // a checker's keep-alive connection would hold close() open
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    for (const port of targets.keys()) {
      if (this.servers.has(port)) continue;
      const server = http.createServer((req, res) => {
        const t = this.targets.get(port);
        if (!t) {
          res.writeHead(404).end();
          return;
        }
        const a = healthCheckAnswer(t);
        res.writeHead(a.status, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff', 'X-Load-Balancing-Endpoint-Weight': String(t.localEndpoints) });
        res.end(a.body);
      });
      this.servers.set(port, server);
      await new Promise<void>((resolve) => {
        server.once('error', (err) => {
          // Taken by something else on the host: reported, and tried again at the next update.
          this.log(`health check port ${port} for ${targets.get(port)?.namespace}/${targets.get(port)?.name}: ${err.message}`);
          this.servers.delete(port);
          resolve();
        });
        server.listen(port, this.host, () => resolve());
      });
    }
  }

  /** The ports served now (tests). */
  get ports(): number[] {
    return [...this.servers.keys()].sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    await this.update(new Map());
  }
}
