// The resource quota controller (Kubernetes' pkg/controller/resourcequota): keeps every ResourceQuota's
// status current — status.hard = spec.hard, status.used = what the namespace's objects use of those
// resources, counted as the ResourceQuota admission counts them (lib/api/quota.ts). The pure core,
// quotaStatus(quota, objects), is table-tested; the loop recomputes a namespace's quotas whenever a
// quota or a counted object there changes.
import type { ResourceQuota, ResourceQuotaStatus } from 'kubernetes-types/core/v1';
import { countedResources, totalUsage, usedStatus } from '../lib/api/quota';
import { Resources, type ResourceType } from '../lib/api/resources';
import { isNotFound, type KubeObject } from '../lib/client/client';
import type { Controller, ControllerContext, ReconcileResult } from '../lib/client/controller';
import { runWorkers } from '../lib/client/controller';
import type { Informer } from '../lib/client/informer';
import { WorkQueue } from '../lib/client/workqueue';

/** The status a quota should have given its namespace's counted objects. */
export function quotaStatus(quota: ResourceQuota, objects: Array<[ResourceType, KubeObject]>): ResourceQuotaStatus {
  const hard = quota.spec?.hard ?? {};
  return { hard: { ...hard }, used: usedStatus(hard, totalUsage(quota, objects as Array<[ResourceType, Record<string, unknown>]>)) };
}

/** A merge patch from one status to another: resources no longer limited are removed (null), not left behind. */
export function statusPatch(current: ResourceQuotaStatus | undefined, next: ResourceQuotaStatus): Record<string, Record<string, string | null>> {
  const patch: Record<string, Record<string, string | null>> = {};
  for (const field of ['hard', 'used'] as const) {
    const entries: Record<string, string | null> = { ...(next[field] ?? {}) };
    for (const k of Object.keys(current?.[field] ?? {})) if (!(k in entries)) entries[k] = null;
    patch[field] = entries;
  }
  return patch;
}

function sameStatus(a: ResourceQuotaStatus | undefined, b: ResourceQuotaStatus): boolean {
  const norm = (s: ResourceQuotaStatus | undefined) => JSON.stringify([Object.entries(s?.hard ?? {}).sort(), Object.entries(s?.used ?? {}).sort()]);
  return norm(a) === norm(b);
}

export class ResourceQuotaController implements Controller {
  readonly name = 'resourcequota';
  /** Keys are namespaces: every quota of a namespace is recomputed together. */
  private readonly queue = new WorkQueue<string>('resourcequota', { maxDelayMs: 30_000 });
  private readonly quotas: Informer<ResourceQuota>;
  private readonly counted: Array<[ResourceType, Informer<KubeObject>]>;
  private running?: Promise<void>;

  constructor(private readonly ctx: ControllerContext) {
    this.quotas = ctx.informers.informerFor<ResourceQuota>(Resources.resourcequotas);
    this.counted = countedResources.map((rt) => [rt, ctx.informers.informerFor<KubeObject>(rt)]);
  }

  async start(): Promise<void> {
    const wake = (o: KubeObject) => {
      const ns = o.metadata?.namespace;
      if (ns && this.quotas.list(ns).length) this.queue.add(ns);
    };
    for (const [, inf] of this.counted) {
      inf.onAdd(wake);
      inf.onUpdate((_o, n) => wake(n));
      inf.onDelete(wake);
    }
    this.quotas.onAdd(wake);
    this.quotas.onUpdate((_o, n) => wake(n));
    this.ctx.informers.start();
    await Promise.all([this.quotas.start(), ...this.counted.map(([, i]) => i.start())]);
    this.running = runWorkers(this.queue, 1, (ns) => this.sync(ns), { controller: this.name });
  }

  stop(): void {
    this.queue.shutDown();
  }

  async stopped(): Promise<void> {
    await this.running;
  }

  private async sync(namespace: string): Promise<ReconcileResult> {
    const objects: Array<[ResourceType, KubeObject]> = [];
    for (const [rt, inf] of this.counted) for (const o of inf.list(namespace)) objects.push([rt, o]);
    for (const quota of this.quotas.list(namespace)) {
      const status = quotaStatus(quota, objects);
      if (sameStatus(quota.status, status)) continue;
      try {
        await this.ctx.client.patch<ResourceQuota>(Resources.resourcequotas, namespace, quota.metadata!.name!, { status: statusPatch(quota.status, status) }, 'merge', 'status');
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return undefined;
  }
}
