// The API server's Prometheus metrics, in the apiserver's registry (lib/component/metrics.ts), which its
// /metrics serves. They are module-level singletons (several servers may share one process: tests);
// per-server state (object counts) is read from every running server at scrape time.
import * as client from 'prom-client';
import { componentRegistry } from '../lib/component/metrics';

const registers = [componentRegistry('apiserver')];

export const requestTotal = new client.Counter({
  name: 'apiserver_request_total',
  help: 'Counter of apiserver requests broken out for each verb, group, version, resource, subresource and HTTP response code.',
  labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'code'] as const,
  registers,
});

export const requestDuration = new client.Histogram({
  name: 'apiserver_request_duration_seconds',
  help: 'Response latency distribution in seconds for each verb, group, version, resource and subresource.',
  labelNames: ['verb', 'group', 'version', 'resource', 'subresource'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers,
});

export const inflightRequests = new client.Gauge({
  name: 'apiserver_current_inflight_requests',
  help: 'Number of requests being served (watches excluded), by kind of request.',
  labelNames: ['request_kind'] as const,
  registers,
});

export const registeredWatchers = new client.Gauge({
  name: 'apiserver_registered_watchers',
  help: 'Number of currently registered watchers for a given resource.',
  labelNames: ['group', 'version', 'kind'] as const,
  registers,
});

/** Every running server contributes its storage's object counts. */
export const objectCountSources = new Set<() => Array<[string, number]>>();

export const storageObjects = new client.Gauge({
  name: 'apiserver_storage_objects',
  help: 'Number of stored objects at the time of last check split by kind.',
  labelNames: ['resource'] as const,
  registers,
  collect() {
    this.reset();
    const totals = new Map<string, number>();
    for (const source of objectCountSources) for (const [r, n] of source()) totals.set(r, (totals.get(r) ?? 0) + n);
    for (const [r, n] of totals) this.set({ resource: r }, n);
  },
});

/**
 * kube-apiserver's etcd request metrics, for the object writes of an apiserver on etcd (its reads are
 * served from its replica, as kube's from its watch cache): one observation per etcd call, a write
 * sent again after a stall counted again. The finer low buckets are steer's: a local etcd answers in
 * a few ms, below kube's first bucket (5 ms).
 */
const etcdLabels = ['operation', 'group', 'resource'] as const;
export const etcdRequestDuration = new client.Histogram({
  name: 'etcd_request_duration_seconds',
  help: 'Etcd request latency in seconds for each operation and object type.',
  labelNames: etcdLabels,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers,
});
export const etcdRequests = new client.Counter({ name: 'etcd_requests_total', help: 'Etcd request counts for each operation and object type.', labelNames: etcdLabels, registers });
export const etcdRequestErrors = new client.Counter({ name: 'etcd_request_errors_total', help: 'Etcd failed request counts for each operation and object type.', labelNames: etcdLabels, registers });

/** Records one etcd request of an object write in the bucket ('pods', 'apps/deployments'). */
export function recordEtcdRequest(operation: string, bucket: string, seconds: number, answered: boolean): void {
  const slash = bucket.indexOf('/');
  const labels = { operation, group: slash < 0 ? '' : bucket.slice(0, slash), resource: bucket.slice(slash + 1) };
  etcdRequestDuration.observe(labels, seconds);
  etcdRequests.inc(labels);
  if (!answered) etcdRequestErrors.inc(labels);
}

export const connectSessions = new client.Gauge({
  name: 'steer_apiserver_connect_sessions',
  help: 'Open exec, attach and port-forward sessions proxied to node agents, by subresource.',
  labelNames: ['subresource'] as const,
  registers,
});

// Admission webhooks, as kube-apiserver names them (type: admit for mutating, validating).
export const webhookAdmissionDuration = new client.Histogram({
  name: 'apiserver_admission_webhook_admission_duration_seconds',
  help: 'Admission webhook latency histogram in seconds, identified by name and broken out for each operation and API resource and type (validate or admit).',
  labelNames: ['name', 'type', 'operation', 'rejected'] as const,
  buckets: [0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 25],
  registers,
});

export const webhookRejections = new client.Counter({
  name: 'apiserver_admission_webhook_rejection_count',
  help: 'Admission webhook rejection count, identified by name and broken out for each admission type (validating or admit) and operation. Additional labels specify an error type (calling_webhook_error or apiserver_internal_error if an error occurred; no_error otherwise) and optionally a non-zero rejection code if the webhook rejects the request with an HTTP status code (honored by the apiserver when the code is greater or equal to 400). Codes greater than 600 are truncated to 600, to keep the metrics cardinality bounded.',
  labelNames: ['name', 'type', 'operation', 'error_type', 'rejection_code'] as const,
  registers,
});

export const webhookFailOpen = new client.Counter({
  name: 'apiserver_admission_webhook_fail_open_count',
  help: 'Admission webhook fail open count, identified by name and broken out for each admission type (validating or mutating).',
  labelNames: ['name', 'type'] as const,
  registers,
});
