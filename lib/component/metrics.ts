// One prom-client Registry per steer component, and get-or-create helpers for metrics in them.
// Several components may share one process (`steer server`, as k3s does); each /metrics endpoint serves
// its own component's registry, so Prometheus sees kube_deployment_* under the controllers' job only,
// exactly as with one process per component. A metric is registered once by name per registry (a
// module may be loaded more than once in tests), and every later caller gets the same object back.
// Process metrics (process_*, nodejs_*) live in a registry of their own that every endpoint appends:
// each Kubernetes component exposes them, and per-job dashboards (`process_resident_memory_bytes{job=
// "kube-scheduler"}`) keep working; in one process they are the same numbers under every job.
import * as http from 'node:http';
import type * as https from 'node:https';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration } from 'prom-client';
import { createSecureServer, type SecureServingOptions } from './secure-serving';

export type Component = 'apiserver' | 'scheduler' | 'controllers' | 'node-agent';

const registries = new Map<Component, Registry>();

/** The registry a component's metrics live in and its /metrics endpoint serves. */
export function componentRegistry(component: Component): Registry {
  let r = registries.get(component);
  if (!r) {
    r = new Registry();
    registries.set(component, r);
  }
  return r;
}

let processRegistry: Registry | undefined;

/** process_* and nodejs_* of this process, collected once however many components run in it. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    // The event-loop delay monitor samples on a timer of this period (prom-client's default 10 ms woke an
    // idle process 100 times a second, about 0.75 % of a core); lag percentiles need no finer sampling.
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 200 });
  }
  return processRegistry;
}

/** What a component's /metrics answers: its own series, then the process' (Prometheus text format). */
export async function metricsResponse(component: Component): Promise<{ contentType: string; body: string }> {
  const own = componentRegistry(component);
  const [mine, proc] = await Promise.all([own.metrics(), processMetrics().metrics()]);
  return { contentType: own.contentType, body: mine + proc };
}

export function counter<L extends string>(cfg: CounterConfiguration<L>, registry: Registry): Counter<L> {
  return (registry.getSingleMetric(cfg.name) as Counter<L> | undefined) ?? new Counter<L>({ ...cfg, registers: [registry] });
}

export function gauge<L extends string>(cfg: GaugeConfiguration<L>, registry: Registry): Gauge<L> {
  return (registry.getSingleMetric(cfg.name) as Gauge<L> | undefined) ?? new Gauge<L>({ ...cfg, registers: [registry] });
}

export function histogram<L extends string>(cfg: HistogramConfiguration<L>, registry: Registry): Histogram<L> {
  return (registry.getSingleMetric(cfg.name) as Histogram<L> | undefined) ?? new Histogram<L>({ ...cfg, registers: [registry] });
}

/** The paths every component answers without authentication (kube's --authorization-always-allow-paths). */
export const healthPaths = ['/healthz', '/livez', '/readyz'];

/**
 * A component's own metrics endpoint (kube-scheduler's and kube-controller-manager's secure port):
 * /metrics from its registry, /healthz, /livez and /readyz answering ok, 404 otherwise. With `secure`
 * it serves HTTPS, and /metrics needs a caller the apiserver allows to `get` that path (delegated
 * authentication and authorization, secure-serving.ts); the health paths answer anyone.
 */
export function serveMetrics(component: Component, host: string, port: number, secure?: SecureServingOptions): Promise<http.Server | https.Server> {
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      metricsResponse(component)
        .then(({ contentType, body }) => {
          res.writeHead(200, { 'Content-Type': contentType });
          res.end(body);
        })
        .catch((err: unknown) => {
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(String((err as Error)?.message ?? err));
        });
    } else if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  };
  const server = secure ? createSecureServer(handler, { anonymous: true, ...secure, alwaysAllowPaths: [...healthPaths, ...(secure.alwaysAllowPaths ?? [])] }) : http.createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
