// The webhook configurations, in memory from the apiserver's own storage (a list, then a watch; listed
// again when the storage loses track), as kube-apiserver's webhook source keeps them from an informer:
// configurations in name order, webhooks in their order within one, each with its match conditions
// compiled and one keep-alive HTTPS agent per caBundle and server name.
import * as https from 'node:https';
import type { MatchCondition, MutatingWebhook, MutatingWebhookConfiguration, ValidatingWebhook, ValidatingWebhookConfiguration } from 'kubernetes-types/admissionregistration/v1';
import { Resources } from '../../../lib/api/resources';
import { compileCel } from '../../crd/cel';
import { bucketOf } from '../../registry/keys';
import type { KObj, Storage, WatchSubscription } from '../../storage/types';

export type CompiledCondition = { name: string; program: ReturnType<typeof compileCel> };

/** One webhook as the dispatcher calls it. */
export interface ActiveWebhook {
  configuration: string;
  /** The webhook's index within its configuration. */
  index: number;
  hook: MutatingWebhook | ValidatingWebhook;
  conditions: CompiledCondition[];
  /** The caBundle as PEM; undefined: the system's roots. */
  ca?: string;
  agent: https.Agent;
}

const byName = (a: KObj, b: KObj) => String(a.metadata.name ?? '').localeCompare(String(b.metadata.name ?? ''));

export class WebhookConfigurations {
  mutating: readonly ActiveWebhook[] = [];
  validating: readonly ActiveWebhook[] = [];
  private readonly objects = { mutating: new Map<string, KObj>(), validating: new Map<string, KObj>() };
  private readonly agents = new Map<string, https.Agent>();
  private subscriptions: WatchSubscription[] = [];
  private stopped = false;

  constructor(private readonly storage: Storage) {}

  /** Lists both kinds and follows their changes until stop(). */
  async start(): Promise<void> {
    for (const [which, rt] of [
      ['mutating', Resources.mutatingwebhookconfigurations],
      ['validating', Resources.validatingwebhookconfigurations],
    ] as const) {
      await this.follow(which, bucketOf(rt));
    }
  }

  private async follow(which: 'mutating' | 'validating', bucket: string): Promise<void> {
    if (this.stopped) return;
    const r = await this.storage.list(bucket);
    const objects = this.objects[which];
    objects.clear();
    for (const item of r.items) objects.set(String(item.obj.metadata.name), item.obj);
    this.rebuild();
    const sub = this.storage.watch(
      bucket,
      r.rev,
      (ev) => {
        if (ev.type === 'DELETED') objects.delete(String(ev.object.obj.metadata.name));
        else objects.set(String(ev.object.obj.metadata.name), ev.object.obj);
        this.rebuild();
      },
      undefined,
      () => {
        this.subscriptions = this.subscriptions.filter((s) => s !== sub);
        void this.follow(which, bucket).catch(() => undefined);
      },
    );
    this.subscriptions.push(sub);
  }

  stop(): void {
    this.stopped = true;
    for (const s of this.subscriptions.splice(0)) s.stop();
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }

  private rebuild(): void {
    const used = new Set<string>();
    const build = (objects: Map<string, KObj>): ActiveWebhook[] => {
      const out: ActiveWebhook[] = [];
      for (const obj of [...objects.values()].sort(byName)) {
        const hooks = ((obj as unknown as MutatingWebhookConfiguration | ValidatingWebhookConfiguration).webhooks ?? []) as Array<MutatingWebhook | ValidatingWebhook>;
        hooks.forEach((hook, index) => {
          const ca = hook.clientConfig?.caBundle ? Buffer.from(hook.clientConfig.caBundle, 'base64').toString('utf8') : undefined;
          const serverName = hook.clientConfig?.url ?? `${hook.clientConfig?.service?.name}.${hook.clientConfig?.service?.namespace}.svc`;
          const key = `${ca ?? ''}\n${serverName}`;
          used.add(key);
          let agent = this.agents.get(key);
          if (!agent) this.agents.set(key, (agent = new https.Agent({ keepAlive: true, maxSockets: 32 })));
          out.push({ configuration: String(obj.metadata.name), index, hook, conditions: compileConditions(hook.matchConditions), ca, agent });
        });
      }
      return out;
    };
    this.mutating = build(this.objects.mutating);
    this.validating = build(this.objects.validating);
    for (const [key, agent] of this.agents) {
      if (!used.has(key)) {
        agent.destroy();
        this.agents.delete(key);
      }
    }
  }
}

function compileConditions(conditions: MatchCondition[] | undefined): CompiledCondition[] {
  return (conditions ?? []).map((c) => ({ name: c.name, program: compileCel(c.expression) }));
}
