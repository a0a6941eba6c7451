// The webhook configurations, in memory from the apiserver's own storage (stored-objects.ts), as
// kube-apiserver's webhook source keeps them from an informer:
// configurations in name order, webhooks in their order within one, each with its match conditions
// compiled and one keep-alive HTTPS agent per caBundle and server name.
import * as https from 'node:https';
import type { MutatingWebhook, MutatingWebhookConfiguration, ValidatingWebhook, ValidatingWebhookConfiguration } from 'kubernetes-types/admissionregistration/v1';
import { Resources } from '../../../lib/api/resources';
import type { KObj, Storage } from '../../storage/types';
import { compileConditions, type CompiledCondition } from '../cel';
import { StoredObjects } from '../stored-objects';

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

export class WebhookConfigurations {
  mutating: readonly ActiveWebhook[] = [];
  validating: readonly ActiveWebhook[] = [];
  private readonly agents = new Map<string, https.Agent>();
  private readonly stored: StoredObjects;

  constructor(storage: Storage) {
    this.stored = new StoredObjects(storage, [Resources.mutatingwebhookconfigurations, Resources.validatingwebhookconfigurations], () => this.rebuild());
  }

  /** Lists both kinds and follows their changes until stop(). */
  start(): Promise<void> {
    return this.stored.start();
  }

  stop(): void {
    this.stored.stop();
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }

  private rebuild(): void {
    const used = new Set<string>();
    const build = (objects: KObj[]): ActiveWebhook[] => {
      const out: ActiveWebhook[] = [];
      for (const obj of objects) {
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
    this.mutating = build(this.stored.list(Resources.mutatingwebhookconfigurations));
    this.validating = build(this.stored.list(Resources.validatingwebhookconfigurations));
    for (const [key, agent] of this.agents) {
      if (!used.has(key)) {
        agent.destroy();
        this.agents.delete(key);
      }
    }
  }
}
