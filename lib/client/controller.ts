// The loop every controller shares (controller-runtime style): workers pop a key, reconcile it against
// the world as it is now, and on failure put it back with per-item back-off. Reconcile results are
// counted per controller under controller-runtime's metric names.
import { isConflict } from './client';
import type { KubeClient } from './client';
import type { EventRecorder } from './events';
import type { Registry } from 'prom-client';
import { counter, histogram } from '../component/metrics';
import type { SharedInformerFactory } from './shared-informers';
import type { WorkQueue } from './workqueue';

export interface Controller {
  name: string;
  start(): Promise<void>;
  stop(): void;
}

export interface ControllerContext {
  client: KubeClient;
  informers: SharedInformerFactory;
  recorder: EventRecorder;
}

export type ReconcileResult = void | { requeueAfterMs?: number };
export type ReconcileFunc<K> = (key: K) => Promise<ReconcileResult>;

/** controller-runtime's reconcile metrics in one registry. */
function reconcileMetrics(registry: Registry) {
  return {
    total: counter({ name: 'controller_runtime_reconcile_total', help: 'Total number of reconciliations per controller and result.', labelNames: ['controller', 'result'] }, registry),
    errors: counter({ name: 'controller_runtime_reconcile_errors_total', help: 'Total number of reconciliation errors per controller.', labelNames: ['controller'] }, registry),
    time: histogram(
      {
        name: 'controller_runtime_reconcile_time_seconds',
        help: 'Length of time per reconciliation per controller.',
        labelNames: ['controller'],
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      },
      registry,
    ),
  };
}

export interface RunWorkersOptions {
  /** Metric label and log prefix; default the queue's name. */
  controller?: string;
  /** Called on a reconcile error (default: log it, except conflicts — a stale cache's normal price, retried quietly). */
  onError?: (key: unknown, err: unknown) => void;
}

/**
 * Runs n workers over the queue until it is shut down; resolves when every worker has exited.
 * An error → addRateLimited; { requeueAfterMs } → forget + addAfter; success → forget.
 */
export async function runWorkers<K>(queue: WorkQueue<K>, n: number, reconcile: ReconcileFunc<K>, opts: RunWorkersOptions = {}): Promise<void> {
  const controller = opts.controller ?? queue.name;
  // Counted in the registry of the queue's component.
  const { total: reconcileTotal, errors: reconcileErrors, time: reconcileTime } = reconcileMetrics(queue.registry);
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      const end = reconcileTime.startTimer({ controller });
      try {
        const res = await reconcile(key);
        if (res && res.requeueAfterMs !== undefined) {
          queue.forget(key);
          queue.addAfter(key, res.requeueAfterMs);
          reconcileTotal.inc({ controller, result: 'requeue_after' });
        } else {
          queue.forget(key);
          reconcileTotal.inc({ controller, result: 'success' });
        }
      } catch (err) {
        reconcileTotal.inc({ controller, result: 'error' });
        reconcileErrors.inc({ controller });
        if (opts.onError) opts.onError(key, err);
        else if (!isConflict(err) && !queue.isShuttingDown()) console.error(`${controller}: sync ${String(key)}: ${(err as Error)?.message ?? err}`);
        queue.addRateLimited(key);
      } finally {
        end();
        queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, n) }, () => worker()));
}
