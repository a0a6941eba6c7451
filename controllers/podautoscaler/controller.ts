// The HorizontalPodAutoscaler's loop (kube's HorizontalController): every HPA is synced when it changes
// and again every sync period (--horizontal-pod-autoscaler-sync-period, 15 s). A sync reads the target's
// Scale (any kind with a scale subresource), the pods of its selector (informer) and their metrics
// (metrics.k8s.io PodMetrics, label selected), plans (sync.ts) and writes the Scale and the status.
import type { HorizontalPodAutoscaler } from 'kubernetes-types/autoscaling/v2';
import type { Pod } from 'kubernetes-types/core/v1';
import { parseDuration } from '../../lib/api/duration';
import { deepEqual, goValueEqual } from '../../lib/api/json';
import { rfc3339 } from '../../lib/api/time';
import { milliValue } from '../../lib/api/quantity';
import { MetricsResources, Resources } from '../../lib/api/resources';
import { matchesLabels, parseLabelSelector } from '../../lib/api/selectors';
import { isConflict, isNotFound, type KubeList } from '../../lib/client/client';
import { type Controller, type ControllerContext, type ReconcileResult, runWorkers } from '../../lib/client/controller';
import { type Informer, objectKey, splitKey } from '../../lib/client/informer';
import { WorkQueue } from '../../lib/client/workqueue';
import { findScalable, readScale, writeScale } from '../shared/scale';
import { emptyHistory, type ScalingHistory } from './behavior';
import { type CalculatorOptions, defaultCalculatorOptions } from './replica-calculator';
import { type HpaInput, planHpa } from './sync';

export interface PodAutoscalerOptions extends Partial<CalculatorOptions> {
  /** --horizontal-pod-autoscaler-sync-period (15 s). */
  syncPeriodMs?: number;
  workers?: number;
  now?: () => number;
}

interface PodMetricsItem {
  metadata?: { name?: string };
  timestamp?: string;
  window?: string;
  containers?: Array<{ name: string; usage?: Record<string, string> }>;
}

