// Node and pod helpers for the scheduler's integration tests: create them through the API the way a
// node agent and a user would, and read placements back.
import type { Node, Pod } from 'kubernetes-types/core/v1';
import type { KubeClient } from '../../lib/client/client';
import { Resources } from '../../lib/api/resources';
import { makeNode, makePod, NodeSpec, PodSpecOptions } from '../fixtures/scheduler';

export async function createNode(client: KubeClient, name: string, spec: NodeSpec = {}): Promise<Node> {
  const node = makeNode(name, spec);
  await client.create<Node>(Resources.nodes, undefined, node);
  // Status is a subresource: set it the way a node agent does.
  return client.patch<Node>(Resources.nodes, undefined, name, { status: node.status }, 'merge', 'status');
}

export async function createPod(client: KubeClient, name: string, spec: PodSpecOptions = {}): Promise<Pod> {
  const pod = makePod(name, spec);
  const { uid: _uid, ...metadata } = pod.metadata ?? {};
  return client.create<Pod>(Resources.pods, spec.namespace ?? 'default', { ...pod, metadata });
}

export async function listPods(client: KubeClient): Promise<Pod[]> {
  return (await client.list<Pod>(Resources.pods, { namespace: 'default' })).items;
}

export async function nodeOf(client: KubeClient, name: string, namespace = 'default'): Promise<string | undefined> {
  return (await client.get<Pod>(Resources.pods, namespace, name)).spec?.nodeName || undefined;
}
