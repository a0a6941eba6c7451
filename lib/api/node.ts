// Node predicates every component that reads nodes shares. Pure.
import type { Node } from 'kubernetes-types/core/v1';

/** kube's IsNodeReady: the node's Ready condition is True. */
export function isNodeReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
