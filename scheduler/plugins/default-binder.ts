// DefaultBinder (bind): POST a v1 Binding to the pod's binding subresource; the apiserver sets
// spec.nodeName (once: 409 if the pod is already bound).
import type { Binding, Pod } from 'kubernetes-types/core/v1';
import type { BindPlugin, Status } from '../framework/types';
import { errorStatus } from '../framework/types';
import type { KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';

export class DefaultBinder implements BindPlugin {
  static readonly pluginName = 'DefaultBinder';
  readonly name = DefaultBinder.pluginName;

  constructor(private readonly client: KubeClient) {}

  async bind(pod: Pod, nodeName: string): Promise<Status | null> {
    const md = pod.metadata ?? {};
    const binding: Binding = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: md.name, namespace: md.namespace, uid: md.uid },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    };
    try {
      await this.client.create(Resources.pods, md.namespace, binding, { name: md.name ?? '', subresource: 'binding' });
      return null;
    } catch (e) {
      return errorStatus(`binding rejected: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