export class PodAutoscalerController implements Controller {
  readonly name = 'horizontalpodautoscaling';
  private readonly queue = new WorkQueue<string>('horizontalpodautoscaler', { maxDelayMs: 30_000 });
  private readonly hpas: Informer<HorizontalPodAutoscaler>;
  private readonly pods: Informer<Pod>;
  private readonly history = new Map<string, ScalingHistory>();
  private readonly syncPeriodMs: number;
  private readonly calc: CalculatorOptions;
  private readonly now: () => number;
  private running?: Promise<void>;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: PodAutoscalerOptions = {},
  ) {
    this.syncPeriodMs = opts.syncPeriodMs ?? 15_000;
    this.calc = { ...defaultCalculatorOptions, ...Object.fromEntries(Object.entries(opts).filter(([k, v]) => k in defaultCalculatorOptions && v !== undefined)) };
    this.now = opts.now ?? Date.now;
    this.hpas = ctx.informers.informerFor<HorizontalPodAutoscaler>(Resources.horizontalpodautoscalers);
    this.pods = ctx.informers.informerFor<Pod>(Resources.pods);
  }

  async start(): Promise<void> {
    this.hpas.onAdd((h) => this.queue.add(objectKey(h)));
    this.hpas.onUpdate((o, h) => {
      if (!deepEqual(o.spec, h.spec)) this.queue.add(objectKey(h));
    });
    this.hpas.onDelete((h) => this.history.delete(objectKey(h)));
    this.ctx.informers.start();
    await Promise.all([this.hpas.start(), this.pods.start()]);
    this.running = runWorkers(this.queue, this.opts.workers ?? 2, (key) => this.sync(key), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  async stopped(): Promise<void> {
    await this.running;
  }

  private async podMetrics(namespace: string, selector: string): Promise<HpaInput['metrics']> {
    try {
      const list = await this.ctx.client.list<PodMetricsItem>(MetricsResources.pods, { namespace, labelSelector: selector });
      return toMetricsMap(list);
    } catch (err) {
      return `unable to fetch metrics from resource metrics API: ${(err as Error).message}`;
    }
  }

  private async writeStatus(hpa: HorizontalPodAutoscaler, status: HorizontalPodAutoscaler['status']): Promise<void> {
    if (goValueEqual(status, hpa.status)) return;
    try {
      await this.ctx.client.update<HorizontalPodAutoscaler>(Resources.horizontalpodautoscalers, { ...hpa, status }, 'status');
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  private async sync(key: string): Promise<ReconcileResult> {
    const hpa = this.hpas.getByKey(key);
    if (!hpa?.spec) {
      this.history.delete(key);
      return;
    }
    const requeue = { requeueAfterMs: this.syncPeriodMs };
    const { namespace = '' } = splitKey(key);
    const ref = hpa.spec.scaleTargetRef;
    const now = this.now();
    const failScale = async (reason: string, message: string) => {
      this.ctx.recorder.event(hpa, 'Warning', reason, message);
      const conditions = [
        ...(hpa.status?.conditions ?? []).filter((c) => c.type !== 'AbleToScale'),
        { type: 'AbleToScale', status: 'False', reason, message: `the HPA controller was unable to get the target's current scale: ${message}`, lastTransitionTime: rfc3339(now) },
      ];
      await this.writeStatus(hpa, { ...(hpa.status ?? { desiredReplicas: 0 }), conditions });
      return requeue;
    };
    const rt = findScalable(ref.apiVersion, ref.kind);
    if (!rt) return failScale('FailedGetScale', `no matches for kind "${ref.kind}" in group "${(ref.apiVersion ?? '').split('/')[0]}" with a scale subresource`);
    let scale;
    try {
      scale = await readScale(this.ctx.client, rt, namespace, ref.name);
    } catch (err) {
      return failScale('FailedGetScale', (err as Error).message);
    }
    const selectorText = scale.status?.selector ?? '';
    let selector;
    try {
      selector = parseLabelSelector(selectorText);
    } catch (err) {
      selector = undefined;
      this.ctx.recorder.event(hpa, 'Warning', 'InvalidSelector', `couldn't convert selector into a corresponding internal selector object: ${(err as Error).message}`);
    }
    if (!selectorText || !selector) {
      if (!selectorText) this.ctx.recorder.event(hpa, 'Warning', 'SelectorRequired', 'selector is required');
      return requeue;
    }
    const pods = this.pods.list(namespace).filter((p) => matchesLabels(selector, p.metadata?.labels));
    const metrics = await this.podMetrics(namespace, selectorText);
    const history = this.history.get(key) ?? emptyHistory();
    this.history.set(key, history);
    const plan = planHpa({ hpa, currentReplicas: scale.spec?.replicas ?? 0, pods, metrics, now }, history, this.calc);
    for (const e of plan.events) this.ctx.recorder.event(hpa, e.type, e.reason, e.message);
    if (plan.rescaleTo !== undefined) {
      try {
        await writeScale(this.ctx.client, rt, scale, plan.rescaleTo);
      } catch (err) {
        this.ctx.recorder.event(hpa, 'Warning', 'FailedRescale', `New size: ${plan.rescaleTo}; error: ${(err as Error).message}`);
        const conditions = (plan.status.conditions ?? []).map((c) =>
          c.type === 'AbleToScale' ? { ...c, status: 'False', reason: 'FailedUpdateScale', message: `the HPA controller was unable to update the target scale: ${(err as Error).message}` } : c,
        );
        await this.writeStatus(hpa, { ...plan.status, conditions, desiredReplicas: scale.spec?.replicas ?? 0, lastScaleTime: hpa.status?.lastScaleTime });
        return requeue;
      }
    }
    await this.writeStatus(hpa, plan.status);
    return requeue;
  }
}

/** PodMetrics → per pod, per container usage in milli-units, with timestamp and window. */
export function toMetricsMap(list: KubeList<PodMetricsItem>): Exclude<HpaInput['metrics'], string> {
  const out: Exclude<HpaInput['metrics'], string> = new Map();
  for (const item of list.items) {
    const containers = new Map<string, Record<string, number>>();
    for (const c of item.containers ?? []) {
      const usage: Record<string, number> = {};
      for (const [k, v] of Object.entries(c.usage ?? {})) usage[k] = milliValue(v);
      containers.set(c.name, usage);
    }
    out.set(item.metadata?.name ?? '', {
      containers,
      timestamp: item.timestamp ? Date.parse(item.timestamp) : 0,
      windowMs: item.window ? parseDuration(item.window, 's') : 0,
    });
  }
  return out;
}
